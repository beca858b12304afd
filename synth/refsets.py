"""Reference sets of a synthetic release: inactivation indicators, historical associations, a simple
refset, an ICD-10-style extended map, module dependency and MRCM."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from loaders import rf2_format as rf
from loaders.snomed import (
    CONCEPT_INACTIVATION_REFSET,
    CORE_MODULE,
    DESCRIPTION_INACTIVATION_REFSET,
    MODEL_MODULE,
    MODULE_DEPENDENCY_REFSET,
)

from .descriptions import Descriptions
from .history import Content
from .ids import (
    CONCEPT_NON_CURRENT,
    EFFECTIVE_TIME,
    ICD10_MAP_REFSET,
    LATERALIZABLE_REFSET,
    MAP_CORRELATION_NOT_SPECIFIED,
    MAP_SOURCE_PROPERLY_CLASSIFIED,
    REASON,
)
from .mrcm import write_mrcm
from .writer import Writer, common_columns, uuids


@dataclass(frozen=True)
class Refsets:
    """Member counts, and the concepts mapped to ICD-10 (index order as written)."""

    association_members: int
    simple_members: int
    map_members: int
    mapped: np.ndarray


def write_refsets(w: Writer, r: Content, d: Descriptions, concepts: int, tick: Callable[[str], None]) -> Refsets:
    """Every refset file; `concepts` is the requested number of active concepts (sizes the simple refset)."""
    rng = r.rng
    n, nm = r.n, r.n_meta
    concept, retired, d_ids = d.concept, d.retired, d.ids
    ds, de = r.span["disorder"]
    # Inactivation indicators: concepts (reason) and descriptions (retired / concept non-current).
    inactive = np.arange(nm + r.n_bulk, n)
    non_current = np.flatnonzero(~r.active[concept])
    gone = np.flatnonzero(retired)
    v_ref = np.concatenate([r.sctid[inactive], d_ids[non_current], d_ids[gone]])
    v_refset = np.concatenate(
        [
            np.full(inactive.size, CONCEPT_INACTIVATION_REFSET),
            np.full(non_current.size + gone.size, DESCRIPTION_INACTIVATION_REFSET),
        ]
    )
    v_val = np.concatenate(
        [
            r.reason,
            np.full(non_current.size, CONCEPT_NON_CURRENT),
            np.where(rng.random(gone.size) < 0.7, REASON["OUTDATED"], REASON["ERRONEOUS"]),
        ]
    )
    w.write(
        rf.ATTRIBUTE_VALUE,
        {
            **common_columns(uuids(rng, v_ref.size), 1, CORE_MODULE),
            "refsetId": v_refset,
            "referencedComponentId": v_ref,
            "valueId": v_val,
        },
    )
    a_refset, a_source, a_target = r.assoc
    n_assoc = w.write(
        rf.ASSOCIATION,
        {
            **common_columns(uuids(rng, a_refset.size), 1, CORE_MODULE),
            "refsetId": a_refset,
            "referencedComponentId": r.sctid[a_source],
            "targetComponentId": r.sctid[a_target],
        },
    )
    tick("history")

    # Simple refset: lateralizable body structures (those without a side of their own).
    members = np.sort(rng.choice(r.unsided, size=min(r.unsided.size, max(20, round(concepts * 0.01))), replace=False))
    n_simple = w.write(
        rf.SIMPLE,
        {
            **common_columns(uuids(rng, members.size), 1, CORE_MODULE),
            "refsetId": LATERALIZABLE_REFSET,
            "referencedComponentId": r.sctid[members],
        },
    )

    # ICD-10-style extended map for most disorders and some findings.
    fs, fe = r.span["finding"]
    mapped = np.concatenate(
        [ds + np.flatnonzero(rng.random(de - ds) < 0.75), fs + np.flatnonzero(rng.random(fe - fs) < 0.3)]
    )
    decimal = np.where(
        rng.random(mapped.size) < 0.6, "." + rng.integers(0, 10, mapped.size).astype(str).astype(object), ""
    )
    target1 = r.map_letter[mapped] + np.char.zfill(r.map_digits[mapped].astype(str), 2).astype(object) + decimal
    second = mapped[(r.agent[mapped] >= 0) | (rng.random(mapped.size) < 0.08)]
    target2 = (
        np.where(
            r.agent[second] >= 0,
            "B9" + rng.integers(5, 8, second.size).astype(str).astype(object),
            "Y" + rng.integers(40, 85, second.size).astype(str).astype(object),
        )
        + "."
        + rng.integers(0, 10, second.size).astype(str).astype(object)
    )
    m_src = np.concatenate([mapped, second])
    m_target = np.concatenate([target1, target2])
    order = np.argsort(m_src, kind="stable")
    m_src, m_target = m_src[order], m_target[order]
    m_group = np.concatenate([np.ones(mapped.size, dtype=np.int64), np.full(second.size, 2)])[order]
    n_map = w.write(
        rf.EXTENDED_MAP,
        {
            **common_columns(uuids(rng, m_src.size), 1, CORE_MODULE),
            "refsetId": ICD10_MAP_REFSET,
            "referencedComponentId": r.sctid[m_src],
            "mapGroup": m_group,
            "mapPriority": 1,
            "mapRule": "TRUE",
            "mapAdvice": "ALWAYS " + m_target,
            "mapTarget": m_target,
            "correlationId": MAP_CORRELATION_NOT_SPECIFIED,
            "mapCategoryId": MAP_SOURCE_PROPERLY_CLASSIFIED,
        },
    )
    tick("refsets and map")

    # Module dependency and MRCM.
    w.write(
        rf.MODULE_DEPENDENCY,
        {
            **common_columns(uuids(rng, 1), 1, CORE_MODULE),
            "refsetId": MODULE_DEPENDENCY_REFSET,
            "referencedComponentId": [MODEL_MODULE],
            "sourceEffectiveTime": EFFECTIVE_TIME,
            "targetEffectiveTime": EFFECTIVE_TIME,
        },
    )
    write_mrcm(w, r, rng)
    tick("metadata refsets")
    return Refsets(n_assoc, n_simple, n_map, mapped)
