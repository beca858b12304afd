"""``snomap serve``: the API under gunicorn, with the index opened and warmed before the workers fork."""

from __future__ import annotations

import gc
from typing import Any

import click

from ._common import command, index_option


class _GunicornApp:
    """Runs the app under gunicorn with the index opened before fork, so workers share its pages."""

    def __init__(self, app: Any, options: dict[str, Any]):
        from gunicorn.app.base import BaseApplication

        outer = self

        class App(BaseApplication):  # type: ignore[misc]
            def load_config(self) -> None:
                for k, v in options.items():
                    self.cfg.set(k, v)

            def load(self) -> Any:
                return outer.app

        self.app = app
        self.runner = App()

    def run(self) -> None:
        self.runner.run()


def warm(app: Any) -> None:
    """Build every edition's derived state now, so the forked workers share it instead of each building it."""
    from terminology.linking import warm as warm_guideline_tags

    services = app.extensions["snomap"]
    for edition in (services.terminology, *services.editions):
        edition.warm()  # maps the arrays and builds every factory registered with `terminology.terminology.warmed`
    # The stored guidelines' ECL tags depend on the store as well as the release, so they are warmed apart.
    warm_guideline_tags(services.terminology, services.guidelines)


@command("serve")
@index_option
@click.option("--guidelines", default=None, type=click.Path(exists=True, file_okay=False), help="Guidelines directory (default: the sample guidelines).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="Worker processes (they share the index memory).")
@click.option("--threads", default=1, show_default=True, type=int, help="Threads per worker (1: sync workers, fastest for this CPU-bound app; more helps with slow clients).")
@click.option("--access-log/--no-access-log", default=False)
@click.option("--fhir-edition", "fhir_editions", multiple=True, type=click.Path(exists=True, file_okay=False), help="A further index the FHIR API serves beside --index (repeatable); --index stays the default version.")
@click.option("--verify/--no-verify", "verify", default=None, help="Check every index file's checksum before serving (default: on, $SNOMAP_VERIFY_INDEX; about 0.5-0.9 s per GB).")
def serve_cmd(index: str | None, guidelines: str | None, host: str, port: int, workers: int, threads: int, access_log: bool, fhir_editions: tuple[str, ...], verify: bool | None) -> None:
    """Serve the API with gunicorn (a production WSGI server) on the sample release by default."""
    from ..app import create_app

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
    click.echo(f"snomap serving {loaded[0]} on http://{host}:{port} ({workers} workers)")
    for uri in loaded[1:]:
        click.echo(f"  also serves {uri} (?version= / Accept-Version on REST, version on FHIR)")
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "preload_app": True,
        "timeout": 60,
        "graceful_timeout": 10,
        "accesslog": "-" if access_log else None,
        "errorlog": "-",
        "loglevel": app.config["SNOMAP_LOG_LEVEL"],
    }
    # Objects built so far move to a permanent generation, so the garbage collector does not touch
    # (and copy-on-write duplicate) their pages in every forked worker.
    gc.collect()
    gc.freeze()
    _GunicornApp(app, options).run()
