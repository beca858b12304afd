"""The one text-folding and word rule: what SQLite's FTS5 ``unicode61`` tokenizer does to a term.

Search, mapping, ECL term filters and FHIR ``filter`` all split and fold text here, so the same
query words match the same descriptions whichever path asks.

ASCII, nearly all of SNOMED CT, is folded by a fast path. Any other character is folded by asking
SQLite's own tokenizer once (its Unicode tables are not Python's: it keeps "¹" and "ﬁ", folds "ſ"
to "s", treats some combining marks as separators), so the rule is exact by construction.
"""

from __future__ import annotations

import re
import sqlite3
import threading

# Runs of ASCII letters and digits: unicode61 treats every other ASCII character (punctuation, "_") as a separator.
_ASCII_WORD = re.compile(r"[A-Za-z0-9]+")
SEPARATOR = " "


class _CharFolds:
    """Each non-ASCII character's fold ("" when dropped, SEPARATOR when it splits words), learnt from FTS5."""

    def __init__(self) -> None:
        self._folds: dict[str, str] = {}
        self._lock = threading.Lock()

    def fold(self, text: str) -> str:
        unknown = {c for c in text if not c.isascii()} - self._folds.keys()
        if unknown:
            self._learn(unknown)
        folds = self._folds
        return "".join(c.lower() if c.isascii() else folds[c] for c in text)

    def _learn(self, chars: set[str]) -> None:
        db = sqlite3.connect(":memory:")
        try:
            db.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='unicode61 remove_diacritics 2')")
            db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
            order = sorted(chars)
            # Between two "a"s: one token "a?a" says how the character folds, two tokens say it separates.
            db.executemany("INSERT INTO t(rowid, x) VALUES (?, ?)", [(i + 1, f"a{c}a") for i, c in enumerate(order)])
            tokens: dict[int, list[tuple[int, str]]] = {}
            for term, doc, offset in db.execute("SELECT term, doc, offset FROM v"):
                tokens.setdefault(doc, []).append((offset, term))
        finally:
            db.close()
        learnt = {}
        for i, c in enumerate(order):
            got = [t for _, t in sorted(tokens.get(i + 1, []))]
            learnt[c] = got[0][1:-1] if len(got) == 1 else SEPARATOR
        with self._lock:
            self._folds.update(learnt)


_FOLDS = _CharFolds()


def fold(text: str) -> str:
    """Lowercase without diacritics, as unicode61 ``remove_diacritics 2`` folds each character.

    Characters that unicode61 treats as separators come back as spaces when they are not ASCII.
    """
    if text.isascii():
        return text.lower()
    return _FOLDS.fold(text)


def words(text: str) -> list[str]:
    """The folded words of a text, split exactly as the FTS5 unicode61 tokenizer splits them."""
    if text.isascii():
        return _ASCII_WORD.findall(text.lower())
    return [w for part in _FOLDS.fold(text).split(SEPARATOR) for w in _ASCII_WORD_OR_OTHER.findall(part)]


# Within a folded part, ASCII punctuation still separates; any non-ASCII character left is a token character.
_ASCII_WORD_OR_OTHER = re.compile(r"(?:[A-Za-z0-9]|[^\x00-\x7f])+")

# One word as the splitting pattern sees it (for callers that need positions in the original text).
WORD = re.compile(r"[^\W_]+")


def is_word(text: str) -> bool:
    """True when the text is exactly one FTS5 token."""
    return words(text) == [fold(text)] and bool(text)


def fts_quote(token: str) -> str:
    """A token as an FTS5 string literal (operators and punctuation inside lose their meaning)."""
    return '"' + token.replace('"', '""') + '"'
