"""Guideline authoring benchmark: guidelines for a concept with 10,000 guidelines and 50,000 tags, at full size.

Builds (once, cached) the 370,000-concept synthetic release index, generates 10,000 guidelines with
50,000 tags (45,000 concept tags, some with exclusions, and 5,000 ECL tags), imports them into the SQL
store (SQLite, and PostgreSQL when a server is reachable), then measures
`GET /api/v1/guidelines?concept=X` for random deep clinical findings (about 30 ancestors each):

- in-process through the Flask test client (the whole request path: routing, tagged() query, linking,
  JSON), and the store's `tagged()` alone for the breakdown;
- over real HTTP against gunicorn (2 workers x 4 threads, as `snomap serve` runs), with a load
  generator in this process on loopback: latency at concurrency 1, and throughput at concurrency 4.

Target: median <= 10 ms through HTTP. Prints JSON and writes bench/out/guidelines.json.

Run: python bench/bench_guidelines.py [--concepts 370000] [--requests 2000] [--no-postgres] [--no-http]
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import OUT, latency, save, synthetic_index  # noqa: E402
from loaders.snomed import CLINICAL_FINDING  # noqa: E402

GUIDELINES = 10_000
TAGS = 50_000
ECL_TAGS = 5_000
PG_SERVER = os.environ.get("SNOMAP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def make_documents(t: Any, rng: np.random.Generator) -> list[Any]:
    """10,000 guidelines, 50,000 tags: concept tags spread over the clinical findings, ECL tags, 10% with an exclusion."""
    from loaders.guidelines import GuidelineDocument, Recommendation, TagSpec

    findings = np.asarray(t.descendants(CLINICAL_FINDING), dtype=np.int64)
    concept_tags = TAGS - ECL_TAGS
    # Uniform over the findings: most tags are specific, and the internal nodes (broad topics) get tags in
    # proportion to their number, as in a real collection; a deep concept then links ~25 guidelines.
    picks = rng.choice(findings, size=concept_tags, replace=True)
    per = np.full(GUIDELINES, concept_tags // GUIDELINES)
    per[: concept_tags - per.sum()] += 1
    ecl_owner = rng.choice(GUIDELINES, size=ECL_TAGS, replace=False)
    ecl_by = {int(g): True for g in ecl_owner}
    docs = []
    k = 0
    for g in range(GUIDELINES):
        tags = []
        for c in picks[k : k + per[g]].tolist():
            children = t.children(int(c))
            exclude = [children[0]] if children and rng.random() < 0.1 else []
            tags.append(TagSpec(concept=int(c), exclude=exclude))
        k += per[g]
        if g in ecl_by:
            a, b = rng.choice(findings, size=2).tolist()
            tags.append(TagSpec(concept=None, ecl=f"<< {a} OR << {b}"))
        docs.append(
            GuidelineDocument(
                id=f"bench-{g:05d}",
                title=f"Benchmark guideline {g}",
                status="published",
                tags=tags,
                recommendations=[Recommendation("r1", f"Recommendation for guideline {g}.", "moderate")],
                sections={"Overview": f"Guideline {g} overview.", "Management": "Manage as usual."},
                updated="2025-03-01",
            )
        )
    assert sum(len(d.tags) for d in docs) == TAGS
    return docs


def query_concepts(t: Any, rng: np.random.Generator, n: int) -> list[int]:
    """Random leaf-ish clinical findings with many ancestors (the expensive, realistic case)."""
    findings = np.asarray(t.descendants(CLINICAL_FINDING), dtype=np.int64)
    out: list[int] = []
    for c in rng.choice(findings, size=n * 4).tolist():
        if len(t.ancestors(int(c))) >= 15:
            out.append(int(c))
            if len(out) == n:
                break
    return out


def fast_baseline(t: Any) -> Any:
    """Baselines as the API records them, except ECL sizes (5,000 evaluations would dominate the import time)."""
    from terminology.authoring.model import Baseline
    from terminology.authoring.validation import release_label

    label = release_label(t)

    def baseline(spec: Any) -> Baseline:
        if spec.concept is None:
            return Baseline(None, label)
        return Baseline(t.descendant_count(spec.concept) + 1, label)

    return baseline


def make_app(index: Path, repo: Any, t: Any) -> Any:
    from service import create_app
    from service.api import authoring

    app = create_app({"SNOMAP_INDEX": str(index), "SNOMAP_TERMINOLOGY": t, "SNOMAP_GUIDELINE_REPOSITORY": repo})
    if "authoring" not in app.blueprints:
        app.register_blueprint(authoring.bp)
    return app


def in_process(index: Path, repo: Any, t: Any, concepts: list[int]) -> dict[str, Any]:
    from terminology.linking.guidelines import guidelines_for_concept

    client = make_app(index, repo, t).test_client()
    linked = []

    def get(c: int) -> None:
        r = client.get(f"/api/v1/guidelines?concept={c}")
        assert r.status_code == 200, r.get_data(as_text=True)
        linked.append(r.get_json()["total"])

    cold_start = time.perf_counter()
    for c in concepts[:200]:
        get(c)
    cold = (time.perf_counter() - cold_start) / 200 * 1000
    linked.clear()
    http_inproc = latency(get, concepts, warmup=0)
    ancestors = [len(t.ancestors(c)) + 1 for c in concepts[:500]]
    tagged = latency(lambda c: repo.tagged(t.ancestor_distances(c)), concepts, warmup=0)
    linking = latency(lambda c: guidelines_for_concept(t, repo, c), concepts, warmup=0)
    return {
        "flask_test_client": http_inproc,
        "first_200_requests_mean_ms": round(cold, 2),
        "repo_tagged_only": tagged,
        "guidelines_for_concept": linking,
        "ancestors_or_self_median": statistics.median(ancestors),
        "guidelines_linked_median": statistics.median(linked),
        "guidelines_linked_max": max(linked),
    }


# ----------------------------------------------------------------------------- real HTTP


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(url: str, index: str, port: int) -> None:
    """Child process: gunicorn over the store, as `snomap serve` runs it (preloaded app, forked workers)."""
    from service.cli.serve import _GunicornApp
    from terminology.authoring import open_repository

    repo = open_repository(url)
    app = make_app(Path(index), repo, None)
    app.extensions["snomap"].terminology.warm()
    options = {
        "bind": f"127.0.0.1:{port}",
        "workers": 2,
        "threads": 4,
        "worker_class": "gthread",
        "preload_app": True,
        "timeout": 60,
        "errorlog": "-",
        "loglevel": "warning",
        "keepalive": 30,
    }
    _GunicornApp(app, options).run()


def _client_run(port: int, concepts: list[int], out: list[float], errors: list[str]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for c in concepts:
        t0 = time.perf_counter_ns()
        conn.request("GET", f"/api/v1/guidelines?concept={c}")
        r = conn.getresponse()
        r.read()
        out.append((time.perf_counter_ns() - t0) / 1e6)
        if r.status != 200:
            errors.append(str(r.status))


def _summary(ms: list[float]) -> dict[str, float]:
    s = sorted(ms)
    return {
        "n": len(s),
        "median_ms": round(statistics.median(s), 3),
        "p95_ms": round(s[int(len(s) * 0.95) - 1], 3),
        "p99_ms": round(s[int(len(s) * 0.99) - 1], 3),
    }


def real_http(url: str, index: Path, concepts: list[int]) -> dict[str, Any]:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.Popen([sys.executable, __file__, "--serve", url, str(index), str(port)], env=env)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not start")
        warm: list[float] = []
        errs: list[str] = []
        _client_run(port, concepts[: min(500, len(concepts))], warm, errs)  # warm both workers' caches
        one: list[float] = []
        _client_run(port, concepts, one, errs)
        per = len(concepts) // 4
        outs: list[list[float]] = [[] for _ in range(4)]
        threads = [
            threading.Thread(target=_client_run, args=(port, concepts[i * per : (i + 1) * per], outs[i], errs))
            for i in range(4)
        ]
        t0 = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        elapsed = time.perf_counter() - t0
        four = [x for o in outs for x in o]
        return {
            "server": "gunicorn 2 workers x 4 threads (gthread), keep-alive, loopback",
            "concurrency_1": _summary(one),
            "concurrency_4": {**_summary(four), "requests_per_s": round(len(four) / elapsed)},
            "errors": len(errs),
        }
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


# ----------------------------------------------------------------------------- stores


def postgres_database() -> tuple[str, Any] | None:
    """A fresh database on the local PostgreSQL (and how to drop it), or None when none is reachable."""
    import sqlalchemy as sa

    from terminology.authoring.database import normalise_url

    server = sa.engine.make_url(normalise_url(PG_SERVER))
    name = f"snomap_bench_{secrets.token_hex(4)}"
    try:
        admin = sa.create_engine(server, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except Exception as e:  # noqa: BLE001
        print(f"PostgreSQL not reachable ({type(e).__name__}); skipping it", file=sys.stderr)
        return None

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return server.set(database=name).render_as_string(hide_password=False), drop


def run_store(
    label: str, url: str, index: Path, t: Any, docs: list[Any], concepts: list[int], do_http: bool
) -> dict[str, Any]:
    from terminology.authoring import open_repository

    repo = open_repository(url)
    t0 = time.perf_counter()
    report = repo.import_documents(docs, actor="bench", baseline=fast_baseline(t))
    import_s = time.perf_counter() - t0
    assert len(report.created) == GUIDELINES
    result: dict[str, Any] = {
        "import_seconds": round(import_s, 1),
        "guidelines": len(repo),
        **in_process(index, repo, t, concepts),
    }
    repo.dispose()
    if do_http:
        result["http"] = real_http(url, index, concepts)
    print(f"{label}: done", file=sys.stderr)
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--concepts", type=int, default=370_000)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--no-http", action="store_true")
    ap.add_argument("--serve", nargs=3, metavar=("URL", "INDEX", "PORT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve[0], args.serve[1], int(args.serve[2]))
        return

    from terminology import Terminology

    index = synthetic_index(args.concepts)
    t = Terminology.open(index)
    t.store.warm()
    rng = np.random.default_rng(20250301)
    t0 = time.perf_counter()
    docs = make_documents(t, rng)
    gen_s = time.perf_counter() - t0
    concepts = query_concepts(t, rng, args.requests)
    result: dict[str, Any] = {
        "concepts_active": int(len(t.active_concept_ids())),
        "guidelines": GUIDELINES,
        "tags": TAGS,
        "ecl_tags": ECL_TAGS,
        "generate_seconds": round(gen_s, 1),
        "requests": len(concepts),
        "target": "median <= 10 ms through HTTP",
    }
    OUT.mkdir(parents=True, exist_ok=True)
    db = OUT / "guidelines-bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    result["sqlite"] = run_store("sqlite", f"sqlite:///{db}", index, t, docs, concepts, not args.no_http)
    if not args.no_postgres:
        pg = postgres_database()
        if pg is not None:
            url, drop = pg
            try:
                result["postgresql"] = run_store("postgresql", url, index, t, docs, concepts, not args.no_http)
            finally:
                drop()
        else:
            result["postgresql"] = "not reachable"
    save("guidelines", result)


if __name__ == "__main__":
    main()
