"""``snomap serve``: the API under a production WSGI server, the index opened and warmed before the workers fork.

The listening socket is bound first: a port in use is one line (``error: port 8080 on 127.0.0.1 is in
use``) and exit 2, before the index is even opened. Then the app is built and warmed, the address is
announced, and the workers are forked with the socket and the warmed index (so they share its pages).

Two servers (measured in bench/bench_server.py, figures in bench/README.md):

* ``granian`` (default): a Rust HTTP server with a WSGI interface. Connections, header parsing and
  timeouts live in its Rust runtime, so a slow or idle client holds no Python thread; headers must
  arrive within ``--header-timeout`` seconds. Its own errors (malformed request, header too large)
  carry no HTML page.
* ``gunicorn``: sync workers (``--threads 1``) or gthread workers; no header read timeout, so a slow
  client holds a worker (or a thread) until it finishes or ``--timeout`` kills the worker.
"""

from __future__ import annotations

import errno
import gc
import socket
from typing import Any

import click

from ._common import CliError, command, index_option

SERVERS = ("granian", "gunicorn")
BACKLOG = 1024


def warm(app: Any) -> None:
    """Build every edition's derived state now, so the forked workers share it instead of each building it."""
    from terminology.linking import warm as warm_guideline_tags

    services = app.extensions["snomap"]
    for edition in (services.terminology, *services.editions):
        edition.warm()  # maps the arrays and builds every factory registered with `terminology.terminology.warmed`
    # The stored guidelines' ECL tags depend on the store as well as the release, so they are warmed apart.
    warm_guideline_tags(services.terminology, services.guidelines)


def bind(host: str, port: int, backlog: int = BACKLOG) -> socket.socket:
    """The listening socket, bound now; a port in use or an address not of this machine is a one-line `CliError`."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise CliError(f"cannot listen on {host}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        # Lets a restarted server take the port while old connections linger in TIME_WAIT; a port held
        # by a listening socket is still refused (EADDRINUSE).
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise CliError(f"port {port} on {host} is in use") from None
        if exc.errno == errno.EACCES:
            raise CliError(f"port {port} on {host} needs more privileges") from None
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock


def run_gunicorn(app: Any, sock: socket.socket, options: dict[str, Any]) -> None:
    """gunicorn on the socket already bound (``fd://``), the app loaded in this process before fork."""
    from gunicorn.app.base import BaseApplication

    class App(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for k, v in options.items():
                self.cfg.set(k, v)
            self.cfg.set("bind", [f"fd://{sock.fileno()}"])

        def load(self) -> Any:
            return app

    App().run()


def run_granian(
    app: Any, sock: socket.socket, workers: int, threads: int, header_timeout: float, access_log: bool, log_level: str
) -> None:
    """granian's WSGI interface on the socket already bound, the app built in this process and forked into the workers."""
    import multiprocessing

    from granian._granian import SocketHolder
    from granian.constants import Interfaces
    from granian.http import HTTP1Settings
    from granian.log import LogLevels
    from granian.server.mp import MPServer

    # Workers are forked (Linux default; set explicitly so a newer Python's forkserver does not load the app anew).
    multiprocessing.set_start_method("fork", force=True)

    class Server(MPServer):  # type: ignore[misc]
        def _init_shared_socket(self) -> None:  # the socket bound by `bind`, not one of granian's
            self._shd = SocketHolder(sock.fileno(), False, BACKLOG)
            self._sfd = sock.fileno()
            self._ssp = None
            self._sso = sock  # granian's MPServer hands this to each worker and closes it at shutdown

    levels = {
        "debug": LogLevels.debug,
        "info": LogLevels.info,
        "warning": LogLevels.warning,
        "error": LogLevels.error,
        "critical": LogLevels.critical,
    }
    server = Server(
        "snomap",  # a name only: the loader below returns the app already built
        address=sock.getsockname()[0],
        port=sock.getsockname()[1],
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        http1_settings=HTTP1Settings(header_read_timeout=int(header_timeout * 1000)),
        log_level=levels.get(log_level, LogLevels.warning),
        log_access=access_log,
        websockets=False,
        respawn_failed_workers=True,
    )
    server.serve(target_loader=lambda _target: app)


@command("serve")
@index_option
@click.option(
    "--guidelines",
    default=None,
    type=click.Path(exists=True, file_okay=False),
    help="Guidelines directory (default: the sample guidelines).",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option(
    "--workers", default=2, show_default=True, type=int, help="Worker processes (they share the index memory)."
)
@click.option(
    "--threads",
    default=1,
    show_default=True,
    type=int,
    help="Threads per worker (granian: blocking threads; gunicorn: 1 = sync workers, more = gthread).",
)
@click.option(
    "--server",
    "server_kind",
    default="granian",
    show_default=True,
    type=click.Choice(SERVERS),
    help="The WSGI server (bench/bench_server.py compares them).",
)
@click.option(
    "--header-timeout",
    default=10.0,
    show_default=True,
    type=float,
    help="granian: seconds a client may take to send its request headers.",
)
@click.option(
    "--timeout",
    "worker_timeout",
    default=60,
    show_default=True,
    type=int,
    help="gunicorn: seconds before a silent worker is killed and restarted.",
)
@click.option("--access-log/--no-access-log", default=False)
@click.option(
    "--fhir-edition",
    "fhir_editions",
    multiple=True,
    type=click.Path(exists=True, file_okay=False),
    help="A further index the FHIR API serves beside --index (repeatable); --index stays the default version.",
)
@click.option(
    "--verify/--no-verify",
    "verify",
    default=None,
    help="Check every index file's checksum before serving (default: on, $SNOMAP_VERIFY_INDEX; about 0.5-0.9 s per GB).",
)
def serve_cmd(
    index: str | None,
    guidelines: str | None,
    host: str,
    port: int,
    workers: int,
    threads: int,
    server_kind: str,
    header_timeout: float,
    worker_timeout: int,
    access_log: bool,
    fhir_editions: tuple[str, ...],
    verify: bool | None,
) -> None:
    """Serve the API (granian by default, or gunicorn) on the sample release by default."""
    from ..app import create_app

    sock = bind(host, port)  # first: a port in use fails before anything is loaded or announced
    config: dict[str, Any] = {}
    if index:
        config["SNOMAP_INDEX"] = index
    if guidelines:
        config["SNOMAP_GUIDELINES"] = guidelines
    if fhir_editions:
        config["SNOMAP_FHIR_EDITIONS"] = list(fhir_editions)
    if verify is not None:
        config["SNOMAP_VERIFY_INDEX"] = verify
    app = create_app(config)
    warm(app)
    from ..fhir.blueprint import fhir_context

    with app.app_context():
        loaded = [c.edition.uri for c in fhir_context().loaded]  # the URIs both APIs report
    click.echo(f"snomap serving {loaded[0]} on http://{host}:{port} ({workers} workers, {server_kind})")
    for uri in loaded[1:]:
        click.echo(f"  also serves {uri} (?version= / Accept-Version on REST, version on FHIR)")
    # Objects built so far move to a permanent generation, so the garbage collector does not touch
    # (and copy-on-write duplicate) their pages in every forked worker.
    gc.collect()
    gc.freeze()
    log_level = app.config["SNOMAP_LOG_LEVEL"]
    if server_kind == "granian":
        run_granian(app, sock, workers, threads, header_timeout, access_log, log_level)
        return
    run_gunicorn(
        app,
        sock,
        {
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread" if threads > 1 else "sync",
            "preload_app": True,
            "timeout": worker_timeout,
            "graceful_timeout": 10,
            "accesslog": "-" if access_log else None,
            "errorlog": "-",
            "loglevel": log_level,
        },
    )
