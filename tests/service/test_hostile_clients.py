"""Hostile clients against `snomap serve` for real (issue 16, "Proof: hostile clients").

One server (the default: granian, 2 workers) on the sample release, on a free loopback port. First the
concept lookups' unloaded throughput is measured, then for 10 s, together:

* the same lookups, from a bounded pool of client threads;
* the backtracking ECL of the issue, POSTed to /api/v1/ecl with countOnly, again and again;
* two slow-header clients, each sending one header line every 4 s (reconnecting when cut off);
* a 50 MB chunked body to /api/v1/resolve;
* a /healthz probe every 100 ms on a fresh connection.

Throughout, /healthz must answer within 200 ms and the lookups keep at least half their unloaded
throughput. Every loop is bounded by the phase's deadline; every socket has a timeout.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from terminology import Terminology

from .test_serve import HOST, Server, start_server, stop

pytestmark = pytest.mark.slow

LOAD_SECONDS = 10.0
BASELINE_SECONDS = 4.0
LOOKUP_THREADS = 3
BACKTRACKING_ECL = '<< 138875005 {{ term = wild:"*a*a*a*a*a*a*!*" }}'


@pytest.fixture(scope="module")
def server(sample_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(sample_index, tmp_path_factory.mktemp("hostile"), ["--header-timeout", "5"])
    try:
        yield srv
    finally:
        stop(srv)


def lookups(port: int, ids: list[int], until: float, counts: list[int], errors: list[str]) -> None:
    """Concept lookups on one keep-alive connection until `until`; counts the 200s."""
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    i = 0
    try:
        while time.monotonic() < until:
            conn.request("GET", f"/api/v1/concepts/{ids[i % len(ids)]}")
            r = conn.getresponse()
            r.read()
            if r.status == 200:
                counts.append(1)
            else:
                errors.append(f"lookup {r.status}")
            i += 1
    except OSError as e:
        errors.append(f"lookup {e!r}")
    finally:
        conn.close()


def lookup_rate(port: int, ids: list[int], seconds: float, errors: list[str]) -> float:
    counts: list[int] = []
    start = time.monotonic()
    until = start + seconds
    threads = [
        threading.Thread(target=lookups, args=(port, ids[k::LOOKUP_THREADS], until, counts, errors))
        for k in range(LOOKUP_THREADS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 30)
    return len(counts) / (time.monotonic() - start)


def backtracking_ecl(port: int, until: float, statuses: list[int]) -> None:
    body = json.dumps({"ecl": BACKTRACKING_ECL, "countOnly": True}).encode()
    while time.monotonic() < until:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        try:
            conn.request("POST", "/api/v1/ecl", body=body, headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            statuses.append(r.status)
        except OSError:
            statuses.append(-1)
        finally:
            conn.close()


def slow_headers(port: int, until: float, cut_off: list[float]) -> None:
    """One header line every 4 s; when the server closes the connection, note when and start again."""
    while time.monotonic() < until:
        opened = time.monotonic()
        with socket.create_connection((HOST, port), timeout=6) as s:
            try:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
                while time.monotonic() < until:
                    time.sleep(min(4.0, max(0.0, until - time.monotonic())))
                    s.sendall(b"X-Slow: 1\r\n")
                    s.settimeout(0.05)
                    with contextlib.suppress(TimeoutError):
                        if s.recv(4096) == b"":  # closed by the server
                            cut_off.append(time.monotonic() - opened)
                            break
                    s.settimeout(6)
            except OSError:  # reset by the server
                cut_off.append(time.monotonic() - opened)


def chunked_body(port: int, outcome: list[Any]) -> None:
    """50 MB of codes as a chunked body (no Content-Length): refused at the limit, not read to the end."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    chunk = b'"404684003", ' * 5000  # 65 KB
    total = 50 * 1024 * 1024
    sent = 0

    def body() -> Iterator[bytes]:
        nonlocal sent
        yield b'{"codes": ['
        while sent < total:
            sent += len(chunk)
            yield chunk
        yield b'"404684003"]}'

    try:
        conn.request(
            "POST", "/api/v1/resolve", body=body(), headers={"Content-Type": "application/json"}, encode_chunked=True
        )
        r = conn.getresponse()
        outcome.append((r.status, r.getheader("Content-Type"), sent))
    except OSError as e:  # the server answered 413 and closed while we were still sending
        outcome.append(("closed", repr(e), sent))
    finally:
        conn.close()


def probe_health(port: int, until: float, latencies: list[float], failures: list[str]) -> None:
    while time.monotonic() < until:
        t0 = time.monotonic()
        conn = http.client.HTTPConnection(HOST, port, timeout=5)
        try:
            conn.request("GET", "/healthz")
            r = conn.getresponse()
            r.read()
            if r.status != 200:
                failures.append(f"status {r.status}")
        except OSError as e:
            failures.append(repr(e))
        finally:
            conn.close()
        latencies.append(time.monotonic() - t0)
        time.sleep(max(0.0, 0.1 - (time.monotonic() - t0)))


def test_hostile_clients_do_not_stall_the_service(server: Server, sample: Terminology) -> None:
    ids = [int(c) for c in sample.active_concept_ids()]
    errors: list[str] = []
    unloaded = lookup_rate(server.port, ids, BASELINE_SECONDS, errors)
    assert unloaded > 0 and not errors, errors

    until = time.monotonic() + LOAD_SECONDS
    ecl_statuses: list[int] = []
    cut_off: list[float] = []
    upload: list[Any] = []
    latencies: list[float] = []
    failures: list[str] = []
    others = [
        threading.Thread(target=backtracking_ecl, args=(server.port, until, ecl_statuses)),
        threading.Thread(target=slow_headers, args=(server.port, until, cut_off)),
        threading.Thread(target=slow_headers, args=(server.port, until, cut_off)),
        threading.Thread(target=chunked_body, args=(server.port, upload)),
        threading.Thread(target=probe_health, args=(server.port, until, latencies, failures)),
    ]
    for t in others:
        t.start()
    loaded = lookup_rate(server.port, ids, LOAD_SECONDS, errors)
    for t in others:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in others)

    print(
        f"lookups {unloaded:.0f}/s unloaded, {loaded:.0f}/s loaded; /healthz max {max(latencies) * 1000:.0f} ms"
        f" over {len(latencies)} probes; ECL answers {len(ecl_statuses)}; slow clients cut at {cut_off}; upload {upload}"
    )
    assert not errors, errors[:5]
    assert not failures, failures[:5]
    assert len(latencies) >= LOAD_SECONDS / 0.2, len(latencies)  # the probe ran all along
    assert max(latencies) < 0.2, sorted(latencies)[-5:]
    assert loaded >= 0.5 * unloaded, (loaded, unloaded)
    # The backtracking ECL was answered (200, or 422 past its time budget), never a 5xx.
    assert ecl_statuses and all(s in (200, 422) for s in ecl_statuses), ecl_statuses
    # The slow clients were cut off by the 5 s header timeout (each at least once in 10 s).
    assert len(cut_off) >= 2 and all(4.0 <= c <= 9.0 for c in cut_off), cut_off
    # The 50 MB body was refused (413, problem+json) or cut off once past the 2 MB limit.
    (result,) = upload
    if result[0] == "closed":
        assert result[2] < 50 * 1024 * 1024, result
    else:
        assert result[0] == 413 and result[1].startswith("application/problem+json"), result
