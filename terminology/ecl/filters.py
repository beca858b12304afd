"""ECL filters: concept filters, description filters (term, language, type, dialect...) and term matching.

A term filter is answered from the word postings of the index (``terminology.text.postings``):
the vocabulary gives the words a search term can match (a prefix range for ``match``, a linear
scan of the vocabulary for the inner runs of a ``wild`` pattern, never a scan of descriptions),
their posting arrays restricted to the focus concepts and intersected give the candidate
descriptions, and only candidates the postings cannot prove are read and matched
(``term_matcher``; ``wild`` by ``glob_match``, linear with no backtracking). Everything folds and
splits text by the one rule of ``terminology.text.normalise``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from loaders import snomed

from ..index import format as fmt
from ..text.normalise import WORD, fold, words
from ..text.postings import PUNCTUATION
from . import _sets as sets
from ._run import Run
from .ast import (
    Acceptability,
    ActiveFilter,
    Comparison,
    ConceptFilters,
    DefinitionStatus,
    DefinitionStatusFilter,
    DefinitionStatusIdFilter,
    DescriptionFilters,
    DescriptionIdFilter,
    DescriptionTypeFilter,
    DescriptionTypeIdFilter,
    DialectAliasFilter,
    DialectIdFilter,
    EffectiveTimeFilter,
    Filtered,
    LanguageFilter,
    ModuleFilter,
    SearchTerm,
    SearchType,
    TermFilter,
)
from .errors import EclEvaluationError

__all__ = [
    "DIALECT_ALIASES",
    "Filters",
    "compare",
    "glob_match",
    "term_matcher",
    "times_ok",
    "wild_parts",
    "wild_segments",
]

# Dialect aliases of the ECL specification's table that snomap knows the language refset of.
DIALECT_ALIASES: dict[str, int] = {
    "en-us": snomed.EN_US,
    "en-gb": snomed.EN_GB,
    "en-au": 32570271000036106,
    "en-ca": 19491000087109,
    "en-nz": 271000210107,
    "en-ie": 21000220103,
}
_ACCEPTABILITY_CODES = {
    Acceptability.ACCEPT.concept_id: fmt.ACCEPTABLE_CODE,
    Acceptability.PREFER.concept_id: fmt.PREFERRED_CODE,
}
_CHECK_EVERY = 20000
# A posting list longer than this many times the candidates left is not intersected: the exact check is cheaper.
_INTERSECT_RATIO = 32
_INTERSECT_MIN = 20000
# Wild runs shorter than this are not looked up by scanning the vocabulary (nearly every word holds them)
# unless the pattern has nothing else to look up.
_SCAN_RUN_MIN = 3
_RUN = re.compile(r"[a-z0-9]+")


# --------------------------------------------------------------------------- text matching


def wild_parts(term: SearchTerm) -> list[str | None]:
    """A wild pattern as literal characters and None for each unescaped ``*``."""
    out: list[str | None] = []
    chars = iter(term.text)
    for ch in chars:
        if ch == "\\":
            out.append(next(chars, "\\"))
        elif ch == "*":
            out.append(None)
        else:
            out.append(ch)
    return out


def wild_segments(term: SearchTerm) -> list[str]:
    """A wild pattern folded and split at each unescaped ``*``: the literal text between stars."""
    segments = [""]
    for p in wild_parts(term):
        if p is None:
            segments.append("")
        else:
            segments[-1] += fold(p)
    return segments


def glob_match(segments: Sequence[str], text: str) -> bool:
    """Whether `text` matches the star pattern given as its literal segments (``wild_segments``).

    Linear, with no backtracking: the first segment must be a prefix and the last a suffix; each
    segment between them is placed at its leftmost occurrence after the previous one (the earliest
    placement never loses a match, since a star absorbs whatever is skipped). At most O(len(text) *
    len(pattern)) character comparisons, whatever the pattern (``*a*a*a*a*a*!*`` included).
    """
    if len(segments) == 1:
        return text == segments[0]
    first, last = segments[0], segments[-1]
    if len(text) < len(first) + len(last) or not text.startswith(first) or not text.endswith(last):
        return False
    pos, end = len(first), len(text) - len(last)
    for segment in segments[1:-1]:
        found = text.find(segment, pos, end)
        if found < 0:
            return False
        pos = found + len(segment)
    return True


def term_matcher(term: SearchTerm) -> Callable[[str], bool]:
    """A predicate over a (folded) description term for one search term."""
    if term.type is SearchType.WILD:
        segments = wild_segments(term)
        return lambda folded: glob_match(segments, folded)
    wanted = words(term.decoded())

    def match(folded: str) -> bool:
        have = WORD.findall(folded)
        return all(any(w.startswith(q) for w in have) for q in wanted)

    return match


# --------------------------------------------------------------------------- comparisons


def compare(values: np.ndarray, comparison: Comparison, x: Any) -> np.ndarray:
    """Elementwise ``values <comparison> x`` (numbers, times, booleans)."""
    if comparison is Comparison.EQ:
        return values == x
    if comparison is Comparison.NE:
        return values != x
    if comparison is Comparison.LT:
        return values < x
    if comparison is Comparison.LE:
        return values <= x
    if comparison is Comparison.GT:
        return values > x
    return values >= x


def times_ok(values: np.ndarray, comparison: Comparison, times: Sequence[str]) -> np.ndarray:
    """Any of the times satisfies the comparison (``!=`` with several: equal to none of them)."""
    ts = [int(t) for t in times if t]
    if comparison is Comparison.NE:
        return ~np.isin(values, ts)
    ok = np.zeros(len(values), bool)
    for x in ts:
        ok |= compare(values, comparison, x)
    return ok


# --------------------------------------------------------------------------- filter blocks


class Filters(Run):
    """Evaluation of ``{{ ... }}`` filter blocks on a set of concepts."""

    def _filtered(self, e: Filtered) -> np.ndarray:
        rows = self.expr(e.operand)
        for block in e.filters:
            if len(rows) == 0:
                break
            rows = (
                self.concept_block(rows, block)
                if isinstance(block, ConceptFilters)
                else self.description_block(rows, block)
            )
        return rows

    def concept_block(self, rows: np.ndarray, block: ConceptFilters) -> np.ndarray:
        st = self.t.array
        keep = np.ones(len(rows), bool)
        for f in block.filters:
            self.check()
            if isinstance(f, DefinitionStatusFilter | DefinitionStatusIdFilter):
                if isinstance(f, DefinitionStatusFilter):
                    wanted = {s is DefinitionStatus.DEFINED for s in f.statuses}
                else:
                    ids = set(self.filter_ids(f.value).tolist())
                    wanted = {True for i in ids if i == snomed.FULLY_DEFINED} | {
                        False for i in ids if i == snomed.PRIMITIVE
                    }
                ok = np.isin(np.asarray(st("concept_defined"))[rows], list(wanted))
            elif isinstance(f, ModuleFilter):
                ok = np.isin(np.asarray(st("concept_module"))[rows], self.filter_ids(f.value))
                ok = ok if f.comparison is Comparison.EQ else ~ok
                keep &= ok
                continue
            elif isinstance(f, EffectiveTimeFilter):
                keep &= times_ok(np.asarray(st("concept_effective"))[rows], f.comparison, f.times)
                continue
            else:
                ok = np.asarray(st("concept_active"))[rows] == f.active
            keep &= ok if f.comparison is Comparison.EQ else ~ok
        return rows[keep]

    def description_block(self, rows: np.ndarray, block: DescriptionFilters) -> np.ndarray:
        """The concepts with at least one description that meets every filter of the block.

        Term filters are answered from the word postings (``terminology.text.postings``): the
        descriptions of the focus concepts that can match are found without reading any term, and
        only those the postings cannot prove are read and matched (``term_matcher``).
        """
        st = self.t.array
        fs = block.filters
        terms = [f for f in fs if isinstance(f, TermFilter)]
        actives = [f for f in fs if isinstance(f, ActiveFilter)]
        focus = sets.mask(rows, self.n)
        candidates = {id(f): self.term_candidates(f, focus) for f in terms}
        # The descriptions to look at: those of the smallest posting-based candidate set of an "=" term
        # filter (every matching description is in it), else every description of the focus concepts.
        narrowing = [
            candidates[id(f)] for f in terms if f.comparison is Comparison.EQ and candidates[id(f)][0] is not None
        ]
        if narrowing:
            desc = min(narrowing, key=lambda c: len(c[0]))[0]  # type: ignore[arg-type, return-value]
        else:
            desc = sets.positions(st("desc_by_concept_ptr")[rows], st("desc_by_concept_ptr")[rows + 1])
        keep = np.ones(len(desc), bool)
        if not actives:
            keep &= np.asarray(st("desc_active"))[desc]
        for f in fs:
            self.check()
            if isinstance(f, TermFilter):
                continue
            keep &= self.description_test(desc, f)
        desc = desc[keep]
        for f in terms:
            if len(desc) == 0:
                break
            desc = desc[self.term_test(desc, f, candidates[id(f)])]
        return sets.intersect(rows, sets.unique(np.asarray(st("desc_concept"))[desc].astype(np.int32), self.n), self.n)

    def term_candidates(self, f: TermFilter, focus: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | bool]:
        """The descriptions of the focus concepts that may match any of the filter's terms, from the postings.

        Returns (rows, proven): sorted description rows (None: every description may match) and, per
        row or for all, whether the postings prove the match (else the term must be read and matched).
        Every description outside ``rows`` is proven not to match.
        """
        parts = [self.term_rows(term, focus) for term in f.terms]
        if any(r is None for r, _ in parts):
            return None, True  # one of the terms matches every description (term_rows says None only then)
        rows_list = [r for r, _ in parts if r is not None and len(r)]
        if not rows_list:
            return np.zeros(0, np.int64), np.zeros(0, bool)
        if len(rows_list) == 1:
            ((r, p),) = [(r, p) for r, p in parts if r is not None and len(r)]
            return r, np.broadcast_to(p, len(r)) if isinstance(p, bool | np.bool_) else p
        allrows = np.concatenate([r for r, _ in parts if r is not None])
        proven = np.concatenate([np.broadcast_to(p, len(r)) for r, p in parts if r is not None])
        order = np.lexsort((~proven, allrows))  # by row, proven first: the first of each row decides
        allrows, proven = allrows[order], proven[order]
        first = np.ones(len(allrows), bool)
        first[1:] = allrows[1:] != allrows[:-1]
        return allrows[first], proven[first]

    def term_rows(self, term: SearchTerm, focus: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | bool]:
        """(rows, proven) as ``term_candidates`` says, for one search term."""
        post = self.ix.postings
        # Lookups: (cost = total posting length, word ids as a range or an array, or a punctuation byte).
        lookups: list[tuple[int, Any]] = []
        exact_when_all = False
        if term.type is SearchType.MATCH:
            wanted = words(term.decoded())
            if not wanted:
                return None, True  # no word to find: every term matches
            for q in wanted:
                rng = post.prefix(q)
                lookups.append((post.cost(rng), rng))
            exact_when_all = True
        else:
            segments = wild_segments(term)
            if len(segments) > 1 and not any(segments):
                return None, True  # only stars
            if all(seg.isascii() for seg in segments):
                runs: list[tuple[str, bool, bool]] = []
                for i, seg in enumerate(segments):
                    for m in _RUN.finditer(seg):
                        # A run starts a word when the term starts there or a (separating) non-word character precedes it.
                        runs.append((m.group(), m.start() > 0 or i == 0, m.end() < len(seg) or i == len(segments) - 1))
                for run, starts, ends in runs:
                    if starts and ends:
                        rng = post.exact(run)
                        lookups.append((post.cost(rng), rng))
                    elif starts:
                        rng = post.prefix(run)
                        lookups.append((post.cost(rng), rng))
                for byte in sorted({ord(c) for seg in segments for c in seg} & PUNCTUATION):
                    lookups.append((post.char_cost(byte), byte))
                scans = [r for r in runs if not r[1]]
                if scans and (not lookups or any(len(r[0]) >= _SCAN_RUN_MIN for r in scans)):
                    for run, _, ends in sorted(scans, key=lambda r: -len(r[0])):
                        if len(run) < _SCAN_RUN_MIN and lookups:
                            continue
                        self.check()
                        ids = post.containing(run, at_end=ends)
                        lookups.append((post.cost(ids), ids))
                exact_when_all = (
                    len(segments) == 3 and not segments[0] and not segments[2] and bool(_RUN.fullmatch(segments[1]))
                )
            else:
                lookups.append((0, (0, 0)))  # a non-ASCII character after folding: no ASCII term matches
        st = self.t.array
        concept = st("desc_concept")
        if not lookups:  # nothing to look up (a pattern of punctuation and spaces): every ASCII term is a candidate
            focus_rows = np.flatnonzero(focus)
            ptr = st("desc_by_concept_ptr")
            rows = sets.positions(ptr[focus_rows], ptr[focus_rows + 1])
            rows = rows[self.ix.ascii_terms[rows]]
            proven = np.zeros(len(rows), bool)
        else:
            lookups.sort(key=lambda x: x[0])
            cand = self._posting_rows(lookups[0][1])
            cand = cand[focus[np.asarray(concept)[cand]]]
            cand = sets.unique(cand, self.ix.n_desc)
            applied = 1
            for cost, what in lookups[1:]:
                if not len(cand):
                    break
                if cost > _INTERSECT_RATIO * len(cand) + _INTERSECT_MIN:
                    continue  # left to the exact check
                self.check()
                other = self._posting_rows(what)
                if len(other) > self.ix.n_desc // 16:
                    m = np.zeros(self.ix.n_desc, bool)
                    m[other] = True
                    cand = cand[m[cand]]
                else:
                    cand = cand[sets.contains(np.sort(other), cand)]
                applied += 1
            rows = cand.astype(np.int64)
            proven = np.full(len(rows), exact_when_all and applied == len(lookups))
        # Terms that are not plain ASCII are not in the postings: always candidates, always checked.
        others = self.ix.non_ascii_rows
        others = others[focus[np.asarray(concept)[others]]]
        if len(others):
            rows = np.concatenate((rows, others))
            proven = np.concatenate((proven, np.zeros(len(others), bool)))
            order = np.argsort(rows, kind="stable")
            rows, proven = rows[order], proven[order]
        return rows, proven

    def _posting_rows(self, what: Any) -> np.ndarray:
        post = self.ix.postings
        if isinstance(what, int):
            return post.char_rows(what)
        return post.rows(what)

    def description_test(self, desc: np.ndarray, f: Any) -> np.ndarray:
        """Vectorised test of one non-term description filter."""
        st = self.t.array
        equal = f.comparison is Comparison.EQ
        if isinstance(f, ActiveFilter):
            ok = np.asarray(st("desc_active"))[desc] == f.active
        elif isinstance(f, LanguageFilter):
            languages = list(self.t.manifest.get("languages", []))
            codes = [languages.index(c) for c in f.codes if c in languages]
            ok = np.isin(np.asarray(st("desc_lang"))[desc], codes)
        elif isinstance(f, DescriptionTypeFilter):
            ok = np.isin(np.asarray(st("desc_type_id"))[desc], [d.concept_id for d in f.types])
        elif isinstance(f, DescriptionTypeIdFilter):
            ok = np.isin(np.asarray(st("desc_type_id"))[desc], self.filter_ids(f.value))
        elif isinstance(f, DescriptionIdFilter):
            ok = np.isin(np.asarray(st("desc_id"))[desc], list(f.ids))
        elif isinstance(f, ModuleFilter):
            ok = np.isin(np.asarray(st("desc_module"))[desc], self.filter_ids(f.value))
        elif isinstance(f, EffectiveTimeFilter):
            return times_ok(np.asarray(st("desc_effective"))[desc], f.comparison, f.times)
        elif isinstance(f, DialectAliasFilter):
            pairs = []
            for alias, acc in f.effective():
                refset = DIALECT_ALIASES.get(alias)
                if refset is None:
                    self.warn(f"dialect alias {alias} is not known (known: {', '.join(sorted(DIALECT_ALIASES))})")
                    continue
                pairs.append((refset, acc))
            ok = self.dialect_test(desc, pairs)
        elif isinstance(f, DialectIdFilter):
            if isinstance(f.dialects, tuple):
                pairs = [(d.concept.id, d.acceptability or f.acceptability) for d in f.dialects]
            else:
                pairs = [(int(r), f.acceptability) for r in self.ids_of(self.expr(f.dialects)).tolist()]
            ok = self.dialect_test(desc, pairs)
        else:  # pragma: no cover - the parser builds no other description filter
            raise EclEvaluationError(f"unsupported description filter {type(f).__name__}")
        return ok if equal else ~ok

    def dialect_test(self, desc: np.ndarray, pairs: Sequence[tuple[int, Any]]) -> np.ndarray:
        """Descriptions in any of the language refsets, with one of the acceptabilities when given."""
        ok = np.zeros(len(desc), bool)
        refsets = self.t.language_refsets
        if not len(desc):
            return ok
        for refset, acceptability in pairs:
            if refset not in refsets:
                self.warn(f"language reference set {refset} is not in the release")
                continue
            values = np.asarray(self.t.array("acceptability")[desc, refsets.index(refset)])
            if acceptability is None:
                ok |= values != fmt.NONE
            else:
                codes = [
                    _ACCEPTABILITY_CODES.get(a.concept_id if isinstance(a, Acceptability) else a.id, -1)
                    for a in acceptability
                ]
                ok |= np.isin(values, codes)
        return ok

    def term_test(
        self, desc: np.ndarray, f: TermFilter, candidates: tuple[np.ndarray | None, np.ndarray | bool]
    ) -> np.ndarray:
        """Which descriptions meet a term filter: proven by the postings, or read and matched when not."""
        rows, proven = candidates
        if rows is None:
            inside = np.ones(len(desc), bool)
            sure = np.full(len(desc), bool(proven))
        else:
            pos = np.searchsorted(rows, desc)
            pos[pos == len(rows)] = 0
            inside = rows[pos] == desc if len(rows) else np.zeros(len(desc), bool)
            sure = inside & np.asarray(proven)[pos] if len(rows) else inside
        out = sure.copy()
        todo = np.flatnonzero(inside & ~sure)
        if len(todo):
            out[todo] = self.read_and_match(desc[todo], f.terms)
        return out if f.comparison is Comparison.EQ else ~out

    def read_and_match(self, desc: np.ndarray, terms: Sequence[SearchTerm]) -> np.ndarray:
        """Read the terms of some descriptions and match them (the exact check of the candidates)."""
        if len(terms) == 1 and terms[0].type is SearchType.WILD:
            segments = wild_segments(terms[0])
            if len(segments) > 1 and all(seg.isascii() for seg in segments):
                return self._wild_ends(desc, terms, segments)
        tests = [term_matcher(t) for t in terms]
        ptr, blob = self.ix.term_text
        starts, ends = ptr[desc].tolist(), ptr[desc + 1].tolist()
        out = np.zeros(len(desc), bool)
        for k in range(len(desc)):
            if k % _CHECK_EVERY == 0:
                self.check()
            folded = fold(str(blob[starts[k] : ends[k]], "utf-8"))
            out[k] = any(test(folded) for test in tests)
        return out

    def _wild_ends(self, desc: np.ndarray, terms: Sequence[SearchTerm], segments: list[str]) -> np.ndarray:
        """A wild pattern's literal head and tail compared as byte columns over the ASCII terms (no term read
        in Python); ``head*tail`` is then decided, other patterns read only the terms that passed."""
        ptr, _ = self.ix.term_text
        blob = np.asarray(self.t.array("term_blob"))
        plain = self.ix.ascii_terms[desc]
        starts = ptr[desc]
        lens = ptr[desc + 1] - starts
        head, tail = segments[0].encode(), segments[-1].encode()
        ok = plain & (lens >= len(head) + len(tail))
        for j, byte in enumerate(head):
            at = np.flatnonzero(ok)
            b = blob[starts[at] + j]
            ok[at] = np.where((b >= 65) & (b <= 90), b + 32, b) == byte
        for j, byte in enumerate(tail):
            at = np.flatnonzero(ok)
            b = blob[starts[at] + lens[at] - len(tail) + j]
            ok[at] = np.where((b >= 65) & (b <= 90), b + 32, b) == byte
        out = ok.copy() if len(segments) == 2 else np.zeros(len(desc), bool)
        rest = np.flatnonzero(~plain if len(segments) == 2 else (~plain | ok))
        if len(rest):
            out[rest] = self._read_and_match(desc[rest], terms)
        return out

    def _read_and_match(self, desc: np.ndarray, terms: Sequence[SearchTerm]) -> np.ndarray:
        tests = [term_matcher(t) for t in terms]
        ptr, blob = self.ix.term_text
        starts, ends = ptr[desc].tolist(), ptr[desc + 1].tolist()
        out = np.zeros(len(desc), bool)
        for k in range(len(desc)):
            if k % _CHECK_EVERY == 0:
                self.check()
            out[k] = any(test(fold(str(blob[starts[k] : ends[k]], "utf-8"))) for test in tests)
        return out
