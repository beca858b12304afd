"""Terms and attributes of each synthetic branch (body structures, organisms, disorders, ...).

Each builder fills one branch laid out by `Hierarchy.layout`: its terms are built from the
concepts' own attribute values, refined level by level, so term search and definitions agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from loaders.snomed import CASE_SENSITIVE, FULLY_DEFINED, PRIMITIVE

from .hierarchy import BRANCHES, Hierarchy
from .ids import (
    ACUTE,
    ASSOCIATED_FINDING,
    ASSOCIATED_MORPHOLOGY,
    CAUSATIVE_AGENT,
    CHRONIC,
    CLINICAL_COURSE,
    COMPONENT,
    DOSE_FORM_IDS,
    DOSE_FORMS,
    DUE_TO,
    FINDING_CONTEXT,
    FINDING_SITE,
    HAS_ACTIVE_INGREDIENT,
    HAS_DOSE_FORM,
    HAS_INTERPRETATION,
    INTERPRETS,
    KNOWN_ABSENT,
    KNOWN_PRESENT,
    LATERALITY,
    LEFT,
    METHOD,
    MILD,
    MODERATE,
    PATHOLOGICAL_PROCESS,
    PROCEDURE_SITE,
    RIGHT,
    SEVERE,
    SEVERITY,
    USING_DEVICE,
)
from .vocabulary import (
    ANATOMY_BASE,
    ANATOMY_LETTER,
    DISORDER_ADJ,
    ESTER,
    FINDING_ADJ,
    FINDING_WORD,
    GENUS,
    HYDRATE,
    MEASURE,
    MORPH_LETTER,
    OBS_ADJ,
    OBS_HEAD,
    PART_NAME,
    PART_OF,
    POSITION,
    ROUTE,
    SALT,
    SALT_NAME,
    SIDE_WORD,
    SITUATION_PHRASES,
    SPECIES,
    SPECIMEN_WORD,
    STEM,
    STRENGTH,
    SUFFIX,
    TISSUE_NAME,
    TISSUE_OF,
    VARIANT,
    VOCAB,
    acronym,
    arr,
    cap,
    lower_first,
    opt,
)


class Concepts(Hierarchy):
    """The hierarchy with every branch's terms and attributes filled in."""

    # Set by the branch builders, read by later branches and by the writers.
    morph_noun: np.ndarray  # head word of each morphology (its "noun")
    anat_base: np.ndarray  # base structure of each body structure
    unsided: np.ndarray  # body structures without a side of their own
    drugs: np.ndarray  # clinical drugs (products with a strength)
    drug_strength: np.ndarray  # their strength, as written in a concrete value

    def _slots(self, key: str, sizes: Sequence[int], first_random: bool = False) -> np.ndarray:
        """Term components, refined level by level: row 0 is a head word inherited from the parent,
        rows 1.. are optional slots (0 = empty); each child fills one empty slot of its parent's
        (from a random start) or, when all are full, changes one. Returns a (slots, n) array."""
        s, e = self.span[key]
        k = len(sizes) - 1
        comp = np.zeros((k + 1, e - s), dtype=np.int64)
        limits = np.asarray(sizes, dtype=np.int64)
        rng = self.rng
        for ls, le, par in self.levels_of(key):
            a, z = ls - s, le - s
            m, cols = z - a, np.arange(z - a)
            if ls == s:
                n_heads = int(limits[0])
                comp[0, :z] = rng.integers(0, n_heads, z) if first_random else rng.permutation(n_heads)[cols % n_heads]
                extra = np.flatnonzero(cols >= n_heads)  # more top concepts than head words
                slot = rng.integers(1, k + 1, extra.size)
                comp[slot, extra] = 1 + np.floor(rng.random(extra.size) * limits[slot]).astype(np.int64)
                continue
            c = comp[:, par - s]
            start = rng.integers(0, k, m)
            slot = np.full(m, -1, dtype=np.int64)
            for shift in range(k):
                cand = (start + shift) % k + 1
                slot = np.where((slot < 0) & (c[cand, cols] == 0), cand, slot)
            full = slot < 0
            slot = np.where(full, start + 1, slot)
            size = limits[slot]
            fresh = 1 + np.floor(rng.random(m) * size).astype(np.int64)
            # A full child changes a slot to a different value (a two-valued slot such as side flips).
            step = 1 + np.floor(rng.random(m) * np.maximum(size - 1, 1)).astype(np.int64)
            changed = 1 + (c[slot, cols] - 1 + step) % size
            c[slot, cols] = np.where(full, changed, fresh)
            comp[:, a:z] = c
        return comp

    def build_generic(self, key: str, suffix: str = "") -> None:
        """Branches whose terms are a head word with modifiers (morphology, qualifiers, objects...)."""
        heads, mods = VOCAB[key]
        groups = [mods[i::3] for i in range(3)]  # three disjoint modifier slots: no repeated word
        h, *m = self._slots(key, [len(heads), *(len(g) for g in groups)])
        head = arr(heads)
        words = [opt(g) for g in groups]
        plain = [opt(g, "") for g in groups]
        mods_text = words[2][m[2]] + words[1][m[1]] + words[0][m[0]]
        phrase = mods_text + head[h]
        s, e = self.span[key]
        bare = (m[0] == 0) & (m[1] == 0) & (m[2] == 0)  # a head word alone: no inverted form or acronym
        trimmed = pd.Series(mods_text, dtype=object).str.rstrip().to_numpy(dtype=object)
        inverted = np.where(bare, cap(head[h]) + " NOS", cap(head[h]) + ", " + trimmed)
        acro = np.where(bare, "Unspecified " + head[h], acronym(phrase))
        # Keeping only the innermost modifier gives the parent-like wording real synonyms often have.
        inner = np.where(m[0] > 0, words[0][m[0]], np.where(m[1] > 0, words[1][m[1]], words[2][m[2]]))
        broader = np.where(bare, cap(head[h]) + " (general)", cap(inner + head[h]))
        broader = np.where(broader == cap(phrase), cap(head[h]) + ", " + plain[0][m[0]] + " type", broader)
        self.acronym_alt[s:e] = ~bare
        self.set_terms(slice(s, e), cap(phrase) + suffix, phrase, (inverted, acro, broader))
        if key == "morphology":
            self.morph_noun = np.zeros(self.n, dtype=np.int64)
            self.morph_noun[s:e] = h

    def build_anatomy(self) -> None:
        """Body structures: a base structure refined by side, position, part and tissue."""
        key = "anatomy"
        s, e = self.span[key]
        sizes = [len(ANATOMY_BASE), 2, len(POSITION) - 1, len(PART_OF) - 1, len(TISSUE_OF) - 1]
        base, side, pos, part, tissue = self._slots(key, sizes)
        short = TISSUE_OF[tissue] + POSITION[pos] + PART_OF[part] + SIDE_WORD[side] + ANATOMY_BASE[base]
        raw_detail = pd.Series(
            POSITION[pos] + PART_NAME[part] + " " + SIDE_WORD[side] + TISSUE_NAME[tissue], dtype=object
        )
        detail = raw_detail.str.replace(r"\s+", " ", regex=True).str.strip().to_numpy(dtype=object)
        plain = (pos == 0) & (part == 0) & (side == 0) & (tissue == 0)
        reordered = np.where(plain, "Entire " + ANATOMY_BASE[base], cap(ANATOMY_BASE[base]) + ", " + detail)
        self.set_terms(slice(s, e), "Structure of " + short, short, (cap(short), reordered, cap(short) + " structure"))
        self.map_letter[s:e] = ANATOMY_LETTER[base]
        self.anat_base = np.zeros(self.n, dtype=np.int64)
        self.anat_base[s:e] = base
        lat = np.flatnonzero(side > 0)
        self.rel(s + lat, np.where(side[lat] == 1, self.index_of[LEFT], self.index_of[RIGHT]), LATERALITY, 0)
        self.unsided = s + np.flatnonzero(side == 0)

    def build_organism(self) -> None:
        """Organisms: genus, then species, then numbered serotypes/strains; names are case sensitive."""
        key = "organism"
        s, e = self.span[key]
        n = e - s
        rng = self.rng
        genus, species, variant, number = (np.zeros(n, dtype=np.int64) for _ in range(4))
        for ls, le, par in self.levels_of(key):
            a, z = ls - s, le - s
            if ls == s:
                k = np.arange(z)
                genus[:z] = rng.permutation(len(GENUS))[k % len(GENUS)]
                species[:z] = np.where(k >= len(GENUS), rng.integers(1, len(SPECIES) + 1, z), 0)
                continue
            p = par - s
            g, sp, v, nr = genus[p], species[p].copy(), variant[p].copy(), number[p].copy()
            no_sp = sp == 0
            sp[no_sp] = rng.integers(1, len(SPECIES) + 1, no_sp.sum())
            v = np.where(no_sp, v, np.where(v == 0, rng.integers(1, len(VARIANT) + 1, z - a), v))
            nr = np.where(no_sp, nr, rng.integers(1, 300, z - a))
            genus[a:z], species[a:z], variant[a:z], number[a:z] = g, sp, v, nr
        g_name = arr(GENUS)[genus]
        sp_name = opt(SPECIES, "")[species]
        var = np.where(variant > 0, " " + opt(VARIANT, "")[variant] + " " + number.astype(str).astype(object), "")
        name = np.where(species > 0, g_name + " " + sp_name + var, "Genus " + g_name)
        abbrev = np.where(
            species > 0,
            pd.Series(g_name, dtype=object).str.slice(0, 1).to_numpy(dtype=object) + ". " + sp_name + var,
            g_name + " species",
        )
        self.set_terms(
            slice(s, e),
            name,
            np.where(species > 0, name, g_name),
            (abbrev, name + " organism", name + " (microorganism)"),
        )
        self.case[s:e] = CASE_SENSITIVE

    def build_substance(self) -> None:
        """Substances: drug-like names, refined by salt, ester and hydrate forms."""
        key = "substance"
        s, e = self.span[key]
        names = arr([a + b for a in STEM for b in SUFFIX])
        name, salt, ester, hyd = self._slots(key, [len(names), len(SALT) - 1, len(ESTER) - 1, len(HYDRATE) - 1])
        full = names[name] + ESTER[ester] + SALT[salt] + HYDRATE[hyd]
        self.set_terms(
            slice(s, e),
            cap(full),
            full,
            (
                np.where(salt > 0, cap(names[name] + ESTER[ester]) + " (" + SALT_NAME[salt] + ")", "Substance " + full),
                np.where(salt > 0, "Substance " + full, cap(full) + " compound"),
                cap(full) + " preparation",
            ),
        )

    def build_observable(self) -> None:
        """Observables: 'Concentration of X in serum' (Component -> substance) or vital-sign-like."""
        key = "observable"
        s, e = self.span[key]
        n = e - s
        rng = self.rng
        comp = np.full(self.n, -1, dtype=np.int64)
        adj = [OBS_ADJ[0::2], OBS_ADJ[1::2]]
        head, m1, m2 = self._slots(key, [len(OBS_HEAD), len(adj[0]), len(adj[1])], first_random=True)
        measure = rng.integers(0, len(MEASURE), n)
        spec = rng.integers(0, len(SPECIMEN_WORD), n)
        for ls, le, par in self.levels_of(key):
            if ls == s:
                take = rng.random(le - ls) < 0.8
                comp[ls:le] = np.where(take, self.pick("substance", le - ls, skew=1.0), -1)
                continue
            inherited = comp[par]
            comp[ls:le] = np.where(
                inherited >= 0,
                self.refine("substance", inherited, 0.5, 0.45),
                np.where(rng.random(le - ls) < 0.3, self.pick("substance", le - ls), -1),
            )
        c = comp[s:e]
        has = c >= 0
        sub = self.short[np.where(has, c, 0)]
        measured = arr(MEASURE)[measure] + " of " + sub + " in " + arr(SPECIMEN_WORD)[spec]
        generic = opt(adj[1])[m2] + opt(adj[0])[m1] + arr(OBS_HEAD)[head]
        phrase = np.where(has, measured, generic)
        modifiers = pd.Series(opt(adj[1])[m2] + opt(adj[0])[m1], dtype=object).str.rstrip().to_numpy(dtype=object)
        alt1 = np.where(
            has,
            cap(sub) + " " + arr(MEASURE)[measure] + ", " + arr(SPECIMEN_WORD)[spec],
            cap(arr(OBS_HEAD)[head]) + np.where((m1 > 0) | (m2 > 0), ", " + modifiers, " (general)"),
        )
        self.set_terms(
            slice(s, e), cap(phrase), phrase, (alt1, cap(phrase) + " measurement", cap(phrase) + " observable")
        )
        idx = s + np.flatnonzero(has)
        self.rel(idx, c[has], COMPONENT, 1)

    def build_disorder(self) -> None:
        """Disorders: morphology of a site (+ agent); children refine the parent's site/morphology."""
        key = "disorder"
        s, e = self.span[key]
        n = e - s
        rng = self.rng
        adj = np.zeros(self.n, dtype=np.int64)
        for ls, le, par in self.levels_of(key):
            m = le - ls
            if ls == s:
                self.site1[ls:le] = self.pick("anatomy", m, max_level=3)
                self.morph1[ls:le] = self.pick("morphology", m, max_level=2)
                continue
            site = self.refine("anatomy", self.site1[par])
            morph = self.refine("morphology", self.morph1[par], 0.55, 0.3)
            a = np.where(
                rng.random(m) < 0.6,
                adj[par],
                np.where(rng.random(m) < 0.5, 0, rng.integers(1, len(DISORDER_ADJ) + 1, m)),
            )
            same = (site == self.site1[par]) & (morph == self.morph1[par]) & (a == adj[par])
            a = np.where(same, (a + rng.integers(1, len(DISORDER_ADJ), m)) % (len(DISORDER_ADJ) + 1), a)
            agent = self.agent[par]
            agent = np.where((agent >= 0) & (rng.random(m) < 0.85), agent, -1)
            new = (agent < 0) & (rng.random(m) < 0.1)
            organism = rng.random(m) < 0.7
            agent = np.where(
                new, np.where(organism, self.pick("organism", m, skew=1.6), self.pick("substance", m)), agent
            )
            self.site1[ls:le], self.morph1[ls:le], adj[ls:le], self.agent[ls:le] = site, morph, a, agent
        idx = np.arange(s, e)
        site, morph, a, agent = self.site1[s:e], self.morph1[s:e], adj[s:e], self.agent[s:e]
        has_agent = agent >= 0
        due = np.where(has_agent, " due to " + self.short[np.where(has_agent, agent, 0)], "")
        mph, st = self.short[morph], self.short[site]
        adj_w = opt(DISORDER_ADJ)[a]
        phrase = adj_w + mph + " of " + st + due
        self.set_terms(
            slice(s, e),
            cap(phrase),
            phrase,
            (cap(st + " " + mph) + due, cap(mph) + ", " + st + due, cap(adj_w + mph + " in " + st) + due),
        )
        letter = np.where(
            MORPH_LETTER[self.morph_noun[morph]] == "-", self.map_letter[site], MORPH_LETTER[self.morph_noun[morph]]
        )
        self.map_letter[s:e] = letter
        self.map_digits[s:e] = (self.anat_base[site] * 7 + self.morph_noun[morph] * 13) % 100
        # Role groups: group 1 carries the refined site/morphology (and agent); 1-2 more are random.
        groups = 1 + (rng.random(n) < 0.5) + (rng.random(n) < 0.2)
        self.rel(idx, site, FINDING_SITE, 1)
        self.rel(idx, morph, ASSOCIATED_MORPHOLOGY, 1)
        self.rel(idx[has_agent], agent[has_agent], CAUSATIVE_AGENT, 1)
        proc = rng.random(n) < 0.12
        self.rel(idx[proc], self.pick("qualifier", int(proc.sum())), PATHOLOGICAL_PROCESS, 1)
        for g in (2, 3):
            more = idx[groups >= g]
            self.rel(more, self.pick("anatomy", more.size), FINDING_SITE, g)
            with_morph = more[rng.random(more.size) < 0.9]
            self.rel(with_morph, self.pick("morphology", with_morph.size), ASSOCIATED_MORPHOLOGY, g)
        course = np.isin(a, (1, 2))
        self.rel(
            idx[course], np.where(a[course] == 1, self.index_of[ACUTE], self.index_of[CHRONIC]), CLINICAL_COURSE, 0
        )
        deep = idx[(self.level[s:e] >= 2) & (rng.random(n) < 0.06)]
        self.rel(deep, s + np.floor(rng.random(deep.size) * (self.bounds[key][1] - s)).astype(np.int64), DUE_TO, 0)
        self.defstatus[s:e] = np.where(rng.random(n) < 0.45, FULLY_DEFINED, PRIMITIVE)

    def build_finding(self) -> None:
        """Findings: a symptom word of a site, sometimes with morphology and an interpretation group."""
        key = "finding"
        s, e = self.span[key]
        n = e - s
        rng = self.rng
        word = np.zeros(self.n, dtype=np.int64)
        for ls, le, par in self.levels_of(key):
            m = le - ls
            if ls == s:
                self.site1[ls:le] = self.pick("anatomy", m, max_level=3)
                word[ls:le] = rng.integers(0, len(FINDING_WORD), m)
                continue
            self.site1[ls:le] = self.refine("anatomy", self.site1[par])
            word[ls:le] = np.where(rng.random(m) < 0.7, word[par], rng.integers(0, len(FINDING_WORD), m))
            self.morph1[ls:le] = np.where(
                self.morph1[par] >= 0,
                self.refine("morphology", self.morph1[par], 0.6, 0.3),
                np.where(rng.random(m) < 0.3, self.pick("morphology", m), -1),
            )
        idx = np.arange(s, e)
        adj = np.where(self.level[s:e] > 1, rng.integers(0, len(FINDING_ADJ) + 1, n), 0)
        site, w = self.site1[s:e], arr(FINDING_WORD)[word[s:e]]
        st = self.short[site]
        adj_w = opt(FINDING_ADJ)[adj]
        phrase = adj_w + w + " of " + st
        self.set_terms(
            slice(s, e), cap(phrase), phrase, (cap(st + " " + w), cap(adj_w + w + " in " + st), "O/E - " + phrase)
        )
        self.map_letter[s:e] = "R"
        self.map_digits[s:e] = (self.anat_base[site] * 3 + word[s:e] * 11) % 70
        groups = 1 + (rng.random(n) < 0.3)
        self.rel(idx, site, FINDING_SITE, 1)
        morph = self.morph1[s:e]
        self.rel(idx[morph >= 0], morph[morph >= 0], ASSOCIATED_MORPHOLOGY, 1)
        two = idx[groups == 2]
        self.rel(two, self.pick("anatomy", two.size), FINDING_SITE, 2)
        interp = rng.random(n) < 0.35
        ig = groups[interp] + 1
        self.rel(idx[interp], self.pick("observable", int(interp.sum())), INTERPRETS, ig)
        self.rel(idx[interp], self.pick("qualifier", int(interp.sum())), HAS_INTERPRETATION, ig)
        sev = np.isin(adj, (1, 2, 3))
        self.rel(
            idx[sev],
            np.choose(adj[sev] - 1, [self.index_of[MILD], self.index_of[MODERATE], self.index_of[SEVERE]]),
            SEVERITY,
            0,
        )
        self.defstatus[s:e] = np.where(rng.random(n) < 0.35, FULLY_DEFINED, PRIMITIVE)

    def build_procedure(self) -> None:
        """Procedures: method on a site (sometimes using a device), in 1-3 role groups; the second
        group, when present, shows in the term ('... with biopsy of ...')."""
        key = "procedure"
        s, e = self.span[key]
        n = e - s
        rng = self.rng
        method = np.full(self.n, -1, dtype=np.int64)
        device = np.full(self.n, -1, dtype=np.int64)
        for ls, le, par in self.levels_of(key):
            m = le - ls
            if ls == s:
                self.site1[ls:le] = self.pick("anatomy", m, max_level=3)
                method[ls:le] = self.pick("action", m, max_level=2)
                continue
            site = self.refine("anatomy", self.site1[par])
            meth = self.refine("action", method[par], 0.5, 0.3)
            # A child must say something its parent does not: otherwise specialise the site.
            same = (site == self.site1[par]) & (meth == method[par])
            narrower = self.random_child("anatomy", site)
            site = np.where(same, np.where(narrower != site, narrower, self.pick("anatomy", m)), site)
            self.site1[ls:le], method[ls:le] = site, meth
            dev = device[par]
            device[ls:le] = np.where(dev >= 0, dev, np.where(rng.random(m) < 0.04, self.pick("object", m), -1))
        idx = np.arange(s, e)
        site, meth, dev = self.site1[s:e], method[s:e], device[s:e]
        groups = 1 + (rng.random(n) < 0.45) + (rng.random(n) < 0.2)
        second = groups >= 2
        meth2, site2 = self.pick("action", n), self.pick("anatomy", n)
        has_dev = dev >= 0
        using = np.where(has_dev, " using " + self.short[np.where(has_dev, dev, 0)], "")
        also = np.where(second, " with " + self.short[meth2] + " of " + self.short[site2], "")
        st, mt = self.short[site], self.short[meth]
        phrase = mt + " of " + st + using + also
        self.set_terms(
            slice(s, e),
            cap(phrase),
            phrase,
            (
                cap(st + " " + mt) + using + also,
                cap(mt) + ", " + st + using + also,
                cap(mt + " procedure on " + st) + using + also,
            ),
        )
        self.rel(idx, meth, METHOD, 1)
        with_site = rng.random(n) < 0.97
        self.rel(idx[with_site], site[with_site], PROCEDURE_SITE, 1)
        self.rel(idx[has_dev], dev[has_dev], USING_DEVICE, 1)
        self.rel(idx[second], meth2[second], METHOD, 2)
        self.rel(idx[second], site2[second], PROCEDURE_SITE, 2)
        third = idx[groups >= 3]
        self.rel(third, self.pick("action", third.size), METHOD, 3)
        self.rel(third, self.pick("anatomy", third.size), PROCEDURE_SITE, 3)
        self.defstatus[s:e] = np.where(rng.random(n) < 0.4, FULLY_DEFINED, PRIMITIVE)

    def build_product(self) -> None:
        """Products: 'Product containing X' -> 'Product containing only X in oral dose form' ->
        clinical drugs with a strength and dose form, as in the real product model."""
        key = "product"
        s, e = self.span[key]
        n = e - s
        rng = self.rng
        sub1 = np.full(self.n, -1, dtype=np.int64)
        sub2 = np.full(self.n, -1, dtype=np.int64)
        for ls, le, par in self.levels_of(key):
            m = le - ls
            if ls == s:
                sub1[ls:le] = self.pick("substance", m, skew=1.0)
                continue
            sub1[ls:le] = np.where(rng.random(m) < 0.85, sub1[par], self.refine("substance", sub1[par], 0.0, 0.8))
            sub2[ls:le] = np.where(
                sub2[par] >= 0, sub2[par], np.where(rng.random(m) < 0.08, self.pick("substance", m, max_level=3), -1)
            )
        idx = np.arange(s, e)
        lv = self.level[s:e]
        s1, s2 = sub1[s:e], sub2[s:e]
        two = s2 >= 0
        subs = self.short[s1] + np.where(two, " and " + self.short[np.where(two, s2, 0)], "")
        form = rng.integers(0, len(DOSE_FORM_IDS), n)
        strength = rng.integers(0, len(STRENGTH), n)
        route = arr(ROUTE)[rng.integers(0, len(ROUTE), n)]
        drug = lv >= 3
        form_w = lower_first(arr(DOSE_FORMS)[form])
        clinical = cap(subs) + " " + arr(STRENGTH)[strength] + " milligram " + form_w
        only = "Product containing only " + subs + " in " + route + " dose form"
        core = np.where(drug, clinical, np.where(lv == 1, "Product containing " + subs, only))
        self.set_terms(
            slice(s, e),
            core,
            lower_first(core),
            (
                np.where(
                    drug,
                    cap(subs) + " " + arr(STRENGTH)[strength] + " mg " + form_w,
                    np.where(lv == 1, cap(subs) + "-containing product", cap(subs) + " only " + route + " product"),
                ),
                np.where(lv == 1, cap(subs) + " product", cap(route) + " " + subs + " product"),
                "Medicinal product containing " + np.where(lv == 1, subs, "only " + subs),
            ),
        )
        self.tag[s:e] = np.where(
            drug, "clinical drug", np.where(lv == 1, "medicinal product", "medicinal product form")
        )
        self.rel(idx, s1, HAS_ACTIVE_INGREDIENT, 1)
        self.rel(idx[two], s2[two], HAS_ACTIVE_INGREDIENT, 2)
        form_ids = np.array([self.index_of[f] for f in DOSE_FORM_IDS], dtype=np.int64)
        self.rel(idx[drug], form_ids[form[drug]], HAS_DOSE_FORM, 0)
        self.drugs = idx[drug]
        self.drug_strength = arr(STRENGTH)[strength[drug]]
        self.defstatus[s:e] = np.where(drug, FULLY_DEFINED, PRIMITIVE)

    def build_situation(self) -> None:
        """Situations: 'History of <disorder>' with Associated finding and a present/absent context."""
        key = "situation"
        s, e = self.span[key]
        rng = self.rng
        target = np.full(self.n, -1, dtype=np.int64)
        prefix = np.zeros(self.n, dtype=np.int64)
        for ls, le, par in self.levels_of(key):
            m = le - ls
            if ls == s:
                target[ls:le] = np.where(
                    rng.random(m) < 0.7, self.pick("disorder", m, max_level=3), self.pick("finding", m, max_level=3)
                )
                prefix[ls:le] = rng.integers(0, len(SITUATION_PHRASES), m)
                continue
            t = target[par]
            is_dis = self.branch[t] == self.branch_no["disorder"]
            child = np.where(
                is_dis,
                self.random_child("disorder", np.where(is_dis, t, self.span["disorder"][0])),
                self.random_child("finding", np.where(is_dis, self.span["finding"][0], t)),
            )
            fresh = np.where(rng.random(m) < 0.7, self.pick("disorder", m, skew=1.0), self.pick("finding", m, skew=1.0))
            target[ls:le] = np.where((rng.random(m) < 0.5) & (child != t), child, fresh)
            prefix[ls:le] = np.where(rng.random(m) < 0.5, prefix[par], rng.integers(0, len(SITUATION_PHRASES), m))
        idx = np.arange(s, e)
        t, p = target[s:e], prefix[s:e]
        what = lower_first(self.core[t])
        pre = arr([x[0] for x in SITUATION_PHRASES])[p]
        phrase = pre + " " + what
        abbrev = arr([x[1] for x in SITUATION_PHRASES])[p] + ": " + what
        alts = (abbrev, cap(what) + ", " + lower_first(pre), pre + ": " + what)
        self.set_terms(slice(s, e), phrase, lower_first(phrase), alts)
        self.rel(idx, t, ASSOCIATED_FINDING, 1)
        present = arr([x[2] for x in SITUATION_PHRASES])[p] == "1"
        self.rel(idx, np.where(present, self.index_of[KNOWN_PRESENT], self.index_of[KNOWN_ABSENT]), FINDING_CONTEXT, 1)
        self.defstatus[s:e] = FULLY_DEFINED

    def build_branches(self, tick: Any) -> None:
        first = self.n_meta
        for b in BRANCHES:
            self.layout(b, first)
            first += self.sizes[b.key]
            if b.key == "anatomy":
                self.build_anatomy()
            elif b.key == "organism":
                self.build_organism()
            elif b.key == "substance":
                self.build_substance()
            elif b.key in VOCAB:
                self.build_generic(b.key, " - action" if b.key == "action" else "")
            else:
                getattr(self, f"build_{b.key}")()
            tick(b.key)
        s, e = self.n_meta, self.n_meta + self.n_bulk
        # 2-4 synonyms per concept: the preferred one plus 1-3 alternatives.
        self.n_alts[s:e] = 1 + (self.rng.random(e - s) < 0.35) + (self.rng.random(e - s) < 0.1)

    def dedupe_fsns(self) -> None:
        """FSNs are unique in SNOMED CT: number repeated active ones ('... type 2')."""
        act = np.flatnonzero(self.active)
        full = pd.Series(self.core[act] + " (" + self.tag[act] + ")", dtype=object)
        k = full.groupby(full, sort=False).cumcount().to_numpy()
        dup = act[k > 0]
        suffix = " type " + (k[k > 0] + 1).astype(str).astype(object)
        self.core[dup] = self.core[dup] + suffix
        self.short[dup] = self.short[dup] + suffix
