"""Batch resolution of codes to active concepts, with the count of guidelines that apply."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from marshmallow import ValidationError

from terminology.linking import guidelines_for_concept, resolve_code

from ..context import responds, services
from ..problems import from_exception
from ..representations import concept_refs, resolved_body
from .batch import batch_body, item_problem
from .schemas.resolve import CodingIn, ResolveIn, ResolveOut

bp = Blueprint("resolve", __name__, url_prefix="/api/v1")


@bp.post("/resolve")
@responds(ResolveOut)
def resolve() -> dict[str, Any]:
    """Resolve up to 1,000 codes: SCTIDs, description ids, inactive ids, or {system, code} of ICD-10.
    ---
    post:
      tags: [resolve]
      requestBody:
        required: true
        content: {application/json: {schema: ResolveIn}}
      responses:
        200: {content: {application/json: {schema: ResolveOut}}}
        400: {description: "Malformed body (each item's own problem, null included, is reported inside its result)"}
        413: {description: "More than 1,000 codes"}
    """
    args = batch_body(ResolveIn, "codes")
    t = services().terminology
    repo = services().guidelines
    results: list[dict[str, Any]] = []
    reader = CodingIn()
    for i, raw in enumerate(args["codes"]):
        try:
            item = reader.deserialize(raw)
        except ValidationError as exc:
            problem = item_problem(exc, i, "codes")
            results.append({**resolved_body({"code": raw, "system": None}, None), "input": raw, "error": problem})
            continue
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
