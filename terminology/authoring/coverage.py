"""How many active concepts a guideline applies to, through all its tags, with a sample to eyeball.

The union is computed on the precomputed closure (each tag: one slice of the descendants array), so
even a tag on a top-level concept costs a few milliseconds; ECL tags add their evaluated members when
the evaluator is installed, and are reported as not counted otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..terminology import Terminology
from .model import StoredGuideline
from .validation import EclNotEvaluatedError, tag_members

# `Coverage.ecl_evaluation` when some ECL tag could not be evaluated (each such tag says why).
ECL_NOT_EVALUATED = "ECL could not be evaluated for every tag (see each tag's note)"


@dataclass
class Coverage:
    guideline_id: str
    total: int
    by_tag: list[dict[str, Any]] = field(default_factory=list)
    sample: list[int] = field(default_factory=list)
    ecl_evaluation: str = "available"


def coverage(t: Terminology, g: StoredGuideline, sample: int = 20) -> Coverage:
    """Union of what each tag covers (descendants-or-self minus exclusions, plus ECL members)."""
    parts: list[np.ndarray] = []
    by_tag = []
    uncounted = False
    for r in g.tags:
        members: np.ndarray | None
        note = ""
        try:
            members = tag_members(t, r.spec)
        except EclNotEvaluatedError as e:
            members, note = None, str(e)
        entry: dict[str, Any] = {
            "tagId": r.id,
            "conceptId": str(r.spec.concept) if r.spec.concept is not None else None,
            "ecl": r.spec.ecl,
            "count": None if members is None else int(members.size),
        }
        if members is None:
            uncounted = True
            entry["note"] = note
        else:
            parts.append(members)
            if r.spec.concept is not None and members.size == 0:
                entry["note"] = (
                    "concept not in the release" if not t.has_concept(r.spec.concept) else "concept inactive"
                )
        by_tag.append(entry)
    union = np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)
    picks: list[int] = []
    if union.size and sample > 0:
        # Evenly spaced over the sorted ids: deterministic, and spread over the whole covered set.
        idx = np.unique(np.linspace(0, union.size - 1, num=min(sample, union.size)).astype(np.int64))
        picks = [int(x) for x in union[idx]]
    status = ECL_NOT_EVALUATED if uncounted else "available"
    return Coverage(g.id, int(union.size), by_tag, picks, status)
