"""Concept mentions in free text (``POST /api/v1/annotate``): tag suggestions for guideline authors."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from terminology.ecl import evaluate
from terminology.ecl.evaluator import DEFAULT_TIME_BUDGET_S
from terminology.mapping.annotate import annotate_timed

from ..composition_schemas import AnnotateIn, AnnotateOut
from ..context import body, built, terminology

bp = Blueprint("annotate", __name__, url_prefix="/api/v1")


@bp.post("/annotate")
def annotate_text():  # type: ignore[no-untyped-def]
    """Concept mentions in a text: offsets, concept, score, and whether each is negated or hypothetical.
    ---
    post:
      tags: [search]
      requestBody:
        required: true
        content: {application/json: {schema: AnnotateIn}}
      responses:
        200: {content: {application/json: {schema: AnnotateOut}}}
        400: {description: "Missing or too long text (at most 100,000 characters), bad minScore, or invalid ECL"}
    """
    args = body(AnnotateIn)
    t = terminology()
    within = None
    if args["ecl"]:
        budget = current_app.config.get("SNOMAP_ECL_TIME_BUDGET", DEFAULT_TIME_BUDGET_S)
        within = evaluate(t, args["ecl"], time_budget_s=budget).ids
    mentions, elapsed = annotate_timed(t, args["text"], args["lang"], within, args["minScore"])
    out = {"mentions": [m.as_dict() for m in mentions], "total": len(mentions), "elapsedMs": elapsed}
    return jsonify(built(AnnotateOut, out))
