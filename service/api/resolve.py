"""Batch resolution of codes to active concepts, with the count of guidelines that apply."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from marshmallow import ValidationError

from terminology.guidelines import guidelines_for_concept
from terminology.resolution import resolve_code

from ..context import built, services
from ..problems import from_exception
from ..schemas import CodingIn, ResolveIn, ResolveOut
from .batch import batch_body, item_problem
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
            results.append({"input": raw, "concepts": [], "how": None, "guidelineCount": 0, "error": problem})
            continue
        res = resolve_code(t, item["code"], item["system"])
        entry: dict[str, Any] = {"input": item if item["system"] else item["code"], "concepts": [], "how": res.how, "guidelineCount": 0, "error": None}
        if res.error is not None:
            entry["error"] = from_exception(res.error).body()
        else:
            entry["concepts"] = [ref(t, c, args["lang"]) for c in res.concepts]
            seen: set[str] = set()
            for c in res.concepts:
                seen.update(link.guideline.id for link in guidelines_for_concept(t, repo, c))
            entry["guidelineCount"] = len(seen)
        results.append(entry)
    return jsonify(built(ResolveOut, {"results": results}))
