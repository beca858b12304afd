"""Words of a text with their character offsets, the canonical-token units they make, and their spans.

Shared by the annotator (which concepts does a note mention?) and compositional mapping (which parts
does "metastasis of the left ilium" name?). A *unit* is the canonical tokens a content word (or a
rewritten phrase, "iliac bone" -> ilium) stands for, by the same rules `canonical.canonical_of_words`
applies to every description at index time; a *span* is a run of units within one clause.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .canonical import STOPWORDS, canonical_word, phrase_at
from .normalise import WORD, fold

MAX_SPAN = 8  # content units in one span (longer descriptions are rare and never worth an n-gram)


@dataclass(frozen=True)
class Word:
    """One folded word of the text and where it is (character offsets into the original text)."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Unit:
    """A content word (or a rewritten phrase) and the canonical tokens it stands for.

    `first`..`last` are word indices (inclusive); a phrase rewrite ("heart attack") spans several words,
    and an abbreviation ("ca") may stand for several tokens (malignant, neoplasm).
    """

    first: int
    last: int
    tokens: tuple[str, ...]
    kind: str  # "word" (spelling/inflection only) or "synonym"


@dataclass(frozen=True)
class Span:
    """Content units `a`..`b` (inclusive) of a text: their words, characters and canonical token set."""

    a: int
    b: int
    first_word: int
    last_word: int
    start: int
    end: int
    tokens: frozenset[str]


def split_words(text: str) -> list[Word]:
    """The folded words of `text` with character offsets (the same split as `normalise.words`)."""
    out: list[Word] = []
    for m in WORD.finditer(text):
        w = m.group()
        if w.isascii():
            out.append(Word(w.lower(), m.start(), m.end()))
        else:  # folding may split a word ("ǆ" -> "dz" stays one; "½" -> "1", "2")
            out.extend(Word(p, m.start(), m.end()) for p in WORD.findall(fold(w)))
    return out


def units_of(words: Sequence[Word]) -> list[Unit]:
    """Content units of folded words, mirroring `canonical.canonical_of_words` (phrases first, stopwords out)."""
    ws = [w.text for w in words]
    out: list[Unit] = []
    i, n = 0, len(ws)
    while i < n:
        phrase = phrase_at(ws, i)
        if phrase is not None:
            length, rep = phrase
            if rep:
                out.append(Unit(i, i + length - 1, tuple(rep), "synonym"))
            i += length
            continue
        w = ws[i]
        if w not in STOPWORDS:
            toks, kind = canonical_word(w)
            if toks:
                out.append(Unit(i, i, tuple(toks), kind))
        i += 1
    return out


def spans_of(
    words: Sequence[Word], units: Sequence[Unit], breaks: set[int] | None = None, max_span: int = MAX_SPAN
) -> list[Span]:
    """Every run of 1..max_span consecutive content units that does not cross a clause break.

    `breaks` holds word indices preceded by a clause break (see `break_positions`): "liver. Bone" is
    not one mention.
    """
    out: list[Span] = []
    cum = [0] * (len(words) + 1)  # cum[i]: clause breaks at word indices <= i
    for i in range(len(words)):
        cum[i] = (cum[i - 1] if i else 0) + (1 if breaks and i in breaks else 0)
    for a in range(len(units)):
        toks: set[str] = set()
        u0 = units[a]
        for b in range(a, min(len(units), a + max_span)):
            u1 = units[b]
            if b > a and cum[u1.first] != cum[units[b - 1].last]:
                break
            toks.update(u1.tokens)
            out.append(Span(a, b, u0.first, u1.last, words[u0.first].start, words[u1.last].end, frozenset(toks)))
    return out


def break_positions(text: str, words: Sequence[Word]) -> set[int]:
    """Word indices i such that a clause break lies between word i-1 and word i."""
    out: set[int] = set()
    for i in range(1, len(words)):
        gap = text[words[i - 1].end : words[i].start]
        if gap and _BREAK.search(gap):
            out.add(i)
    return out


_BREAK = re.compile(r"[.,;:!?()\[\]{}\n\r\t|\"]")
