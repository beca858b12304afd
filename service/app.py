"""The Flask application factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import BadRequest
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from terminology import Terminology
from terminology.sample import default_index_path

from . import auth, limits, problems
from . import config as settings
from .api.schemas.common import MAX_INT64
from .context import Services


def _guideline_repository(directory: str | Path | None, url: str | None) -> Any:
    """A read-only file store for an explicit directory, else the authoring store (seeded with the samples)."""
    if directory:
        from terminology.linking.guidelines import FileGuidelineRepository

        return FileGuidelineRepository(Path(directory))
    from terminology.authoring import open_repository

    return open_repository(url)


class _OrjsonProvider(DefaultJSONProvider):
    """JSON bodies encoded by orjson (several times faster than the standard library on concept bodies).

    Keys keep their insertion order, as before; whatever orjson cannot encode natively (dates as
    HTTP dates, decimals, ``__html__``) goes through Flask's own default.
    """

    _OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs:  # an explicit option (indent, sort_keys...): the standard encoder honours it
            return super().dumps(obj, **kwargs)
        return self._encode(obj).decode()

    def response(self, *args: Any, **kwargs: Any) -> Any:
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(self._encode(obj), mimetype=self.mimetype)

    def _encode(self, obj: Any) -> bytes:
        try:
            return orjson.dumps(obj, default=self.default, option=self._OPTIONS)
        except TypeError:  # what orjson refuses (an integer past 64 bits echoed from a request): the standard encoder
            return super().dumps(obj).encode()


class _PagesOnlySessions(SecureCookieSessionInterface):
    """Only the pages use the signed cookie session; API and FHIR requests skip opening it (measured 5-8% of CPU).

    The cookie holds the CSRF token, flashed messages and the random id of the server-side session
    (`service.auth`), never an API token. It is Secure when SNOMAP_SESSION_COOKIE_SECURE says so, or, left
    on auto, when the request came over HTTPS (directly, or per X-Forwarded-Proto with SNOMAP_PROXY_FIX).
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        configured = app.config.get("SNOMAP_SESSION_COOKIE_SECURE")
        if configured is not None:
            return bool(configured)
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or bool(request and request.is_secure)

    def open_session(self, app: Flask, request: Any) -> Any:
        if request.path.startswith(("/api/", "/fhir", "/healthz", "/readyz")):
            return self.null_session_class()
        return super().open_session(app, request)


def _refuse_nul() -> None:
    """A NUL character in the path or the query is a 400: no id, term or parameter holds one, and
    PostgreSQL cannot even be asked about it.  (Percent-decoding already turns invalid UTF-8, such as an
    encoded lone surrogate, into U+FFFD; JSON bodies are checked by ``context.load_json``.)"""
    if "\x00" in request.path:
        raise BadRequest("the path contains a NUL character (%00)")
    for key, value in request.args.items(multi=True):
        if "\x00" in key or "\x00" in value:
            raise BadRequest(f"query parameter {key.replace(chr(0), '')!r} contains a NUL character (%00)")


class Int64Converter(IntegerConverter):
    """``<int:...>`` path segments up to ``MAX_INT64``: a larger number matches no route (404), not an overflow."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_INT64)
        super().__init__(map, *args, **kwargs)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app over an index (SNOMAP_INDEX, default: the sample release's index).

    `config` wins over the environment; every SNOMAP_* setting is parsed once here (`service.config`).
    """
    app = Flask(__name__)
    app.url_map.converters["int"] = Int64Converter  # before any route is added
    app.json = _OrjsonProvider(app)
    given = dict(config or {})
    app.config.from_mapping(JSON_SORT_KEYS=False)
    app.config.update(given)
    app.config.update(settings.load(given))
    app.json.sort_keys = False  # type: ignore[attr-defined]
    index = app.config["SNOMAP_INDEX"] or default_index_path()
    # Checksums of every index file by default (about 0.5-0.9 s per GB); sizes and headers always.
    verify = bool(app.config["SNOMAP_VERIFY_INDEX"])
    t = app.config.get("SNOMAP_TERMINOLOGY") or Terminology.open(index, verify=verify)
    repo = app.config.get("SNOMAP_GUIDELINE_REPOSITORY") or _guideline_repository(
        app.config["SNOMAP_GUIDELINES"], app.config["SNOMAP_DATABASE_URL"]
    )
    editions = tuple(Terminology.open(p, verify=verify) for p in app.config["SNOMAP_FHIR_EDITIONS"])
    app.extensions["snomap"] = Services(terminology=t, guidelines=repo, editions=editions)
    app.session_interface = _PagesOnlySessions()
    proxies = int(app.config["SNOMAP_PROXY_FIX"])
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    problems.init_app(app)
    limits.init_app(app)  # before any other hook: an oversized body is refused first
    app.before_request(_refuse_nul)
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
