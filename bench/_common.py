"""Shared helpers for the benchmarks: the full-size synthetic release and its index, timing, memory."""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
DATA = Path(os.environ.get("SNOMAP_BENCH_DATA", ROOT / "data"))
OUT = ROOT / "out"


def synthetic_release(concepts: int = 370_000, seed: int = 42) -> Path:
    """The synthetic RF2 release of `concepts` active concepts, generated once and cached."""
    path = DATA / f"synth{concepts}"
    if not (path / "Snapshot").is_dir():
        DATA.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "service.cli",
                "synth",
                "--concepts",
                str(concepts),
                "--out",
                str(path),
                "--seed",
                str(seed),
            ],
            check=True,
        )
    return path


def synthetic_index(concepts: int = 370_000) -> Path:
    """An index of the synthetic release, built once and cached."""
    idx = DATA / f"synth{concepts}.idx"
    if not _current(idx):
        release = synthetic_release(concepts)
        subprocess.run([sys.executable, "-m", "service.cli", "index", str(release), "--out", str(idx)], check=True)
    return idx


def _current(idx: Path) -> bool:
    """An index exists there and has this snomap's format version (else it is rebuilt)."""
    from terminology.index.format import FORMAT_VERSION

    try:
        return json.loads((idx / "manifest.json").read_text()).get("format_version") == FORMAT_VERSION
    except (OSError, ValueError):
        return False


def rss_mb(pid: int | str = "self") -> dict[str, float]:
    """Resident memory of a process in MB: total, file-backed (shareable) and anonymous."""
    out: dict[str, float] = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
                out[key] = int(value.split()[0]) / 1024
    return out


def children_peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def latency(fn: Callable[[Any], Any], args: list[Any], warmup: int = 200) -> dict[str, float]:
    """Median, p95 and p99 latency in microseconds of fn(arg) over args."""
    for a in args[:warmup]:
        fn(a)
    times = []
    for a in args:
        t0 = time.perf_counter_ns()
        fn(a)
        times.append((time.perf_counter_ns() - t0) / 1000)
    times.sort()
    return {
        "n": len(times),
        "median_us": round(statistics.median(times), 2),
        "p95_us": round(times[int(len(times) * 0.95) - 1], 2),
        "p99_us": round(times[int(len(times) * 0.99) - 1], 2),
    }


def save(name: str, result: dict[str, Any]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
