"""Expression Constraint Language queries: ``GET``/``POST /api/v1/ecl``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify

from terminology.ecl import EclEvaluationError, EclSyntaxError, EclTimeoutError, evaluate
from terminology.ecl.evaluator import DEFAULT_TIME_BUDGET_S

from ..context import body, built, query, terminology
from ..ecl_schemas import EclBody, EclOut, EclQuery
from ..problems import Problem
from .concepts import ref

bp = Blueprint("ecl", __name__, url_prefix="/api/v1")


def _answer(args: dict[str, Any]) -> Any:
    """Evaluate, page and describe; errors become problems that point into the expression."""
    t = terminology()
    text = args["ecl"]
    budget = current_app.config.get("SNOMAP_ECL_TIME_BUDGET", DEFAULT_TIME_BUDGET_S)
    try:
        result = evaluate(t, text, time_budget_s=budget)
    except EclSyntaxError as exc:
        raise Problem(
            400, "Invalid ECL", str(exc), "ecl", "ecl-syntax",
            position=exc.position, line=exc.line, column=exc.column, expected=list(exc.expected),
        ) from None
    except EclTimeoutError as exc:
        raise Problem(422, "ECL too expensive", str(exc), "ecl", "ecl-timeout", budgetSeconds=exc.budget_s) from None
    except EclEvaluationError as exc:
        raise Problem(422, "Cannot evaluate ECL", str(exc), exc.field, "ecl-unanswerable") from None
    lo, hi = args["offset"], args["offset"] + args["limit"]
    out: dict[str, Any] = {"total": result.total, "limit": args["limit"], "offset": args["offset"], "items": [], "warnings": list(result.warnings)}
    if result.records is not None:
        out["fields"] = list(result.fields or ())
        out["records"] = [] if args["countOnly"] else [{k: None if v is None else str(v) for k, v in r.items()} for r in result.records[lo:hi]]
    elif not args["countOnly"]:
        out["items"] = [ref(t, int(i), args["lang"]) for i in result.ids[lo:hi].tolist()]
    return jsonify(built(EclOut, out))


@bp.get("/ecl")
def ecl_get():  # type: ignore[no-untyped-def]
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
    return _answer(query(EclQuery))


@bp.post("/ecl")
def ecl_post():  # type: ignore[no-untyped-def]
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
    return _answer(body(EclBody))
