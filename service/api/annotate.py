"""Concept mentions in free text (``POST /api/v1/annotate``): tag suggestions for guideline authors."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from terminology.ecl import evaluate
from terminology.mapping.annotate import annotate_timed

from ..config import setting
from ..context import accepts, responds, terminology
from ..representations import annotate_body
from .schemas.annotate import AnnotateIn, AnnotateOut

bp = Blueprint("annotate", __name__, url_prefix="/api/v1")


@bp.post("/annotate")
@accepts(AnnotateIn, "json")
@responds(AnnotateOut)
def annotate_text(args: dict[str, Any]) -> dict[str, Any]:
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
    t = terminology()
    within = evaluate(t, args["ecl"], time_budget_s=setting("SNOMAP_ECL_TIME_BUDGET")).ids if args["ecl"] else None
    return annotate_body(*annotate_timed(t, args["text"], args["lang"], within, args["minScore"]))
