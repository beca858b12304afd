"""The one folding rule matches what SQLite's FTS5 unicode61 tokenizer does (the specification of the rule)."""

from __future__ import annotations

import sqlite3

from hypothesis import given, settings
from hypothesis import strategies as st

from terminology.text import fold, words


def _fts5_tokens(text: str) -> list[str]:
    """The tokens FTS5 itself produces, read back through the fts5vocab table."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='unicode61 remove_diacritics 2')")
    db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    db.execute("INSERT INTO t(x) VALUES (?)", (text,))
    return [row[0] for row in db.execute("SELECT term FROM v ORDER BY offset")]


def test_examples_by_hand() -> None:
    assert words("Sjögren's syndrome") == ["sjogren", "s", "syndrome"]
    assert words("Non-Hodgkin lymphoma (disorder)") == ["non", "hodgkin", "lymphoma", "disorder"]
    assert words("CA-19-9") == ["ca", "19", "9"]
    assert words("snake_case") == ["snake", "case"]
    assert fold("Ménière") == "meniere"


@given(st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "Zs", "M", "S")), max_size=30))
@settings(max_examples=300, deadline=None)
def test_words_split_and_fold_like_fts5(text: str) -> None:
    assert words(text) == _fts5_tokens(text)


def test_latin_examples_against_fts5() -> None:
    for text in ["Café au lait spots", "Ångström", "naïve T-cell", "Pneumonia: lobar, left!", "Œdema", "ﬁbrosis"]:
        assert words(text) == _fts5_tokens(text), text
