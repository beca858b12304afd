"""The CDS services snomap offers, as its discovery document lists them (ids are stable: clients store them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CONDITIONS_KEY = "conditions"
ACTIVE_CONDITIONS = "Condition?patient={{context.patientId}}&clinical-status=active"


@dataclass(frozen=True)
class CdsService:
    """One CDS service: the hook it answers, where its Conditions come from, and its discovery entry."""

    id: str
    hook: str
    title: str
    description: str
    prefetch: dict[str, str] = field(default_factory=dict)
    # Where the Conditions are: a context field (problem-list-item-create) or a prefetch key to fetch.
    context_conditions: str | None = None
    required_context: tuple[str, ...] = ("userId", "patientId")

    def discovery(self) -> dict[str, Any]:
        out: dict[str, Any] = {"hook": self.hook, "title": self.title, "description": self.description, "id": self.id}
        if self.prefetch:
            out["prefetch"] = dict(self.prefetch)
        return out


SERVICES: tuple[CdsService, ...] = (
    CdsService(
        id="snomap-guidelines-problem-list",
        hook="problem-list-item-create",
        title="Guidelines for a new problem",
        description=(
            "When problems are added to the problem list, cards for the published guidelines that apply to them "
            "through the SNOMED CT is-a hierarchy (SNOMED CT, post-coordinated expressions, ICD-10 through maps, "
            "or the text), most specific first."
        ),
        context_conditions="conditions",
        required_context=("userId", "patientId", "conditions"),
    ),
    CdsService(
        id="snomap-guidelines-patient-view",
        hook="patient-view",
        title="Guidelines for the patient's active problems",
        description=(
            "When a patient's record is opened, cards for the published guidelines that apply to the patient's "
            "active Conditions, most specific first."
        ),
        prefetch={CONDITIONS_KEY: ACTIVE_CONDITIONS},
    ),
    CdsService(
        id="snomap-guidelines-encounter-start",
        hook="encounter-start",
        title="Guidelines at the start of an encounter",
        description=(
            "When an encounter starts, cards for the published guidelines that apply to the patient's active "
            "Conditions, most specific first."
        ),
        prefetch={CONDITIONS_KEY: ACTIVE_CONDITIONS},
        required_context=("userId", "patientId", "encounterId"),
    ),
)


def service(service_id: str) -> CdsService | None:
    return next((s for s in SERVICES if s.id == service_id), None)
