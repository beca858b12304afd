"""Finding concepts: term search (autocomplete) and mapping free text onto concepts and ancestors."""

from __future__ import annotations

from typing import Any

import numpy as np
from flask import Blueprint

from terminology.ecl import evaluate
from terminology.mapping import map_phrase
from terminology.text.search import search

from ..config import setting
from ..context import accepts, responds, terminology
from ..representations import map_body, search_body
from .schemas.map import CompositeMapOut, MapIn
from .schemas.search import SearchOut, SearchQuery

bp = Blueprint("search", __name__, url_prefix="/api/v1")


@bp.get("/search")
@accepts(SearchQuery)
@responds(SearchOut)
def search_concepts(args: dict[str, Any]) -> dict[str, Any]:
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
    t = terminology()
    within = evaluate(t, args["ecl"], time_budget_s=setting("SNOMAP_ECL_TIME_BUDGET")).ids if args["ecl"] else None
    return search_body(t, search(t, args["q"], args["limit"], args["lang"], args["activeOnly"], within), args["lang"])


@bp.post("/map")
@accepts(MapIn, "json")
@responds(CompositeMapOut)
def map_condition(args: dict[str, Any]) -> dict[str, Any]:
    """Map clinical text ("metastasis to ilium") onto concepts, best first, each with its ancestors.
    ---
    post:
      tags: [search]
      requestBody:
        required: true
        content: {application/json: {schema: MapIn}}
      responses:
        200: {description: "Candidates ordered by their calibrated score (a disorder before its morphology or site unless the text names a structure; `within` restricts them to an ECL expression); with `composition` when the text names parts (morphology, site, laterality, ...): the exact concept, or a post-coordinated expression checked against the MRCM and its closest precoordinated ancestors", content: {application/json: {schema: CompositeMapOut}}}
        400: {description: "Missing or invalid text or limit (the problem names the field)"}
    """
    t = terminology()
    # The one mapping engine (terminology/mapping/engine.py): lexical candidates of every reading of
    # the text merged with the parts' exact concept or closest ancestors, ordered by calibrated score.
    within = None
    if args.get("within"):
        rows = evaluate(t, args["within"], time_budget_s=setting("SNOMAP_ECL_TIME_BUDGET")).rows
        within = np.zeros(len(t.ids), bool)
        within[np.asarray(rows, np.int64)] = True
    result = map_phrase(t, args["text"], limit=args["limit"], lang=args["lang"], within=within)
    return map_body(t, result, args["lang"])
