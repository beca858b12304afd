"""CLI commands that belong to the service layer: serve (and feature commands registered by their modules)."""

from __future__ import annotations

import os
from typing import Any

import click

from . import annotate_cli, authoring_cli, batch_cli, ecl_cli  # noqa: F401  (register annotate, guidelines, tokens, ecl, map-file)
from .cli import INDEX_HELP, main


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


@main.command("serve")
@click.option("--index", default=None, help=INDEX_HELP)
@click.option("--guidelines", default=None, type=click.Path(exists=True, file_okay=False), help="Guidelines directory (default: the sample guidelines).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="Worker processes (they share the index memory).")
@click.option("--threads", default=1, show_default=True, type=int, help="Threads per worker (1: sync workers, fastest for this CPU-bound app; more helps with slow clients).")
@click.option("--access-log/--no-access-log", default=False)
@click.option("--fhir-edition", "fhir_editions", multiple=True, type=click.Path(exists=True, file_okay=False), help="A further index the FHIR API serves beside --index (repeatable); --index stays the default version.")
def serve_cmd(index: str | None, guidelines: str | None, host: str, port: int, workers: int, threads: int, access_log: bool, fhir_editions: tuple[str, ...]) -> None:
    """Serve the API with gunicorn (a production WSGI server) on the sample release by default."""
    from .app import create_app

    config: dict[str, Any] = {}
    if index:
        config["SNOMAP_INDEX"] = index
    if guidelines:
        config["SNOMAP_GUIDELINES"] = guidelines
    if fhir_editions:
        config["SNOMAP_FHIR_EDITIONS"] = list(fhir_editions)
    app = create_app(config)
    t = app.extensions["snomap"].terminology
    t.store.warm()
    for edition in app.extensions["snomap"].editions:
        edition.store.warm()
    # Build per-process lookup tables before forking, so workers share them.
    from terminology import annotate, composition, guidelines

    annotate.warm(t)
    composition.warm(t)
    guidelines.warm(t, app.extensions["snomap"].guidelines)
    click.echo(f"snomap serving {app.extensions['snomap'].terminology.release.uri} on http://{host}:{port} ({workers} workers)")
    for edition in app.extensions["snomap"].editions:
        click.echo(f"  FHIR also serves {edition.release.uri}")
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
        "loglevel": os.environ.get("SNOMAP_LOG_LEVEL", "warning"),
    }
    # Objects built so far move to a permanent generation, so the garbage collector does not touch
    # (and copy-on-write duplicate) their pages in every forked worker.
    import gc

    gc.collect()
    gc.freeze()
    _GunicornApp(app, options).run()


@main.command("map")
@click.argument("text")
@click.option("--index", default=None, help=INDEX_HELP)
@click.option("--limit", default=5, show_default=True)
@click.option("--lang", default=None)
@click.option("--json", "as_json", is_flag=True)
def map_cmd(text: str, index: str | None, limit: int, lang: str | None, as_json: bool) -> None:
    """Map clinical text onto concepts, best first (abstains when nothing scores above the threshold)."""
    import json

    from terminology.mapping import map_text

    from .cli import _open

    t = _open(index)
    result = map_text(t, text, limit, lang)
    if as_json:
        click.echo(json.dumps({
            "matched": result.matched,
            "threshold": result.threshold,
            "candidates": [
                {"conceptId": str(c.concept_id), "pt": c.term, "matchedTerm": c.matched_term, "score": round(c.score, 4)}
                for c in result.candidates
            ],
        }, indent=2))
        return
    if not result.matched:
        click.echo(f"no match above the threshold {result.threshold}")
    for c in result.candidates:
        click.echo(f"{c.score:.3f}\t{c.concept_id}\t{c.term}\t(matched: {c.matched_term})")
