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

import functools
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from loaders import snomed
from loaders.guidelines import TagSpec

from ..ecl import EclSyntaxError, EclTimeoutError, evaluate, parse_ecl
from ..ecl.ast import History, mentioned_concepts
from ..ecl.evaluator import DEFAULT_TIME_BUDGET_S, TAG_TIME_BUDGET_S
from ..errors import TerminologyError
from ..terminology import Terminology
from .errors import InvalidEclError, TagRejectedError, TooManyTagsError
from .model import Baseline

# The most tags one guideline may have.  A guideline's tags are its diagnoses: the largest real ones tag a
# few dozen concepts, and a broad set is one ECL tag, not hundreds of concept tags.  200 leaves room for
# hand-curated lists while bounding what every reader of the guideline pays: each tag is sized (an ECL tag
# is an evaluation) and checked for redundancy on each GET of its source, and is one row per revision.
MAX_TAGS = 200

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


def ecl_members(t: Terminology, text: str, budget_s: float = DEFAULT_TIME_BUDGET_S) -> np.ndarray:
    """Active concepts matching the expression, as sorted SCTIDs.

    InvalidEclError when the text does not parse; EclNotEvaluatedError when the evaluator cannot answer.
    """
    expr = parse_ecl_tag(text)
    try:
        result = evaluate(t, expr, time_budget_s=budget_s)
    except TerminologyError as e:
        raise EclNotEvaluatedError(f"ECL could not be evaluated: {e}") from e
    return np.asarray(result.ids[t.active_mask[result.rows]], dtype=np.int64)


# ----------------------------------------------------------------------------- sizes


def _subtree(t: Terminology, c: int) -> np.ndarray:
    return np.union1d(np.asarray([c], dtype=np.int64), np.asarray(t.descendants(c), dtype=np.int64))


def tag_members(t: Terminology, spec: TagSpec, budget_s: float = DEFAULT_TIME_BUDGET_S) -> np.ndarray:
    """Active concepts a tag covers (descendants-or-self, or ECL members, minus exclusions), sorted.

    EclNotEvaluatedError when an ECL tag's members cannot be computed.
    """
    if spec.concept is not None:
        if not t.has_concept(spec.concept) or not t.is_active(spec.concept):
            return np.empty(0, dtype=np.int64)
        members = _subtree(t, spec.concept)
    else:
        assert spec.ecl is not None
        members = ecl_members(t, spec.ecl, budget_s)
    for x in spec.exclude:
        if t.has_concept(x) and t.is_active(x):
            members = np.setdiff1d(members, _subtree(t, x), assume_unique=True)
    return members


def tag_size(t: Terminology, spec: TagSpec, budget_s: float = DEFAULT_TIME_BUDGET_S) -> tuple[int | None, str | None]:
    """(count, note): the count is None, with the reason, when it cannot be computed."""
    if spec.concept is not None and not spec.exclude:
        if not t.has_concept(spec.concept):
            return 0, f"concept {spec.concept} is not in the release"
        if not t.is_active(spec.concept):
            return 0, f"concept {spec.concept} is inactive"
        return t.descendant_count(spec.concept) + 1, None  # O(1): a pointer difference
    if budget_s <= 0:
        return None, "not sized: the guideline's other tags used the time for sizing"
    try:
        members = tag_members(t, spec, budget_s)
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


def check_tag_count(count: int, field_name: str = "tags") -> None:
    """Refuse a guideline with more than ``MAX_TAGS`` tags (TooManyTagsError, a 413), before any work on them."""
    if count > MAX_TAGS:
        raise TooManyTagsError(
            f"a guideline can have at most {MAX_TAGS} tags, not {count}; tag broader concepts or use one ECL tag",
            field_name,
            limit=MAX_TAGS,
        )


def check_ecl_tag(t: Terminology, text: str, field_name: str = "ecl") -> None:
    """Refuse an ECL tag the release cannot honour: text past the parser's limits (length, depth, numbers) or
    malformed (InvalidEclError), a concept it names that is not in the release or is inactive (TagRejectedError,
    with replacements; inactive concepts are allowed under a history supplement, which is for them), or an
    evaluation longer than ``TAG_TIME_BUDGET_S`` (TagRejectedError): stored tags are evaluated at start-up
    with that budget, and a tag that cannot meet it would link its guideline to nothing."""
    expr = parse_ecl_tag(text, field_name)
    historic = _has_history(expr)
    for c in sorted(mentioned_concepts(expr)):
        if not t.has_concept(c):
            raise TagRejectedError(
                f"the ECL names concept {c}, which is not in the release ({release_label(t)})",
                field_name,
                conceptId=str(c),
            )
        if not historic:
            _check_concept(t, c, field_name, "the ECL names concept")
    try:
        evaluate(t, expr, time_budget_s=TAG_TIME_BUDGET_S)
    except EclTimeoutError as e:
        raise TagRejectedError(
            f"the ECL takes longer than {TAG_TIME_BUDGET_S:g} s to evaluate, the most a tag may take; narrow it",
            field_name,
            budgetSeconds=TAG_TIME_BUDGET_S,
        ) from e
    except TerminologyError:
        pass  # a construct the evaluator does not answer: stored, with its size unknown (assess_tags says so)


def _has_history(expr: Any) -> bool:
    stack = [expr]
    while stack:
        item = stack.pop()
        if isinstance(item, History):
            return True
        if isinstance(item, tuple | list):
            stack.extend(item)
        elif hasattr(item, "__dataclass_fields__"):
            stack.extend(getattr(item, f) for f in item.__dataclass_fields__)
    return False


def check_tag(t: Terminology, spec: TagSpec, field_prefix: str = "") -> None:
    """Refuse a tag the release cannot honour: missing or inactive concept or exclusion, or an ECL expression
    ``check_ecl_tag`` refuses."""
    if spec.concept is not None:
        _check_concept(t, spec.concept, f"{field_prefix}concept", "concept")
    if spec.ecl is not None:
        check_ecl_tag(t, spec.ecl, f"{field_prefix}ecl")
    for k, x in enumerate(spec.exclude):
        _check_concept(t, x, f"{field_prefix}exclude[{k}]", "excluded concept")


def check_guideline_tags(t: Terminology, tags: Sequence[TagSpec], old: Iterable[TagSpec] = ()) -> None:
    """THE check of a guideline's tags before a write, the same for the API, the workspace (which writes
    through the API) and ``snomap guidelines import``: the count, then each tag that is new (tags the stored
    guideline already has are not judged again, so a guideline whose tag a new release inactivated can still
    be edited).  Raises the first problem, with the field (``tags[i].concept``...)."""
    check_tag_count(len(tags))
    kept = {(s.concept, s.ecl, tuple(s.exclude)) for s in old}
    for i, spec in enumerate(tags):
        if (spec.concept, spec.ecl, tuple(spec.exclude)) not in kept:
            check_tag(t, spec, f"tags[{i}].")


def guideline_validator(t: Terminology) -> Callable[[Any, Any], None]:
    """``check_guideline_tags`` as an import's `validate(doc, stored)` (``TransferableStore.import_documents``)."""

    def validate(doc: Any, stored: Any) -> None:
        check_guideline_tags(t, doc.tags, stored.doc.tags if stored is not None else ())

    return validate


def assess_tags(
    t: Terminology,
    specs: Sequence[TagSpec],
    hierarchies: Iterable[int] = DEFAULT_HIERARCHIES,
    budget_s: float = DEFAULT_TIME_BUDGET_S,
) -> list[TagAssessment]:
    """Size and warnings for every tag of a guideline (warnings need the whole list: redundancy is relative).

    Linear in the tags: a tag's covering tags are found among its own ancestors (a dict lookup each), not
    by comparing it with every other tag, and each tag gets at most one "redundant" warning, naming the
    first tag (in list order) that covers it.  ECL sizes share ``budget_s`` for the whole guideline (each at
    most ``TAG_TIME_BUDGET_S``); tags left when it is spent are reported with their size unknown.
    """
    deadline = time.monotonic() + budget_s
    pt = functools.cache(t.preferred_term)  # tags repeat concepts: one lookup each
    roots = [h for h in hierarchies if t.has_concept(h)]
    first: dict[int, int] = {}  # tagged concept -> index of its first usable tag
    for i, s in enumerate(specs):
        if s.concept is not None and s.concept not in first and t.has_concept(s.concept) and t.is_active(s.concept):
            first[s.concept] = i
    out = []
    for i, spec in enumerate(specs):
        warnings: list[TagWarning] = []
        c = spec.concept
        if c is not None and c in first:
            above = set(t.ancestors(c).tolist())
            if roots and not any(r == c or r in above for r in roots):
                names = ", ".join(f"{r} |{pt(r)}|" for r in roots)
                warnings.append(
                    TagWarning("hierarchy", f"concept {c} |{pt(c)}| is not in a diagnosis hierarchy ({names})", i, c)
                )
            covering = sorted(
                (j, a)
                for a in above
                if (j := first.get(a)) is not None
                and not any(x == c or x in above for x in specs[j].exclude)  # the covering tag excludes c's subtree
            )
            if covering:
                j, other = covering[0]
                more = f" (and {len(covering) - 1} other tagged ancestor(s))" if len(covering) > 1 else ""
                warnings.append(
                    TagWarning(
                        "redundant",
                        f"tag {c} |{pt(c)}| is redundant: tag {other} |{pt(other)}|{more} "
                        "already covers it and its descendants",
                        i,
                        c,
                    )
                )
            if first[c] < i:
                warnings.append(TagWarning("redundant", f"concept {c} is tagged more than once", i, c))
            for x in spec.exclude:
                if t.has_concept(x) and (x == c or not t.subsumes(c, x)):
                    warnings.append(
                        TagWarning(
                            "exclusion-no-effect",
                            f"excluded concept {x} is not a descendant of {c}, so excluding it has no effect",
                            i,
                            x,
                        )
                    )
        left = deadline - time.monotonic()
        size, note = tag_size(t, spec, min(TAG_TIME_BUDGET_S, left) if spec.ecl is not None else budget_s)
        if size is None and spec.ecl is not None:
            warnings.append(TagWarning("ecl-size-unknown", note or "size unknown", i))
        out.append(TagAssessment(spec, size, note, warnings))
    return out
