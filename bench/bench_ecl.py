"""ECL evaluator benchmark: two batches of expressions over the 370,000-concept synthetic release.

Run: python bench/bench_ecl.py [--concepts 370000] [--n 1000] [--index IDX] [--save-results F] [--compare F] [--sets]
Builds (once, cached under bench/data) the synthetic release and its index, then in this process:
memory added by the engine's indexes (RSS before/after building or mapping them), then each batch
(text in, sorted concept ids out; parse included, result cache off): total, median / p95 / max per
expression and per kind, against the targets (total <= 1.0 s, p95 <= 5 ms, none over 50 ms).
Batches: "realistic" (every construct) and "descriptions" (term filters over large hierarchies,
issue 17). ``--save-results``/``--compare`` record and check each result's digest, so a change can
be shown to give identical results. ``--sets`` adds the set-algebra measurement behind
terminology/ecl/_sets.py.
Prints JSON and writes bench/out/ecl.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import rss_mb, save, synthetic_index  # noqa: E402
from loaders.snomed import ASSOCIATED_MORPHOLOGY as MORPHOLOGY  # noqa: E402
from loaders.snomed import BODY_STRUCTURE as BODY  # noqa: E402
from loaders.snomed import CAUSATIVE_AGENT as CAUSATIVE  # noqa: E402
from loaders.snomed import CLINICAL_FINDING as FINDING  # noqa: E402
from loaders.snomed import DISEASE, FINDING_SITE, PROCEDURE  # noqa: E402
from loaders.snomed import PROCEDURE_SITE as PROC_SITE  # noqa: E402


def generate(t: Any, n: int, seed: int = 1) -> list[tuple[str, str]]:
    """(kind, text) pairs drawn from the release itself so that most expressions have answers."""
    rng = np.random.default_rng(seed)
    st = t.store
    ids = np.asarray(t.ids)
    depth = np.asarray(st.depth)
    active = np.flatnonzero(np.asarray(st.concept_active))

    def under(top: int) -> np.ndarray:
        row = t.index_of(top)
        return np.asarray(st.descendants[st.descendants_ptr[row] : st.descendants_ptr[row + 1]])

    findings, bodies = under(FINDING), under(BODY)
    ndesc = np.diff(np.asarray(st.descendants_ptr))
    # Disorders of every size: from leaves to hierarchies of thousands.
    mid = findings[(ndesc[findings] >= 5) & (ndesc[findings] <= 5000)]
    rel_type, rel_dest = np.asarray(st.rel_type), np.asarray(st.rel_dest)
    site_row, morph_row = t.index_of(FINDING_SITE), t.index_of(MORPHOLOGY)
    sites = np.unique(rel_dest[rel_type == site_row])
    morphs = np.unique(rel_dest[rel_type == morph_row])
    refsets = sorted(set(np.unique(np.asarray(st.member_refset)).tolist()))
    simple = 723264001 if 723264001 in refsets else refsets[0]
    icd = 447562003
    targets = [
        r[0] for r in st.db.execute('SELECT DISTINCT "mapTarget" FROM rf2_extended_map LIMIT 2000').fetchall() if r[0]
    ]

    def pick(a: np.ndarray) -> int:
        return int(ids[a[rng.integers(len(a))]])

    def word(c: int) -> str:
        pt = t.preferred_term(c) or "disease"
        ws = [w for w in pt.replace("(", " ").split() if len(w) > 3 and w.isalpha()]
        w = ws[rng.integers(len(ws))] if ws else "disease"
        return w[: max(4, len(w) - int(rng.integers(0, 3)))].lower()

    kinds = {
        "hierarchy": lambda: (
            f"{rng.choice(['<', '<<', '<!', '>', '>>', '>!'])} {pick(active[depth[active] == rng.integers(1, 15)] if (depth[active] > 0).any() else active)}"
        ),
        "top_level": lambda: f"{rng.choice(['<<', '<'])} {rng.choice([FINDING, DISEASE, BODY, PROCEDURE])}",
        "refine_site": lambda: f"< {FINDING} : {FINDING_SITE} = << {pick(sites)}",
        "refine_morph": lambda: f"<< {pick(mid)} : {MORPHOLOGY} = << {pick(morphs)}",
        "group": lambda: f"< {FINDING} : {{ {FINDING_SITE} = << {pick(sites)}, {MORPHOLOGY} = << {pick(morphs)} }}",
        "cardinality": lambda: (
            f"<< {pick(mid)} : {rng.choice(['[0..0]', '[2..*]', '[1..1]'])} {rng.choice([f'{CAUSATIVE} = *', f'{{ {FINDING_SITE} = * }}'])}"
        ),
        "not_equal": lambda: f"<< {pick(mid)} : {FINDING_SITE} != << {pick(sites)}",
        "reverse": lambda: f"< {BODY} : R {FINDING_SITE} = << {pick(mid)}",
        "dotted": lambda: f"<< {pick(mid)} . {rng.choice([FINDING_SITE, MORPHOLOGY])}",
        "member_of": lambda: rng.choice(
            [
                f"^ {simple}",
                f"< {BODY} AND ^ {simple}",
                f"<< {pick(bodies)} MINUS ^ {simple}",
                f"^ {icd} AND << {pick(mid)}",
            ]
        ),
        "member_filter": lambda: (
            f'^ {icd} {{{{ M mapTarget = "{targets[rng.integers(len(targets))]}" }}}}' if targets else f"^ {icd}"
        ),
        "term": lambda: (lambda c: f'<< {c} {{{{ term = "{word(c)}" }}}}')(pick(mid)),
        "term_wild": lambda: (lambda c: f'< {FINDING} {{{{ term = wild:"{word(c)}*" }}}}')(pick(mid)),
        "combination": lambda: f"(<< {pick(mid)} OR << {pick(mid)}) MINUS << {pick(mid)}",
        "history": lambda: f"<< {pick(mid)} {{{{ +HISTORY-{rng.choice(['MIN', 'MOD', 'MAX'])} }}}}",
        "concept_filter": lambda: f"<< {pick(mid)} {{{{ C definitionStatus = defined }}}}",
        "procedure": lambda: f"< {PROCEDURE} : {PROC_SITE} = << {pick(bodies)}",
    }
    weights = {"hierarchy": 12, "top_level": 2, "refine_site": 12, "refine_morph": 8, "group": 8, "cardinality": 6, "not_equal": 4,
               "reverse": 5, "dotted": 5, "member_of": 5, "member_filter": 4, "term": 8, "term_wild": 3, "combination": 8,
               "history": 4, "concept_filter": 3, "procedure": 3}  # fmt: skip
    names = list(kinds)
    p = np.array([weights[k] for k in names], float)
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    while len(out) < n:
        kind = names[rng.choice(len(names), p=p / p.sum())]
        text = kinds[kind]()
        if text not in seen:
            seen.add(text)
            out.append((kind, text))
    return out


DESCRIPTION_FOCI = (FINDING, DISEASE, 91723000, 410607006)  # finding, disorder, anatomical structure, organism


def generate_descriptions(t: Any, n: int, seed: int = 2) -> list[tuple[str, str]]:
    """(kind, text) pairs heavy in description filters over large hierarchies (issue 17's second batch).

    Words are drawn from the preferred terms of each focus's own concepts, weighted by how often they
    occur, so common words ("type", "of", "left") are common here too; the five expressions issue 17
    measured slowest come first.
    """
    rng = np.random.default_rng(seed)
    st = t.store
    ptr, blob = np.asarray(st.term_ptr), np.asarray(st.term_blob)
    pt_any = np.asarray(st.pt_any)
    pools: dict[int, list[list[str]]] = {}
    foci = [f for f in DESCRIPTION_FOCI if t.index_of(f) is not None]
    for focus in foci:
        row = t.index_of(focus)
        rows = np.asarray(st.descendants[st.descendants_ptr[row] : st.descendants_ptr[row + 1]])
        sample = rows[rng.choice(len(rows), min(3000, len(rows)), replace=False)]
        terms = [bytes(blob[ptr[d] : ptr[d + 1]]).decode() for d in pt_any[sample].tolist() if d >= 0]
        pools[focus] = [[w.lower() for w in re.findall(r"[A-Za-z]{3,}", x)] for x in terms]

    def words_of(focus: int) -> list[str]:
        pool = pools[focus]
        while True:
            ws = pool[rng.integers(len(pool))]
            if ws:
                return ws

    def a_word(focus: int) -> str:
        ws = words_of(focus)
        return ws[rng.integers(len(ws))]

    def prefix(w: str) -> str:
        return w[: max(3, len(w) - int(rng.integers(0, 4)))]

    def focus() -> int:
        return int(foci[rng.integers(len(foci))])

    def two(f: int) -> str:
        ws = words_of(f)
        if len(ws) < 2:
            return a_word(f)
        i, j = rng.choice(len(ws), 2, replace=False)
        return f"{prefix(ws[i])} {prefix(ws[j])}"

    def infix(w: str) -> str:
        k = int(rng.integers(3, 5))
        i = int(rng.integers(0, max(1, len(w) - k)))
        return w[i : i + k]

    kinds = {
        "word": lambda f: f'<< {f} {{{{ term = "{a_word(f)}" }}}}',
        "prefix": lambda f: f'<< {f} {{{{ term = "{prefix(a_word(f))}" }}}}',
        "several_words": lambda f: f'<< {f} {{{{ term = "{two(f)}" }}}}',
        "word_set": lambda f: f'<< {f} {{{{ term = ("{a_word(f)}" "{a_word(f)}") }}}}',
        "wild_infix": lambda f: f'<< {f} {{{{ term = wild:"*{infix(a_word(f))}*" }}}}',
        "wild_suffix": lambda f: f'<< {f} {{{{ term = wild:"*{a_word(f)[-4:]}" }}}}',
        "wild_prefix": lambda f: f'<< {f} {{{{ term = wild:"{prefix(a_word(f))}*" }}}}',
        "wild_inner": lambda f: f'<< {f} {{{{ term = wild:"*{prefix(a_word(f))}*{prefix(a_word(f))}*" }}}}',
        "type": lambda f: f'<< {f} {{{{ term = "{a_word(f)}", language = en, type = {rng.choice(["fsn", "syn"])} }}}}',
        "dialect": lambda f: (
            f'<< {f} {{{{ term = "{prefix(a_word(f))}", dialect = {rng.choice(["en-gb (prefer)", "en-us (accept)", "en-gb"])} }}}}'
        ),
        "wild_type": lambda f: f'<< {f} {{{{ term = wild:"*{infix(a_word(f))}*", type = fsn }}}}',
    }
    weights = {"word": 20, "prefix": 15, "several_words": 15, "word_set": 5, "wild_infix": 10, "wild_suffix": 5,
               "wild_prefix": 8, "wild_inner": 5, "type": 8, "dialect": 6, "wild_type": 3}  # fmt: skip
    out: list[tuple[str, str]] = [
        ("issue17", '<< 64572001 {{ term = wild:"*tion*" }}'),
        ("issue17", '<< 404684003 {{ term = ("central" "type") }}'),
        ("issue17", '<< 64572001 {{ term = "type" }}'),
        ("issue17", '<< 91723000 {{ term = "type", language = en, type = fsn }}'),
        ("issue17", '<< 404684003 {{ term = ("transverse" "process") }}'),
    ]
    seen = {text for _, text in out}
    names = list(kinds)
    p = np.array([weights[k] for k in names], float)
    while len(out) < n:
        kind = names[rng.choice(len(names), p=p / p.sum())]
        text = kinds[kind](focus())
        if text not in seen:
            seen.add(text)
            out.append((kind, text))
    return out


def set_algebra(n: int) -> dict[str, Any]:
    """Median microseconds of intersection/union at typical sizes: numpy sorted arrays vs pyroaring."""
    from pyroaring import BitMap

    from terminology.ecl import _sets as sets

    rng = np.random.default_rng(0)

    def timed(fn: Any, reps: int = 30) -> float:
        fn()
        ts = []
        for _ in range(reps):
            t0 = time.perf_counter_ns()
            fn()
            ts.append((time.perf_counter_ns() - t0) / 1000)
        return round(statistics.median(ts), 1)

    out = {}
    for a_n, b_n in ((50, 5_000), (2_000, 120_000), (120_000, 120_000), (370_000, 120_000)):
        a = np.sort(rng.choice(n, a_n, replace=False)).astype(np.int32)
        b = np.sort(rng.choice(n, b_n, replace=False)).astype(np.int32)
        ra, rb = BitMap(a), BitMap(b)
        out[f"{a_n}x{b_n}"] = {
            "snomap_intersect_us": timed(lambda a=a, b=b: sets.intersect(a, b, n)),
            "snomap_union_us": timed(lambda a=a, b=b: sets.union([a, b], n)),
            "np_intersect1d_us": timed(lambda a=a, b=b: np.intersect1d(a, b, assume_unique=True)),
            "np_union1d_us": timed(lambda a=a, b=b: np.union1d(a, b)),
            "roaring_and_incl_conversion_us": timed(lambda a=a, b=b: np.array((BitMap(a) & BitMap(b)).to_array())),
            "roaring_and_only_us": timed(lambda ra=ra, rb=rb: ra & rb),
        }
    return out


def run_batch(
    ev: Any, exprs: list[tuple[str, str]], targets: dict[str, float]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Evaluate a batch in this process (parse included, result cache off): timings and each result's digest."""
    times: list[float] = []
    per_kind: dict[str, list[float]] = {}
    totals: list[int] = []
    digests: dict[str, str] = {}
    start = time.perf_counter()
    for kind, text in exprs:
        t1 = time.perf_counter_ns()
        r = ev.evaluate(text, None, cache=False)
        ms = (time.perf_counter_ns() - t1) / 1e6
        times.append(ms)
        per_kind.setdefault(kind, []).append(ms)
        totals.append(len(r))
        digests[text] = f"{len(r)}:" + hashlib.sha1(np.asarray(r.ids, np.int64).tobytes()).hexdigest()[:16]
    batch_s = time.perf_counter() - start
    ordered = sorted(times)
    worst = sorted(zip(times, (e for _, e in exprs), strict=True), reverse=True)[:5]

    def p95(xs: list[float]) -> float:
        s = sorted(xs)
        return round(s[max(int(len(s) * 0.95) - 1, 0)], 3)

    result = {
        "expressions": len(exprs),
        "non_empty": sum(1 for x in totals if x),
        "batch_seconds": round(batch_s, 3),
        "median_ms": round(statistics.median(times), 3),
        "p95_ms": p95(times),
        "max_ms": round(ordered[-1], 3),
        "over_50_ms": sum(1 for x in times if x > 50),
        "per_kind": {
            k: {"n": len(v), "median_ms": round(statistics.median(v), 3), "p95_ms": p95(v), "max_ms": round(max(v), 3)}
            for k, v in sorted(per_kind.items())
        },
        "slowest": [{"ms": round(ms, 2), "ecl": e} for ms, e in worst],
        "targets": targets,
    }
    result["targets_met"] = {
        "batch_seconds": result["batch_seconds"] <= targets["batch_seconds"],
        "p95_ms": result["p95_ms"] <= targets["p95_ms"],
        "max_ms": result["max_ms"] <= targets["max_ms"],
    }
    return result, digests


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--concepts", type=int, default=370_000)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument(
        "--index", help="an index to use instead of the cached synthetic one (e.g. one built by older code)"
    )
    ap.add_argument("--save-results", help="write each expression's result digest here (JSON)")
    ap.add_argument(
        "--compare", help="digests saved by --save-results (e.g. by the code before a change): report any difference"
    )
    ap.add_argument("--sets", action="store_true", help="also measure the set algebra choices")
    args = ap.parse_args()
    idx = Path(args.index) if args.index else synthetic_index(args.concepts)

    from terminology import Terminology
    from terminology.ecl import parse_ecl
    from terminology.ecl._index import PERSISTED
    from terminology.ecl.evaluator import evaluator

    t = Terminology.open(idx)
    batches = {
        "realistic": (generate(t, args.n), {"batch_seconds": 1.0, "p95_ms": 5.0, "max_ms": 50.0}),
        "descriptions": (generate_descriptions(t, args.n), {"batch_seconds": 1.0, "p95_ms": 5.0, "max_ms": 50.0}),
    }
    parse_ecl("<< 404684003")  # build the parser tables outside the measurement
    ev = evaluator(t)
    before = rss_mb()
    t0 = time.perf_counter()
    ev.index.warm()
    warm_s = time.perf_counter() - t0
    after = rss_mb()
    persisted = all((Path(idx) / "arrays" / f"{name}.npy").is_file() for name in PERSISTED)
    result: dict[str, Any] = {
        "concepts_active": args.concepts,
        "index": str(idx),
        "counts": t.release.counts,
        "engine_index": {
            "persisted_arrays": persisted,
            "warm_seconds": round(warm_s, 3),
            "rss_added_mb": round(after["VmRSS"] - before["VmRSS"], 1),
            "anon_added_mb": round(after.get("RssAnon", 0) - before.get("RssAnon", 0), 1),
            "file_backed_added_mb": round(after.get("RssFile", 0) - before.get("RssFile", 0), 1),
        },
    }
    digests: dict[str, dict[str, str]] = {}
    for name, (exprs, targets) in batches.items():
        result[name], digests[name] = run_batch(ev, exprs, targets)
    if args.save_results:
        Path(args.save_results).write_text(json.dumps(digests, indent=0))
    if args.compare:
        old = json.loads(Path(args.compare).read_text())
        result["identical_to_compared"] = {
            name: [e for e, d in digests[name].items() if old.get(name, {}).get(e) != d] or True for name in digests
        }
    result["command"] = (
        f"python bench/bench_ecl.py --concepts {args.concepts} --n {args.n}"
        + (f" --index {args.index}" if args.index else "")
        + (f" --compare {args.compare}" if args.compare else "")
        + (" --sets" if args.sets else "")
    )
    if args.sets:
        result["set_algebra_us"] = set_algebra(len(t.ids))
    save("ecl", result)


if __name__ == "__main__":
    main()
