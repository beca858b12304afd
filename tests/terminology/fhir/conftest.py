"""Shared FHIR fixtures: two real editions side by side (the sample as default, the subset beside it).

Modules that need one edition only define their own ``ctx``.
"""

from __future__ import annotations

from typing import Any

import pytest

from terminology import Terminology
from terminology.fhir import FhirContext, FhirSettings

SAMPLE_URI = "http://snomed.info/xsct/19990001103/version/20250301"


@pytest.fixture(scope="module")
def ctx(sample: Terminology, subset: Terminology) -> FhirContext:
    return FhirContext(sample, FhirSettings(), (subset,))


def value_set(*includes: dict[str, Any]) -> dict[str, Any]:
    """An inline ValueSet with these includes."""
    return {
        "resourceType": "ValueSet",
        "url": "http://example.org/vs",
        "status": "active",
        "compose": {"include": list(includes)},
    }
