"""Batch resolution of codes to active concepts, with the count of guidelines that apply."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from terminology.linking.guidelines import guidelines_for_concept
from terminology.linking.resolution import resolve_code

from ..context import body, built, services
from ..problems import from_exception
from ..schemas import ResolveIn, ResolveOut
from .concepts import ref

bp = Blueprint("resolve", __name__, url_prefix="/api/v1")


@bp.post("/resolve")
def resolve():  # type: ignore[no-untyped-def]
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
    args = body(ResolveIn)
    t = services().terminology
    repo = services().guidelines
    results: list[dict[str, Any]] = []
    for item in args["codes"]:
        res = resolve_code(t, item["code"], item["system"])
        entry: dict[str, Any] = {
            "input": item if item["system"] else item["code"],
            "concepts": [],
            "how": res.how,
            "moreSpecific": [],
            "partial": [],
            "guidelineCount": 0,
            "error": None,
        }
        if res.error is not None:
            entry["error"] = from_exception(res.error).body()
        else:
            entry["concepts"] = [ref(t, c, args["lang"]) for c in res.concepts]
            entry["moreSpecific"] = [ref(t, c, args["lang"]) for c in res.more_specific]
            entry["partial"] = [ref(t, c, args["lang"]) for c in res.partial]
            seen: set[str] = set()
            for c in res.concepts:
                seen.update(link.guideline.id for link in guidelines_for_concept(t, repo, c))
            entry["guidelineCount"] = len(seen)
        results.append(entry)
    return jsonify(built(ResolveOut, {"results": results}))
