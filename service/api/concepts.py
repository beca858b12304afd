"""Concepts for coding systems: lookup, hierarchy pages and subsumption."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from terminology import parse_sctid
from terminology.maps import Patient, forward_map, parse_age

from ..context import accepts, release_cached, responds, terminology
from ..problems import Problem
from ..representations import concept_body, maps_body, page_body
from .schemas.common import Page, PageQuery
from .schemas.concepts import ConceptOut, SubsumesOut, SubsumesQuery
from .schemas.maps import MapsOut, MapsQuery

bp = Blueprint("concepts", __name__, url_prefix="/api/v1")


@bp.get("/concepts/<concept_id>")
@release_cached
@accepts(PageQuery)
@responds(ConceptOut)
def get_concept(concept_id: str, args: dict[str, Any]) -> dict[str, Any]:
    """A concept: terms in the requested dialect, parents, attributes by role group, refsets, maps, history.
    ---
    get:
      tags: [concepts]
      parameters:
        - {in: path, name: concept_id, required: true, schema: {type: string}, description: SCTID of a concept}
        - {in: query, name: lang, schema: {type: string}, description: "Dialect: en-US (default), en-GB, or a language refset id"}
      responses:
        200: {content: {application/json: {schema: ConceptOut}}}
        400: {description: "Malformed or invalid SCTID (not numeric, wrong check digit, partition not a concept)"}
        404: {description: Valid SCTID that is not in the release}
    """
    return concept_body(terminology(), parse_sctid(concept_id, field="conceptId"), args["lang"])


@bp.get("/concepts/<concept_id>/maps")
@accepts(MapsQuery)
@responds(MapsOut)
def get_maps(concept_id: str, args: dict[str, Any]) -> dict[str, Any]:
    """The concept's map groups to another code system, each with the target chosen for the patient.
    ---
    get:
      tags: [concepts]
      parameters:
        - {in: path, name: concept_id, required: true, schema: {type: string}}
        - {in: query, name: target, required: true, schema: {type: string}, description: "icd-10, icd-10-cm, icd-o, opcs-4, or the system URI"}
        - {in: query, name: age, schema: {type: string}, description: "Age at onset: 15, 15y, 6m, 28d"}
        - {in: query, name: sex, schema: {type: string, enum: [male, female, other, unknown]}}
      responses:
        200: {content: {application/json: {schema: MapsOut}}}
        400: {description: "Invalid SCTID, age or sex"}
        404: {description: Concept not in the release}
        422: {description: A code system snomap does not map to}
    """
    t = terminology()
    sctid = parse_sctid(concept_id, field="conceptId")
    t.concept(sctid)  # 404 for a concept the release does not hold
    age_days = None
    if args["age"] is not None:
        try:
            age_days = parse_age(args["age"])
        except ValueError as exc:
            raise Problem(400, "Invalid request", str(exc), "age", "invalid-request") from None
    patient = Patient(age_days=age_days, sex=args["sex"])
    return maps_body(sctid, args["target"], forward_map(t, sctid, args["target"], patient))


_PAGE_DOC = """{what} of a concept, paginated (ordered by SCTID).
    ---
    get:
      tags: [hierarchy]
      parameters:
        - {{in: path, name: concept_id, required: true, schema: {{type: string}}}}
        - {{in: query, name: limit, schema: {{type: integer, default: 50, minimum: 1, maximum: 1000}}}}
        - {{in: query, name: offset, schema: {{type: integer, default: 0, minimum: 0}}}}
        - {{in: query, name: lang, schema: {{type: string}}}}
      responses:
        200: {{content: {{application/json: {{schema: Page}}}}}}
        400: {{description: Invalid SCTID or paging parameter}}
        404: {{description: Concept not in the release}}
"""


def _make_page_view(which: str) -> Any:
    def view(concept_id: str, args: dict[str, Any]) -> dict[str, Any]:
        t = terminology()
        sctid = parse_sctid(concept_id, field="conceptId")
        ids = {"parents": t.parents, "children": t.children, "ancestors": t.ancestors, "descendants": t.descendants}[
            which
        ](sctid)
        return page_body(t, ids, args["limit"], args["offset"], args["lang"])

    view.__name__ = f"get_{which}"
    view.__doc__ = _PAGE_DOC.format(what=which.capitalize())
    return accepts(PageQuery)(responds(Page)(view))


for _which in ("parents", "children", "ancestors", "descendants"):
    bp.add_url_rule(f"/concepts/<concept_id>/{_which}", view_func=_make_page_view(_which), methods=["GET"])


@bp.get("/subsumes")
@accepts(SubsumesQuery)
@responds(SubsumesOut)
def subsumes(args: dict[str, Any]) -> dict[str, Any]:
    """Does A subsume B? (FHIR $subsumes semantics.)
    ---
    get:
      tags: [hierarchy]
      parameters:
        - {in: query, name: a, required: true, schema: {type: string}}
        - {in: query, name: b, required: true, schema: {type: string}}
      responses:
        200: {content: {application/json: {schema: SubsumesOut}}}
        400: {description: Missing or invalid SCTID (the problem names the field)}
        404: {description: A concept is not in the release}
      description: "`warnings` (only when there is one) says which concept is inactive."
    """
    a = parse_sctid(args["a"], field="a")
    b = parse_sctid(args["b"], field="b")
    t = terminology()
    outcome = t.subsumption(a, b)
    # An inactive concept has no is-a relationships, so it subsumes and is subsumed by nothing
    # but itself: the answer is right but rarely what the caller meant (same rule as FHIR $subsumes).
    warnings = [
        f"concept {field} ({sctid}) is inactive: it has no is-a relationships, so it is related to no other concept"
        for field, sctid in (("a", a), ("b", b))
        if not t.concept(sctid).active
    ]
    return {"outcome": outcome, "warnings": warnings} if warnings else {"outcome": outcome}
