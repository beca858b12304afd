"""Throughput of `snomap map-file` on the full-size synthetic release: repeated and all-distinct extracts.

Run: python bench/bench_batch.py [--index IDX] [--rows 1000000] [--distinct-rows 100000] [--workers 2]
Writes bench/out/batch.json. Targets (issue 14): 1,000,000 rows with 30% distinct values at
>= 5,000 rows/s on 2 cores; 100,000 all-distinct rows at >= 500 rows/s. Peak memory is the largest
sum of the resident memory of map-file and its workers (sampled every 0.2 s), with the anonymous
(private) share beside it: the index pages are file-backed and shared by every worker. CPU seconds
(map-file and its workers) are reported too, with the rate they imply on `--workers` idle cores,
as other work on a shared machine stretches the wall-clock time.

Inputs are synthetic clinical extracts built from the release itself: concept ids, description ids,
preferred terms as written, and perturbed ones (case, a typo, a dropped or added word, "history of",
laterality, abbreviations), with repeats drawn from a Zipf-like law as real extracts repeat.
Without --index the index is ``bench/_common.py::synthetic_index`` (built once, cached).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import save, synthetic_index  # noqa: E402

PREFIXES = ["history of ", "suspected ", "left ", "right ", "known ", "chronic ", "", "", "", ""]
ABBREVIATIONS = {"metastatic": "met", "metastasis": "mets", "fracture": "fx", "carcinoma": "ca", "disorder": "disease"}


def _perturb(term: str, rng: random.Random) -> str:
    """A clinician's rendering of a term: its case, a typo, a word dropped or added, an abbreviation."""
    words = term.split()
    kind = rng.randrange(7)
    if kind == 0:
        return term.lower()
    if kind == 1 and words:  # swap two letters of the longest word
        i = max(range(len(words)), key=lambda k: len(words[k]))
        w = words[i]
        if len(w) > 4:
            j = rng.randrange(1, len(w) - 2)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
        return " ".join(words)
    if kind == 2 and len(words) > 2:
        del words[rng.randrange(len(words))]
        return " ".join(words)
    if kind == 3:
        return rng.choice(PREFIXES) + term
    if kind == 4:
        return " ".join(ABBREVIATIONS.get(w.lower(), w) for w in words)
    if kind == 5:
        return term.upper()
    return f"{term} ({rng.choice(['noted', 'on imaging', 'confirmed', 'reported'])})"


def distinct_values(t: Any, n: int, seed: int) -> list[str]:
    """`n` distinct texts and codes from the release: 30% codes, 70% texts (a third as written, the rest perturbed)."""
    import numpy as np

    rng = random.Random(seed)
    active = np.flatnonzero(np.asarray(t.array("concept_active")))
    rows = np.random.default_rng(seed).choice(active, size=min(len(active), n), replace=False)
    ids = [int(t.ids[r]) for r in rows]
    terms = t.preferred_terms(ids)
    out: dict[str, None] = {}
    k = 0
    while len(out) < n:
        cid = ids[k % len(ids)]
        k += 1
        r = rng.random()
        if r < 0.3:
            value = str(cid)
        elif r < 0.53:
            value = terms[cid] or str(cid)
        else:
            value = _perturb(terms[cid] or "", rng)
        if value.strip():
            out.setdefault(value)
        if k > 20 * n:
            break
    return list(out)


def extract(values: list[str], rows: int, seed: int) -> list[str]:
    """`rows` rows holding every value at least once, the rest repeats drawn Zipf-like (a few values very often)."""
    import numpy as np

    gen = np.random.default_rng(seed)
    extra = rows - len(values)
    picks = (gen.zipf(1.3, size=extra) - 1) % len(values) if extra > 0 else np.zeros(0, int)
    order = gen.permutation(len(values))  # which values are the frequent ones
    col = values + [values[order[i]] for i in picks.tolist()]
    gen.shuffle(col)
    return col


class PeakMemory:
    """Largest total RSS (and anonymous RSS) of a process and its descendants, sampled in a thread."""

    def __init__(self, pid: int, every: float = 0.2):
        self.pid, self.every = pid, every
        self.peak_rss = self.peak_anon = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    ppid = int(Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(ppid, []).append(int(d))
        out, todo = [], [self.pid]
        while todo:
            p = todo.pop()
            out.append(p)
            todo.extend(children.get(p, []))
        return out

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = anon = 0.0
            for p in self._tree():
                try:
                    for line in Path(f"/proc/{p}/status").read_text().splitlines():
                        if line.startswith("VmRSS:"):
                            rss += int(line.split()[1]) / 1024
                        elif line.startswith("RssAnon:"):
                            anon += int(line.split()[1]) / 1024
                except OSError:
                    continue
            self.peak_rss, self.peak_anon = max(self.peak_rss, rss), max(self.peak_anon, anon)
            self._stop.wait(self.every)

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        return {"peak_rss_mb": round(self.peak_rss, 1), "peak_anon_mb": round(self.peak_anon, 1)}


def run_map_file(index: Path, column: list[str], workers: int, work: Path, name: str) -> dict[str, Any]:
    import pandas as pd

    from terminology.sample import sample_guidelines_dir

    src, out = work / f"{name}.csv", work / f"{name}.out.csv"
    pd.DataFrame({"row": range(len(column)), "diagnosis": column}).to_csv(src, index=False)
    cmd = [
        sys.executable,
        "-m",
        "service.cli",
        "map-file",
        str(src),
        "--column",
        "diagnosis",
        "--out",
        str(out),
        "--index",
        str(index),
        "--workers",
        str(workers),
        "--guidelines",
        str(sample_guidelines_dir()),
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    mem = PeakMemory(proc.pid)
    _, err = proc.communicate()
    elapsed = time.perf_counter() - started
    memory = mem.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)  # map-file and its reaped workers
    if proc.returncode != 0:
        raise SystemExit(f"map-file failed:\n{err}")
    mapped = pd.read_csv(out, usecols=["matched", "error"], dtype=str, keep_default_na=False)
    return {
        "rows": len(column),
        "distinct": len(set(column)),
        "workers": workers,
        "seconds": round(elapsed, 1),
        "rows_per_s": round(len(column) / elapsed),
        # CPU seconds of map-file and its workers: on a shared machine, what `workers` idle cores would give.
        "cpu_seconds": round(cpu, 1),
        "rows_per_s_if_cores_idle": round(len(column) / (cpu / workers)) if cpu else None,
        "matched_share": round(float((mapped["matched"] == "True").mean()), 3),
        "error_rows": int((mapped["error"] != "").sum()),
        **memory,
        "summary": err.strip().splitlines()[-1] if err.strip() else "",
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index", type=Path, help="An index to reuse (default: the cached full-size synthetic one)")
    ap.add_argument("--concepts", type=int, default=370_000)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--distinct-share", type=float, default=0.3)
    ap.add_argument("--distinct-rows", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=14)
    args = ap.parse_args()
    from terminology import Terminology

    index = args.index or synthetic_index(args.concepts)
    t = Terminology.open(index)
    n_repeated = int(args.rows * args.distinct_share)
    values = distinct_values(t, n_repeated + args.distinct_rows, args.seed)
    repeated_values, unique_values = values[:n_repeated], values[n_repeated:]
    result: dict[str, Any] = {"index": str(index), "release": t.release.uri, "cores": len(os.sched_getaffinity(0))}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        result["repeated"] = run_map_file(
            index, extract(repeated_values, args.rows, args.seed), args.workers, work, "repeated"
        )
        result["repeated"]["target_rows_per_s"] = 5000
        result["all_distinct"] = run_map_file(index, unique_values, args.workers, work, "distinct")
        result["all_distinct"]["target_rows_per_s"] = 500
    save("batch", result)


if __name__ == "__main__":
    main()
