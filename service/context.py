"""Per-app access to the opened terminology and guideline repository, and the one request/response path.

A view takes its validated input from `@accepts(Schema)` and returns its body (or an `Answer` with
status and headers) under `@responds(Schema)`; the body is built by `service.representations` in the
schema's shape and sent as it is.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, wraps
from typing import Any

from flask import Response, current_app, jsonify, request
from marshmallow import Schema

from terminology import Terminology


class ReleaseBodies:
    """An LRU of encoded response bodies of immutable release data (concept lookup, FHIR ``$lookup``).

    Keyed by the request's canonical form (path, sorted query, the headers the answer depends on) and
    the releases served, so an entry can never outlive the data it was built from. One per app.
    """

    def __init__(self, size: int = 4096):
        self.size = size
        self._entries: OrderedDict[Any, tuple[bytes, str, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> tuple[bytes, str, str] | None:
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
            return hit

    def put(self, key: Any, value: tuple[bytes, str, str]) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


@dataclass
class Services:
    terminology: Terminology
    guidelines: Any  # a terminology.linking.guidelines.GuidelineRepository
    editions: tuple[Terminology, ...] = ()  # further SNOMED CT editions/versions the FHIR API serves
    bodies: ReleaseBodies = field(default_factory=ReleaseBodies)

    @property
    def release_key(self) -> str:
        """Identifies the releases served (their index builds): part of every cached body's key and ETag."""
        return "|".join(str(t.manifest.get("build_id") or t.release.uri) for t in (self.terminology, *self.editions))


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
    return checked_lang(schema_of(schema).load(request.args.to_dict(), unknown="exclude"))


def checked_lang(args: dict[str, Any]) -> dict[str, Any]:
    """A ``lang`` that names no language refset of the release is a 400 problem, never a silent default."""
    lang = args.get("lang") if isinstance(args, dict) else None
    if isinstance(lang, str) and lang.strip():
        from terminology.dialects import unknown_language

        from .problems import Problem

        why = unknown_language(lang, terminology().language_refsets)
        if why is not None:
            raise Problem(400, "Unknown language", why, field="lang", kind="unknown-language")
    return args


# The deepest JSON a request body may nest (objects and arrays open at once).  The deepest body snomap
# defines (a FHIR ValueSet in Parameters, a CDS Hooks prefetch Bundle) nests about 12; the JSON decoder
# and the schemas recurse once per level, so a limit far below Python's recursion limit keeps them safe.
MAX_JSON_DEPTH = 64
_JSON_SPECIAL = re.compile(r'[\[\]{}"]')
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
# A JSON escape of U+0000 or of a UTF-16 surrogate (paired ones are checked after decoding).
_JSON_BAD_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


def json_depth_problem(text: str) -> tuple[int, str] | None:
    """(character offset, message) when JSON text nests deeper than ``MAX_JSON_DEPTH``; None when it does not."""
    depth, at = 0, 0
    while (m := _JSON_SPECIAL.search(text, at)) is not None:
        ch, at = m.group(), m.end()
        if ch in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return m.start(), f"the JSON nests more than {MAX_JSON_DEPTH} levels deep (at character {m.start()})"
        elif ch in "]}":
            depth = max(depth - 1, 0)
        else:
            closed = _JSON_STRING.match(text, m.start())
            if closed is None:
                return None  # an unclosed string: the decoder reports it
            at = closed.end()
    return None


def text_problem(value: str) -> str | None:
    """Why a string cannot be stored or sent as UTF-8 text: a NUL character or a lone surrogate; None if it can."""
    if "\x00" in value:
        return f"contains a NUL character (U+0000) at character {value.index(chr(0))}"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        return f"contains an unpaired surrogate (U+{ord(value[e.start]):04X}) at character {e.start}"
    return None


def _bad_strings(value: Any, path: str = "") -> tuple[str, str] | None:
    """(field path, problem) of the first string in decoded JSON that ``text_problem`` refuses."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, v = stack.pop()
        if isinstance(v, str):
            problem = text_problem(v)
            if problem:
                return where or "body", problem
        elif isinstance(v, dict):
            for k, x in v.items():
                problem = text_problem(k)
                if problem:
                    return f"{where}.{k!r}".lstrip("."), f"a member name {problem}"
                stack.append((f"{where}.{k}".lstrip("."), x))
        elif isinstance(v, list):
            stack.extend((f"{where}[{i}]", x) for i, x in enumerate(v))
    return None


def load_json(text: str) -> Any:
    """Decode a JSON request body: ValueError (with the position) when it is malformed, nests deeper than
    ``MAX_JSON_DEPTH``, or holds a string with a NUL character or a lone surrogate (no store or page can
    keep those).  The one JSON reader of request bodies (the API's and FHIR's)."""
    deep = json_depth_problem(text)
    if deep is not None:
        raise ValueError(deep[1])
    data = json.loads(text)
    if _JSON_BAD_ESCAPE.search(text):  # decoded UTF-8 holds neither: only an escape can put them in
        bad = _bad_strings(data)
        if bad is not None:
            raise ValueError(f"{bad[0]}: {bad[1]}")
    return data


def json_object() -> dict[str, Any]:
    """The request's JSON object; anything else is a 400 naming the problem."""
    from .problems import Problem

    raw = request.get_data(cache=True) if request.is_json else b""
    try:
        data = load_json(raw.decode("utf-8")) if raw else None
    except (ValueError, UnicodeDecodeError) as e:
        raise Problem(
            400, "Invalid request", f"the request body is not valid JSON: {e}", kind="invalid-request"
        ) from None
    if not isinstance(data, dict):
        raise Problem(400, "Invalid request", "the request body must be a JSON object", kind="invalid-request")
    return data


def body(schema: type[Schema], partial: bool = False) -> dict[str, Any]:
    """A validated JSON body (unknown fields refused); a missing or malformed body is a 400 naming the problem."""
    return checked_lang(schema_of(schema).load(json_object(), unknown="raise", partial=partial))


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


# Release data never changes while served: clients and proxies may keep it for a day (revalidated by ETag).
RELEASE_CACHE_CONTROL = "max-age=86400"


def release_cached(view: Callable[..., Response]) -> Callable[..., Response]:
    """A GET view over immutable release data: its encoded body is kept in the app's LRU (`ReleaseBodies`),
    sent with an ``ETag`` and ``Cache-Control``, and If-None-Match is answered 304. Errors are not kept."""

    @wraps(view)
    def wrapper(*a: Any, **kw: Any) -> Response:
        if request.method not in ("GET", "HEAD"):
            return view(*a, **kw)
        s = services()
        key = (
            request.path,
            tuple(sorted(request.args.items(multi=True))),
            request.headers.get("Accept-Language"),
            request.headers.get("Accept"),
            s.release_key,
        )
        hit = s.bodies.get(key)
        if hit is None:
            response = view(*a, **kw)
            if response.status_code != 200:
                return response
            data = response.get_data()
            etag = hashlib.blake2b(s.release_key.encode() + b"\0" + data, digest_size=12).hexdigest()
            hit = (data, response.headers.get("Content-Type", "application/json"), etag)
            s.bodies.put(key, hit)
        data, content_type, etag = hit
        response = current_app.response_class(data, status=200, content_type=content_type)
        response.set_etag(etag)
        private = bool(current_app.config.get("SNOMAP_READS_REQUIRE_TOKEN"))
        response.headers["Cache-Control"] = ("private, " if private else "public, ") + RELEASE_CACHE_CONTROL
        response.headers["Vary"] = "Accept, Accept-Language" + (", Authorization" if private else "")
        return response.make_conditional(request)

    return wrapper


def responds(schema: type[Schema] | None = None) -> Callable[[Callable[..., Any]], Callable[..., Response]]:
    """A view decorator: the view returns its body (or an `Answer`), sent as JSON in `schema`'s shape."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Response]:
        @wraps(view)
        def wrapper(*a: Any, **kw: Any) -> Response:
            return respond(schema, view(*a, **kw))

        wrapper.responds = schema  # type: ignore[attr-defined]
        return wrapper

    return decorate
