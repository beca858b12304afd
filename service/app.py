"""The Flask application factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from terminology import Terminology
from terminology.sample import default_index_path

from . import auth, limits, problems
from . import config as settings
from .context import Services


def _guideline_repository(directory: str | Path | None, url: str | None) -> Any:
    """A read-only file store for an explicit directory, else the authoring store (seeded with the samples)."""
    if directory:
        from terminology.linking.guidelines import FileGuidelineRepository

        return FileGuidelineRepository(Path(directory))
    from terminology.authoring import open_repository

    return open_repository(url)


class _PagesOnlySessions(SecureCookieSessionInterface):
    """Only the pages use the signed cookie session; API and FHIR requests skip opening it (measured 5-8% of CPU)."""

    def open_session(self, app: Flask, request: Any) -> Any:
        if request.path.startswith(("/api/", "/fhir", "/healthz", "/readyz")):
            return self.null_session_class()
        return super().open_session(app, request)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app over an index (SNOMAP_INDEX, default: the sample release's index).

    `config` wins over the environment; every SNOMAP_* setting is parsed once here (`service.config`).
    """
    app = Flask(__name__)
    given = dict(config or {})
    app.config.from_mapping(JSON_SORT_KEYS=False)
    app.config.update(given)
    app.config.update(settings.load(given))
    app.json.sort_keys = False  # type: ignore[attr-defined]
    index = app.config["SNOMAP_INDEX"] or default_index_path()
    # Checksums of every index file by default (about 0.5-0.9 s per GB); sizes and headers always.
    verify = bool(app.config["SNOMAP_VERIFY_INDEX"])
    t = app.config.get("SNOMAP_TERMINOLOGY") or Terminology.open(index, verify=verify)
    repo = app.config.get("SNOMAP_GUIDELINE_REPOSITORY") or _guideline_repository(app.config["SNOMAP_GUIDELINES"], app.config["SNOMAP_DATABASE_URL"])
    editions = tuple(Terminology.open(p, verify=verify) for p in app.config["SNOMAP_FHIR_EDITIONS"])
    app.extensions["snomap"] = Services(terminology=t, guidelines=repo, editions=editions)
    app.session_interface = _PagesOnlySessions()
    problems.init_app(app)
    limits.init_app(app)  # before any other hook: an oversized body is refused first
    auth.init_app(app)
    _fill_baselines(app, t, repo)

    from . import cds, fhir, web
    from .api import BLUEPRINTS, docs

    for bp in (*BLUEPRINTS, docs.bp, fhir.bp, web.bp, cds.bp):
        app.register_blueprint(bp)
    with app.app_context():
        fhir.fhir_context()  # opens the editions now: a bad or duplicate one stops the start, not a request
    return app


def _fill_baselines(app: Flask, t: Terminology, repo: Any) -> None:
    """Tags stored without a terminology (the first-run seed, a CLI import) get their baseline from the served release."""
    from terminology.authoring import SqlGuidelineRepository
    from terminology.authoring.validation import baselines

    if not isinstance(repo, SqlGuidelineRepository):
        return
    try:
        repo.fill_missing_baselines(baselines(t))
    except Exception:  # noqa: BLE001 - a start-up nicety must not stop the service
        app.logger.exception("could not record tag baselines")
