"""Reading FHIR Conditions: the statuses that skip a Condition follow the FHIR R4 value sets.

condition-clinical (http://terminology.hl7.org/CodeSystem/condition-clinical): active > {recurrence, relapse},
inactive > {remission, resolved}. condition-ver-status: unconfirmed > {provisional, differential}, confirmed,
refuted, entered-in-error.
"""

from __future__ import annotations

from typing import Any

import pytest

from terminology.cds import Coding, conditions_in, read_condition, skip_reason

CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"


def status(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


@pytest.mark.parametrize("code", ["inactive", "remission", "resolved"])
def test_inactive_clinical_statuses_skip(code: str) -> None:
    assert skip_reason({"clinicalStatus": status(CLINICAL, code)}) == f"clinicalStatus is {code}"


@pytest.mark.parametrize("code", ["active", "recurrence", "relapse"])
def test_active_clinical_statuses_are_read(code: str) -> None:
    assert skip_reason({"clinicalStatus": status(CLINICAL, code)}) is None


@pytest.mark.parametrize("code", ["entered-in-error", "refuted", "unconfirmed", "provisional", "differential"])
def test_unestablished_verification_statuses_skip(code: str) -> None:
    assert skip_reason({"verificationStatus": status(VERIFICATION, code)}) == f"verificationStatus is {code}"


def test_confirmed_and_missing_statuses_are_read() -> None:
    assert skip_reason({"verificationStatus": status(VERIFICATION, "confirmed")}) is None
    assert skip_reason({}) is None


def test_stu3_plain_codes_and_foreign_systems() -> None:
    assert skip_reason({"clinicalStatus": "resolved"}) == "clinicalStatus is resolved"
    assert skip_reason({"verificationStatus": "refuted"}) == "verificationStatus is refuted"
    # A coding of another system is not the FHIR status, whatever its code says.
    assert skip_reason({"clinicalStatus": status("http://example.org/local", "resolved")}) is None


def test_every_coding_and_the_text_are_read() -> None:
    c = read_condition(
        {
            "resourceType": "Condition",
            "id": "c1",
            "code": {
                "coding": [
                    {"system": "http://snomed.info/sct", "code": " 1059990001105 ", "display": "Metastasis to ilium"},
                    {"system": "http://hl7.org/fhir/sid/icd-10", "code": "C79.5"},
                    {"system": "http://snomed.info/sct"},
                ],
                "text": "mets to ilium",
            },
        }
    )
    assert c.id == "c1" and c.label == "Condition/c1" and c.skipped is None
    assert c.codings == [
        Coding("http://snomed.info/sct", "1059990001105", "Metastasis to ilium"),
        Coding("http://hl7.org/fhir/sid/icd-10", "C79.5"),
    ]
    assert c.text == "mets to ilium"


def test_bundle_conditions_only() -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {"resource": {"resourceType": "Condition", "id": "a", "code": {"text": "x"}}},
            {"resource": {"resourceType": "OperationOutcome", "issue": []}},
            {"resource": {"resourceType": "Patient", "id": "p"}},
            {"resource": {"resourceType": "Condition", "id": "b", "clinicalStatus": status(CLINICAL, "resolved")}},
        ],
    }
    got = conditions_in([bundle, {"resourceType": "Condition", "id": "c"}])
    assert [(c.id, c.skipped) for c in got] == [("a", None), ("b", "clinicalStatus is resolved"), ("c", None)]
