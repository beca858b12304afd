"""Text: folding and words (the FTS5 rule), the lexicon, spans and description search."""

from .normalise import WORD, fold, fts_quote, words

__all__ = ["WORD", "fold", "fts_quote", "words"]
