"""NegEx-style negation and uncertainty: trigger phrases and their scope, to the end of the clause.

After Chapman et al.'s NegEx: a *pre* trigger ("no evidence of", "suspected") covers the words after
it, a *post* trigger ("... was ruled out", "... is suspected") the words before it, in both cases
only within the clause (a sentence break, a semicolon or colon, or a terminator word such as "but"
ends the scope; commas do not, so "no fever, cough or rigors" negates all three). Pseudo-triggers
("no change", "gram negative") are matched first so that they trigger nothing. At each word the
longest trigger wins, so "cannot be ruled out" is uncertainty, not negation.

Matching is on folded words (`text.split_words`), so case and diacritics do not matter.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ..text import Word, split_words

Kind = Literal["negated", "hypothetical", "historical", "family"]

PSEUDO = (
    "no increase",
    "no change",
    "no interval change",
    "no significant change",
    "no further",
    "no suspicious change",
    "not only",
    "not necessarily",
    "not certain whether",
    "not certain if",
    "without difficulty",
    "gram negative",
    "not cause",
    "not drain",
    "not extend",
    "no longer",
    "not all",
    "not just",
)
PRE_NEGATION = (
    "no",
    "not",
    "without",
    "denies",
    "denied",
    "deny",
    "denying",
    "negative for",
    "no evidence of",
    "no evidence",
    "no sign of",
    "no signs of",
    "no symptoms of",
    "absence of",
    "free of",
    "never",
    "never had",
    "no history of",
    "no new",
    "nor",
    "neither",
    "ruled out",
    "rules out",
    "excluding",
    "fails to reveal",
    "failed to reveal",
    "no suggestion of",
    "resolution of",
    "not demonstrated",
    "exclude",
    "excludes",
)
POST_NEGATION = (
    "was ruled out",
    "is ruled out",
    "has been ruled out",
    "have been ruled out",
    "were ruled out",
    "ruled out",
    "was excluded",
    "is excluded",
    "has been excluded",
    "excluded",
    "is absent",
    "absent",
    "not seen",
    "not present",
    "not detected",
    "not identified",
    "not found",
    "was negative",
    "is negative",
    "negative",
    "unlikely",
    "resolved",
)
PRE_HYPOTHETICAL = (
    "suspected",
    "suspect",
    "suspicion of",
    "suspicious for",
    "suspicious of",
    "possible",
    "possibly",
    "probable",
    "probably",
    "likely",
    "query",
    "questionable",
    "presumed",
    "presumptive",
    "rule out",
    "r o",
    "to rule out",
    "to exclude",
    "concern for",
    "concerning for",
    "risk of",
    "at risk of",
    "at risk for",
    "may have",
    "might have",
    "could be",
    "may be",
    "might be",
    "consider",
    "considered",
    "differential diagnosis",
    "differential",
    "if",
    "in case of",
    "evaluate for",
    "evaluation for",
    "assess for",
    "screening for",
    "screen for",
    "worried about",
    "worrying for",
    "cannot exclude",
    "can not exclude",
    "cannot rule out",
    "can not rule out",
    "versus",
    "vs",
)
POST_HYPOTHETICAL = (
    "is suspected",
    "was suspected",
    "are suspected",
    "suspected",
    "is possible",
    "is likely",
    "is probable",
    "cannot be excluded",
    "can not be excluded",
    "cannot be ruled out",
    "can not be ruled out",
    "not excluded",
    "not ruled out",
    "to be ruled out",
    "to be excluded",
    "is questionable",
    "is queried",
    "queried",
)
# Issue 13: a condition of the past, or of a relative, is not the patient's present condition.
PRE_HISTORICAL = (
    "history of",
    "past history of",
    "past medical history of",
    "previous",
    "previously",
    "prior",
    "prior to",
    "h o",
    "hx of",
    "hx",
    "pmh",
    "pmhx",
    "status post",
    "s p",
    "in the past",
)
PRE_FAMILY = (
    "family history of",
    "family history",
    "fh of",
    "fh",
    "fhx",
    "fhx of",
    "family hx of",
    "family hx",
    "mother had",
    "mother has",
    "father had",
    "father has",
    "sister had",
    "sister has",
    "brother had",
    "brother has",
    "son had",
    "son has",
    "daughter had",
    "daughter has",
    "parent had",
    "parents had",
    "grandmother had",
    "grandfather had",
    "aunt had",
    "uncle had",
    "relative with",
    "relatives with",
    "mother with",
    "father with",
    "mother died of",
    "father died of",
    "first degree relative with",
)
# Hypothetical triggers that doubt the condition (rather than plan a test for it or name a risk).
UNCERTAIN = frozenset(
    {
        "suspected",
        "suspect",
        "suspicion of",
        "suspicious for",
        "suspicious of",
        "possible",
        "possibly",
        "probable",
        "probably",
        "likely",
        "query",
        "questionable",
        "presumed",
        "presumptive",
        "may have",
        "might have",
        "could be",
        "may be",
        "might be",
        "cannot exclude",
        "can not exclude",
        "cannot rule out",
        "can not rule out",
        "?",
        "is suspected",
        "was suspected",
        "are suspected",
        "is possible",
        "is likely",
        "is probable",
        "cannot be excluded",
        "can not be excluded",
        "cannot be ruled out",
        "can not be ruled out",
        "not excluded",
        "not ruled out",
        "is questionable",
        "is queried",
        "queried",
        "versus",
        "vs",
        "differential diagnosis",
        "differential",
        "concern for",
        "concerning for",
        "worried about",
        "worrying for",
    }
)
TERMINATORS = (
    "but",
    "however",
    "although",
    "though",
    "except",
    "apart from",
    "aside from",
    "which",
    "yet",
    "whereas",
    "nevertheless",
    "still",
    "other than",
    "as a cause of",
    "as the cause of",
    "as the source of",
    "as the reason of",
    "as the etiology of",
    "cause of",
    "cause for",
    "source of",
    "reason for",
    "who",
)
_CLAUSE_BREAK = re.compile(r"[.;:!?\n\r]")
_WORDS = re.compile(r"[^\W_]")


@dataclass(frozen=True)
class Trigger:
    """A trigger found in the text: its words, characters, and what it does."""

    text: str
    start: int
    end: int
    kind: str  # pseudo, pre-/post-/dual-negation, pre-/post-/dual-hypothetical, terminator


@dataclass(frozen=True)
class Scope:
    """Characters [start, end) in which mentions are negated or hypothetical, and the trigger that says so."""

    start: int
    end: int
    kind: Kind
    trigger: str


def _table() -> dict[str, list[tuple[tuple[str, ...], str]]]:
    """First word -> (trigger words, kind), longest first; earlier lists win ties (pseudo first)."""
    out: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    seen: set[tuple[str, ...]] = set()
    for kind, phrases in (
        ("pseudo", PSEUDO),
        ("post-hypothetical", POST_HYPOTHETICAL),
        ("post-negation", POST_NEGATION),
        ("pre-hypothetical", PRE_HYPOTHETICAL),
        ("pre-negation", PRE_NEGATION),
        ("pre-family", PRE_FAMILY),
        ("pre-historical", PRE_HISTORICAL),
        ("terminator", TERMINATORS),
    ):
        for p in phrases:
            seq = tuple(w.text for w in split_words(p))
            if seq and seq not in seen:
                seen.add(seq)
                out.setdefault(seq[0], []).append((seq, kind))
    # A phrase in both a pre and a post list ("suspected", "ruled out") looks both ways: decided per use.
    pre = {tuple(w.text for w in split_words(p)) for p in (*PRE_NEGATION, *PRE_HYPOTHETICAL)}
    for lst in out.values():
        for k, (seq, kind) in enumerate(lst):
            if kind.startswith("post") and seq in pre:
                lst[k] = (seq, "dual-" + kind.split("-", 1)[1])
        lst.sort(key=lambda x: -len(x[0]))
    return out


_TRIGGERS = _table()
_KIND: dict[str, Kind] = {
    "negation": "negated",
    "hypothetical": "hypothetical",
    "historical": "historical",
    "family": "family",
}


def find_triggers(ws: Sequence[Word]) -> list[Trigger]:
    """Triggers in word order; at each word the longest match wins and its words are consumed."""
    out: list[Trigger] = []
    texts = [w.text for w in ws]
    i, n = 0, len(ws)
    while i < n:
        for seq, kind in _TRIGGERS.get(texts[i], ()):
            if tuple(texts[i : i + len(seq)]) == seq:
                out.append(Trigger(" ".join(seq), ws[i].start, ws[i + len(seq) - 1].end, kind))  # type: ignore[arg-type]
                i += len(seq)
                break
        else:
            i += 1
    return out


def scopes(text: str, ws: Sequence[Word] | None = None) -> tuple[list[Scope], list[Trigger]]:
    """Negation and uncertainty scopes of a text, and the triggers (mentions must not overlap them)."""
    ws = split_words(text) if ws is None else ws
    triggers = find_triggers(ws)
    # Clause boundaries in characters: punctuation breaks and terminator words.
    bounds = sorted(
        {0, len(text)}
        | {m.start() for m in _CLAUSE_BREAK.finditer(text)}
        | {tr.start for tr in triggers if tr.kind == "terminator"}
    )
    out: list[Scope] = []
    for tr in triggers:
        if tr.kind in ("pseudo", "terminator"):
            continue
        kind: Kind = _KIND[tr.kind.split("-", 1)[1]]
        k = bisect.bisect_right(bounds, tr.end - 1)
        end = bounds[k] if k < len(bounds) else len(text)
        forward = tr.kind.startswith("pre") or (tr.kind.startswith("dual") and bool(_WORDS.search(text, tr.end, end)))
        if forward:
            out.append(Scope(tr.end, end, kind, tr.text))
        else:
            k = bisect.bisect_right(bounds, tr.start) - 1
            start = bounds[k] if k >= 0 else 0
            out.append(Scope(start, tr.start, kind, tr.text))
    # A question mark makes its clause uncertain ("metastasis?", "?metastasis").
    for m in re.finditer(r"\?", text):
        k = bisect.bisect_left(bounds, m.start())
        start = bounds[k - 1] if k > 0 else 0
        start = max(start, text.rfind(",", start, m.start()))  # "diabetes, CA of lung?" doubts the lung only
        if start < m.start():
            out.append(Scope(start, m.start(), "hypothetical", "?"))
        nxt = bisect.bisect_right(bounds, m.start())
        if m.end() < len(text) and not text[m.end()].isspace():
            out.append(Scope(m.end(), bounds[nxt] if nxt < len(bounds) else len(text), "hypothetical", "?"))
    return out, triggers


@dataclass(frozen=True)
class Context:
    """What a short text says about its condition besides naming it (issue 13).

    `negated`: the patient does not have it ("no", "exclude"); `hypothetical`: it is considered, not
    stated ("rule out", "suspected", "?"); `uncertain`: the hypothetical kind that doubts it
    ("suspected", "possible", "?") rather than plans a test ("rule out") or names a risk;
    `historical`: in the past ("history of", "previous"); `family`: a relative's ("family history of",
    "mother had"). `core` is the text without its context triggers: what names the condition.
    """

    negated: bool = False
    hypothetical: bool = False
    uncertain: bool = False
    historical: bool = False
    family: bool = False
    triggers: tuple[str, ...] = ()
    core: str = ""

    @property
    def any(self) -> bool:
        return self.negated or self.hypothetical or self.historical or self.family

    def flags(self) -> dict[str, bool]:
        return {
            "negated": self.negated,
            "hypothetical": self.hypothetical,
            "historical": self.historical,
            "family": self.family,
            "uncertain": self.uncertain,
        }


def flags_at(scope_list: Sequence[Scope], start: int, end: int) -> tuple[set[str], list[str]]:
    """The context kinds (plus "uncertain") of the scopes holding characters [start, end), and their triggers."""
    kinds: set[str] = set()
    trig: list[str] = []
    for sc in scope_list:
        if sc.start <= start and end <= sc.end:
            kinds.add(sc.kind)
            if sc.kind == "hypothetical" and sc.trigger in UNCERTAIN:
                kinds.add("uncertain")
            trig.append(sc.trigger)
    return kinds, trig


def text_context(text: str) -> Context:
    """The context of a short text naming one condition ("family history of bowel cancer", "?cirrhosis").

    The triggers' scopes are read as in `scopes`; a kind holds when a scope of it covers the text's
    words left once the triggers are taken out (the `core`).
    """
    ws = split_words(text)
    scope_list, triggers = scopes(text, ws)
    used = [tr for tr in triggers if tr.kind not in ("pseudo", "terminator")]
    spans = [(tr.start, tr.end) for tr in used]
    core_words = [w for w in ws if not any(a <= w.start < b for a, b in spans)]
    if not core_words:
        return Context(core="")
    start, end = core_words[0].start, core_words[-1].end
    kinds: set[str] = set()
    trig: list[str] = []
    for w in core_words:
        k, tr = flags_at(scope_list, w.start, w.end)
        kinds |= k
        trig.extend(x for x in tr if x not in trig)
    # The core keeps the text's own characters between its first and last word that are no trigger.
    pieces, pos = [], start
    for a, b in sorted(spans):
        if b <= start or a >= end:
            continue
        pieces.append(text[pos:a])
        pos = b
    pieces.append(text[pos:end])
    core = re.sub(r"\s+", " ", " ".join(pieces)).strip(" ,;:?")
    return Context(
        negated="negated" in kinds,
        hypothetical="hypothetical" in kinds,
        uncertain="uncertain" in kinds,
        historical="historical" in kinds,
        family="family" in kinds,
        triggers=tuple(trig),
        core=core,
    )
