"""FHIR R4 Condition resources as decision support reads them: which to skip, and every coding each carries.

Statuses skipped, and why (value sets of FHIR R4 Condition, http://hl7.org/fhir/R4/condition.html):

* ``clinicalStatus`` (http://hl7.org/fhir/ValueSet/condition-clinical, code system
  http://terminology.hl7.org/CodeSystem/condition-clinical): ``inactive`` and its two children
  ``remission`` and ``resolved`` are skipped, because guidance on a problem the patient no longer
  has is noise at the point of care. ``active`` and its children ``recurrence`` and ``relapse`` are read.
  ``remission`` is skipped as the code system files it under ``inactive``: the disease is not
  currently active (the guideline page is still one search away).
* ``verificationStatus`` (http://hl7.org/fhir/ValueSet/condition-ver-status, code system
  http://terminology.hl7.org/CodeSystem/condition-ver-status): ``entered-in-error`` (the record is a
  mistake) and ``refuted`` (ruled out) are never true of the patient; ``unconfirmed`` and its children
  ``provisional`` and ``differential`` are not established, and a guideline card asserts a diagnosis
  to the clinician. ``confirmed`` is read.
* A missing status is read as applicable: R4 makes both optional (``clinicalStatus`` is required only by
  invariants con-3/con-4), and the ``problem-list-item-create`` hook sends newly finalised problems.

STU3 and DSTU2 send the statuses as plain codes (``"clinicalStatus": "active"``); those are read too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

CLINICAL_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
SKIPPED_CLINICAL = frozenset({"inactive", "remission", "resolved"})
SKIPPED_VERIFICATION = frozenset({"entered-in-error", "refuted", "unconfirmed", "provisional", "differential"})


@dataclass(frozen=True)
class Coding:
    """One coding of a Condition's code, as sent."""

    system: str | None
    code: str
    display: str | None = None


@dataclass(frozen=True)
class ConditionIn:
    """A Condition reduced to what linking needs; `skipped` says why it is not read, when it is not."""

    id: str | None
    codings: list[Coding] = field(default_factory=list)
    text: str | None = None
    skipped: str | None = None

    @property
    def label(self) -> str:
        """How a note names this Condition: its id, else its text or first code."""
        if self.id:
            return f"Condition/{self.id}"
        if self.text:
            return f"Condition {self.text!r}"
        return f"Condition {self.codings[0].code}" if self.codings else "a Condition"


def _status_codes(value: Any, system: str) -> list[str]:
    """The codes of a status: an R4 CodeableConcept (codings of `system`, or of no system) or an STU3 code."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, dict):
        return []
    codes = []
    for c in value.get("coding") or []:
        if isinstance(c, dict) and isinstance(c.get("code"), str) and c.get("system") in (None, system):
            codes.append(c["code"])
    return codes


def skip_reason(resource: dict[str, Any]) -> str | None:
    """Why this Condition must not produce cards (see the module docstring), or None."""
    for code in _status_codes(resource.get("verificationStatus"), VERIFICATION_SYSTEM):
        if code in SKIPPED_VERIFICATION:
            return f"verificationStatus is {code}"
    for code in _status_codes(resource.get("clinicalStatus"), CLINICAL_SYSTEM):
        if code in SKIPPED_CLINICAL:
            return f"clinicalStatus is {code}"
    return None


def read_condition(resource: dict[str, Any]) -> ConditionIn:
    """The codings and text of one Condition resource, and whether its statuses skip it."""
    code: dict[str, Any] = resource["code"] if isinstance(resource.get("code"), dict) else {}
    codings = []
    for c in code.get("coding") or []:
        if isinstance(c, dict) and isinstance(c.get("code"), str) and c["code"].strip():
            system = c.get("system") if isinstance(c.get("system"), str) else None
            display = c.get("display") if isinstance(c.get("display"), str) else None
            codings.append(Coding(system, c["code"].strip(), display))
    text = code.get("text") if isinstance(code.get("text"), str) and code.get("text", "").strip() else None
    rid = resource.get("id") if isinstance(resource.get("id"), str) else None
    return ConditionIn(rid, codings, text, skip_reason(resource))


def conditions_in(data: Any) -> list[ConditionIn]:
    """Every Condition in a Bundle (its entries' resources), a single Condition, or a list of either.

    Other resource types are ignored: a searchset Bundle may carry included resources and
    OperationOutcomes (search warnings) next to its matches.
    """
    out: list[ConditionIn] = []
    for resource in _resources(data):
        if resource.get("resourceType") == "Condition":
            out.append(read_condition(resource))
    return out


def _resources(data: Any) -> Iterable[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _resources(item)
    elif isinstance(data, dict):
        if data.get("resourceType") == "Bundle":
            for entry in data.get("entry") or []:
                if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
                    yield entry["resource"]
        else:
            yield data
