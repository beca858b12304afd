"""Core benchmark (issue: foundation): index build, open, memory, and query latency at full size.

Run: python bench/bench_core.py [--concepts 370000]
Writes bench/out/core.json and prints the figures quoted in the README.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent))

from bench._common import DATA, children_peak_rss_mb, latency, rss_mb, save, synthetic_release  # noqa: E402
from loaders.snomed import CLINICAL_FINDING  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--concepts", type=int, default=370_000)
    ap.add_argument("--queries", type=int, default=20_000)
    args = ap.parse_args()
    release = synthetic_release(args.concepts)
    idx = DATA / f"synth{args.concepts}.bench.idx"
    shutil.rmtree(idx, ignore_errors=True)

    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "service.cli", "index", str(release), "--out", str(idx)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    build_s = time.perf_counter() - t0
    build_peak = children_peak_rss_mb()

    # Open and query in a fresh process so memory figures are the service's, not the builder's.
    probe = subprocess.run(
        [sys.executable, __file__, "--probe", str(idx), "--queries", str(args.queries)],
        check=True,
        capture_output=True,
        text=True,
    )
    result = {
        "concepts_active": args.concepts,
        "build_seconds": round(build_s, 1),
        "build_peak_rss_mb": round(build_peak),
        **json.loads(probe.stdout),
    }
    save("core", result)


def probe(idx: str, queries: int) -> None:
    from terminology import Terminology

    base = rss_mb()
    t0 = time.perf_counter()
    t = Terminology.open(idx)
    t.store.warm()
    t.preferred_term(CLINICAL_FINDING)
    open_s = time.perf_counter() - t0
    rng = np.random.default_rng(7)
    active = t.active_concept_ids()
    sample = rng.choice(active, size=queries).tolist()
    pairs = list(zip(sample, rng.choice(active, size=queries).tolist(), strict=True))
    # Half the subsumption pairs are true (a concept against one of its ancestors).
    for i in range(0, len(pairs), 2):
        anc = t.ancestors(pairs[i][1])
        if len(anc):
            pairs[i] = (int(anc[rng.integers(len(anc))]), pairs[i][1])

    def lookup(c: int) -> None:
        t.concept(c)
        t.preferred_term(c)
        t.fsn(c)
        t.parents(c)

    out = {
        "open_seconds": round(open_s, 3),
        "lookup": latency(lookup, sample),
        "preferred_term": latency(t.preferred_term, sample),
        "ancestors": latency(lambda c: t.ancestors(c).tolist(), sample),
        "subsumption": latency(lambda p: t.subsumes(p[0], p[1]), pairs),
        "descendants_clinical_finding": latency(lambda c: t.descendants(c).tolist(), [CLINICAL_FINDING] * 50, warmup=5),
        "descendants_clinical_finding_count": t.descendant_count(CLINICAL_FINDING),
        "rss_after_open_and_queries_mb": {
            k: round(v - (base.get(k, 0) if k != "VmHWM" else 0)) for k, v in rss_mb().items()
        },
        "counts": t.release.counts,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--probe":
        probe(sys.argv[2], int(sys.argv[4]) if len(sys.argv) > 4 else 20_000)
    else:
        main()
