"""A value set whose compose is not the shape FHIR R4 defines is a 400 ``invalid``, not a server error."""

from __future__ import annotations

from typing import Any

import pytest

from terminology import Terminology
from terminology.fhir import FhirContext, FhirError, FhirSettings, Params, expand, vs_validate_code

SCT = "http://snomed.info/sct"


def params(**kwargs: Any) -> Params:
    items = [
        {"name": k, "resource": v} if isinstance(v, dict) else {"name": k, "valueString": v} for k, v in kwargs.items()
    ]
    return Params.from_resource({"resourceType": "Parameters", "parameter": items})


@pytest.fixture(scope="module")
def ctx(sample: Terminology) -> FhirContext:
    return FhirContext(sample, FhirSettings())


def with_compose(compose: Any) -> dict[str, Any]:
    return {"resourceType": "ValueSet", "status": "active", "compose": compose}


MALFORMED = [
    ("ValueSet.compose", "an include"),
    ("ValueSet.compose.include", {"include": "http://snomed.info/sct"}),
    ("ValueSet.compose.include", {"include": ["http://snomed.info/sct"]}),
    ("ValueSet.compose.exclude", {"include": [{"system": SCT}], "exclude": {"system": SCT}}),
    ("ValueSet.compose.include.filter", {"include": [{"system": SCT, "filter": "is-a 404684003"}]}),
    ("ValueSet.compose.include.filter", {"include": [{"system": SCT, "filter": ["is-a"]}]}),
    ("ValueSet.compose.include.concept", {"include": [{"system": SCT, "concept": "404684003"}]}),
    ("ValueSet.compose.include.valueSet", {"include": [{"valueSet": "http://example.org/vs"}]}),
]


@pytest.mark.parametrize(("where", "compose"), MALFORMED)
def test_malformed_compose_is_invalid(ctx: FhirContext, where: str, compose: Any) -> None:
    for operation, extra in ((expand, {}), (vs_validate_code, {"system": SCT, "code": "404684003"})):
        with pytest.raises(FhirError) as err:
            operation(ctx, params(valueSet=with_compose(compose), **extra))
        assert err.value.status == 400
        issue = err.value.issues[0]
        assert issue.severity == "error" and issue.code == "invalid"
        assert issue.expression == [where]
