"""One error root and one table: every project error maps onto one problem, and only service/problems.py maps."""

from __future__ import annotations

from pathlib import Path

import pytest

from loaders import ReleaseError, SnomapError
from loaders.guidelines import GuidelineFileError
from service import create_app
from service.problems import PROBLEMS, from_exception
from terminology import ConceptNotFoundError, IndexFormatError, Terminology, TerminologyError
from terminology.authoring import AuthoringError, GuidelineNotFoundError, PreconditionFailedError, TagRejectedError
from terminology.ecl import EclSyntaxError, EclTimeoutError
from terminology.fhir import FhirError, Issue


@pytest.mark.parametrize(
    "cls", [ReleaseError, GuidelineFileError, TerminologyError, EclSyntaxError, AuthoringError, FhirError]
)
def test_every_family_derives_from_the_root(cls: type) -> None:
    assert issubclass(cls, SnomapError)


@pytest.mark.parametrize(
    ("exc", "status", "kind"),
    [
        # RFC 9110: 404 for a resource that is not there, 412 for a failed If-Match, 422 for content refused.
        (ConceptNotFoundError(1059990001105), 404, "not-found"),
        (GuidelineNotFoundError("guideline 'x' does not exist", "gid"), 404, "not-found"),
        (PreconditionFailedError("stale"), 412, "precondition-failed"),
        (TagRejectedError("inactive", "concept"), 422, "tag-refused"),
        (EclSyntaxError("unexpected ')'", 3, text="<< )"), 400, "ecl-syntax"),
        (EclTimeoutError(1.0, 1.5), 422, "ecl-timeout"),
        (IndexFormatError("no manifest"), 503, "index-unavailable"),
        (FhirError(404, Issue("error", "not-found", "no such code system")), 404, "fhir"),
    ],
)
def test_the_table_decides_status_and_type(exc: Exception, status: int, kind: str) -> None:
    p = from_exception(exc)
    assert (p.status, p.body()["type"].rsplit("/", 1)[-1]) == (status, kind)


def test_a_subclass_not_in_the_table_takes_its_nearest_ancestor() -> None:
    class NewTagError(TagRejectedError):
        pass

    assert from_exception(NewTagError("x")).status == 422
    assert from_exception(RuntimeError("boom")).status == 500
    assert "boom" not in from_exception(RuntimeError("boom")).detail  # internals are not shown


def test_every_table_key_is_an_exception() -> None:
    assert all(issubclass(cls, BaseException) for cls in PROBLEMS)


def test_an_authoring_error_outside_the_authoring_api_is_a_problem_too(sample_index: Path, sample: Terminology) -> None:
    """It was mapped by the authoring blueprint only; the app-wide handler now maps it wherever it is raised."""
    app = create_app({"SNOMAP_INDEX": str(sample_index), "SNOMAP_TERMINOLOGY": sample, "TESTING": True})

    @app.get("/api/v1/_test_authoring_error")
    def boom():  # type: ignore[no-untyped-def]
        raise GuidelineNotFoundError("guideline 'nope' does not exist", "gid")

    r = app.test_client().get("/api/v1/_test_authoring_error")
    assert r.status_code == 404 and r.mimetype == "application/problem+json"
    assert r.get_json()["errors"] == {"gid": ["guideline 'nope' does not exist"]}


def test_only_problems_maps_errors_to_http() -> None:
    service = Path(__file__).resolve().parents[2] / "service"
    handlers = sorted(
        str(p.relative_to(service))
        for p in service.rglob("*.py")
        if "register_error_handler" in p.read_text() or ".errorhandler(" in p.read_text()
    )
    # The pages render the same problems as HTML pages (web/security.py calls from_exception).
    assert handlers == ["problems.py", "web/security.py"]
