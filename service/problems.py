"""Errors as RFC 9457 problem+json: one exception hierarchy, one response shape, never HTML."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, json
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from terminology import ConceptNotFoundError, IndexFormatError, InvalidSctidError, TerminologyError, UnanswerableError

PROBLEM_TYPE = "https://snomap.dev/problems/"


class Problem(Exception):
    """An error the API reports: status, a short title, the detail and the offending field."""

    def __init__(
        self, status: int, title: str, detail: str, field: str | None = None, kind: str | None = None, **extra: Any
    ):
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.field = field
        self.kind = kind or title.lower().replace(" ", "-")
        self.extra = extra

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": PROBLEM_TYPE + self.kind,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.field:
            out["field"] = self.field
        out.update(self.extra)
        return out


def problem_response(p: Problem) -> Response:
    return Response(json.dumps(p.body()), status=p.status, mimetype="application/problem+json")


def from_exception(exc: BaseException) -> Problem:
    """Map the project's exceptions onto problems (the single place that decides status codes)."""
    from terminology.ecl import EclEvaluationError, EclSyntaxError, EclTimeoutError

    if isinstance(exc, Problem):
        return exc
    if isinstance(exc, EclSyntaxError):
        return Problem(
            400, "Invalid ECL", str(exc), "ecl", "ecl-syntax",
            position=exc.position, line=exc.line, column=exc.column, expected=list(exc.expected),
        )
    if isinstance(exc, EclTimeoutError):
        return Problem(422, "ECL too expensive", str(exc), "ecl", "ecl-timeout", budgetSeconds=exc.budget_s)
    if isinstance(exc, EclEvaluationError):
        return Problem(422, "Cannot evaluate ECL", str(exc), getattr(exc, "field", None), "ecl-unanswerable")
    if isinstance(exc, InvalidSctidError):
        return Problem(400, "Invalid SCTID", str(exc), exc.field, "invalid-sctid", value=str(exc.value), reason=exc.reason)
    if isinstance(exc, ConceptNotFoundError):
        return Problem(404, "Not found", str(exc), kind="not-found", conceptId=str(exc.sctid))
    if isinstance(exc, ValidationError):
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        first = next(iter(messages), None)
        detail = "; ".join(f"{k}: {' '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in messages.items())
        return Problem(400, "Invalid request", detail, str(first) if first else None, "invalid-request", errors=messages)
    if isinstance(exc, UnanswerableError):
        return Problem(422, "Cannot answer", str(exc), kind="unanswerable")
    if isinstance(exc, IndexFormatError):
        return Problem(503, "Index unavailable", str(exc), kind="index-unavailable")
    if isinstance(exc, TerminologyError):
        field = getattr(exc, "field", None)
        status = getattr(exc, "status", 400)
        return Problem(status, "Invalid request", str(exc), field, "invalid-request")
    if isinstance(exc, HTTPException):
        return Problem(exc.code or 500, exc.name, exc.description or exc.name, kind=exc.name.lower().replace(" ", "-"))
    return Problem(500, "Internal error", "an unexpected error occurred; it has been logged", kind="internal")


def register_error_handlers(app: Flask) -> None:
    def handle(exc: BaseException) -> Response:
        p = from_exception(exc)
        if p.status >= 500 and not isinstance(exc, HTTPException | IndexFormatError):
            app.logger.exception("unhandled error", exc_info=exc)
        response = problem_response(p)
        if isinstance(exc, HTTPException):
            # Keep headers the status requires (Allow on 405, WWW-Authenticate on 401, ...).
            for name, value in exc.get_headers():
                if name.lower() != "content-type":
                    response.headers[name] = value
        return response

    app.register_error_handler(Exception, handle)
