"""The FHIR R4 terminology API under ``/fhir``: request parsing, content negotiation, OperationOutcomes.

Every operation answers ``GET`` with query parameters and ``POST`` with a
Parameters resource; CodeSystem, ValueSet and ConceptMap also answer search
(``GET [type]``, ``POST [type]/_search``) and read (``GET [type]/[id]``); responses are ``application/fhir+json`` (``application/json``
when a client asks only for that) and every failure is an OperationOutcome, never
the rest of the API's problem+json, because FHIR clients only read
OperationOutcomes.  The logic lives in :mod:`terminology.fhir`; this module only
translates HTTP to and from it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request

from terminology.fhir import (
    RESOURCE_TYPES,
    FhirContext,
    FhirError,
    Issue,
    Params,
    capability_statement,
    cs_validate_code,
    expand,
    lookup,
    read_resource,
    search_resources,
    subsumes,
    terminology_capabilities,
    translate,
    versions,
    vs_validate_code,
)

from ..config import fhir_settings
from ..context import load_json, release_cached

__all__ = ["EXTENSION_KEY", "bp", "fhir_context", "outcome_response"]

bp = Blueprint("fhir", __name__, url_prefix="/fhir")
EXTENSION_KEY = "snomap_fhir"
FHIR_JSON = "application/fhir+json"
JSON_TYPES = ("application/fhir+json", "application/json", "application/json+fhir", "json", "text/json")
XML_TYPES = ("application/fhir+xml", "application/xml", "text/xml", "xml")


def fhir_context() -> FhirContext:
    """The app's FHIR context: the app's terminology as the default edition, ``SNOMAP_FHIR_EDITIONS`` beside it."""
    ctx = current_app.extensions.get(EXTENSION_KEY)
    if ctx is None:
        services = current_app.extensions["snomap"]
        ctx = FhirContext(services.terminology, fhir_settings(current_app.config), services.editions)
        ctx.loaded  # noqa: B018 - fails now on an edition loaded twice
        current_app.extensions[EXTENSION_KEY] = ctx
    return ctx


def _wanted_type() -> str:
    """The response media type from ``_format`` or ``Accept``; XML alone is refused (406)."""
    fmt = request.args.get("_format")
    if fmt:
        base = fmt.split(";")[0].strip().lower()
        if base in XML_TYPES:
            raise FhirError(
                406, Issue("error", "not-supported", "This server only returns JSON (_format=json)", "not-supported")
            )
        return "application/json" if base in ("application/json", "json", "text/json") else FHIR_JSON
    accept = request.headers.get("Accept", "")
    if not accept.strip():
        return FHIR_JSON
    kinds = [a.split(";")[0].strip().lower() for a in accept.split(",")]
    if any(k in (FHIR_JSON, "application/json+fhir", "*/*", "application/*") for k in kinds):
        return FHIR_JSON
    if "application/json" in kinds:
        return "application/json"
    if any(k in XML_TYPES for k in kinds):
        raise FhirError(
            406,
            Issue("error", "not-supported", "This server only returns JSON (application/fhir+json)", "not-supported"),
        )
    return FHIR_JSON


def _respond(resource: dict[str, Any], status: int = 200, mimetype: str | None = None) -> Response:
    kind = mimetype or FHIR_JSON
    body = json.dumps(resource, ensure_ascii=False, separators=(",", ":"))
    suffix = "; fhirVersion=4.0" if kind == FHIR_JSON else ""
    return Response(body, status=status, headers={"Content-Type": f"{kind}; charset=utf-8{suffix}"})


def outcome_response(outcome: dict[str, Any], status: int) -> Response:
    """An OperationOutcome in the media type the client asked for (FHIR JSON when that cannot be told).

    `service.problems` decides the outcome and status of every error under /fhir; this only renders it.
    """
    try:
        mimetype = _wanted_type()
    except FhirError:
        mimetype = FHIR_JSON
    return _respond(outcome, status, mimetype)


def _params() -> Params:
    """The operation's parameters: the query string, plus the Parameters body of a POST."""
    params = _read_params()
    _check_display_language(params.str("displayLanguage"))
    return params


def _read_params() -> Params:
    query = [(k, v) for k, vs in request.args.lists() for v in vs]
    if request.method != "POST":
        return Params.from_query(query)
    ctype = (request.mimetype or "").lower()
    if ctype in ("application/x-www-form-urlencoded",):
        return Params.from_query(query + [(k, v) for k, vs in request.form.lists() for v in vs])
    if ctype not in JSON_TYPES:
        raise FhirError(
            415,
            Issue(
                "error",
                "not-supported",
                f"Send a Parameters resource as {FHIR_JSON}, not {ctype or 'no content type'}",
                "not-supported",
            ),
        )
    # The body's size is bounded for every route by `service.limits` (SNOMAP_FHIR_MAX_BODY_BYTES here).
    raw = request.get_data(cache=False, as_text=True)
    try:
        body = load_json(raw) if raw.strip() else {"resourceType": "Parameters"}
    except ValueError as exc:
        raise FhirError.invalid(f"The request body is not valid JSON: {exc}") from None
    params = Params.from_resource(body)
    params.items = Params.from_query(query).items + params.items
    return params


def _check_display_language(lang: str | None) -> None:
    """``displayLanguage`` naming no language refset of a loaded edition: 400 OperationOutcome.

    The parameter is an explicit request (unlike the ``Accept-Language`` header, a preference
    that HTTP lets a server fall back from, RFC 9110 12.5.4), so snomap refuses it rather than
    answering silently in the default dialect.
    """
    if not lang:
        return
    from terminology.dialects import unknown_language

    refsets = sorted({r for c in fhir_context().loaded for r in c.terminology.language_refsets})
    why = unknown_language(lang, refsets)
    if why is not None:
        raise FhirError(
            400,
            Issue(
                "error",
                "not-supported",
                f"displayLanguage '{lang}': {why}",
                "not-supported",
                expression=["displayLanguage"],
            ),
        )


def _language() -> str | None:
    return request.headers.get("Accept-Language") or None


def _run(fn: Callable[[], dict[str, Any]]) -> Response:
    """The operation's resource as the client asked for it; its errors go to `service.problems`."""
    mimetype = _wanted_type()
    return _respond(fn(), 200, mimetype)


OPS = ("GET", "POST")


def _base() -> str:
    """The FHIR base url as the client reached it (links and fullUrls in Bundles start with it)."""
    return request.url_root.rstrip("/") + bp.url_prefix  # type: ignore[operator]


@bp.route("/metadata", methods=["GET"])
def metadata() -> Response:
    """CapabilityStatement, or TerminologyCapabilities with ``?mode=terminology``."""
    base = _base()
    if request.args.get("mode") == "terminology":
        return _run(lambda: terminology_capabilities(fhir_context(), base))
    return _run(lambda: capability_statement(fhir_context(), base))


@bp.route("/$versions", methods=OPS)
def versions_op() -> Response:
    return _run(versions)


@bp.route("/CodeSystem/$lookup", methods=OPS)
@release_cached
def cs_lookup() -> Response:
    return _run(lambda: lookup(fhir_context(), _params(), _language()))


@bp.route("/CodeSystem/$validate-code", methods=OPS)
def cs_validate() -> Response:
    return _run(lambda: cs_validate_code(fhir_context(), _params(), _language()))


@bp.route("/CodeSystem/$subsumes", methods=OPS)
def cs_subsumes() -> Response:
    return _run(lambda: subsumes(fhir_context(), _params()))


@bp.route("/ValueSet/$expand", methods=OPS)
def vs_expand() -> Response:
    return _run(lambda: expand(fhir_context(), _params(), _language()))


@bp.route("/ValueSet/$validate-code", methods=OPS)
def vs_validate() -> Response:
    return _run(lambda: vs_validate_code(fhir_context(), _params(), _language()))


@bp.route("/ConceptMap/$translate", methods=OPS)
def cm_translate() -> Response:
    return _run(lambda: translate(fhir_context(), _params(), _language()))


# Resource types with read and search; the static operation routes above win over these patterns.
TYPES = f"any({', '.join(RESOURCE_TYPES)})"


def _search_query() -> list[tuple[str, str]]:
    """Search parameters: the query string, plus a form-encoded body on ``POST _search`` (as FHIR defines it)."""
    query = [(k, v) for k, vs in request.args.lists() for v in vs]
    if request.method != "POST":
        return query
    if (request.mimetype or "").lower() != "application/x-www-form-urlencoded" and request.get_data(cache=True):
        raise FhirError(
            415,
            Issue(
                "error",
                "not-supported",
                "Send search parameters in the query or as application/x-www-form-urlencoded",
                "not-supported",
            ),
        )
    return query + [(k, v) for k, vs in request.form.lists() for v in vs]


@bp.route(f"/<{TYPES}:rtype>", methods=["GET"])
@bp.route(f"/<{TYPES}:rtype>/_search", methods=OPS)
def search_type(rtype: str) -> Response:
    """Search: a searchset Bundle of the SNOMED CT resources the parameters select."""
    return _run(lambda: search_resources(fhir_context(), rtype, _search_query(), _base()))


@bp.route(f"/<{TYPES}:rtype>/<rid>", methods=["GET"])
def read_type(rtype: str, rid: str) -> Response:
    """Read a resource by id; ``[type]/$op`` for an operation this server lacks is a 404 like any unknown path."""
    if rid.startswith("$"):
        return unsupported(f"{rtype}/{rid}")
    return _run(lambda: read_resource(fhir_context(), rtype, rid))


KNOWN = {
    "metadata",
    "$versions",
    "CodeSystem/$lookup",
    "CodeSystem/$validate-code",
    "CodeSystem/$subsumes",
    "ValueSet/$expand",
    "ValueSet/$validate-code",
    "ConceptMap/$translate",
}
# Paths of the read and search interactions: another method on them (create, update, delete) is a 405.
RESOURCE_PATH = re.compile(rf"(?:{'|'.join(RESOURCE_TYPES)})(?:/_search|/[A-Za-z0-9\-.]{{1,64}})?")


@bp.route("/", defaults={"rest": ""}, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
def unsupported(rest: str) -> Response:
    """Anything else under /fhir: an OperationOutcome (405 for a known operation or resource path, 404 otherwise)."""
    if rest in KNOWN or RESOURCE_PATH.fullmatch(rest):
        raise FhirError(
            405, Issue("error", "not-supported", f"{request.method} is not supported on /fhir/{rest}", "not-supported")
        )
    raise FhirError(
        404, Issue("error", "not-supported", f"/fhir/{rest} is not supported by this server", "not-supported")
    )


def register(app: Flask) -> None:
    """Register the FHIR API on an app built by ``service.app.create_app``."""
    app.register_blueprint(bp)
