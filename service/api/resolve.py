"""Batch resolution of codes to active concepts, with the count of guidelines that apply."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from terminology.linking import guidelines_for_concept, resolve_code

from ..context import accepts, responds, services
from ..problems import from_exception
from ..representations import concept_refs, resolved_body
from .schemas.resolve import ResolveIn, ResolveOut

bp = Blueprint("resolve", __name__, url_prefix="/api/v1")


@bp.post("/resolve")
@accepts(ResolveIn, "json")
@responds(ResolveOut)
def resolve(args: dict[str, Any]) -> dict[str, Any]:
    """Resolve up to 1,000 codes: SCTIDs, description ids, inactive ids, or {system, code} of ICD-10.
    ---
    post:
      tags: [resolve]
      requestBody:
        required: true
        content: {application/json: {schema: ResolveIn}}
      responses:
        200: {content: {application/json: {schema: ResolveOut}}}
        400: {description: Malformed body (each item's own problem is reported inside its result)}
    """
    t = services().terminology
    repo = services().guidelines
    results: list[dict[str, Any]] = []
    for item in args["codes"]:
        res = resolve_code(t, item["code"], item["system"])
        entry = resolved_body(item, res.how)
        if res.error is not None:
            entry["error"] = from_exception(res.error).body()
        else:
            entry["concepts"] = concept_refs(t, res.concepts, args["lang"])
            entry["moreSpecific"] = concept_refs(t, res.more_specific, args["lang"])
            entry["partial"] = concept_refs(t, res.partial, args["lang"])
            seen: set[str] = set()
            for c in res.concepts:
                seen.update(link.guideline.id for link in guidelines_for_concept(t, repo, c))
            entry["guidelineCount"] = len(seen)
        results.append(entry)
    return {"results": results}
