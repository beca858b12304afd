"""Batches for integrators: up to 1,000 texts, codes or FHIR Conditions per call, each with its own result.

The batch is refused only as a whole when it cannot be read as one (not a JSON object, `items` not a
list: 400) or is too large (413, checked before any item is looked at). Anything wrong with one item
(null, a boolean, an invalid id, an unknown system) is that item's `error`, a problem object whose
`field` names the item, and every other item is answered.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, request
from marshmallow import Schema

from terminology.batch import ItemMapping, guideline_links, map_json_item

from ..context import checked_lang, json_object, responds, schema_of, services
from ..problems import Problem, from_exception
from ..representations import concept_ref, concept_refs
from .schemas.batch import MAX_ITEMS, GuidelinesBatchIn, GuidelinesBatchOut, MapBatchIn, MapBatchOut

bp = Blueprint("batch", __name__, url_prefix="/api/v1")

MAX_BODY_BYTES = MAX_ITEMS * 16 * 1024  # 16 KiB per item: room for a FHIR Condition, no room for abuse


def batch_body(schema: type[Schema], key: str = "items") -> dict[str, Any]:
    """The validated body of a batch request; its size and item count are checked before any item is read."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise Problem(413, "Batch too large", f"the body is over {MAX_BODY_BYTES:,} bytes", key, "batch-too-large")
    data = json_object()  # the one JSON reader: depth, NUL and lone-surrogate checks
    items = data.get(key)
    if isinstance(items, list) and len(items) > MAX_ITEMS:
        raise Problem(
            413, "Batch too large", f"{len(items):,} {key}; at most {MAX_ITEMS:,} per request", key, "batch-too-large"
        )
    return checked_lang(schema_of(schema).load(data, unknown="raise"))


def item_problem(exc: BaseException, index: int, key: str = "items") -> dict[str, Any]:
    """An item's error as a problem object naming the item (e.g. ``items[3]``)."""
    body = from_exception(exc).body()
    body["field"] = f"{key}[{index}]"
    return body


def _mapped(items: list[Any], lang: str | None) -> list[ItemMapping]:
    """Each item mapped once however often it repeats in the batch."""
    seen: dict[str, ItemMapping] = {}
    t = services().terminology
    out = []
    for item in items:
        key = json.dumps(item, sort_keys=True)
        if key not in seen:
            seen[key] = map_json_item(t, item, lang)
        out.append(seen[key])
    return out


@bp.post("/map:batch")
@responds(MapBatchOut)
def map_batch() -> dict[str, Any]:
    """Map up to 1,000 texts, codes, {system, code} pairs or FHIR Conditions; each result carries its own error.
    ---
    post:
      tags: [search]
      requestBody:
        required: true
        content: {application/json: {schema: MapBatchIn}}
      responses:
        200: {description: "One result per item, in order (a text that matches nothing has matched false and no conceptId)", content: {application/json: {schema: MapBatchOut}}}
        400: {description: "The body is not a JSON object, or items is not a list (an item's own problem is reported in its result)"}
        413: {description: "More than 1,000 items"}
    """
    args = batch_body(MapBatchIn)
    t, lang = services().terminology, args["lang"]
    results = []
    for i, (item, m) in enumerate(zip(args["items"], _mapped(args["items"], lang), strict=True)):
        cid = m.concept_id
        results.append(
            {
                "index": i,
                "input": item,
                "conceptId": None if cid is None else str(cid),
                "pt": None if cid is None else t.preferred_term(cid, lang),
                "score": None if m.score is None else round(float(m.score), 4),
                "matched": m.matched,
                "how": m.how,
                "matchedTerm": m.matched_term,
                "concepts": concept_refs(t, m.concepts, lang),
                "flags": m.flags,
                "error": None if m.error is None else item_problem(m.error, i),
            }
        )
    return {"results": results}


@bp.post("/guidelines:batch")
@responds(GuidelinesBatchOut)
def guidelines_batch() -> dict[str, Any]:
    """The guidelines for up to 1,000 texts, codes, {system, code} pairs or FHIR Conditions (published only by default).
    ---
    post:
      tags: [guidelines]
      requestBody:
        required: true
        content: {application/json: {schema: GuidelinesBatchIn}}
      responses:
        200: {description: "One result per item, in order; a text that matches no concept is the item's 422", content: {application/json: {schema: GuidelinesBatchOut}}}
        400: {description: "The body is not a JSON object, or items is not a list (an item's own problem is reported in its result)"}
        413: {description: "More than 1,000 items"}
    """
    args = batch_body(GuidelinesBatchIn)
    t, lang, repo = services().terminology, args["lang"], services().guidelines
    statuses = frozenset(args["status"])
    results = []
    for i, (item, m) in enumerate(zip(args["items"], _mapped(args["items"], lang), strict=True)):
        entry: dict[str, Any] = {
            "index": i,
            "input": item,
            "concepts": [],
            "how": m.how,
            "guidelines": [],
            "error": None,
        }
        if m.error is not None:
            entry["error"] = item_problem(m.error, i)
        elif not m.concepts:
            detail = f"the text matches no concept (best score {m.score or 0:.3f} is below the threshold)"
            entry["error"] = {
                **Problem(422, "Cannot answer", detail, kind="unanswerable").body(),
                "field": f"items[{i}]",
            }
        else:
            entry["concepts"] = concept_refs(t, m.concepts, lang)
            entry["guidelines"] = [
                {
                    "id": link.guideline.id,
                    "title": link.guideline.title,
                    "status": link.guideline.status,
                    "via": concept_ref(t, link.via, lang),
                    "distance": link.distance,
                }
                for link in guideline_links(t, repo, m.concepts, statuses, lang)
            ]
        results.append(entry)
    return {"results": results}
