"""The value objects queries return, named in SNOMED CT's own vocabulary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

DescriptionType = Literal["fsn", "synonym", "definition", "other"]
Acceptability = Literal["preferred", "acceptable"]
SubsumptionOutcome = Literal["equivalent", "subsumes", "subsumed-by", "not-subsumed"]


@dataclass(frozen=True)
class Concept:
    id: int
    active: bool
    module_id: int
    definition_status: Literal["primitive", "fully-defined"]
    definition_status_id: int
    effective_time: str


@dataclass(frozen=True)
class Description:
    id: int
    concept_id: int
    active: bool
    type: DescriptionType
    type_id: int
    term: str
    language_code: str
    case_significance_id: int
    module_id: int
    effective_time: str
    # Language refset id -> acceptability, for the refsets that hold this description.
    acceptability: dict[int, Acceptability] = field(default_factory=dict)


@dataclass(frozen=True)
class Relationship:
    """A defining attribute: type -> destination concept, in a role group (0 = ungrouped)."""

    group: int
    type_id: int
    destination_id: int


@dataclass(frozen=True)
class ConcreteValue:
    """A defining attribute with a concrete value (number, string or boolean)."""

    group: int
    type_id: int
    value: int | float | str | bool

    @property
    def rf2(self) -> str:
        """The value as RF2 and the compositional grammar write it (#5, "text", true)."""
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        if isinstance(self.value, str):
            return f'"{self.value}"'
        return f"#{self.value}"


@dataclass(frozen=True)
class Association:
    """A historical association: `source` (inactive) is associated with `target` by `refset_id`."""

    refset_id: int
    name: str
    source_id: int
    target_id: int


@dataclass(frozen=True)
class Replacement:
    """An active concept an id resolves to, and how: the associations followed from the input."""

    concept_id: int
    how: str  # "direct", "description", or the association names joined by " > "
    chain: tuple[int, ...] = ()


@dataclass(frozen=True)
class MapTarget:
    refset_id: int
    concept_id: int
    map_target: str
    map_group: int = 1
    map_priority: int = 1
    map_rule: str = ""
    map_advice: str = ""
    correlation_id: int | None = None
    map_category_id: int | None = None


@dataclass(frozen=True)
class ReleaseInfo:
    edition_module: int
    version: str
    uri: str
    modules: dict[str, str]
    dependencies: list[dict]
    sources: list[str]
    built_at: str
    counts: dict[str, int]
    language_refsets: list[int]
