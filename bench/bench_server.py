"""Which WSGI server: granian against gunicorn (sync and gthread) for snomap's endpoints, under wrk.

Run: python bench/bench_server.py [--index IDX | --concepts 60000] [--duration 8] [--connections 50]
     [--configs granian,gunicorn-sync,gunicorn-gthread]

All on 127.0.0.1, every run bounded (wrk -d DURATION, a short warm-up first). For each server
configuration (2 workers each):

1. starts `snomap serve --server S --workers 2 --threads T` on a free port and waits for /readyz;
2. runs wrk with a Lua script cycling through a request file: GET /api/v1/concepts/{id} over a
   Zipf-distributed mix of 10,000 active concept ids (s = 1.0; not one id repeated), and FHIR
   `CodeSystem/$lookup` over the same mix;
3. reads the memory of the master and each worker from /proc/PID/smaps_rollup (RSS and PSS: PSS
   divides each shared page among the processes mapping it, so it shows what the fork shares);
4. stops the server, then serves the bare-Flask ceiling (bench/_bare.py, a fixed 150-byte JSON) with
   the same server and workers and measures it the same way.

The index defaults to the 60,000-concept synthetic release (built once into bench/data). Writes
bench/out/server.json. Requires wrk (Debian: apt-get install wrk) and granian (pip install granian).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import save, synthetic_index  # noqa: E402
from bench.bench_http import LUA, free_port, get, memory, run_wrk  # noqa: E402

ROOT_DIR = Path(__file__).resolve().parent.parent
# name -> (server, threads per worker)
CONFIGS = {
    "granian": ("granian", 1),
    "granian-2t": ("granian", 2),
    "gunicorn-sync": ("gunicorn", 1),
    "gunicorn-gthread": ("gunicorn", 4),
}


def zipf_mix(ids: np.ndarray, distinct: int, n: int, seed: int) -> list[int]:
    """`n` draws from `distinct` ids, the k-th most popular with weight 1/k (Zipf, s = 1)."""
    rng = np.random.default_rng(seed)
    pool = rng.choice(ids, size=min(distinct, len(ids)), replace=False)
    weights = 1.0 / np.arange(1, len(pool) + 1)
    return rng.choice(pool, size=n, p=weights / weights.sum()).tolist()


def children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class Proc:
    """A server process in its own session, stopped by SIGTERM to its pid (SIGKILL to its group if it hangs)."""

    def __init__(
        self, cmd: list[str], port: int, workers: int, ready: str, log: Path, env: dict[str, str] | None = None
    ):
        self.base = f"http://127.0.0.1:{port}"
        self.log = log.open("w")
        self.proc = subprocess.Popen(
            cmd, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT_DIR, env=env
        )
        deadline = time.monotonic() + 300
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {log}")
            try:
                status, _ = get(self.base + ready, timeout=5)
                if status == 200 and len(children(self.proc.pid)) >= workers:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"not ready after 300 s; see {log}")
            time.sleep(0.25)

    def memory(self) -> dict[str, Any]:
        return {
            "master": memory(self.proc.pid),
            "workers": [memory(w) for w in children(self.proc.pid)],
        }

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()


def serve_snomap(index: Path, server: str, workers: int, threads: int, log: Path) -> Proc:
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "service",
        "serve",
        "--index",
        str(index),
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--server",
        server,
        "--no-verify",
    ]
    return Proc(cmd, port, workers, "/readyz", log)


def serve_bare(server: str, workers: int, threads: int, log: Path) -> Proc:
    port = free_port()
    if server == "granian":
        cmd = [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "wsgi",
            "--workers",
            str(workers),
            "--blocking-threads",
            str(threads),
            "--port",
            str(port),
            "--no-ws",
            "bench._bare:app",
        ]
    else:
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "--threads",
            str(threads),
            "-k",
            "gthread" if threads > 1 else "sync",
            "-b",
            f"127.0.0.1:{port}",
            "bench._bare:app",
        ]
    return Proc(cmd, port, workers, "/bare", log)


def measure(
    base: str, script: Path, args: list[str], duration: float, connections: int, threads: int
) -> dict[str, Any]:
    run_wrk(base, script, args, 2, threads, connections)  # warm-up
    return run_wrk(base, script, args, duration, threads, connections)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, default=None)
    ap.add_argument("--concepts", type=int, default=60_000)
    ap.add_argument("--duration", type=float, default=8.0)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--wrk-threads", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--configs", default="granian,gunicorn-sync,gunicorn-gthread")
    ap.add_argument("--seed", type=int, default=17)
    a = ap.parse_args()

    index = a.index or synthetic_index(a.concepts)
    from terminology import Terminology

    t = Terminology.open(index, verify=False)
    ids = zipf_mix(np.asarray(t.active_concept_ids(), dtype=np.int64), 10_000, 100_000, a.seed)
    work = Path(tempfile.mkdtemp(prefix="bench-server-"))
    script = work / "cycle.lua"
    script.write_text(LUA)
    files = {
        "concept": [f"/api/v1/concepts/{c}" for c in ids],
        "fhir_lookup": [f"/fhir/CodeSystem/$lookup?system=http://snomed.info/sct&code={c}" for c in ids],
        "bare": ["/bare"],
    }
    paths = {}
    for name, lines in files.items():
        paths[name] = work / f"{name}.txt"
        paths[name].write_text("\n".join(lines) + "\n")

    results: dict[str, Any] = {
        "index": str(index),
        "concepts": len(t.active_concept_ids()),
        "mix": "Zipf s=1 over 10,000 active concept ids, 100,000 requests cycled",
        "wrk": f"-t{a.wrk_threads} -c{a.connections} -d{a.duration:g}s (after a 2 s warm-up)",
        "workers": a.workers,
        "configs": {},
    }
    for name in a.configs.split(","):
        server, threads = CONFIGS[name]
        entry: dict[str, Any] = {"server": server, "threads": threads}
        srv = serve_snomap(index, server, a.workers, threads, work / f"{name}.log")
        try:
            for scenario in ("concept", "fhir_lookup"):
                status, _ = get(srv.base + files[scenario][0], timeout=10)
                assert status == 200, (scenario, status)
                entry[scenario] = measure(
                    srv.base, script, [str(paths[scenario]), "GET"], a.duration, a.connections, a.wrk_threads
                )
            entry["memory_mb"] = srv.memory()
        finally:
            srv.stop()
        bare = serve_bare(server, a.workers, threads, work / f"{name}-bare.log")
        try:
            entry["ceiling"] = measure(
                bare.base, script, [str(paths["bare"]), "GET"], a.duration, a.connections, a.wrk_threads
            )
        finally:
            bare.stop()
        for scenario in ("concept", "fhir_lookup"):
            entry[f"{scenario}_of_ceiling"] = round(entry[scenario]["rps"] / entry["ceiling"]["rps"], 2)
        results["configs"][name] = entry
        print(
            f"{name:18s} concept {entry['concept']['rps']:8.0f}/s p99 {entry['concept']['latency_ms']['p99']:6.1f} ms"
            f"  $lookup {entry['fhir_lookup']['rps']:8.0f}/s  ceiling {entry['ceiling']['rps']:8.0f}/s"
            f"  workers RSS/PSS MB {[(w.get('rss_mb'), w.get('pss_mb')) for w in entry['memory_mb']['workers']]}",
            flush=True,
        )
    best = max(results["configs"], key=lambda n: results["configs"][n]["concept"]["rps"])
    results["fastest_for_concept_lookup"] = best
    save("server", results)  # also prints the JSON


if __name__ == "__main__":
    main()
