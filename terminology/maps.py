"""Maps to other code systems, both ways: the map refset of a code system, forward maps with their
rules evaluated for a patient, and reverse lookups that return what a code means as a whole.

The rule forms are those of SNOMED International's ICD-10 extended map (the "Technical Guide for the
SNOMED CT to ICD-10 map", section 5: map rules): ``TRUE``, ``OTHERWISE TRUE``, ``IFA <concept> |term|``
for a co-occurring finding or the patient's sex, and ``IFA 445518008 |Age at onset of clinical finding|
<op> <number> <unit>``, joined by ``AND``. Within a map group, rules are tried in map priority order
and the first one that holds gives the group's target.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .errors import UnanswerableError
from .model import MapTarget
from .terminology import Terminology

ICD10 = "http://hl7.org/fhir/sid/icd-10"
ICD10_CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICDO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
OPCS4 = "http://terminology.hl7.org/CodeSystem/opcs4"

# Published map refsets and the code system of their targets.
KNOWN_MAP_REFSETS: dict[int, str] = {
    447562003: ICD10,  # |ICD-10 complex map reference set| (International Edition)
    6011000124106: ICD10_CM,  # |ICD-10-CM complex map reference set| (US Edition)
    446608001: ICDO3,  # |ICD-O simple map reference set| (International Edition)
    1126441000000105: OPCS4,  # |OPCS-4 complex map reference set| (UK Edition)
    999002271000000101: ICD10,  # |ICD-10 complex map reference set| (UK Edition)
}

# What integrators write for a code system, folded to its canonical URI.
SYSTEM_ALIASES: dict[str, str] = {
    ICD10: ICD10,
    "http://id.who.int/icd/release/10": ICD10,
    "http://hl7.org/fhir/sid/icd-10-uk": ICD10,
    "icd-10": ICD10,
    "icd10": ICD10,
    ICD10_CM: ICD10_CM,
    "icd-10-cm": ICD10_CM,
    "icd10cm": ICD10_CM,
    ICDO3: ICDO3,
    "icd-o": ICDO3,
    "icd-o-3": ICDO3,
    OPCS4: OPCS4,
    "opcs": OPCS4,
    "opcs-4": OPCS4,
}

MALE, FEMALE = 248153007, 248152002  # |Male (finding)|, |Female (finding)|
AGE_AT_ONSET = 445518008  # |Age at onset of clinical finding (observable entity)|
ALWAYS = ("TRUE", "OTHERWISE TRUE")

_CLAUSE = re.compile(
    r"^IFA\s+(?P<concept>\d{6,18})\s*(?:\|[^|]*\|)?\s*(?:(?P<op><=|>=|<|>|=)\s*(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>years?|months?|days?|weeks?))?$",
    re.IGNORECASE,
)
_DAYS_PER = {"year": 365.25, "month": 30.4375, "week": 7.0, "day": 1.0}


def canonical_system(system: str) -> str | None:
    """The canonical URI of a code system as integrators name it, or None when snomap maps no such system."""
    return SYSTEM_ALIASES.get(system.strip().lower()) or SYSTEM_ALIASES.get(system.strip())


def map_refset_system(t: Terminology, refset: int) -> str | None:
    """The target code system of a map refset: the published ones by id, others by their name."""
    if refset in KNOWN_MAP_REFSETS:
        return KNOWN_MAP_REFSETS[refset]
    name = (t.fsn(refset) or "").upper() if t.has_concept(refset) else ""
    if "ICD-10-CM" in name:
        return ICD10_CM
    if "ICD-10" in name:
        return ICD10
    if "ICD-O" in name:
        return ICDO3
    if "OPCS" in name:
        return OPCS4
    return None


def map_refsets_for(t: Terminology, system: str) -> list[int]:
    """The release's map refsets whose targets are codes of `system` (never every map refset)."""
    canonical = canonical_system(system)
    if canonical is None:
        raise UnanswerableError(f"code system {system!r} is not one snomap maps to (ICD-10, ICD-10-CM, ICD-O, OPCS-4)")
    return [r for r in t.map_refsets() if map_refset_system(t, r) == canonical]


# ----- rules


@dataclass(frozen=True)
class Patient:
    """What a map rule may ask about the patient; None where it is not known."""

    age_days: float | None = None
    sex: str | None = None  # "male" / "female"; anything else decides no sex rule
    findings: frozenset[int] = frozenset()  # co-occurring findings the caller asserts


def parse_age(text: str) -> float:
    """An age as days: "15" (years), "15y", "6 months", "28d"; ValueError otherwise."""
    m = re.fullmatch(
        r"\s*(\d+(?:\.\d+)?)\s*(y|yr|yrs|years?|m|mo|months?|w|wk|weeks?|d|days?)?\s*", text, re.IGNORECASE
    )
    if not m:
        raise ValueError(f"age {text!r} is not a number with an optional unit (y, m, w, d)")
    unit = (m.group(2) or "y").lower()
    key = {
        "y": "year",
        "yr": "year",
        "yrs": "year",
        "m": "month",
        "mo": "month",
        "w": "week",
        "wk": "week",
        "d": "day",
    }.get(unit)
    key = key or unit.rstrip("s")
    return float(m.group(1)) * _DAYS_PER[key]


def rule_holds(rule: str, patient: Patient) -> bool | None:
    """Whether a map rule holds for the patient: True, False, or None when the patient data cannot say."""
    text = rule.strip()
    if text.upper() in ALWAYS or not text:
        return True
    if text.upper().startswith("OTHERWISE"):
        text = text[len("OTHERWISE") :].strip()
    verdicts = [_clause_holds(c.strip(), patient) for c in re.split(r"\s+AND\s+", text, flags=re.IGNORECASE)]
    if any(v is False for v in verdicts):
        return False
    if any(v is None for v in verdicts):
        return None
    return True


def _clause_holds(clause: str, patient: Patient) -> bool | None:
    if clause.upper() == "TRUE":
        return True
    m = _CLAUSE.match(clause)
    if not m:
        return None  # a form this evaluator does not know: undecided, so the map advice is shown
    concept = int(m.group("concept"))
    if m.group("op"):
        if concept != AGE_AT_ONSET or patient.age_days is None:
            return None
        limit = float(m.group("number")) * _DAYS_PER[m.group("unit").lower().rstrip("s")]
        age = patient.age_days
        return {"<": age < limit, "<=": age <= limit, ">": age > limit, ">=": age >= limit, "=": age == limit}[
            m.group("op")
        ]
    if concept in (MALE, FEMALE):
        if patient.sex not in ("male", "female"):
            return None
        return (patient.sex == "male") == (concept == MALE)
    if concept in patient.findings:
        return True
    return None  # a co-occurring finding the caller did not assert: cannot be decided


# ----- forward


@dataclass(frozen=True)
class MapGroupResult:
    """One map group of a concept: its rows in priority order and, for a patient, the target chosen."""

    refset_id: int
    group: int
    rows: list[MapTarget]
    target: str | None = None  # the chosen target code ("" when the chosen row maps to nothing)
    decided: bool = False
    advice: str | None = None  # the map advice to show when the group cannot be decided
    rule: str | None = None  # the rule that chose the target


def forward_map(t: Terminology, sctid: int, system: str, patient: Patient | None = None) -> list[MapGroupResult]:
    """The concept's map groups to `system`, in group order, each with its chosen target for the patient.

    Without a patient, a group is decided only when its first rule always holds.
    """
    patient = patient or Patient()
    out: list[MapGroupResult] = []
    for refset in map_refsets_for(t, system):
        rows = t.map_targets(sctid, refset)
        by_group: dict[int, list[MapTarget]] = {}
        for r in sorted(rows, key=lambda r: (r.map_group, r.map_priority)):
            by_group.setdefault(r.map_group, []).append(r)
        for group, group_rows in sorted(by_group.items()):
            out.append(_choose(refset, group, group_rows, patient))
    return out


def _choose(refset: int, group: int, rows: list[MapTarget], patient: Patient) -> MapGroupResult:
    for row in rows:
        verdict = rule_holds(row.map_rule, patient)
        if verdict is True:
            return MapGroupResult(refset, group, rows, row.map_target, True, None, row.map_rule or "TRUE")
        if verdict is None:
            advice = "; ".join(dict.fromkeys(r.map_advice for r in rows if r.map_advice)) or None
            return MapGroupResult(refset, group, rows, None, False, advice, None)
    return MapGroupResult(refset, group, rows, None, True, "no rule of the group holds for this patient", None)


# ----- reverse


@dataclass(frozen=True)
class ReverseMap:
    """Concepts for a code of another system: those whose whole meaning the code is, most general first."""

    code: str
    system: str
    concepts: list[int] = field(default_factory=list)  # active; the most general whose first group-1 rule always holds
    more_specific: list[int] = field(default_factory=list)  # active, subsumed by one of `concepts`
    partial: list[int] = field(default_factory=list)  # the code is one part of their map (another group or a rule)
    how: str = ""


def reverse_map(t: Terminology, code: str, system: str, refsets: Sequence[int] | None = None) -> ReverseMap:
    """What `code` of `system` stands for in SNOMED CT.

    A concept counts when the code is the target of map group 1's first rule and that rule always
    holds (``TRUE`` / ``OTHERWISE TRUE``): the code is then its whole meaning. Of those, the most
    general are returned (none subsumed by another); the others are listed as more specific.
    Concepts that map to the code only in a later group, or under a rule, are listed as partial.
    """
    refsets = list(refsets) if refsets is not None else map_refsets_for(t, system)
    if not refsets:
        raise UnanswerableError(f"the release has no map refset to {canonical_system(system) or system}")
    whole: dict[int, None] = {}
    partial: dict[int, None] = {}
    wanted = _plain(code)
    for refset in refsets:
        for row in t.concepts_for_map_target(code.strip(), refset):
            if _plain(row.map_target) != wanted:
                continue
            rows = t.map_targets(row.concept_id, refset)
            group1 = sorted((r for r in rows if r.map_group == 1), key=lambda r: r.map_priority)
            first = group1[0] if group1 else None
            is_whole = (
                first is not None and _plain(first.map_target) == wanted and first.map_rule.strip().upper() in ALWAYS
            )
            for active in _active(t, row.concept_id):
                (whole if is_whole else partial).setdefault(active)
    if not whole and not partial:
        raise UnanswerableError(f"no map refset row targets {code!r} in {canonical_system(system) or system}")
    concepts = list(whole)
    general = [c for c in concepts if not any(o != c and t.subsumes(o, c) for o in concepts)]
    specific = [c for c in concepts if c not in general]
    rest = [c for c in partial if c not in whole]
    how = "map"  # group 1, first rule always true; the most general (the rule is documented with the fields)
    return ReverseMap(code, canonical_system(system) or system, sorted(general), sorted(specific), sorted(rest), how)


def _plain(code: str) -> str:
    """A code as compared: upper case without the dot ("C79.5" and "c795" are the same code)."""
    return code.strip().upper().replace(".", "")


def _active(t: Terminology, sctid: int) -> Iterable[int]:
    """The concept itself when active, else its active replacements through history."""
    return [r.concept_id for r in t.resolve(sctid)]


def targets_of(groups: Sequence[MapGroupResult]) -> list[str]:
    """The chosen target codes, in group order (undecided and empty groups left out)."""
    return [g.target for g in groups if g.decided and g.target]
