"""`snomap serve` for real: granian (the default) or gunicorn with 2 workers on a free loopback port, over HTTP.

Bounded waits only (every wait has a deadline), loopback only, and the server is always stopped:
SIGTERM to the master (gunicorn's graceful shutdown), then SIGKILL by pid if it did not stop.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from requests.structures import CaseInsensitiveDict

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
ILIUM_MET = "1059990001105"

# The server is started through the `main` group the `snomap` console script calls
# (`python -m service.cli` and `python -m service` run the same group: test_python_m_*).
SNOMAP = [sys.executable, "-c", "from service.cli import main; main()"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def children_of(pid: int) -> list[int]:
    """Direct child pids from /proc (Linux); empty when /proc has no such file."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(x) for x in path.read_text().split()]
    except OSError:
        return []


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def get(self, path: str, timeout: float = 10.0) -> tuple[int, dict[str, str], Any]:
        return request(self.base + path, timeout=timeout)


def request(
    url: str, data: bytes | None = None, headers: dict[str, str] | None = None, timeout: float = 10.0
) -> tuple[int, dict[str, str], Any]:
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # loopback only
            return resp.status, CaseInsensitiveDict(resp.headers.items()), json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, CaseInsensitiveDict(e.headers.items()), json.loads(e.read())


def wait_until_healthy(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    last: object = None
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            pytest.fail(f"snomap serve exited with {server.proc.returncode}:\n{server.output()}")
        try:
            status, _, body = server.get("/healthz", timeout=2.0)
            if status == 200 and body == {"status": "ok"}:
                return
            last = (status, body)
        except (OSError, ValueError) as e:  # refused while starting, or a half-read answer
            last = e
        time.sleep(0.2)
    pytest.fail(f"/healthz did not answer within {START_TIMEOUT} s (last: {last!r}):\n{server.output()}")


def stop(server: Server) -> int:
    """Graceful stop; kill by pid (the master, then any worker left) only if that does not work."""
    proc = server.proc
    workers = children_of(proc.pid)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    for w in workers:
        if alive(w):
            with contextlib.suppress(ProcessLookupError):
                os.kill(w, signal.SIGKILL)
    return int(proc.returncode)


def start_server(sample_index: Path, directory: Path, extra: list[str] | None = None) -> Server:
    port = free_port()
    log = directory / "serve.log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                *SNOMAP,
                "serve",
                "--index",
                str(sample_index),
                "--host",
                HOST,
                "--port",
                str(port),
                "--workers",
                "2",
                *(extra or []),
            ],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    srv = Server(proc, port, log)
    try:
        wait_until_healthy(srv)
    except BaseException:
        stop(srv)
        raise
    return srv


@pytest.fixture(scope="module")
def server(sample_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(sample_index, tmp_path_factory.mktemp("serve"))
    try:
        yield srv
    finally:
        if srv.proc.poll() is None:
            stop(srv)


def test_concept_over_http(server: Server) -> None:
    status, headers, body = server.get(f"/api/v1/concepts/{ILIUM_MET}")
    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    # Description 105029990001114 (preferred), Relationship 105019990001126 (is-a 1049990001107).
    assert body["pt"] == "Metastatic malignant neoplasm to ilium"
    assert body["parents"] == [{"conceptId": "1049990001107", "pt": "Secondary malignant neoplasm of pelvic bone"}]


def test_guidelines_over_http(server: Server) -> None:
    status, _, body = server.get(f"/api/v1/guidelines?concept={ILIUM_MET}")
    assert status == 200
    # Tags 1049990001107, 1039990001102, 1029990001104, 1019990001106 at 1, 2, 3, 4 is-a steps.
    assert [(i["id"], i["distance"]) for i in body["items"]] == [
        ("pelvic-bone-metastasis-fracture-risk", 1),
        ("suspected-bone-metastasis-workup", 2),
        ("oligometastatic-local-therapy", 3),
        ("malignant-disease-general-principles", 4),
    ]
    status, _, body = server.get("/api/v1/guidelines")
    assert status == 200
    assert body["total"] == 7


def test_resolve_over_http(server: Server) -> None:
    data = json.dumps({"codes": ["1119990001107", "abc"]}).encode()
    status, _, body = request(server.base + "/api/v1/resolve", data=data, headers={"Content-Type": "application/json"})
    assert status == 200
    first, second = body["results"]
    assert first["concepts"] == [{"conceptId": ILIUM_MET, "pt": "Metastatic malignant neoplasm to ilium"}]
    assert first["how"] == "REPLACED BY"
    assert second["error"]["status"] == 400


def test_errors_over_http_are_problems(server: Server) -> None:
    status, headers, body = server.get("/no/such/route")
    assert status == 404
    assert headers["Content-Type"].startswith("application/problem+json")
    assert body["status"] == 404


def two_workers_of(server: Server) -> list[int]:
    deadline = time.monotonic() + 20
    workers: list[int] = []
    while time.monotonic() < deadline:
        workers = [w for w in children_of(server.proc.pid) if alive(w)]
        if len(workers) == 2:
            break
        time.sleep(0.2)
    assert len(workers) == 2, (workers, server.output())
    for w in workers:
        status = Path(f"/proc/{w}/status").read_text()
        assert f"\nPPid:\t{server.proc.pid}\n" in status
    return workers


def test_runs_under_granian_with_two_workers(server: Server) -> None:
    _, headers, _ = server.get("/healthz")
    assert headers.get("Server", "").lower().startswith("granian")
    if not Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children").exists():
        pytest.skip("no /proc children file on this system to count the workers")
    two_workers_of(server)


def test_gunicorn_still_serves(sample_index: Path, tmp_path: Path) -> None:
    srv = start_server(sample_index, tmp_path, ["--server", "gunicorn", "--threads", "2"])
    try:
        status, headers, body = srv.get(f"/api/v1/concepts/{ILIUM_MET}")
        assert status == 200 and body["conceptId"] == ILIUM_MET
        assert headers.get("Server", "").lower().startswith("gunicorn")
        status, headers, body = srv.get("/no/such/route")
        assert status == 404 and headers["Content-Type"].startswith("application/problem+json")
    finally:
        assert stop(srv) == 0, srv.output()


def test_a_port_in_use_is_one_line_and_exit_2(sample_index: Path) -> None:
    # A socket held by the test: the server must neither announce itself nor retry.
    with socket.socket() as held:
        held.bind((HOST, 0))
        held.listen(1)
        port = held.getsockname()[1]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        r = subprocess.run(
            [*SNOMAP, "serve", "--index", str(sample_index), "--host", HOST, "--port", str(port)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
    assert r.returncode == 2
    assert r.stderr == f"error: port {port} on {HOST} is in use\n"
    # Nothing announced, and no retries (gunicorn retried its bind 5 times, then exited 1).
    assert "serving" not in r.stdout


def test_the_servers_own_errors_are_not_html(server: Server) -> None:
    # Requests the app never sees: a malformed request line, and headers larger than the server takes.
    # granian answers these itself, with an empty body (never an HTML page).
    for raw in (b"GARBAGE\r\n\r\n", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 600_000 + b"\r\n\r\n"):
        with socket.create_connection((HOST, server.port), timeout=10) as s:
            with contextlib.suppress(OSError):
                s.sendall(raw)
            data = b""
            with contextlib.suppress(OSError):
                while chunk := s.recv(65536):
                    data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        assert b"<html" not in data.lower() and b"<!doctype" not in data.lower(), data[:300]
        if head:
            assert head.startswith(b"HTTP/1.1 4"), head
            assert body == b"" or body.startswith(b"{"), body[:200]


def test_terminates_cleanly(sample_index: Path, tmp_path: Path) -> None:
    # A server of its own, so that stopping it does not depend on the order of the tests.
    srv = start_server(sample_index, tmp_path)
    try:
        status, _, body = srv.get(f"/api/v1/concepts/{ILIUM_MET}")
        assert status == 200 and body["conceptId"] == ILIUM_MET
        deadline = time.monotonic() + 20
        workers: list[int] = []
        while time.monotonic() < deadline and len(workers) < 2:
            workers = [w for w in children_of(srv.proc.pid) if alive(w)]
            time.sleep(0.1)
    finally:
        code = stop(srv)
    assert code == 0, srv.output()
    assert not [w for w in workers if alive(w)]
    # the edition URI both APIs report: xsct, as 19990001103 is not a published edition (docs/fhir.md)
    assert "snomap serving http://snomed.info/xsct/19990001103/version/20250301" in srv.output()
    assert "Traceback" not in srv.output()
    with pytest.raises(OSError):
        socket.create_connection((HOST, srv.port), timeout=2).close()


def test_python_m_service_cli_knows_serve() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "service.cli", "serve", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert "--workers" in result.stdout
