"""Finding concepts: term search (autocomplete) and mapping free text onto concepts and ancestors."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify

from terminology import Terminology
from terminology.ecl import evaluate
from terminology.ecl.evaluator import DEFAULT_TIME_BUDGET_S
from terminology.mapping.composition import map_with_composition  # compositional mapping
from terminology.text.search import search

from ..composition_schemas import CompositeMapOut, composition_body  # compositional mapping
from ..context import body, built, query, terminology
from ..schemas import MapIn, SearchOut, SearchQuery

bp = Blueprint("search", __name__, url_prefix="/api/v1")


@bp.get("/search")
def search_concepts():  # type: ignore[no-untyped-def]
    """Find concepts by their descriptions: prefix-friendly, exact and preferred terms first.
    ---
    get:
      tags: [search]
      parameters:
        - {in: query, name: q, required: true, schema: {type: string}, description: "Words or word prefixes, e.g. 'metast ili'; an SCTID finds its concept"}
        - {in: query, name: limit, schema: {type: integer, default: 20, minimum: 1, maximum: 200}}
        - {in: query, name: lang, schema: {type: string}}
        - {in: query, name: ecl, schema: {type: string}, description: Restrict results to the members of this ECL expression}
        - {in: query, name: activeOnly, schema: {type: boolean, default: true}}
      responses:
        200: {content: {application/json: {schema: SearchOut}}}
        400: {description: "Missing q, bad limit, or invalid ECL (with its position)"}
    """
    args = query(SearchQuery)
    t = terminology()
    within = None
    if args["ecl"]:
        budget = current_app.config.get("SNOMAP_ECL_TIME_BUDGET", DEFAULT_TIME_BUDGET_S)
        within = evaluate(t, args["ecl"], time_budget_s=budget).ids
    hits = search(t, args["q"], args["limit"], args["lang"], args["activeOnly"], within)
    items = [
        {"conceptId": str(h.concept_id), "pt": h.pt, "term": h.term, "descriptionId": str(h.description_id), "score": round(h.score, 4)}
        for h in hits
    ]
    return jsonify(built(SearchOut, {"items": items}))


MAX_ANCESTORS = 25


def nearest_ancestors(t: Terminology, sctid: int, lang: str | None, limit: int = MAX_ANCESTORS) -> list[dict[str, Any]]:
    """The nearest ancestors first (fewest is-a steps), at most `limit`: the closest groupings are
    what a reader needs, and listing every ancestor of every candidate dominated the map response
    time at full size (measured: 53% of its CPU). `/concepts/{id}/ancestors` pages through all."""
    dist = t.ancestor_distances(sctid)
    ordered = sorted((d, c) for c, d in dist.items() if c != sctid)[:limit]
    terms = t.preferred_terms([c for _, c in ordered], lang)
    return [{"conceptId": str(c), "pt": terms[c]} for _, c in ordered]


@bp.post("/map")
def map_condition():  # type: ignore[no-untyped-def]
    """Map clinical text ("metastasis to ilium") onto concepts, best first, each with its ancestors.
    ---
    post:
      tags: [search]
      requestBody:
        required: true
        content: {application/json: {schema: MapIn}}
      responses:
        200: {description: "Candidates (an exact precoordinated concept first); with `composition` when the text names parts (morphology, site, laterality, ...): the exact concept, or a post-coordinated expression checked against the MRCM and its closest precoordinated ancestors", content: {application/json: {schema: CompositeMapOut}}}
        400: {description: "Missing or invalid text or limit (the problem names the field)"}
    """
    args = body(MapIn)
    t = terminology()
    # --- compositional mapping (terminology/composition.py): lexical candidates merged with the parts'
    # exact concept or closest ancestors, and a post-coordinated expression when no exact concept exists.
    result = map_with_composition(t, args["text"], args["limit"], args["lang"])
    candidates = [
        {
            "conceptId": str(c.concept_id),
            "term": c.term,
            "pt": c.term,
            "score": round(c.score, 4),
            "matchedTerm": c.matched_term,
            "explanation": c.explanation,
            "ancestors": nearest_ancestors(t, c.concept_id, args["lang"]),
            "ancestorCount": t.ancestors(c.concept_id).size,
            "sources": list(c.sources),
        }
        for c in result.candidates
    ]
    out = {"candidates": candidates, "matched": result.matched, "threshold": result.threshold}
    out["composition"] = composition_body(t, result.composition, args["lang"]) if result.composition else None
    return jsonify(built(CompositeMapOut, out))
    # --- end of compositional mapping

