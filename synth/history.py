"""Inactive concepts: their reasons, historical associations (some chained) and former is-a."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .concepts import Concepts
from .hierarchy import BRANCHES
from .ids import POSSIBLY_EQUIVALENT_TO, POSSIBLY_REPLACED_BY, REASON, REPLACED_BY, SAME_AS
from .vocabulary import lower_first


class Content(Concepts):
    """Every concept of the release, active and inactive: what the writers turn into files."""

    # Set by build_inactive.
    assoc: tuple[np.ndarray, np.ndarray, np.ndarray]  # (association refset, source, target) rows
    reason: np.ndarray  # inactivation reason of each inactive concept
    inactive_isa: tuple[np.ndarray, np.ndarray]  # (inactive concept, former parent)
    notable_inactive: tuple[int, int, int]  # replaced, ambiguous, chained (ids for the summary)

    def build_inactive(self) -> None:
        """Inactive concepts with a reason and historical associations (some chained)."""
        rng = self.rng
        s, e = self.n_meta + self.n_bulk, self.n
        n = e - s
        # Allocate to branches like the active content, and give each a main target there.
        weights = np.array([self.sizes[b.key] for b in BRANCHES], dtype=np.float64)
        br = rng.choice(len(BRANCHES), size=n, p=weights / weights.sum())
        br.sort()
        starts = np.array([self.span[b.key][0] for b in BRANCHES])
        sizes = np.array([self.sizes[b.key] for b in BRANCHES])
        target = starts[br] + np.floor(rng.random(n) * sizes[br]).astype(np.int64)
        idx = np.arange(s, e)
        self.branch[s:e] = br
        self.tag[s:e] = self.tag[target]
        self.case[s:e] = self.case[target]
        kinds = (
            "DUPLICATE",
            "OUTDATED",
            "ERRONEOUS",
            "NONCONFORMANCE TO EDITORIAL POLICY",
            "AMBIGUOUS",
            "CLASSIFICATION DERIVED COMPONENT",
        )
        reason = rng.choice(len(kinds), size=n, p=[0.30, 0.25, 0.10, 0.05, 0.20, 0.10])
        decor = rng.integers(0, 5, n)
        core = self.core[target]
        legacy = np.choose(
            np.where(reason == 0, 0, decor), [core, core + " NOS", "[D]" + core, "[X]" + core, core + ", unspecified"]
        )
        self.set_terms(
            slice(s, e),
            legacy,
            lower_first(legacy),
            (self.alts[0][target], self.alts[1][target], self.alts[2][target]),
        )
        self.n_alts[s:e] = rng.random(n) < 0.3
        # Associations: one row per (refset, source, target).
        single = reason <= 3
        refset = np.where(reason == 0, SAME_AS, REPLACED_BY)
        tgt = target.copy()
        # Chains: some point at another inactive concept of their branch that itself resolves,
        # (inactive -> inactive -> active), a few at one of those (two hops).
        want1 = single & (rng.random(n) < 0.06)
        want2 = single & ~want1 & (rng.random(n) < 0.01)
        chain = self._chain(tgt, br, want1, single & ~want1 & ~want2)
        self._chain(tgt, br, want2, chain)
        terminal = single & (tgt < s)
        multi = ~single
        extra_n = np.where(reason == 4, 1 + (rng.random(n) < 0.5), rng.random(n) < 0.5) * multi
        extra_src = np.repeat(idx, extra_n)
        extra_br = br[extra_src - s]
        extra_tgt = starts[extra_br] + np.floor(rng.random(extra_src.size) * sizes[extra_br]).astype(np.int64)
        multi_refset = np.where(reason == 4, POSSIBLY_EQUIVALENT_TO, POSSIBLY_REPLACED_BY)
        refset = np.where(multi, multi_refset, refset)
        a_ref = np.concatenate([refset, multi_refset[extra_src - s]])
        a_src = np.concatenate([idx, extra_src])
        a_tgt = np.concatenate([tgt, extra_tgt])
        key = pd.DataFrame({"r": a_ref, "s": a_src, "t": a_tgt}).drop_duplicates()
        self.assoc = (key["r"].to_numpy(), key["s"].to_numpy(), key["t"].to_numpy())
        self.reason = np.array([REASON[k] for k in kinds], dtype=np.int64)[reason]
        self.inactive_isa = (idx, self.parent[target])
        self.notable_inactive = (
            int(self.sctid[s + np.flatnonzero(terminal)[0]]) if terminal.any() else 0,
            int(self.sctid[s + np.flatnonzero(reason == 4)[0]]) if (reason == 4).any() else 0,
            int(self.sctid[s + np.flatnonzero(chain)[0]]) if chain.any() else 0,
        )

    def _chain(self, tgt: np.ndarray, br: np.ndarray, want: np.ndarray, pool_mask: np.ndarray) -> np.ndarray:
        """Point each wanted inactive concept at a random pool member of its branch; return who moved."""
        pool = np.flatnonzero(pool_mask)
        counts = np.bincount(br[pool], minlength=len(BRANCHES))
        offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
        src = np.flatnonzero(want & (counts[br] > 0))
        pos = offsets[br[src]] + np.floor(self.rng.random(src.size) * counts[br[src]]).astype(np.int64)
        tgt[src] = self.n_meta + self.n_bulk + pool[pos]
        moved = np.zeros(want.size, dtype=bool)
        moved[src] = True
        return moved
