"""Expression Constraint Language queries: ``GET``/``POST /api/v1/ecl``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from terminology.ecl import evaluate

from ..config import setting
from ..context import accepts, responds, terminology
from ..representations import ecl_body
from .schemas.ecl import EclBody, EclOut, EclQuery

bp = Blueprint("ecl", __name__, url_prefix="/api/v1")


def _answer(args: dict[str, Any]) -> dict[str, Any]:
    """Evaluate and page; syntax errors, timeouts and unanswerable constraints become problems (service.problems)."""
    t = terminology()
    result = evaluate(t, args["ecl"], time_budget_s=setting("SNOMAP_ECL_TIME_BUDGET"))
    return ecl_body(t, result, args["limit"], args["offset"], args["countOnly"], args["lang"])


@bp.get("/ecl")
@accepts(EclQuery)
@responds(EclOut)
def ecl_get(args: dict[str, Any]) -> dict[str, Any]:
    """Concepts matching an ECL 2.2 expression constraint, paginated (SCTID order).
    ---
    get:
      tags: [ecl]
      parameters:
        - {in: query, name: ecl, required: true, schema: {type: string}, description: "ECL 2.2, e.g. << 404684003 : 363698007 = << 39057004"}
        - {in: query, name: limit, schema: {type: integer, default: 50, minimum: 1, maximum: 1000}}
        - {in: query, name: offset, schema: {type: integer, default: 0, minimum: 0}}
        - {in: query, name: countOnly, schema: {type: boolean, default: false}, description: Return the total only}
        - {in: query, name: lang, schema: {type: string}, description: "Dialect for terms: en-US (default), en-GB, or a language refset id"}
      responses:
        200: {content: {application/json: {schema: EclOut}}}
        400: {description: "ECL syntax error (position, line, column, expected; field ecl) or invalid paging (field limit/offset)", content: {application/problem+json: {schema: EclProblemOut}}}
        422: {description: "The expression ran past the time budget, or cannot be answered (e.g. an unknown refset field)"}
    """
    return _answer(args)


@bp.post("/ecl")
@accepts(EclBody, "json")
@responds(EclOut)
def ecl_post(args: dict[str, Any]) -> dict[str, Any]:
    """Concepts matching an ECL 2.2 expression constraint given in a JSON body (for long expressions).
    ---
    post:
      tags: [ecl]
      requestBody: {required: true, content: {application/json: {schema: EclBody}}}
      responses:
        200: {content: {application/json: {schema: EclOut}}}
        400: {description: "ECL syntax error (position, line, column, expected; field ecl), invalid paging or a malformed body", content: {application/problem+json: {schema: EclProblemOut}}}
        422: {description: "The expression ran past the time budget, or cannot be answered"}
    """
    return _answer(args)
