"""Speed of compositional mapping and text annotation on the full-size synthetic release.

Run: python bench/bench_annotate.py [--concepts 370000] [--texts 60] [--queries 300]
Writes bench/out/annotate.json. Targets: map (``map_phrase``, the engine ``POST /api/v1/map``
runs) median <= 10 ms; annotating a 3,000-character text median <= 100 ms.

The index is ``bench/_common.py::synthetic_index`` (built on first use and cached under bench/data;
rebuilt in place when an older snomap wrote it). Timings are in one process after a warm-up, which
includes building the per-process tables (phrase keys, hierarchy priorities, MRCM slots); those
one-off costs are reported separately as ``warm_seconds``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import rss_mb, save, synthetic_index, synthetic_release  # noqa: E402

FILLER = [
    "The patient was seen in clinic today.",
    "She reports feeling tired for several weeks.",
    "Review in three months with repeat imaging.",
    "Discussed the plan with the family, who agree.",
    "Bloods were taken and sent to the laboratory.",
    "He walks two miles a day without difficulty.",
    "Medication was reviewed and left unchanged.",
]
CONTEXT = [
    "No evidence of {}.",
    "Suspected {}.",
    "History of {}.",
    "{} was ruled out.",
    "Known {}.",
    "Possible {}?",
    "{} noted on imaging.",
]


def _open(concepts: int) -> Any:
    from terminology import IndexFormatError, Terminology

    idx = synthetic_index(concepts)
    try:
        return Terminology.open(idx)
    except IndexFormatError:  # cached by an older snomap: rebuild it in place (atomic)
        release = synthetic_release(concepts)
        subprocess.run([sys.executable, "-m", "service.cli", "index", str(release), "--out", str(idx)], check=True)
        return Terminology.open(idx)


def _stats(times_ms: list[float]) -> dict[str, float]:
    s = sorted(times_ms)
    return {
        "n": len(s),
        "median_ms": round(statistics.median(s), 2),
        "p95_ms": round(s[max(int(len(s) * 0.95) - 1, 0)], 2),
        "max_ms": round(s[-1], 2),
    }


def make_text(rng: random.Random, terms: list[str], length: int = 3000) -> str:
    parts: list[str] = []
    size = 0
    while size < length:
        if rng.random() < 0.55:
            s = rng.choice(CONTEXT).format(rng.choice(terms).lower())
            s = s[0].upper() + s[1:]
        else:
            s = rng.choice(FILLER)
        parts.append(s)
        size += len(s) + 1
    return " ".join(parts)[:length]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--concepts", type=int, default=370_000)
    ap.add_argument("--texts", type=int, default=60)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    from terminology.ecl import evaluate
    from terminology.mapping.annotate import annotate
    from terminology.mapping.concept_model import concept_groups
    from terminology.mapping.engine import map_phrase

    t = _open(args.concepts)
    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    t.warm()  # every per-index table (phrase index, hierarchies, concept model, ECL index)
    warm_s = time.perf_counter() - t0

    findings = evaluate(t, "<< 404684003").ids.tolist()
    procedures = evaluate(t, "<< 71388002").ids.tolist()
    picked = rng.sample(findings, 400) + rng.sample(procedures, 100)
    terms = [t.preferred_term(int(c)) or "" for c in picked]

    # --- map: preferred terms, typos, compositional phrases
    queries: list[tuple[str, str]] = []
    for c in rng.sample(findings, args.queries // 3):
        queries.append(("preferred term", t.preferred_term(int(c)) or ""))
    for c in rng.sample(findings, args.queries // 3):
        words = (t.preferred_term(int(c)) or "").split()
        k = max(range(len(words)), key=lambda i: len(words[i]))
        w = words[k]
        if len(w) > 4:
            i = rng.randrange(1, len(w) - 2)
            words[k] = w[:i] + w[i + 1] + w[i] + w[i + 2 :]
        queries.append(("typo", " ".join(words)))
    single = evaluate(t, "<< 404684003 : { 116676008 = *, 363698007 = * }").ids.tolist()
    rng.shuffle(single)
    made = 0
    for c in single:
        groups = concept_groups(t, int(c))
        if len(groups) != 1 or sorted(a for a, _ in groups[0]) != [116676008, 363698007]:
            continue
        g = dict(groups[0])
        m, s = t.preferred_term(g[116676008]) or "", t.preferred_term(g[363698007]) or ""
        queries.append(("compositional", f"{m.lower()} of {s.lower()}"))
        made += 1
        if made >= args.queries // 3:
            break
    for _, q in queries[:20]:
        map_phrase(t, q, limit=10)
    by_kind: dict[str, list[float]] = {}
    for kind, q in queries:
        t1 = time.perf_counter()
        map_phrase(t, q, limit=10)
        by_kind.setdefault(kind, []).append((time.perf_counter() - t1) * 1000)
    all_map = [x for v in by_kind.values() for x in v]

    # --- annotate: 3,000-character notes, and one 100,000-character text
    texts = [make_text(rng, terms) for _ in range(args.texts)]
    for x in texts[:5]:
        annotate(t, x)
    times, mentions = [], []
    for x in texts:
        t1 = time.perf_counter()
        found = annotate(t, x)
        times.append((time.perf_counter() - t1) * 1000)
        mentions.append(len(found))
    big = make_text(rng, terms, 100_000)
    t1 = time.perf_counter()
    big_found = annotate(t, big)
    big_ms = (time.perf_counter() - t1) * 1000

    result = {
        "concepts_active": args.concepts,
        "warm_seconds": round(warm_s, 2),
        "map": {"all": _stats(all_map), **{k: _stats(v) for k, v in by_kind.items()}, "target_median_ms": 10},
        "annotate_3000_chars": {
            **_stats(times),
            "mentions_median": statistics.median(mentions),
            "target_median_ms": 100,
        },
        "annotate_100000_chars": {"ms": round(big_ms, 1), "mentions": len(big_found)},
        "example_text": texts[0][:400],
        "example_mentions": [m.as_dict() for m in annotate(t, texts[0][:400])],
        "rss_mb": {k: round(v) for k, v in rss_mb().items()},
    }
    save("annotate", result)


if __name__ == "__main__":
    main()
