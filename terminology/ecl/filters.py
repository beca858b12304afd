"""ECL filters: concept filters, description filters (term, language, type, dialect...) and term matching.

A term filter is answered one of two ways, whichever is estimated cheaper: read the
candidate descriptions' terms and match them (``term_test``, vectorised for ``wild``
patterns over ASCII terms), or ask the description FTS index for a superset and confirm.
Both fold and split text by the one rule of ``terminology.text.normalise``.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from loaders import snomed

from ..index import format as fmt
from ..text.normalise import WORD, fold, fts_quote, words
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

__all__ = ["DIALECT_ALIASES", "Filters", "compare", "fts_plan", "term_matcher", "times_ok", "wild_parts"]

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
# Above this many candidate descriptions a term filter asks the FTS index instead of reading terms.
_FTS_FROM = 2000
# FTS instead of testing a concept set's descriptions when the estimated hits are below this many per description
_FTS_WILD_RATIO = 0.2  # wild terms are tested vectorised (wild_ascii)
_FTS_MATCH_RATIO = 8.0  # match terms are tested one description at a time


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


def term_matcher(term: SearchTerm) -> Callable[[str], bool]:
    """A predicate over a (folded) description term for one search term."""
    if term.type is SearchType.WILD:
        pattern = "".join(".*" if p is None else re.escape(fold(p)) for p in wild_parts(term))
        rx = re.compile(pattern, re.DOTALL)
        return lambda folded: rx.fullmatch(folded) is not None
    wanted = words(term.decoded())

    def match(folded: str) -> bool:
        have = WORD.findall(folded)
        return all(any(w.startswith(q) for w in have) for q in wanted)

    return match


def _runs(term: SearchTerm) -> list[tuple[str, bool]]:
    """Literal word runs of a wild pattern, folded, each with whether it starts a word.

    A run starts a word when the pattern has it at its start or after a literal
    non-word character (not after ``*``): then every matching term has a word that
    begins with the run.
    """
    out: list[tuple[str, bool]] = []
    parts = wild_parts(term)
    i = 0
    while i < len(parts):
        p = parts[i]
        if p is None or not WORD.fullmatch(fold(p)):
            i += 1
            continue
        j = i
        while j < len(parts) and parts[j] is not None and WORD.fullmatch(fold(parts[j] or "")):
            j += 1
        before = parts[i - 1] if i else ""
        text = fold("".join(x for x in parts[i:j] if x is not None))
        out.append((text, before is not None))
        i = j
    return out


def fts_plan(term: SearchTerm) -> tuple[str, str] | None:
    """How the FTS index can find a superset of the descriptions a search term matches.

    ``("prefix", query)``: an FTS5 query, exact for ``match`` (each word a prefix of a
    word) and a superset for ``wild`` (the runs that start a word); ``("contains", run)``:
    descriptions with a token containing the run (a ``wild`` pattern with no word start,
    such as ``*itis``).  None when the pattern has no literal word at all.
    """
    if term.type is SearchType.MATCH:
        anchors = words(term.decoded())
    else:
        runs = _runs(term)
        anchors = [w for text, starts in runs if starts for w in words(text)[:1]]
        if not anchors:
            longest = max((text for text, _ in runs), key=len, default="")
            return ("contains", longest) if longest else None
    if not anchors:
        return None
    return "prefix", " AND ".join(fts_quote(a) + "*" for a in anchors)


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
                    wanted = {True for i in ids if i == snomed.FULLY_DEFINED} | {False for i in ids if i == snomed.PRIMITIVE}
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
        """The concepts with at least one description that meets every filter of the block."""
        st = self.t.array
        fs = block.filters
        terms = [f for f in fs if isinstance(f, TermFilter)]
        actives = [f for f in fs if isinstance(f, ActiveFilter)]
        active_only = not actives or all(f.active == (f.comparison is Comparison.EQ) for f in actives)
        candidates = sets.segment_lengths(st("desc_by_concept_ptr"), rows)
        # The FTS index narrows the descriptions to read when its estimated hit count is well below
        # the concept set's description count (else reading the set's terms directly is cheaper).
        fts_filter: TermFilter | None = None
        if active_only and candidates > _FTS_FROM:
            fts_filter = next(
                (
                    f
                    for f in terms
                    if f.comparison is Comparison.EQ and self.fts_able(f) and self.fts_cheaper(f, candidates)
                ),
                None,
            )
        exact: np.ndarray | None = None  # rows whose match with fts_filter the FTS query already proved
        if fts_filter is not None:
            hits = self.fts(fts_filter)
            defs = self.ix.definition_rows
            if any(t.type is SearchType.WILD for t in fts_filter.terms):
                # A wild run is a token prefix/infix for ASCII terms; other terms are confirmed one by one.
                hits = sets.unique(np.concatenate((hits, self.ix.non_ascii_rows)))
            desc = np.concatenate((hits, defs))
            exact = np.concatenate(
                (
                    np.full(len(hits), all(t.type is SearchType.MATCH for t in fts_filter.terms)),
                    np.zeros(len(defs), bool),
                )
            )
            inside = self.member(rows, np.asarray(st("desc_concept"))[desc])
            desc, exact = desc[inside], exact[inside]
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
        if exact is not None:
            exact = exact[keep]
        for f in terms:
            if len(desc) == 0:
                break
            if f is fts_filter and exact is not None:
                todo = ~exact
                ok = np.ones(len(desc), bool)
                ok[todo] = self.term_test(desc[todo], f)
            else:
                ok = self.term_test(desc, f)
            desc = desc[ok]
            if exact is not None:
                exact = exact[ok]
        return sets.intersect(rows, sets.unique(np.asarray(st("desc_concept"))[desc].astype(np.int32), self.n), self.n)

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

    def fts_able(self, f: TermFilter) -> bool:
        return self.ix.has_fts and all(fts_plan(t) is not None for t in f.terms)

    def fts_cheaper(self, f: TermFilter, candidates: int) -> bool:
        """Whether fetching the FTS hits of `f` costs less than testing `candidates` descriptions directly.

        The hit count is estimated from the token document counts (an upper bound for one token).
        Testing ``wild`` terms directly is vectorised (wild_ascii), ``match`` terms are read one by one.
        """
        vocab, docs = self.ix.fts_vocabulary(), self.ix.fts_vocabulary_docs()
        estimate = 0
        for term in f.terms:
            plan = fts_plan(term)
            assert plan is not None
            kind, text = plan
            if kind == "prefix":
                anchors = (
                    words(term.decoded())
                    if term.type is SearchType.MATCH
                    else [w for r, starts in _runs(term) if starts for w in words(r)[:1]]
                )
                estimate += min(
                    int(docs[bisect.bisect_left(vocab, a) : bisect.bisect_left(vocab, a + "\U0010ffff")].sum())
                    for a in anchors
                )
            else:
                self.check()
                estimate += int(docs[[k for k, w in enumerate(vocab) if text in w]].sum())
        per_candidate = _FTS_WILD_RATIO if all(t.type is SearchType.WILD for t in f.terms) else _FTS_MATCH_RATIO
        return estimate < candidates * per_candidate

    def fts(self, f: TermFilter) -> np.ndarray:
        """Description rows the FTS index returns for any of the filter's terms (active, not definitions)."""
        parts = []
        for term in f.terms:
            plan = fts_plan(term)
            assert plan is not None
            kind, text = plan
            if kind == "prefix":
                queries = [text]
            else:
                tokens = [w for w in self.ix.fts_vocabulary() if text in w]
                queries = [" OR ".join(fts_quote(w) for w in tokens[k : k + 200]) for k in range(0, len(tokens), 200)]
            for query in queries:
                self.check()
                hits = self.sql("SELECT rowid FROM description_fts WHERE description_fts MATCH ?", (query,))
                parts.append(np.fromiter(itertools.chain.from_iterable(hits), np.int64, len(hits)))
        return sets.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)

    def term_test(self, desc: np.ndarray, f: TermFilter) -> np.ndarray:
        """Read the terms and match them (used when the candidates are few, or to confirm FTS hits)."""
        tests = [term_matcher(t) for t in f.terms]
        ptr, blob = self.t.array("term_ptr"), self.t.array("term_blob")
        out = np.zeros(len(desc), bool)
        todo = np.arange(len(desc))
        if len(desc) > _FTS_FROM and all(t.type is SearchType.WILD for t in f.terms):
            out, todo = self.wild_ascii(desc, f.terms)
        positions, rows = todo.tolist(), desc[todo].tolist()
        for part in self.chunks(len(positions)):  # the budget holds however slow one test is
            for k, d in zip(positions[part], rows[part], strict=True):
                folded = fold(bytes(blob[int(ptr[d]) : int(ptr[d + 1])]).decode("utf-8"))
                out[k] = any(test(folded) for test in tests)
        return out if f.comparison is Comparison.EQ else ~out

    def wild_ascii(self, desc: np.ndarray, terms: Sequence[SearchTerm]) -> tuple[np.ndarray, np.ndarray]:
        """Wild patterns over many ASCII terms at once, without reading terms one by one in Python.

        The literal head and tail of a pattern are compared as byte columns (``terms[:, :k]``);
        what is left goes through one regex pass over the survivors joined by newlines.
        Returns the result for the ASCII terms and the positions of the others (matched one by one).
        """
        st = self.t.array
        ptr, blob = np.asarray(st("term_ptr")), np.asarray(st("term_blob"))
        plain = self.ix.ascii_terms[desc]
        out = np.zeros(len(desc), bool)
        rows = np.flatnonzero(plain)
        starts, lens = ptr[desc[rows]], (ptr[desc[rows] + 1] - ptr[desc[rows]]).astype(np.int64)

        def lower(a: np.ndarray) -> np.ndarray:
            return np.where((a >= 65) & (a <= 90), a + 32, a).astype(np.uint8)

        for term in terms:
            self.check()
            parts = wild_parts(term)
            lead = [p for p in itertools.takewhile(lambda p: p is not None, parts) if p is not None]
            trail = [p for p in itertools.takewhile(lambda p: p is not None, reversed(parts)) if p is not None]
            head = b"".join(fold(p).encode() for p in lead)
            tail = b"".join(fold(p).encode() for p in reversed(trail))
            keep = np.arange(len(rows))
            if head == b"".join(fold(p).encode() for p in parts if p is not None) and None not in parts:
                tail = b""  # no wildcard at all: the head is the whole term
                keep = keep[lens == len(head)]
            for text, at_end in ((head, False), (tail, True)):
                if not text or not len(keep):
                    continue
                k = len(text)
                keep = keep[lens[keep] >= k]
                first = (starts[keep] + lens[keep] - k) if at_end else starts[keep]
                for j, byte in enumerate(text):  # one column at a time: the survivors shrink fast
                    if not len(keep):
                        break
                    hit = lower(blob[first + j]) == byte
                    keep, first = keep[hit], first[hit]
            if not len(keep):
                continue
            if parts and parts[-1] is None and all(p is not None for p in parts[:-1]):
                out[rows[keep]] = True  # "literal*": the head test was the whole test
                continue
            body = b"".join(b"[^\\n]*" if p is None else re.escape(fold(p).encode()) for p in parts)
            rx = re.compile(b"^" + body + b"$", re.MULTILINE)
            for part in self.chunks(len(keep)):  # one regex pass per chunk of lines, the budget checked between
                kp = keep[part]
                ks, kl = starts[kp], lens[kp]
                line_start = np.cumsum(kl + 1) - (kl + 1)
                joined = np.full(int(kl.sum()) + len(kp), 10, np.uint8)
                joined[sets.positions(line_start, line_start + kl)] = blob[sets.positions(ks, ks + kl)]
                hits = np.fromiter((m.start() for m in rx.finditer(joined.tobytes().lower())), np.int64)
                out[rows[kp[np.searchsorted(line_start, hits, "right") - 1]]] = True
        return out, np.flatnonzero(~plain)
