"""Concepts for coding systems: lookup, hierarchy pages and subsumption."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from terminology import parse_sctid

from ..context import accepts, responds, terminology
from ..representations import concept_body, page_body
from .schemas.common import Page, PageQuery
from .schemas.concepts import ConceptOut, SubsumesOut, SubsumesQuery

bp = Blueprint("concepts", __name__, url_prefix="/api/v1")


@bp.get("/concepts/<concept_id>")
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
        ids = {"parents": t.parents, "children": t.children, "ancestors": t.ancestors, "descendants": t.descendants}[which](sctid)
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
