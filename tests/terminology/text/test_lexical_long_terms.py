"""Building the lexical tables costs memory in proportion to the text, not to the longest word times the vocabulary.

Issue 16: the canonical vocabulary was sorted as a fixed-width numpy string array, so one 100,000-character
word cost 400 KB for every word of the vocabulary (1.09 GB peak RSS on the real subset).
"""

from __future__ import annotations

import sqlite3
import tracemalloc

import numpy as np

from terminology.text.lexicon import build_lexical_index


def test_one_very_long_word_does_not_multiply_the_vocabulary_memory() -> None:
    words = [f"word{chr(97 + i % 26)}{chr(97 + i // 26 % 26)}" for i in range(300)]
    terms = [*(f"{w} disorder" for w in words), "z" * 200_000]
    n = len(terms)
    saved: dict[str, np.ndarray] = {}
    db = sqlite3.connect(":memory:")
    tracemalloc.start()
    try:
        build_lexical_index(db, saved.__setitem__, terms, np.arange(n), np.zeros(n, bool), np.ones(n, bool))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # A fixed-width array of the ~300 words would take 300 x 200,000 x 4 bytes = 240 MB on its own.
    assert peak < 40 * 2**20, f"peak {peak / 2**20:.0f} MB"
    assert int(saved["norm_df"].sum()) >= n  # every term has at least one canonical token
