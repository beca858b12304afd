"""Descriptions, text definitions and the en-US / en-GB language refset of a synthetic release."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from loaders import rf2_format as rf
from loaders.sctid import ComponentKind, make_sctids
from loaders.snomed import (
    ACCEPTABLE,
    CASE_INSENSITIVE,
    CASE_SENSITIVE,
    CORE_MODULE,
    DEFINITION_TYPE,
    EN_GB,
    EN_US,
    FSN_TYPE,
    PREFERRED,
    SYNONYM_TYPE,
)

from .history import Content
from .ids import ITEM_BASE
from .vocabulary import cap, gb_spelling
from .writer import Writer, common_columns, uuids


@dataclass(frozen=True)
class Descriptions:
    """What the later files and the summary need to know of the descriptions written."""

    concept: np.ndarray  # concept index of each description
    ids: np.ndarray  # description SCTIDs
    active: np.ndarray  # 1/0 per description
    retired: np.ndarray  # inactivated synonyms of active concepts (they get a reason)
    text_definitions: int
    language_members: int


TERM_LIMIT = 255


def write_descriptions(w: Writer, r: Content, tick: Callable[[str], None]) -> Descriptions:
    """FSN, preferred synonym, its en-GB spelling and 1-3 more synonyms per concept; text definitions
    for some disorders; every description and definition in the en-US and en-GB language refsets."""
    rng = r.rng
    n, nm = r.n, r.n_meta
    # Descriptions: FSN, preferred synonym, its en-GB spelling, 1-3 more synonyms.
    everyone = np.arange(n)
    r.n_alts[:nm] = 0
    pref = cap(r.core)
    gb, has_gb = gb_spelling(pref)
    slots: list[tuple[np.ndarray, np.ndarray, int, np.ndarray | int, np.ndarray | int, np.ndarray | int]] = [
        (everyone, r.core + " (" + r.tag + ")", FSN_TYPE, PREFERRED, PREFERRED, r.case),
        (everyone, pref, SYNONYM_TYPE, PREFERRED, np.where(has_gb, ACCEPTABLE, PREFERRED), r.case),
        (np.flatnonzero(has_gb), gb[has_gb], SYNONYM_TYPE, ACCEPTABLE, PREFERRED, r.case[has_gb]),
    ]
    for k in range(3):
        who = np.flatnonzero(r.n_alts > k)
        case = np.where(r.acronym_alt[who], CASE_SENSITIVE, r.case[who]) if k == 1 else r.case[who]
        slots.append((who, r.alts[k][who], SYNONYM_TYPE, ACCEPTABLE, ACCEPTABLE, case))
    concept = np.concatenate([x[0] for x in slots])
    order = np.argsort(concept, kind="stable")
    concept = concept[order]

    def stack(i: int) -> np.ndarray:
        return np.concatenate([np.broadcast_to(np.asarray(x[i]), x[0].shape) for x in slots])[order]

    term, dtype, us_acc, gb_acc, case = stack(1), stack(2), stack(3), stack(4), stack(5)
    # RF2 allows 255 characters in an FSN or synonym (loaders refuse longer ones): the longest generated
    # procedure names are cut at a word boundary, keeping an FSN's semantic tag.
    for k in np.flatnonzero(np.fromiter(map(len, term), np.int64, term.size) > TERM_LIMIT).tolist():
        text = str(term[k])
        tag = text[text.rfind(" (") :] if dtype[k] == FSN_TYPE and text.endswith(")") else ""
        body = text[: len(text) - len(tag)][: TERM_LIMIT - len(tag)]
        term[k] = body[: body.rfind(" ")] + tag if " " in body else body + tag
    # A concept never carries the same synonym twice (vocabulary combinations can collide).
    keep = ~pd.DataFrame({"c": concept, "t": term}).duplicated().to_numpy()
    concept, term, dtype, us_acc, gb_acc, case = (x[keep] for x in (concept, term, dtype, us_acc, gb_acc, case))
    nd = concept.size
    d_active = np.ones(nd, dtype=np.int8)
    # A few acceptable synonyms of active concepts were retired (inactive, with a reason).
    retired = (us_acc == ACCEPTABLE) & (gb_acc == ACCEPTABLE) & r.active[concept] & (rng.random(nd) < 0.02)
    d_active[retired] = 0
    d_ids = make_sctids(ITEM_BASE + rng.permutation(nd), None, ComponentKind.DESCRIPTION)
    d_module = r.module[concept]
    w.write(
        rf.DESCRIPTION,
        {
            **common_columns(d_ids, d_active, d_module),
            "conceptId": r.sctid[concept],
            "languageCode": "en",
            "typeId": dtype,
            "term": term,
            "caseSignificanceId": case,
        },
        "en",
    )
    del term
    tick("descriptions")

    # Text definitions for some disorders.
    ds, de = r.span["disorder"]
    defined = ds + np.flatnonzero(rng.random(de - ds) < 0.03)
    cause = r.agent[defined]
    text = (
        cap(r.short[r.morph1[defined]])
        + " of the "
        + r.short[r.site1[defined]]
        + np.where(cause >= 0, ", caused by " + r.short[np.where(cause >= 0, cause, 0)], "")
        + "."
    )
    t_ids = make_sctids(ITEM_BASE + nd + np.arange(defined.size), None, ComponentKind.DESCRIPTION)
    w.write(
        rf.TEXT_DEFINITION,
        {
            **common_columns(t_ids, 1, CORE_MODULE),
            "conceptId": r.sctid[defined],
            "languageCode": "en",
            "typeId": DEFINITION_TYPE,
            "term": text,
            "caseSignificanceId": CASE_INSENSITIVE,
        },
        "en",
    )
    tick("text definitions")

    # Language refset: every description and definition in en-US and en-GB.
    l_ref = np.concatenate([d_ids, t_ids])
    l_mod = np.concatenate([d_module, np.full(t_ids.size, CORE_MODULE)])
    l_act = np.concatenate([d_active, np.ones(t_ids.size, dtype=np.int8)])
    both = np.full(t_ids.size, PREFERRED)
    nl = 2 * l_ref.size
    w.write(
        rf.LANGUAGE,
        {
            **common_columns(uuids(rng, nl), np.tile(l_act, 2), np.tile(l_mod, 2)),
            "refsetId": np.repeat(np.array([EN_US, EN_GB]), l_ref.size),
            "referencedComponentId": np.tile(l_ref, 2),
            "acceptabilityId": np.concatenate([us_acc, both, gb_acc, both]),
        },
        "en",
    )
    del us_acc, gb_acc
    tick("language refset")
    return Descriptions(concept, d_ids, d_active, retired, int(t_ids.size), nl)
