"""The CDS Hooks endpoints: `GET /cds-services`, `POST /cds-services/{id}`, `POST /cds-services/{id}/feedback`,
and the feedback counts of a guideline (`GET /api/v1/guidelines/{id}/feedback`, also on the guideline page).

Every CDS Hooks call needs the calling EHR's signed JWT (see auth.py), unless the development setting
SNOMAP_CDS_ALLOW_UNAUTHENTICATED is on. Settings come from the app config (service/config.py) when the blueprint is registered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, current_app, request
from flask.sansio.blueprints import BlueprintSetupState

from terminology.cds import (
    CONDITIONS_KEY,
    SERVICES,
    CdsService,
    FeedbackItem,
    FeedbackStore,
    IssuedCard,
    card,
    choose,
    conditions_in,
    feedback_store,
    service,
)

from ..context import body, respond, services
from ..problems import Problem, problem_response
from . import settings
from .auth import AuthenticationError, ClientVerifier, parse_issuers
from .fetch import FhirFetchError, fetch_bundles, render_template
from .schemas import CdsFeedbackIn, CdsFeedbackOut, CdsRequestIn, CdsResponseOut, CdsServicesOut, GuidelineFeedbackOut

bp = Blueprint("cds", __name__)


@dataclass
class CdsRuntime:
    verifier: ClientVerifier
    allow_unauthenticated: bool
    public_url: str | None
    fhir_timeout: float
    feedback: FeedbackStore | None


@bp.record_once
def _configure(state: BlueprintSetupState) -> None:
    app = state.app
    app.extensions["snomap_cds"] = CdsRuntime(
        verifier=ClientVerifier(parse_issuers(app.config[settings.TRUSTED_ISSUERS])),
        allow_unauthenticated=bool(app.config[settings.ALLOW_UNAUTHENTICATED]),
        public_url=(app.config[settings.PUBLIC_URL] or "").rstrip("/") or None,
        fhir_timeout=float(app.config[settings.FHIR_TIMEOUT]),
        feedback=feedback_store(app.extensions["snomap"].guidelines),
    )


def runtime() -> CdsRuntime:
    return current_app.extensions["snomap_cds"]


def public_base() -> str:
    return runtime().public_url or request.url_root.rstrip("/")


def _refused(detail: str) -> Response:
    response = problem_response(Problem(401, "Unauthorized", detail, kind="unauthorized"))
    response.headers["WWW-Authenticate"] = 'Bearer realm="cds-services"'
    return response


def authenticate(*also: str) -> tuple[Response | None, str | None]:
    """(a 401 response, None) for a refused call, else (None, the client's issuer or None when anonymous)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        if runtime().allow_unauthenticated:
            return None, None
        return _refused("a CDS client must send its signed JWT as 'Authorization: Bearer <jwt>'"), None
    if scheme.lower() != "bearer" or not token.strip():
        return _refused("the Authorization header must be 'Bearer <jwt>'"), None
    audiences = [public_base() + request.path, *(public_base() + p for p in also)]
    try:
        claims = runtime().verifier.verify(token.strip(), audiences)
    except AuthenticationError as e:
        return _refused(str(e)), None
    return None, str(claims["iss"])


def _service(service_id: str) -> CdsService:
    s = service(service_id)
    if s is None:
        raise Problem(404, "Not found", f"there is no CDS service {service_id!r}", "id", "not-found")
    return s


@bp.get("/cds-services")
def discovery():  # type: ignore[no-untyped-def]
    """CDS Hooks discovery: the guideline services, their hooks and prefetch templates.
    ---
    get:
      tags: [cds-hooks]
      description: Requires the calling EHR's JWT (Authorization Bearer) unless SNOMAP_CDS_ALLOW_UNAUTHENTICATED is on.
      responses:
        200: {content: {application/json: {schema: CdsServicesOut}}}
        401: {description: No or refused JWT}
    """
    refused, _ = authenticate()
    if refused:
        return refused
    return respond(CdsServicesOut, {"services": [s.discovery() for s in SERVICES]})


@bp.post("/cds-services/<service_id>")
def call(service_id: str):  # type: ignore[no-untyped-def]
    """Call a CDS service: cards for the published guidelines that apply to the patient's Conditions.
    ---
    post:
      tags: [cds-hooks]
      parameters:
        - {in: path, name: service_id, required: true, schema: {type: string}}
      requestBody:
        required: true
        content: {application/json: {schema: CdsRequestIn}}
      responses:
        200: {content: {application/json: {schema: CdsResponseOut}}}
        400: {description: "Malformed request, wrong hook, or missing context field"}
        401: {description: No or refused JWT}
        404: {description: No such service}
        412: {description: No prefetched Conditions and the FHIR server could not give them}
    """
    s = _service(service_id)
    refused, _ = authenticate()
    if refused:
        return refused
    req = body(CdsRequestIn)
    if req["hook"] != s.hook:
        raise Problem(
            400,
            "Invalid request",
            f"service {s.id!r} answers the {s.hook!r} hook, not {req['hook']!r}",
            "hook",
            "invalid-request",
        )
    context = req["context"]
    for name in s.required_context:
        if context.get(name) in (None, "", [], {}):
            raise Problem(
                400, "Invalid request", f"the {s.hook} context needs {name}", f"context.{name}", "invalid-request"
            )
    data = context[s.context_conditions] if s.context_conditions else _prefetched_or_fetched(s, req)
    t = services().terminology
    choice = choose(t, services().guidelines, conditions_in(data), request.args.get("lang"))
    base = public_base()
    cards = [card(f, s.id, lambda gid: f"{base}/guidelines/{quote(gid)}") for f in choice.findings]
    store = runtime().feedback
    if store is not None and cards:
        store.record_cards(
            IssuedCard(c["uuid"], s.id, f.guideline.id, f.key) for c, f in zip(cards, choice.findings, strict=True)
        )
    out: dict[str, Any] = {"cards": cards}
    if choice.notes:
        out["extension"] = {"dev.snomap.notes": choice.notes}
    return respond(CdsResponseOut, out)


def _prefetched_or_fetched(s: CdsService, req: dict[str, Any]) -> Any:
    """The Conditions prefetch: as sent (null means none), else fetched from the FHIR server, else 412."""
    prefetch = req.get("prefetch") or {}
    if CONDITIONS_KEY in prefetch:
        value = prefetch[CONDITIONS_KEY]
        if value is None:
            return []
        if not (isinstance(value, dict) and value.get("resourceType") == "OperationOutcome"):
            return value
        # An OperationOutcome: the client could not prefetch; fetch ourselves if we may.
    if "fhirServer" not in req or "fhirAuthorization" not in req:
        raise Problem(
            412,
            "Precondition Failed",
            f"no '{CONDITIONS_KEY}' prefetch and no fhirServer with fhirAuthorization to fetch the Conditions from",
            "prefetch",
            "fhir-unavailable",
        )
    try:
        relative = render_template(s.prefetch[CONDITIONS_KEY], req["context"])
        return fetch_bundles(req["fhirServer"], req["fhirAuthorization"], relative, runtime().fhir_timeout)
    except FhirFetchError as e:
        raise Problem(412, "Precondition Failed", str(e), "fhirServer", "fhir-unavailable") from e


@bp.post("/cds-services/<service_id>/feedback")
def feedback(service_id: str):  # type: ignore[no-untyped-def]
    """Record what clinicians did with this service's cards (accepted, or overridden with a reason).
    ---
    post:
      tags: [cds-hooks]
      parameters:
        - {in: path, name: service_id, required: true, schema: {type: string}}
      requestBody:
        required: true
        content: {application/json: {schema: CdsFeedbackIn}}
      responses:
        200: {content: {application/json: {schema: CdsFeedbackOut}}}
        400: {description: "Malformed feedback, or a card this service did not issue (nothing is recorded)"}
        401: {description: No or refused JWT}
        404: {description: No such service}
        501: {description: "Guidelines are served from a read-only directory, so there is no store for feedback"}
    """
    s = _service(service_id)
    refused, client = authenticate(f"/cds-services/{s.id}")
    if refused:
        return refused
    items = [_item(x) for x in body(CdsFeedbackIn)["feedback"]]
    store = _store()
    return respond(CdsFeedbackOut, {"recorded": store.record_feedback(s.id, items, client)})


def _item(x: dict[str, Any]) -> FeedbackItem:
    override = x.get("overrideReason") or {}
    reason = override.get("reason") or {}
    accepted = [a["id"] for a in x["acceptedSuggestions"]] if "acceptedSuggestions" in x else None
    return FeedbackItem(
        card=x["card"],
        outcome=x["outcome"],
        outcome_at=x["outcomeTimestamp"],
        reason_system=reason.get("system"),
        reason_code=reason.get("code"),
        reason_display=reason.get("display"),
        user_comment=override.get("userComment"),
        accepted_suggestions=accepted,
    )


def _store() -> FeedbackStore:
    store = runtime().feedback
    if store is None:
        raise Problem(
            501,
            "Not Implemented",
            "feedback is kept in the authoring store; this service reads guidelines from a directory (SNOMAP_GUIDELINES)",
            kind="no-feedback-store",
        )
    return store


def feedback_body(gid: str) -> dict[str, Any] | None:
    """A guideline's feedback counts (GuidelineFeedbackOut), or None without a store."""
    store = runtime().feedback
    if store is None:
        return None
    c = store.counts(gid)
    return {
        "guidelineId": gid,
        "accepted": c.accepted,
        "overridden": c.overridden,
        "total": c.total,
        "comments": c.comments,
        "overrideReasons": [
            {"system": r.system, "code": r.code, "display": r.display, "count": r.count} for r in c.reasons
        ],
    }


@bp.get("/api/v1/guidelines/<gid>/feedback")
def guideline_feedback(gid: str):  # type: ignore[no-untyped-def]
    """How clinicians answered this guideline's CDS Hooks cards: accepted, overridden, and the override reasons.
    ---
    get:
      tags: [guidelines]
      parameters:
        - {in: path, name: gid, required: true, schema: {type: string}}
      responses:
        200: {content: {application/json: {schema: GuidelineFeedbackOut}}}
        404: {description: No such guideline}
        501: {description: Guidelines are served from a read-only directory (no feedback store)}
    """
    if services().guidelines.get(gid) is None:
        raise Problem(404, "Not found", f"guideline {gid!r} does not exist", "gid", "not-found")
    _store()
    return respond(GuidelineFeedbackOut, feedback_body(gid) or {})


@bp.app_context_processor
def _feedback_in_templates() -> dict[str, Any]:
    """`cds_feedback(gid)` for the guideline page (None when there is no feedback store)."""
    return {"cds_feedback": feedback_body}
