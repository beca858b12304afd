"""Concepts for coding systems: lookup, hierarchy pages and subsumption."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from terminology import ConcreteValue, Terminology, parse_sctid

from ..context import built, query, terminology
from ..schemas import ConceptOut, PageQuery, SubsumesOut, SubsumesQuery

bp = Blueprint("concepts", __name__, url_prefix="/api/v1")


def ref(t: Terminology, sctid: int, lang: str | None) -> dict[str, Any]:
    return {"conceptId": str(sctid), "pt": t.preferred_term(sctid, lang) if t.has_concept(sctid) else None}


def concept_body(t: Terminology, sctid: int, lang: str | None) -> dict[str, Any]:
    """The full concept view used by the API and the pages."""
    c = t.concept(sctid)
    dialect = t.dialect_refset(lang)
    attrs = []
    for group, items in t.role_groups(sctid).items():
        for a in items:
            if isinstance(a, ConcreteValue):
                attrs.append({"group": group, "type": ref(t, a.type_id, lang), "value": None, "concreteValue": a.value})
            else:
                attrs.append({"group": group, "type": ref(t, a.type_id, lang), "value": ref(t, a.destination_id, lang), "concreteValue": None})
    body: dict[str, Any] = {
        "conceptId": str(sctid),
        "active": c.active,
        "moduleId": str(c.module_id),
        "definitionStatus": c.definition_status,
        "effectiveTime": c.effective_time,
        "fsn": t.fsn(sctid, lang),
        "pt": t.preferred_term(sctid, lang),
        "synonyms": [
            {
                "descriptionId": str(d.id),
                "term": d.term,
                "type": d.type,
                "languageCode": d.language_code,
                "acceptability": d.acceptability.get(dialect) if dialect else None,
            }
            for d in t.synonyms(sctid, lang)
        ],
        "parents": [ref(t, p, lang) for p in t.parents(sctid)],
        "childCount": t.child_count(sctid),
        "attributes": attrs,
        "refsets": [ref(t, r, lang) for r in t.refset_memberships(sctid)],
        "maps": [
            {
                "refsetId": str(m.refset_id),
                "mapTarget": m.map_target,
                "mapGroup": m.map_group,
                "mapPriority": m.map_priority,
                "mapRule": m.map_rule,
                "mapAdvice": m.map_advice,
            }
            for m in t.map_targets(sctid)
        ],
    }
    if not c.active:
        reason = t.inactivation_reason(sctid)
        body["inactivationReason"] = reason[1] if reason else None
        body["associations"] = [
            {"type": a.name, "refsetId": str(a.refset_id), "target": ref(t, a.target_id, lang)} for a in t.associations(sctid)
        ]
    return built(ConceptOut, body)


@bp.get("/concepts/<concept_id>")
def get_concept(concept_id: str):  # type: ignore[no-untyped-def]
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
    args = query(PageQuery)
    t = terminology()
    return jsonify(concept_body(t, parse_sctid(concept_id, field="conceptId"), args["lang"]))


def _page(concept_id: str, which: str):  # type: ignore[no-untyped-def]
    args = query(PageQuery)
    t = terminology()
    sctid = parse_sctid(concept_id, field="conceptId")
    ids = {
        "parents": t.parents,
        "children": t.children,
        "ancestors": t.ancestors,
        "descendants": t.descendants,
    }[which](sctid)
    total = len(ids)
    lo, hi = args["offset"], args["offset"] + args["limit"]
    window = [int(i) for i in ids[lo:hi]]
    terms = t.preferred_terms(window, args["lang"])
    items = [{"conceptId": str(i), "pt": terms[i]} for i in window]
    return jsonify(total=total, limit=args["limit"], offset=args["offset"], items=items)


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


def _make_page_view(which: str):  # type: ignore[no-untyped-def]
    def view(concept_id: str):  # type: ignore[no-untyped-def]
        return _page(concept_id, which)

    view.__name__ = f"get_{which}"
    view.__doc__ = _PAGE_DOC.format(what=which.capitalize())
    return view


for _which in ("parents", "children", "ancestors", "descendants"):
    bp.add_url_rule(f"/concepts/<concept_id>/{_which}", view_func=_make_page_view(_which), methods=["GET"])


@bp.get("/subsumes")
def subsumes():  # type: ignore[no-untyped-def]
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
    """
    args = query(SubsumesQuery)
    t = terminology()
    a = parse_sctid(args["a"], field="a")
    b = parse_sctid(args["b"], field="b")
    return jsonify(built(SubsumesOut, {"outcome": t.subsumption(a, b)}))
