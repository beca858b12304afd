"""Concurrent writers and crashes, on SQLite and PostgreSQL.

- Rounds of N writers holding the same ETag: exactly one wins each round, the others get 412, and the
  revision history has exactly one entry per accepted write, by the winner.
- N threads (and N processes) doing read-modify-write increments with If-Match and retry on 412:
  the final count is N x K, so no update was lost, and there are N x K revisions.
- An import killed with SIGKILL in the middle of its single transaction leaves the store exactly as it
  was, and the store stays writable.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from loaders.guidelines import write_guideline
from terminology.authoring import PreconditionFailedError, SqlGuidelineRepository, open_repository
from terminology.authoring.transfer import PAUSE_ENV, PAUSE_MARKER
from terminology.sample import sample_guidelines_dir
from tests.terminology.authoring.databases import make_doc

REPO_ROOT = Path(__file__).resolve().parents[3]
THREADS = 8
ROUNDS = 12


def test_exactly_one_writer_wins_each_round(store_url: str) -> None:
    repos = [open_repository(store_url) for _ in range(THREADS)]  # separate engines and caches, like workers
    try:
        base = repos[0].create(make_doc("contended"), actor="setup")
        winners: list[tuple[int, str]] = []
        for rnd in range(ROUNDS):
            etag = repos[0].etag("contended")
            assert etag is not None
            barrier = threading.Barrier(THREADS)
            outcome: list[object] = [None] * THREADS

            def write(
                i: int,
                rnd: int = rnd,
                etag: str = etag,
                barrier: threading.Barrier = barrier,
                outcome: list[object] = outcome,
            ) -> None:
                doc = dataclasses.replace(base.doc, title=f"round {rnd} by writer {i}")
                barrier.wait()
                try:
                    outcome[i] = repos[i].replace("contended", doc, if_match=[etag], actor=f"writer-{i}")
                except PreconditionFailedError:
                    outcome[i] = 412

            threads = [threading.Thread(target=write, args=(i,)) for i in range(THREADS)]
            for th in threads:
                th.start()
            for th in threads:
                th.join(60)
            won = [i for i, o in enumerate(outcome) if o != 412]
            assert len(won) == 1, f"round {rnd}: {outcome}"
            assert outcome.count(412) == THREADS - 1
            winners.append((rnd, f"writer-{won[0]}"))
            assert (
                repos[(rnd + 1) % THREADS].get("contended").title
                == f"round {rnd} by {winners[-1][1].replace('-', ' ')}"
            )  # type: ignore[union-attr]
        revs = repos[0].revisions("contended")
        assert len(revs) == 1 + ROUNDS
        assert [r.author for r in revs[1:]] == [w for _, w in winners]
        for (rnd, who), r in zip(winners, revs[1:], strict=True):
            snap = repos[0].revision("contended", r.n).snapshot
            assert snap is not None and snap["doc"]["title"] == f"round {rnd} by {who.replace('-', ' ')}"
        total, _ = repos[0].audit(guideline="contended")
        assert total == 1 + ROUNDS  # losers wrote nothing, not even an audit row (the API adds "refused" rows)
    finally:
        for r in repos:
            r.dispose()


def _increment(repo: SqlGuidelineRepository, gid: str, who: str, times: int) -> int:
    """Read-modify-write with If-Match, retrying on 412: the classic lost-update scenario, done right."""
    conflicts = 0
    done = 0
    while done < times:
        g = repo.record(gid)
        assert g is not None
        n = int(g.doc.extra.get("counter", 0))
        doc = dataclasses.replace(g.doc, extra={**g.doc.extra, "counter": n + 1})
        try:
            repo.replace(gid, doc, if_match=[g.etag], actor=who)
            done += 1
        except PreconditionFailedError:
            conflicts += 1
    return conflicts


def test_no_update_is_lost_with_threads(store_url: str) -> None:
    per_thread = 6
    repos = [open_repository(store_url) for _ in range(THREADS)]
    try:
        repos[0].create(make_doc("counter", extra={"counter": 0}), actor="setup")
        conflicts = [0] * THREADS

        def run(i: int) -> None:
            conflicts[i] = _increment(repos[i], "counter", f"t{i}", per_thread)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(120)
        g = repos[0].record("counter")
        assert g is not None and g.doc.extra["counter"] == THREADS * per_thread
        assert g.revision == 1 + THREADS * per_thread == len(repos[0].revisions("counter"))
        assert sum(conflicts) > 0  # they really did collide
    finally:
        for r in repos:
            r.dispose()


_WORKER = """
import sys
from tests.terminology.authoring.test_authoring_concurrency import _increment
from terminology.authoring import open_repository
repo = open_repository(sys.argv[1])
print(_increment(repo, "counter", sys.argv[2], int(sys.argv[3])))
"""


def test_no_update_is_lost_across_processes(store_url: str) -> None:
    procs, per_proc = 4, 5
    repo = open_repository(store_url)
    try:
        repo.create(make_doc("counter", extra={"counter": 0}), actor="setup")
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        running = [
            subprocess.Popen(
                [sys.executable, "-c", _WORKER, store_url, f"p{i}", str(per_proc)],
                cwd=REPO_ROOT,
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )
            for i in range(procs)
        ]
        for p in running:
            out, _ = p.communicate(timeout=120)
            assert p.returncode == 0, out
        g = repo.record("counter")
        assert g is not None and g.doc.extra["counter"] == procs * per_proc
        assert len(repo.revisions("counter")) == 1 + procs * per_proc
    finally:
        repo.dispose()


_IMPORT = """
import sys
from terminology.authoring import open_repository
open_repository(sys.argv[1]).import_directory(sys.argv[2], actor="doomed-import")
print("finished")
"""


def test_killed_import_leaves_the_store_as_it_was(store_url: str, tmp_path: Path) -> None:
    repo = open_repository(store_url)
    try:
        repo.import_directory(sample_guidelines_dir())
        before, state = repo.records(), repo.state()
        audit_before = repo.audit()[0]
        # 150 files: every sample changed (updates) plus new guidelines (creates)
        src = tmp_path / "many"
        src.mkdir()
        for g in before:
            write_guideline(dataclasses.replace(g.doc, title=g.doc.title + " (changed)"), src)
        for i in range(150 - len(before)):
            write_guideline(make_doc(f"bulk-{i:03d}"), src)

        env = {**os.environ, PAUSE_ENV: "100", "PYTHONPATH": str(REPO_ROOT)}
        p = subprocess.Popen(
            [sys.executable, "-c", _IMPORT, store_url, str(src)],
            cwd=REPO_ROOT,
            env=env,
            stderr=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 120
            assert p.stderr is not None
            line = ""
            while time.monotonic() < deadline:
                line = p.stderr.readline()
                if PAUSE_MARKER in line or not line:
                    break
            assert PAUSE_MARKER in line, f"import never paused: {line!r}"
            # mid-import, 100 guidelines are written inside the open transaction; readers do not see them
            assert repo.records() == before
            p.send_signal(signal.SIGKILL)
            p.wait(30)
        finally:
            if p.poll() is None:
                p.kill()
        assert p.returncode == -signal.SIGKILL

        reopened = open_repository(store_url)
        try:
            assert reopened.records() == before
            assert reopened.state() == state
            assert reopened.audit()[0] == audit_before
            assert reopened.get("bulk-000") is None
            # and the store is writable again (no lock left behind)
            g = reopened.record(before[0].id)
            assert g is not None
            reopened.replace(
                g.id, dataclasses.replace(g.doc, title="after the crash"), if_match=[g.etag], actor="survivor"
            )
            report = reopened.import_directory(src)
            assert len(report.created) == 150 - len(before) and len(report.updated) == len(before)
        finally:
            reopened.dispose()
    finally:
        repo.dispose()


@pytest.mark.parametrize("n", [3])
def test_concurrent_creates_of_one_id_give_one_guideline(store_url: str, n: int) -> None:
    repos = [open_repository(store_url) for _ in range(n)]
    try:
        barrier = threading.Barrier(n)
        results: list[str] = [""] * n

        def create(i: int) -> None:
            barrier.wait()
            try:
                repos[i].create(make_doc("race", title=f"by {i}"), actor=f"c{i}")
                results[i] = "ok"
            except Exception as e:  # noqa: BLE001
                results[i] = type(e).__name__

        threads = [threading.Thread(target=create, args=(i,)) for i in range(n)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        assert sorted(results) == ["GuidelineExistsError"] * (n - 1) + ["ok"]
        assert [r.n for r in repos[0].revisions("race")] == [1]
    finally:
        for r in repos:
            r.dispose()
