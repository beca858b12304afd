"""The concept table of a synthetic release and the is-a structure its branches hang on.

`Hierarchy` holds one numpy array per concept attribute (all concepts, metadata first, then the
synthetic bulk, then the inactive ones) and the vectorised primitives that lay out a branch level
by level and pick related concepts; the branch builders (`synth.concepts`) fill in terms and
attributes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from loaders.sctid import ComponentKind, make_sctids
from loaders.snomed import CASE_INSENSITIVE, CORE_MODULE, MODEL_MODULE, PRIMITIVE

from .ids import (
    ACTION,
    ANATOMICAL_STRUCTURE,
    BULK_ITEM_OFFSET,
    CLINICAL_FINDING,
    DISEASE,
    INACTIVE_SHARE,
    ITEM_BASE,
    MIN_CONCEPTS,
    MODEL_COMPONENT,
    MORPHOLOGIC_ABNORMALITY,
    OBSERVABLE,
    ORGANISM,
    PHYSICAL_OBJECT,
    PROCEDURE,
    PRODUCT,
    QUALIFIER_VALUE,
    SITUATION,
    SUBSTANCE,
)
from .metadata import metadata_concepts


@dataclass(frozen=True)
class Branch:
    """One synthetic sub-hierarchy: where it hangs, how big and deep it is, how many parents."""

    key: str
    anchor: int
    tag: str
    share: float  # of the synthetic active concepts (normalised)
    levels: int  # depth below the anchor
    extra_parents: float  # mean number of parents beyond the first (from level 2 on)


# Order matters: a branch may only point at branches built before it.
BRANCHES: tuple[Branch, ...] = (
    Branch("anatomy", ANATOMICAL_STRUCTURE, "body structure", 0.100, 14, 0.18),
    Branch("morphology", MORPHOLOGIC_ABNORMALITY, "morphologic abnormality", 0.0135, 7, 0.12),
    Branch("action", ACTION, "qualifier value", 0.002, 4, 0.05),
    Branch("qualifier", QUALIFIER_VALUE, "qualifier value", 0.025, 8, 0.05),
    Branch("organism", ORGANISM, "organism", 0.090, 14, 0.05),
    Branch("substance", SUBSTANCE, "substance", 0.070, 10, 0.12),
    Branch("object", PHYSICAL_OBJECT, "physical object", 0.0135, 8, 0.10),
    Branch("event", 272379006, "event", 0.011, 6, 0.05),
    Branch("environment", 308916002, "environment", 0.0054, 6, 0.05),
    Branch("specimen", 123038009, "specimen", 0.0046, 7, 0.10),
    Branch("staging", 254291000, "assessment scale", 0.004, 5, 0.05),
    Branch("record", 419891008, "record artifact", 0.0014, 5, 0.05),
    Branch("social", 48176007, "social concept", 0.012, 7, 0.05),
    Branch("force", 78621006, "physical force", 0.0006, 4, 0.0),
    Branch("special", 370115009, "navigational concept", 0.0002, 3, 0.0),
    Branch("observable", OBSERVABLE, "observable entity", 0.024, 9, 0.10),
    Branch("disorder", DISEASE, "disorder", 0.215, 18, 0.64),
    Branch("finding", CLINICAL_FINDING, "finding", 0.105, 16, 0.64),
    Branch("procedure", PROCEDURE, "procedure", 0.160, 14, 0.15),
    Branch("product", PRODUCT, "medicinal product", 0.050, 6, 0.10),
    Branch("situation", SITUATION, "situation", 0.016, 7, 0.10),
)
_PARENT_SKEW = 1.7  # >1: earlier nodes of a level get more children (hubs, as in the real release)


def _level_sizes(n: int, levels: int) -> np.ndarray:
    """Nodes per level: a gamma-like profile peaking at a third of the depth with a long deep tail."""
    lv = np.arange(1, levels + 1, dtype=np.float64)
    w = lv**2 * np.exp(-lv / max(levels / 6.0, 0.5))
    counts: np.ndarray = np.floor(w / w.sum() * n).astype(np.int64)
    counts[np.argmax(counts)] += n - counts.sum()
    if counts[0] == 0:
        counts[0] = 1
        counts[np.argmax(counts)] -= 1
    zero = np.flatnonzero(counts == 0)
    if zero.size:
        counts[np.argmax(counts)] += counts[zero[0] :].sum()
        counts = counts[: zero[0]]
    return counts


class Hierarchy:
    """All per-concept arrays of one synthetic release and the structure primitives; built stage by stage."""

    def __init__(self, concepts: int, seed: int) -> None:
        if concepts < MIN_CONCEPTS:
            raise ValueError(f"concepts must be at least {MIN_CONCEPTS}")
        self.rng = np.random.default_rng(seed)
        meta = metadata_concepts()
        self.meta = meta
        m = len(meta)
        n_bulk = concepts - m
        n_inactive = round(concepts * INACTIVE_SHARE / (1 - INACTIVE_SHARE))
        self.n_meta, self.n_bulk, self.n_inactive = m, n_bulk, n_inactive
        t = self.n = m + n_bulk + n_inactive
        self.active = np.ones(t, dtype=bool)
        self.active[m + n_bulk :] = False
        self.branch = np.full(t, -1, dtype=np.int16)
        self.level = np.zeros(t, dtype=np.int16)
        self.depth = np.zeros(t, dtype=np.int16)
        self.parent = np.full(t, -1, dtype=np.int64)
        self.module = np.full(t, CORE_MODULE, dtype=np.int64)
        self.defstatus = np.full(t, PRIMITIVE, dtype=np.int64)
        self.case = np.full(t, CASE_INSENSITIVE, dtype=np.int64)
        self.core = np.full(t, "", dtype=object)  # FSN without its semantic tag
        self.tag = np.full(t, "", dtype=object)
        self.short = np.full(t, "", dtype=object)  # phrase other concepts' terms embed
        self.alts = [np.full(t, "", dtype=object) for _ in range(3)]
        self.n_alts = np.zeros(t, dtype=np.int8)
        self.acronym_alt = np.zeros(t, dtype=bool)  # alt 2 is an acronym (case sensitive)
        self.map_letter = np.full(t, "", dtype=object)
        self.map_digits = np.zeros(t, dtype=np.int64)
        self.agent = np.full(t, -1, dtype=np.int64)
        self.site1 = np.full(t, -1, dtype=np.int64)
        self.morph1 = np.full(t, -1, dtype=np.int64)
        self.isa: list[tuple[np.ndarray, np.ndarray]] = []
        self.rels: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self.span: dict[str, tuple[int, int]] = {}
        self.bounds: dict[str, np.ndarray] = {}
        self._csr: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self.branch_no = {b.key: i for i, b in enumerate(BRANCHES)}

        ids = np.array([r[0] for r in meta], dtype=np.int64)
        self.index_of = {int(cid): i for i, cid in enumerate(ids)}
        items = ITEM_BASE + BULK_ITEM_OFFSET + self.rng.permutation(n_bulk + n_inactive)
        self.sctid = np.concatenate([ids, make_sctids(items, None, ComponentKind.CONCEPT)])
        shares = np.array([b.share for b in BRANCHES])
        sizes = np.maximum(np.floor(shares / shares.sum() * n_bulk).astype(np.int64), 3)
        sizes[np.argmax(sizes)] += n_bulk - sizes.sum()
        self.sizes = dict(zip((b.key for b in BRANCHES), sizes.tolist(), strict=True))

    # -- structure ---------------------------------------------------------------------------

    def build_metadata(self) -> None:
        """Metadata concepts from the table: terms, is-a, modules and depths (a few hundred rows)."""
        for i, (cid, term, tag, parents) in enumerate(self.meta):
            self.core[i] = term
            self.short[i] = term[0].lower() + term[1:]
            self.tag[i] = tag
            if parents:
                p = [self.index_of[x] for x in parents]
                self.parent[i] = p[0]
                self.depth[i] = max(int(self.depth[j]) for j in p) + 1
                self.isa.append((np.full(len(p), i, dtype=np.int64), np.array(p, dtype=np.int64)))
                if cid == MODEL_COMPONENT or self.module[p[0]] == MODEL_MODULE:
                    self.module[i] = MODEL_MODULE

    def layout(self, b: Branch, first: int) -> None:
        """Levels, primary parents (vectorised per level) and extra parents of one branch."""
        n = self.sizes[b.key]
        sizes = _level_sizes(n, b.levels)
        bounds = first + np.concatenate([[0], np.cumsum(sizes)])
        self.span[b.key] = (first, first + n)
        self.bounds[b.key] = bounds
        anchor = self.index_of[b.anchor]
        lv = np.repeat(np.arange(1, len(sizes) + 1), sizes)
        sl = slice(first, first + n)
        self.branch[sl] = self.branch_no[b.key]
        self.level[sl] = lv
        self.depth[sl] = self.depth[anchor] + lv
        self.tag[sl] = b.tag
        rng = self.rng
        par = np.full(n, anchor, dtype=np.int64)
        deep = lv >= 2
        lo, hi = bounds[lv[deep] - 2], bounds[lv[deep] - 1]
        par[deep] = lo + np.floor((hi - lo) * rng.random(deep.sum()) ** _PARENT_SKEW).astype(np.int64)
        self.parent[sl] = par
        src = np.arange(first, first + n, dtype=np.int64)
        self.isa.append((src, par))
        k = np.minimum(rng.poisson(b.extra_parents, n), 3) * deep
        esrc = np.repeat(src, k)
        el = np.repeat(lv, k)
        lo_l = np.maximum(el - 3, 1)
        far = lo_l + np.floor(rng.random(el.size) * (el - 1 - lo_l)).astype(np.int64)
        elv = np.where((rng.random(el.size) < 0.6) | (el < 3), el - 1, far)
        a, z = bounds[elv - 1], bounds[elv]
        self.isa.append((esrc, a + np.floor((z - a) * rng.random(el.size)).astype(np.int64)))

    def pick(self, key: str, n: int, max_level: int | None = None, skew: float = 1.3) -> np.ndarray:
        """Random concepts of a branch, biased towards shallower (more general) ones."""
        s, e = self.span[key]
        if max_level is not None:
            bounds = self.bounds[key]
            e = int(bounds[min(max_level, len(bounds) - 1)])
        return s + np.floor((e - s) * self.rng.random(n) ** skew).astype(np.int64)

    def random_child(self, key: str, x: np.ndarray) -> np.ndarray:
        """A random primary child of each concept in `x` (itself when it has none)."""
        s, e = self.span[key]
        if key not in self._csr:
            par = self.parent[s:e] - s
            inside = np.flatnonzero(par >= 0)
            order = inside[np.argsort(par[inside], kind="stable")]
            counts = np.bincount(par[inside], minlength=e - s)
            offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
            self._csr[key] = (order, counts, offsets)
        order, counts, offsets = self._csr[key]
        local = x - s
        cnt = counts[local]
        out = x.copy()
        has = cnt > 0
        pos = offsets[local[has]] + np.floor(self.rng.random(has.sum()) * cnt[has]).astype(np.int64)
        out[has] = order[pos] + s
        return out

    def refine(self, key: str, x: np.ndarray, keep: float = 0.45, child: float = 0.4) -> np.ndarray:
        """What a child concept points at: its parent's value, a specialisation of it, or anything."""
        u = self.rng.random(x.size)
        has = x >= 0
        fresh = self.pick(key, x.size)
        return np.where(
            has & (u < keep),
            x,
            np.where(has & (u < keep + child), self.random_child(key, np.where(has, x, fresh)), fresh),
        )

    def levels_of(self, key: str) -> Iterable[tuple[int, int, np.ndarray]]:
        """(start, stop, primary parents) for each level of a branch, top down."""
        bounds = self.bounds[key]
        for i in range(len(bounds) - 1):
            s, e = int(bounds[i]), int(bounds[i + 1])
            yield s, e, self.parent[s:e]

    def rel(self, src: np.ndarray, dst: np.ndarray, typ: int, group: np.ndarray | int) -> None:
        src = np.asarray(src, dtype=np.int64)
        grp = np.broadcast_to(np.asarray(group, dtype=np.int64), src.shape)
        self.rels.append((src, np.asarray(dst, dtype=np.int64), np.full(src.size, typ, dtype=np.int64), grp))

    def set_terms(self, sl: slice, core: np.ndarray, short: np.ndarray, alts: Sequence[np.ndarray]) -> None:
        self.core[sl] = core
        self.short[sl] = short
        for i, a in enumerate(alts):
            self.alts[i][sl] = a
