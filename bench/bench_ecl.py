"""ECL evaluator benchmark: 1,000 realistic expressions over the 370,000-concept synthetic release.

Run: python bench/bench_ecl.py [--concepts 370000] [--n 1000] [--sets]
Builds (once, cached under bench/data) the synthetic release and its index, then in this process:
memory added by the engine's indexes (RSS before/after building or mapping them), the batch
(text in, sorted concept ids out; parse included, result cache off), median / p95 per expression
and per kind. ``--sets`` adds the set-algebra measurement behind terminology/ecl/_sets.py.
Prints JSON and writes bench/out/ecl.json.
"""

from __future__ import annotations

import argparse
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
    targets = [r[0] for r in st.db.execute('SELECT DISTINCT "mapTarget" FROM rf2_extended_map LIMIT 2000').fetchall() if r[0]]

    def pick(a: np.ndarray) -> int:
        return int(ids[a[rng.integers(len(a))]])

    def word(c: int) -> str:
        pt = t.preferred_term(c) or "disease"
        ws = [w for w in pt.replace("(", " ").split() if len(w) > 3 and w.isalpha()]
        w = ws[rng.integers(len(ws))] if ws else "disease"
        return w[: max(4, len(w) - int(rng.integers(0, 3)))].lower()

    kinds = {
        "hierarchy": lambda: f"{rng.choice(['<', '<<', '<!', '>', '>>', '>!'])} {pick(active[depth[active] == rng.integers(1, 15)] if (depth[active] > 0).any() else active)}",
        "top_level": lambda: f"{rng.choice(['<<', '<'])} {rng.choice([FINDING, DISEASE, BODY, PROCEDURE])}",
        "refine_site": lambda: f"< {FINDING} : {FINDING_SITE} = << {pick(sites)}",
        "refine_morph": lambda: f"<< {pick(mid)} : {MORPHOLOGY} = << {pick(morphs)}",
        "group": lambda: f"< {FINDING} : {{ {FINDING_SITE} = << {pick(sites)}, {MORPHOLOGY} = << {pick(morphs)} }}",
        "cardinality": lambda: f"<< {pick(mid)} : {rng.choice(['[0..0]', '[2..*]', '[1..1]'])} {rng.choice([f'{CAUSATIVE} = *', f'{{ {FINDING_SITE} = * }}'])}",
        "not_equal": lambda: f"<< {pick(mid)} : {FINDING_SITE} != << {pick(sites)}",
        "reverse": lambda: f"< {BODY} : R {FINDING_SITE} = << {pick(mid)}",
        "dotted": lambda: f"<< {pick(mid)} . {rng.choice([FINDING_SITE, MORPHOLOGY])}",
        "member_of": lambda: rng.choice([f"^ {simple}", f"< {BODY} AND ^ {simple}", f"<< {pick(bodies)} MINUS ^ {simple}", f"^ {icd} AND << {pick(mid)}"]),
        "member_filter": lambda: f'^ {icd} {{{{ M mapTarget = "{targets[rng.integers(len(targets))]}" }}}}' if targets else f"^ {icd}",
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--concepts", type=int, default=370_000)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--sets", action="store_true", help="also measure the set algebra choices")
    args = ap.parse_args()
    idx = synthetic_index(args.concepts)

    from terminology import Terminology
    from terminology.ecl import parse_ecl
    from terminology.ecl._index import PERSISTED
    from terminology.ecl.evaluator import evaluator

    t = Terminology.open(idx)
    exprs = generate(t, args.n)
    parse_ecl("<< 404684003")  # build the parser tables outside the measurement
    ev = evaluator(t)
    before = rss_mb()
    t0 = time.perf_counter()
    ev.index.warm()
    warm_s = time.perf_counter() - t0
    after = rss_mb()
    persisted = all((Path(idx) / "arrays" / f"{name}.npy").is_file() for name in PERSISTED)

    times: list[float] = []
    per_kind: dict[str, list[float]] = {}
    totals: list[int] = []
    start = time.perf_counter()
    for kind, text in exprs:
        t1 = time.perf_counter_ns()
        r = ev.evaluate(text, None, cache=False)
        ms = (time.perf_counter_ns() - t1) / 1e6
        times.append(ms)
        per_kind.setdefault(kind, []).append(ms)
        totals.append(len(r))
    batch_s = time.perf_counter() - start
    ordered = sorted(times)
    worst = sorted(zip(times, (e for _, e in exprs), strict=True), reverse=True)[:5]

    def p95(xs: list[float]) -> float:
        s = sorted(xs)
        return round(s[max(int(len(s) * 0.95) - 1, 0)], 3)

    result: dict[str, Any] = {
        "concepts_active": args.concepts,
        "counts": t.release.counts,
        "expressions": len(exprs),
        "non_empty": sum(1 for x in totals if x),
        "batch_seconds": round(batch_s, 3),
        "median_ms": round(statistics.median(times), 3),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 3),
        "max_ms": round(ordered[-1], 3),
        "per_kind": {k: {"n": len(v), "median_ms": round(statistics.median(v), 3), "p95_ms": p95(v)} for k, v in sorted(per_kind.items())},
        "slowest": [{"ms": round(ms, 2), "ecl": e} for ms, e in worst],
        "engine_index": {
            "persisted_arrays": persisted,
            "warm_seconds": round(warm_s, 3),
            "rss_added_mb": round(after["VmRSS"] - before["VmRSS"], 1),
            "anon_added_mb": round(after.get("RssAnon", 0) - before.get("RssAnon", 0), 1),
            "file_backed_added_mb": round(after.get("RssFile", 0) - before.get("RssFile", 0), 1),
        },
        "targets": {"batch_seconds": 2.0, "median_ms": 1.0, "p95_ms": 20.0, "index_mb": 300},
        "command": f"python bench/bench_ecl.py --concepts {args.concepts} --n {args.n}" + (" --sets" if args.sets else ""),
    }
    if args.sets:
        result["set_algebra_us"] = set_algebra(len(t.ids))
    save("ecl", result)


if __name__ == "__main__":
    main()
