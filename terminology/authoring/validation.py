"""Checking tags against the terminology before they are stored, and measuring what they cover.

Refused (an error): a concept that is not in the release, an inactive concept (with its replacements from
the historical associations, so the author can pick one), an ECL expression that does not parse (with
the position). Accepted with a warning: a concept outside the hierarchies a diagnosis can come from
(configurable; by default clinical finding, situation, event and procedure), a tag already covered by
another tag of the same guideline (redundant), an exclusion outside the tag's subtree (no effect).

Warnings rather than errors where an author can have a reason: a guideline on a procedure's
complications, a deliberately broad tag, and so on.

ECL tags are sized with the ECL evaluator (`terminology.ecl.evaluate`); an expression it cannot answer
(time budget, unsupported construct) leaves the size unknown, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from loaders import snomed
from loaders.guidelines import TagSpec

from ..ecl import EclSyntaxError, evaluate, parse_ecl
from ..errors import TerminologyError
from ..terminology import Terminology
from .errors import InvalidEclError, TagRejectedError
from .model import Baseline

DEFAULT_HIERARCHIES: tuple[int, ...] = (
    snomed.CLINICAL_FINDING,
    snomed.SITUATION_WITH_EXPLICIT_CONTEXT,
    snomed.EVENT,
    snomed.PROCEDURE,
)


@dataclass(frozen=True)
class TagWarning:
    """Something an author should look at; the tag is stored anyway."""

    code: str  # "hierarchy", "redundant", "exclusion-no-effect", "ecl-size-unknown"
    detail: str
    tag: int  # index of the tag in the guideline's tag list
    concept: int | None = None


@dataclass(frozen=True)
class TagAssessment:
    """A tag's size (active concepts it covers) and its warnings."""

    spec: TagSpec
    size: int | None
    size_note: str | None = None
    warnings: list[TagWarning] = field(default_factory=list)


# ----------------------------------------------------------------------------- ECL


def parse_ecl_tag(text: str, field_name: str = "ecl") -> Any:
    """The AST of a tag's ECL, or InvalidEclError with the position, line, column and what was expected."""
    try:
        return parse_ecl(text)
    except EclSyntaxError as e:
        raise InvalidEclError(
            str(e),
            field_name,
            position=e.position,
            line=e.line,
            column=e.column,
            expected=list(e.expected),
        ) from e


class EclNotEvaluatedError(Exception):
    """The evaluator could not answer (time budget, unsupported construct): size unknown."""


def ecl_members(t: Terminology, text: str) -> np.ndarray:
    """Active concepts matching the expression, as sorted SCTIDs.

    InvalidEclError when the text does not parse; EclNotEvaluatedError when the evaluator cannot answer.
    """
    expr = parse_ecl_tag(text)
    try:
        result = evaluate(t, expr)
    except TerminologyError as e:
        raise EclNotEvaluatedError(f"ECL could not be evaluated: {e}") from e
    return np.asarray(result.ids[t.active_mask[result.rows]], dtype=np.int64)


# ----------------------------------------------------------------------------- sizes


def _subtree(t: Terminology, c: int) -> np.ndarray:
    return np.union1d(np.asarray([c], dtype=np.int64), np.asarray(t.descendants(c), dtype=np.int64))


def tag_members(t: Terminology, spec: TagSpec) -> np.ndarray:
    """Active concepts a tag covers (descendants-or-self, or ECL members, minus exclusions), sorted.

    EclNotEvaluatedError when an ECL tag's members cannot be computed.
    """
    if spec.concept is not None:
        if not t.has_concept(spec.concept) or not t.is_active(spec.concept):
            return np.empty(0, dtype=np.int64)
        members = _subtree(t, spec.concept)
    else:
        assert spec.ecl is not None
        members = ecl_members(t, spec.ecl)
    for x in spec.exclude:
        if t.has_concept(x) and t.is_active(x):
            members = np.setdiff1d(members, _subtree(t, x), assume_unique=True)
    return members


def tag_size(t: Terminology, spec: TagSpec) -> tuple[int | None, str | None]:
    """(count, note): the count is None, with the reason, when it cannot be computed."""
    if spec.concept is not None and not spec.exclude:
        if not t.has_concept(spec.concept):
            return 0, f"concept {spec.concept} is not in the release"
        if not t.is_active(spec.concept):
            return 0, f"concept {spec.concept} is inactive"
        return t.descendant_count(spec.concept) + 1, None  # O(1): a pointer difference
    try:
        members = tag_members(t, spec)
    except EclNotEvaluatedError as e:
        return None, str(e)
    return int(members.size), None


def release_label(t: Terminology) -> str:
    """The release a baseline was measured on: its URI (or version when it has none)."""
    return t.release.uri or t.release.version


def baselines(t: Terminology) -> Callable[[TagSpec], Baseline]:
    """A function giving a new tag's baseline (its size now, on this release), for the store to record."""
    label = release_label(t)

    def baseline(spec: TagSpec) -> Baseline:
        try:
            count, _ = tag_size(t, spec)
        except InvalidEclError:  # a baseline is bookkeeping; a bad ECL must not stop an import
            count = None
        return Baseline(count, label)

    return baseline


# ----------------------------------------------------------------------------- validation


def _ref(t: Terminology, c: int, lang: str | None = None) -> dict[str, Any]:
    return {"conceptId": str(c), "pt": t.preferred_term(c, lang) if t.has_concept(c) else None}


def replacements(t: Terminology, c: int) -> list[dict[str, Any]]:
    """Where an inactive concept's meaning went: each historical association, and the active concepts it resolves to."""
    out = []
    for a in t.associations(c):
        target = a.target_id
        out.append(
            {
                "association": a.name,
                **_ref(t, target),
                "active": bool(t.has_concept(target) and t.is_active(target)),
            }
        )
    resolved = {r.concept_id: r.how for r in t.resolve(c)} if t.has_concept(c) else {}
    for cid, how in resolved.items():
        if not any(r["conceptId"] == str(cid) and r["active"] for r in out):
            out.append({"association": how, **_ref(t, cid), "active": True})
    return out


def _check_concept(t: Terminology, c: int, field_name: str, what: str) -> None:
    if not t.has_concept(c):
        raise TagRejectedError(f"{what} {c} is not in the release ({release_label(t)})", field_name, conceptId=str(c))
    if not t.is_active(c):
        reason = t.inactivation_reason(c)
        why = f" ({reason[1]})" if reason else ""
        reps = replacements(t, c)
        hint = ", ".join(f"{r['association']} {r['conceptId']} |{r['pt']}|" for r in reps if r["active"]) or "none"
        raise TagRejectedError(
            f"{what} {c} |{t.preferred_term(c)}| is inactive{why}; tag one of its replacements instead: {hint}",
            field_name,
            conceptId=str(c),
            replacements=reps,
        )


def check_tag(t: Terminology, spec: TagSpec, field_prefix: str = "") -> None:
    """Refuse a tag the release cannot honour: missing or inactive concept or exclusion, unparsable ECL."""
    if spec.concept is not None:
        _check_concept(t, spec.concept, f"{field_prefix}concept", "concept")
    if spec.ecl is not None:
        parse_ecl_tag(spec.ecl, f"{field_prefix}ecl")
    for k, x in enumerate(spec.exclude):
        _check_concept(t, x, f"{field_prefix}exclude[{k}]", "excluded concept")


def assess_tags(
    t: Terminology, specs: Sequence[TagSpec], hierarchies: Iterable[int] = DEFAULT_HIERARCHIES
) -> list[TagAssessment]:
    """Size and warnings for every tag of a guideline (warnings need the whole list: redundancy is relative)."""
    roots = [h for h in hierarchies if t.has_concept(h)]
    usable = [
        (i, s.concept)
        for i, s in enumerate(specs)
        if s.concept is not None and t.has_concept(s.concept) and t.is_active(s.concept)
    ]
    out = []
    for i, spec in enumerate(specs):
        warnings: list[TagWarning] = []
        c = spec.concept
        if c is not None and t.has_concept(c) and t.is_active(c):
            if roots and not any(t.subsumes(r, c) for r in roots):
                names = ", ".join(f"{r} |{t.preferred_term(r)}|" for r in roots)
                warnings.append(
                    TagWarning("hierarchy", f"concept {c} |{t.preferred_term(c)}| is not in a diagnosis hierarchy ({names})", i, c)
                )
            for j, other in usable:
                if j == i or other is None:
                    continue
                other_spec = specs[j]
                excluded = any(t.has_concept(x) and t.subsumes(x, c) for x in other_spec.exclude)
                if other != c and t.subsumes(other, c) and not excluded:
                    warnings.append(
                        TagWarning(
                            "redundant",
                            f"tag {c} |{t.preferred_term(c)}| is redundant: tag {other} |{t.preferred_term(other)}| "
                            "already covers it and its descendants",
                            i,
                            c,
                        )
                    )
                elif other == c and j < i:
                    warnings.append(TagWarning("redundant", f"concept {c} is tagged more than once", i, c))
            for x in spec.exclude:
                if t.has_concept(x) and (x == c or not t.subsumes(c, x)):
                    warnings.append(
                        TagWarning("exclusion-no-effect", f"excluded concept {x} is not a descendant of {c}, so excluding it has no effect", i, x)
                    )
        size, note = tag_size(t, spec)
        if size is None and spec.ecl is not None:
            warnings.append(TagWarning("ecl-size-unknown", note or "size unknown", i))
        out.append(TagAssessment(spec, size, note, warnings))
    return out
