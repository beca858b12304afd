"""Per-app access to the opened terminology and guideline repository, and the one request/response path.

A view takes its validated input from `@accepts(Schema)` and returns its body (or an `Answer` with
status and headers) under `@responds(Schema)`; the body is built by `service.representations` in the
schema's shape and sent as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, wraps
from typing import Any

from flask import Response, current_app, jsonify, request
from marshmallow import Schema

from terminology import Terminology


@dataclass
class Services:
    terminology: Terminology
    guidelines: Any  # a terminology.linking.guidelines.GuidelineRepository
    editions: tuple[Terminology, ...] = ()  # further SNOMED CT editions/versions the FHIR API serves


def services() -> Services:
    return current_app.extensions["snomap"]


def terminology() -> Terminology:
    """The edition a request asks for: ``?version=`` or the ``Accept-Version`` header, else the default.

    The choice is the FHIR API's (``version`` there): among the service's index and the further
    editions of ``SNOMAP_FHIR_EDITIONS``, the one whose edition URI (``http://snomed.info/sct/{module}
    /version/{date}`` or ``xsct``), module URI (its latest loaded date) or bare ``yyyymmdd`` matches.
    A version that is not loaded is a 404 problem that lists the loaded ones.
    """
    svc = services()
    requested = _requested_version()
    if requested is None:
        return svc.terminology
    from .fhir.blueprint import fhir_context  # the one place editions are matched
    from .problems import Problem

    ctx = fhir_context()
    chosen = ctx.select(requested)
    if chosen is None:
        raise Problem(
            404,
            "Unknown version",
            f"version '{requested}' is not loaded; loaded versions: {ctx.valid_versions}",
            field="version",
            kind="unknown-version",
            versions=[c.edition.uri for c in ctx.loaded],
        )
    return chosen.terminology


def _requested_version() -> str | None:
    """The ``version`` query parameter, else the ``Accept-Version`` header (None when neither is given)."""
    try:
        value = request.args.get("version") or request.headers.get("Accept-Version")
    except RuntimeError:  # outside a request (CLI, warm-up): the default edition
        return None
    return value.strip() if value and value.strip() else None


@cache
def schema_of(cls: type[Schema]) -> Schema:
    """One shared instance per schema class: building a Schema deep-copies its fields (measured ~50 us)."""
    return cls()


# ----------------------------------------------------------------------------- requests


def query(schema: type[Schema]) -> dict[str, Any]:
    """Validated query parameters (unknown ones are ignored, as HTTP caches and proxies add some)."""
    return _checked_lang(schema_of(schema).load(request.args.to_dict(), unknown="exclude"))


def _checked_lang(args: dict[str, Any]) -> dict[str, Any]:
    """A ``lang`` that names no language refset of the release is a 400 problem, never a silent default."""
    lang = args.get("lang") if isinstance(args, dict) else None
    if isinstance(lang, str) and lang.strip():
        from terminology.dialects import unknown_language

        from .problems import Problem

        why = unknown_language(lang, terminology().language_refsets)
        if why is not None:
            raise Problem(400, "Unknown language", why, field="lang", kind="unknown-language")
    return args


def json_object() -> dict[str, Any]:
    """The request's JSON object; anything else is a 400 naming the problem."""
    from .problems import Problem

    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Problem(400, "Invalid request", "the request body must be a JSON object", kind="invalid-request")
    return data


def body(schema: type[Schema], partial: bool = False) -> dict[str, Any]:
    """A validated JSON body (unknown fields refused); a missing or malformed body is a 400 naming the problem."""
    return _checked_lang(schema_of(schema).load(json_object(), unknown="raise", partial=partial))


def accepts(schema: type[Schema], location: str = "query") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A view decorator: the request's validated ``query`` parameters or ``json`` body, passed as `args`."""
    load = {"query": query, "json": body}[location]

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*a: Any, **kw: Any) -> Any:
            return view(*a, args=load(schema), **kw)

        wrapper.accepts = (schema, location)  # type: ignore[attr-defined]
        return wrapper

    return decorate


# ----------------------------------------------------------------------------- responses


@dataclass
class Answer:
    """A body with what goes beside it: a status other than 200, an ETag, more headers, a conditional GET."""

    body: Any
    status: int = 200
    etag: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    conditional: bool = False  # answer If-None-Match / If-Match on a GET with 304 / 412
    schema: type[Schema] | None = None  # for a view with several response shapes: this body's


def check_shape(schema: type[Schema] | None, data: Any) -> None:
    """Under TESTING: the body must equal its schema's dump, so a hand-built body and its schema cannot drift.

    Dumping every body through marshmallow in production cost two thirds of a guidelines-for-a-concept
    request (about 30 nested items); the schema still documents the response (OpenAPI).
    """
    if schema is None or not current_app.testing:
        return
    dumped = schema_of(schema).dump(data)
    if dumped != data:
        raise AssertionError(f"{schema.__name__}: the handler's body differs from the schema's dump")


def respond(schema: type[Schema] | None, result: Any) -> Response:
    """The one way a view's result becomes a JSON response."""
    answer = result if isinstance(result, Answer) else Answer(result)
    check_shape(answer.schema or schema, answer.body)
    response = jsonify(answer.body)
    response.status_code = answer.status
    for name, value in answer.headers.items():
        response.headers[name] = value
    if answer.etag:
        response.set_etag(answer.etag)
    if answer.conditional:
        response.make_conditional(request)
    return response


def responds(schema: type[Schema] | None = None) -> Callable[[Callable[..., Any]], Callable[..., Response]]:
    """A view decorator: the view returns its body (or an `Answer`), sent as JSON in `schema`'s shape."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Response]:
        @wraps(view)
        def wrapper(*a: Any, **kw: Any) -> Response:
            return respond(schema, view(*a, **kw))

        wrapper.responds = schema  # type: ignore[attr-defined]
        return wrapper

    return decorate
