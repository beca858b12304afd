"""Errors as RFC 9457 problem+json: the one place that maps an exception class onto an HTTP answer.

`PROBLEMS` is the table class -> (status, title, type); `details` says which of an error's own
attributes go into the body. Under ``/fhir`` the same handler answers with an OperationOutcome,
because FHIR clients only read those. `init_app` installs the handler; nothing else maps errors.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, json, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from loaders.errors import SnomapError
from loaders.guidelines import GuidelineFileError
from terminology import ConceptNotFoundError, IndexFormatError, InvalidSctidError, TerminologyError, UnanswerableError
from terminology.authoring.errors import (
    AuthoringError,
    DuplicateTagError,
    GuidelineExistsError,
    GuidelineNotFoundError,
    InvalidEclError,
    InvalidGuidelineError,
    PreconditionFailedError,
    PreconditionRequiredError,
    RevisionNotFoundError,
    StoreConfigurationError,
    TagNotFoundError,
    TagRejectedError,
    TooManyTagsError,
)
from terminology.ecl import EclEvaluationError, EclSyntaxError, EclTimeoutError
from terminology.ecl.evaluator import EclLimitError
from terminology.expressions import ExpressionSyntaxError
from terminology.fhir import FhirError

PROBLEM_TYPE = "https://snomap.dev/problems/"
PROBLEM_JSON = "application/problem+json"


class Problem(SnomapError):
    """An error the service itself raises: status, a short title, the detail and the offending field."""

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
        self.headers: dict[str, str] = {}  # response headers the status needs (Retry-After on 429)

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


# The most specific class in an error's MRO decides. A status of None means the error carries its own
# (a Problem, a FHIR error, werkzeug's HTTP errors).
PROBLEMS: dict[type[BaseException], tuple[int | None, str, str]] = {
    Problem: (None, "", ""),
    HTTPException: (None, "", ""),
    FhirError: (None, "FHIR error", "fhir"),
    ValidationError: (400, "Invalid request", "invalid-request"),
    # terminology
    InvalidSctidError: (400, "Invalid SCTID", "invalid-sctid"),
    ConceptNotFoundError: (404, "Not found", "not-found"),
    UnanswerableError: (422, "Cannot answer", "unanswerable"),
    IndexFormatError: (503, "Index unavailable", "index-unavailable"),
    EclSyntaxError: (400, "Invalid ECL", "ecl-syntax"),
    EclTimeoutError: (422, "ECL too expensive", "ecl-timeout"),
    EclEvaluationError: (422, "Cannot evaluate ECL", "ecl-unanswerable"),
    EclLimitError: (400, "Invalid request", "invalid-request"),
    ExpressionSyntaxError: (400, "Invalid expression", "expression-syntax"),
    TerminologyError: (400, "Invalid request", "invalid-request"),
    # the guideline store
    GuidelineFileError: (400, "Invalid request", "invalid-request"),
    GuidelineNotFoundError: (404, "Not found", "not-found"),
    RevisionNotFoundError: (404, "Not found", "not-found"),
    TagNotFoundError: (404, "Not found", "not-found"),
    GuidelineExistsError: (409, "Conflict", "conflict"),
    DuplicateTagError: (409, "Conflict", "conflict"),
    PreconditionFailedError: (412, "Precondition failed", "precondition-failed"),
    PreconditionRequiredError: (428, "Precondition required", "precondition-required"),
    InvalidEclError: (400, "Invalid ECL", "invalid-ecl"),
    InvalidGuidelineError: (400, "Invalid request", "invalid-request"),
    TagRejectedError: (422, "Tag refused", "tag-refused"),
    TooManyTagsError: (413, "Too many tags", "too-many-tags"),
    StoreConfigurationError: (500, "Store error", "store-error"),
    AuthoringError: (400, "Invalid request", "invalid-request"),
}
INTERNAL = (500, "Internal error", "internal")


def _entry(exc: BaseException) -> tuple[int | None, str, str]:
    for cls in type(exc).__mro__:
        if cls in PROBLEMS:
            return PROBLEMS[cls]
    return INTERNAL


def details(exc: BaseException) -> tuple[str, str | None, dict[str, Any]]:
    """(detail, field, extra members) of an error's problem body: what the error knows beyond its class."""
    if isinstance(exc, EclSyntaxError):
        return (
            str(exc),
            "ecl",
            {"position": exc.position, "line": exc.line, "column": exc.column, "expected": list(exc.expected)},
        )
    if isinstance(exc, EclTimeoutError):
        return str(exc), "ecl", {"budgetSeconds": exc.budget_s}
    if isinstance(exc, InvalidSctidError):
        return str(exc), exc.field, {"value": str(exc.value), "reason": exc.reason}
    if isinstance(exc, ConceptNotFoundError):
        return str(exc), None, {"conceptId": str(exc.sctid)}
    if isinstance(exc, ExpressionSyntaxError):
        return str(exc), "expression", {"position": exc.position}
    if isinstance(exc, ValidationError):
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        first = next(iter(messages), None)
        detail = "; ".join(f"{k}: {' '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in messages.items())
        return detail, str(first) if first else None, {"errors": messages}
    if isinstance(exc, AuthoringError):
        extra = dict(exc.extra)
        if exc.field:
            extra["errors"] = {exc.field: [exc.detail]}
        return exc.detail, exc.field, extra
    if isinstance(exc, TerminologyError | GuidelineFileError):
        return str(exc), getattr(exc, "field", None), {}
    return "an unexpected error occurred; it has been logged", None, {}


def from_exception(exc: BaseException) -> Problem:
    """The problem an exception stands for, from the table."""
    if isinstance(exc, Problem):
        return exc
    if isinstance(exc, HTTPException):
        return Problem(exc.code or 500, exc.name, exc.description or exc.name, kind=exc.name.lower().replace(" ", "-"))
    if isinstance(exc, FhirError):
        return Problem(exc.status, PROBLEMS[FhirError][1], str(exc), kind=PROBLEMS[FhirError][2])
    status, title, kind = _entry(exc)
    detail, field, extra = details(exc)
    return Problem(status or 500, title, detail, field, kind, **extra)


def problem_response(p: Problem) -> Response:
    response = Response(json.dumps(p.body()), status=p.status, mimetype=PROBLEM_JSON)
    for name, value in p.headers.items():
        response.headers[name] = value
    return response


# The OperationOutcome issue code of a service Problem's status under /fhir (FHIR R4 IssueType).
_FHIR_ISSUE = {401: "login", 403: "forbidden", 404: "not-found", 413: "too-long", 429: "throttled"}


def _fhir_response(app: Flask, exc: BaseException) -> Response:
    """Under /fhir: the error's OperationOutcome; anything not a FHIR error is a logged 500 outcome."""
    from terminology.fhir import Issue, operation_outcome

    from .fhir.blueprint import outcome_response

    if isinstance(exc, FhirError):
        return outcome_response(exc.outcome(), exc.status)
    if isinstance(exc, Problem) and exc.status < 500:
        response = outcome_response(
            operation_outcome([Issue("error", _FHIR_ISSUE.get(exc.status, "invalid"), exc.detail, None)]), exc.status
        )
        for name, value in exc.headers.items():
            response.headers[name] = value
        return response
    if isinstance(exc, HTTPException) and (exc.code or 500) < 500:
        code = {405: "not-supported", 415: "not-supported", 413: "too-costly"}.get(exc.code or 400, "invalid")
        issue = Issue("error", code, exc.description or exc.name, None)
        return _with_headers(outcome_response(operation_outcome([issue]), exc.code or 400), exc)
    app.logger.exception("FHIR operation failed", exc_info=exc)
    issue = Issue("error", "exception", "An unexpected error occurred; it has been logged", None)
    return outcome_response(operation_outcome([issue]), 500)


def _with_headers(response: Response, exc: BaseException) -> Response:
    """Keep the headers an HTTP error's status requires (Allow on 405, WWW-Authenticate on 401, Connection on 413)."""
    if isinstance(exc, HTTPException):
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
    return response


def init_app(app: Flask) -> None:
    """Answer every error of the app from the table: problem+json, or an OperationOutcome under /fhir."""

    def handle(exc: BaseException) -> Response:
        if request.blueprint == "fhir":
            return _fhir_response(app, exc)
        p = from_exception(exc)
        if p.status >= 500 and not isinstance(exc, HTTPException | IndexFormatError):
            app.logger.exception("unhandled error", exc_info=exc)
        return _with_headers(problem_response(p), exc)

    app.register_error_handler(Exception, handle)
