"""Inferred relationships (is-a and attributes, active and former) and concrete values of a synthetic release."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from loaders import rf2_format as rf
from loaders.sctid import ComponentKind, make_sctids
from loaders.snomed import CORE_MODULE, EXISTENTIAL, INFERRED, IS_A

from .history import Content
from .ids import COUNT_OF_BASE, ITEM_BASE, STRENGTH_NUMERATOR_VALUE, TEXT_ATTRIBUTE
from .vocabulary import arr
from .writer import Writer, common_columns


@dataclass(frozen=True)
class Relationships:
    """What the summary needs to know of the relationships written."""

    is_a_source: np.ndarray  # concept index of each active is-a row
    rows: int
    active_rows: int


def write_relationships(w: Writer, r: Content, tick: Callable[[str], None]) -> Relationships:
    """Active inferred is-a and attribute rows, the former is-a of inactive concepts, then concrete values."""
    rng = r.rng
    n = r.n
    # Relationships: active inferred is-a + attributes, and the former is-a of inactive concepts.
    isa_src = np.concatenate([x[0] for x in r.isa])
    isa_dst = np.concatenate([x[1] for x in r.isa])
    key = np.unique(isa_src * n + isa_dst)
    isa_src, isa_dst = key // n, key % n
    a_src = np.concatenate([x[0] for x in r.rels])
    src = np.concatenate([isa_src, a_src, r.inactive_isa[0]])
    dst = np.concatenate([isa_dst, np.concatenate([x[1] for x in r.rels]), r.inactive_isa[1]])
    typ = np.concatenate(
        [np.full(isa_src.size, IS_A), np.concatenate([x[2] for x in r.rels]), np.full(r.n_inactive, IS_A)]
    )
    grp = np.concatenate(
        [
            np.zeros(isa_src.size, dtype=np.int64),
            np.concatenate([x[3] for x in r.rels]),
            np.zeros(r.n_inactive, dtype=np.int64),
        ]
    )
    n_active_rel = isa_src.size + a_src.size
    rel_active = np.zeros(src.size, dtype=np.int8)
    rel_active[:n_active_rel] = 1
    nr = src.size
    w.write(
        rf.RELATIONSHIP,
        {
            **common_columns(
                make_sctids(ITEM_BASE + rng.permutation(nr), None, ComponentKind.RELATIONSHIP),
                rel_active,
                r.module[src],
            ),
            "sourceId": r.sctid[src],
            "destinationId": r.sctid[dst],
            "relationshipGroup": grp,
            "typeId": typ,
            "characteristicTypeId": INFERRED,
            "modifierId": EXISTENTIAL,
        },
    )
    tick("relationships")

    # Concrete values on some clinical drugs: strength "#0.25", count of base "#1", a "text".
    drugs = r.drugs[: min(300, r.drugs.size)]
    if drugs.size == 0:
        drugs = np.arange(*r.span["product"])[:10]
        strengths = np.full(drugs.size, "5", dtype=object)
    else:
        strengths = r.drug_strength[: drugs.size]
    texts = drugs[:20]
    c_src = np.concatenate([drugs, drugs, texts])
    c_val = np.concatenate(
        [
            "#" + strengths,
            np.where(r.rng.random(drugs.size) < 0.8, "#1", "#2").astype(object),
            '"' + arr(["film-coated", "scored", "chewable", "sugar-free"])[np.arange(texts.size) % 4] + '"',
        ]
    )
    c_typ = np.concatenate(
        [
            np.full(drugs.size, STRENGTH_NUMERATOR_VALUE),
            np.full(drugs.size, COUNT_OF_BASE),
            np.full(texts.size, TEXT_ATTRIBUTE),
        ]
    )
    c_grp = np.concatenate([np.ones(drugs.size, dtype=np.int64), np.zeros(drugs.size + texts.size, dtype=np.int64)])
    w.write(
        rf.CONCRETE_VALUES,
        {
            **common_columns(
                make_sctids(ITEM_BASE + nr + np.arange(c_src.size), None, ComponentKind.RELATIONSHIP), 1, CORE_MODULE
            ),
            "sourceId": r.sctid[c_src],
            "value": c_val,
            "relationshipGroup": c_grp,
            "typeId": c_typ,
            "characteristicTypeId": INFERRED,
            "modifierId": EXISTENTIAL,
        },
    )
    tick("concrete values")
    return Relationships(isa_src, nr, n_active_rel)
