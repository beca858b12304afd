"""Surviving a new release: find tags the release broke or reshaped, propose replacements, migrate the sure ones.

A tag can go wrong in a new release in three ways:
- its concept (or an excluded concept, or a concept named in its ECL) is inactivated or gone: the
  historical associations (SAME AS, REPLACED BY, POSSIBLY EQUIVALENT TO, ...) say where the meaning went;
- its subtree changed a lot: the descendant count stored with the tag when it was added (the
  baseline) differs from the count now by more than a threshold, which deserves a look even though
  nothing is technically wrong.

`apply` migrates exactly the unambiguous cases (an inactive tag or exclusion whose associations
resolve to exactly one active concept), each as a revision by the user "release-check", and leaves
everything else, with the candidates, for a person to decide.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from loaders.guidelines import TagSpec

from ..ecl import mentioned_concepts
from ..terminology import Terminology
from .errors import AuthoringError, PreconditionFailedError
from .model import StoredGuideline, TagRecord
from .store import Actor, SqlGuidelineRepository
from .validation import baselines, parse_ecl_tag, release_label, replacements, tag_size

RELEASE_CHECK_USER = "release-check"
DEFAULT_RATIO = 0.2
DEFAULT_MIN_CHANGE = 5


@dataclass
class Finding:
    """One problem with one tag, what to do about it, and the candidates.

    `decision` is "migrate" (one replacement: `apply` does it), "decide" (none or several: a person
    chooses) or "review" (the tag still works but covers something quite different now).
    """

    guideline_id: str
    guideline_title: str
    tag_id: int
    kind: str  # "missing", "inactive", "exclusion-inactive", "ecl-inactive-reference", "coverage-changed"
    detail: str
    decision: str
    concept: int | None = None
    ecl: str | None = None
    subject: int | None = None  # the inactive concept the finding is about (the tag's, an exclusion's, or in the ECL)
    baseline_count: int | None = None
    baseline_release: str | None = None
    current_count: int | None = None
    replacements: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("concept", "subject"):
            d[k] = str(d[k]) if d[k] is not None else None
        return d


@dataclass
class ReleaseCheck:
    release: str
    findings: list[Finding]
    tags_checked: int

    def summary(self) -> dict[str, int]:
        out = {"tags": self.tags_checked, "findings": len(self.findings)}
        for f in self.findings:
            out[f.decision] = out.get(f.decision, 0) + 1
        return out


@dataclass
class ApplyReport:
    migrated: list[dict[str, Any]] = field(default_factory=list)
    to_decide: list[Finding] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)


def _active_targets(reps: list[dict[str, Any]]) -> list[int]:
    return sorted({int(r["conceptId"]) for r in reps if r["active"]})


def _resolved(t: Terminology, c: int) -> list[int]:
    """The active concepts `c` resolves to (strongest association kind first, chains followed)."""
    return sorted({r.concept_id for r in t.resolve(c)}) if t.has_concept(c) else []


def changed_a_lot(before: int, now: int, ratio: float, min_change: int) -> bool:
    """|now - before| is at least `min_change` concepts AND at least `ratio` of the old size."""
    delta = abs(now - before)
    return delta >= min_change and delta >= ratio * max(before, 1)


def _tag_findings(t: Terminology, g: StoredGuideline, r: TagRecord, ratio: float, min_change: int) -> list[Finding]:
    spec = r.spec
    base = {
        "guideline_id": g.id,
        "guideline_title": g.doc.title,
        "tag_id": r.id,
        "concept": spec.concept,
        "ecl": spec.ecl,
        "baseline_count": r.baseline_count,
        "baseline_release": r.baseline_release,
    }
    out: list[Finding] = []
    if spec.concept is not None:
        c = spec.concept
        if not t.has_concept(c):
            return [
                Finding(
                    **base, kind="missing", subject=c, decision="decide", detail=f"concept {c} is not in the release"
                )
            ]
        if not t.is_active(c):
            targets = _resolved(t, c)
            reason = t.inactivation_reason(c)
            why = f" ({reason[1]})" if reason else ""
            return [
                Finding(
                    **base,
                    kind="inactive",
                    subject=c,
                    decision="migrate" if len(targets) == 1 else "decide",
                    detail=f"concept {c} |{t.preferred_term(c)}| is inactive{why}; "
                    + (f"{len(targets)} active replacement(s)" if targets else "no active replacement"),
                    current_count=0,
                    replacements=replacements(t, c),
                )
            ]
    else:
        assert spec.ecl is not None
        try:
            mentioned = sorted(mentioned_concepts(parse_ecl_tag(spec.ecl)))
        except AuthoringError as e:
            return [Finding(**base, kind="ecl-invalid", decision="decide", detail=e.detail)]
        for c in mentioned:
            if not t.has_concept(c) or not t.is_active(c):
                out.append(
                    Finding(
                        **base,
                        kind="ecl-inactive-reference",
                        subject=c,
                        decision="decide",
                        detail=f"the ECL names concept {c}, which is "
                        + ("not in the release" if not t.has_concept(c) else "inactive"),
                        replacements=replacements(t, c) if t.has_concept(c) else [],
                    )
                )
    for x in spec.exclude:
        if t.has_concept(x) and not t.is_active(x):
            targets = _resolved(t, x)
            out.append(
                Finding(
                    **base,
                    kind="exclusion-inactive",
                    subject=x,
                    decision="migrate" if len(targets) == 1 else "decide",
                    detail=f"excluded concept {x} |{t.preferred_term(x)}| is inactive",
                    replacements=replacements(t, x),
                )
            )
    size, _ = tag_size(t, spec)
    if size is not None and r.baseline_count is not None and changed_a_lot(r.baseline_count, size, ratio, min_change):
        out.append(
            Finding(
                **base,
                kind="coverage-changed",
                decision="review",
                current_count=size,
                detail=f"covers {size} concepts now, {r.baseline_count} when tagged ({r.baseline_release or 'release unknown'})",
            )
        )
    return out


def check_release(
    repo: SqlGuidelineRepository, t: Terminology, ratio: float = DEFAULT_RATIO, min_change: int = DEFAULT_MIN_CHANGE
) -> ReleaseCheck:
    """Every tag of every guideline checked against release `t` (a loop over tags: for CI and admins, not requests)."""
    findings: list[Finding] = []
    n = 0
    for g in repo.records():
        for r in g.tags:
            n += 1
            findings.extend(_tag_findings(t, g, r, ratio, min_change))
    return ReleaseCheck(release_label(t), findings, n)


def _migrated_spec(t: Terminology, f: Finding, spec: TagSpec, target: int) -> TagSpec:
    if f.kind == "inactive":
        term = t.preferred_term(target) if spec.term is not None else None
        return TagSpec(concept=target, ecl=None, term=term, exclude=[x for x in spec.exclude if x != target])
    assert f.subject is not None
    exclude = list(dict.fromkeys(target if x == f.subject else x for x in spec.exclude))
    return TagSpec(concept=spec.concept, ecl=spec.ecl, term=spec.term, exclude=exclude)


def apply_release_check(
    repo: SqlGuidelineRepository, t: Terminology, check: ReleaseCheck, actor: str = RELEASE_CHECK_USER
) -> ApplyReport:
    """Migrate the unambiguous findings, one revision each; return those that need a person."""
    report = ApplyReport(to_decide=[f for f in check.findings if f.decision == "decide"])
    baseline = baselines(t)
    who = Actor(actor, role="admin")
    for f in (f for f in check.findings if f.decision == "migrate"):
        assert f.subject is not None
        targets = _resolved(t, f.subject)
        if len(targets) != 1:
            report.to_decide.append(f)
            continue
        for attempt in range(3):  # an author may be editing the same guideline: re-read and retry on 412
            current = repo.record(f.guideline_id)
            r = current.tag(f.tag_id) if current else None
            if current is None or r is None:
                report.failed.append({**f.as_dict(), "error": "the tag no longer exists"})
                break
            new = _migrated_spec(t, f, r.spec, targets[0])
            try:
                stored = repo.replace_tag(
                    f.guideline_id,
                    f.tag_id,
                    new,
                    if_match=[current.etag],
                    actor=who,
                    baseline=baseline,
                    why=f"{f.kind}: {f.subject} -> {targets[0]} ({'; '.join(x['association'] for x in f.replacements if x['active'])})",
                )
            except PreconditionFailedError:
                if attempt == 2:
                    report.failed.append({**f.as_dict(), "error": "the guideline kept changing; run the check again"})
                continue
            report.migrated.append(
                {
                    "guidelineId": f.guideline_id,
                    "kind": f.kind,
                    "from": str(f.subject),
                    "to": str(targets[0]),
                    "toTerm": t.preferred_term(targets[0]),
                    "revision": stored.revision,
                }
            )
            break
    return report
