"""Text: folding and words (the FTS5 rule), canonical tokens, the lexicon, spans and description search.

* `normalise`: the one rule for folding text and splitting it into words (as FTS5 ``unicode61`` does);
* `canonical`: canonical tokens (spelling variants, inflection, clinical synonyms and abbreviations);
* `lexicon`: the lexical tables of an index (written at build, read per Terminology; typo correction);
* `spans`: words with offsets, canonical-token units and clause-bounded spans of a text;
* `phrases`: every span of a text against every description's canonical tokens, in one lookup;
* `search`: ranked prefix search over descriptions (`from terminology.text.search import search`:
  the function is not re-exported here, so the submodule stays reachable as an attribute).
"""

from .canonical import (
    IMPLIES,
    RELATED,
    STOPWORDS,
    Token,
    analyse,
    canonical_tokens,
    is_rewritten,
    semantic_tag,
    strip_semantic_tag,
)
from .lexicon import CANON_MARK, NORM_TABLE, SEARCH_TABLE, Lexicon, build_lexical_index, lexicon
from .normalise import WORD, fold, fts_quote, words
from .phrases import PhraseIndex, SpanHit, phrase_index, token_ids
from .search import (
    TIER_ACCEPTABLE,
    TIER_FSN,
    TIER_OTHER,
    TIER_PREFERRED,
    SearchHit,
    dialect_tiers,
    matches_prefixes,
    prefix_query,
    query_words,
)
from .spans import MAX_SPAN, Span, Unit, Word, break_positions, spans_of, split_words, units_of

__all__ = [
    "CANON_MARK",
    "IMPLIES",
    "MAX_SPAN",
    "NORM_TABLE",
    "RELATED",
    "SEARCH_TABLE",
    "STOPWORDS",
    "TIER_ACCEPTABLE",
    "TIER_FSN",
    "TIER_OTHER",
    "TIER_PREFERRED",
    "WORD",
    "Lexicon",
    "PhraseIndex",
    "SearchHit",
    "Span",
    "SpanHit",
    "Token",
    "Unit",
    "Word",
    "analyse",
    "break_positions",
    "build_lexical_index",
    "canonical_tokens",
    "dialect_tiers",
    "fold",
    "fts_quote",
    "is_rewritten",
    "lexicon",
    "matches_prefixes",
    "phrase_index",
    "prefix_query",
    "query_words",
    "spans_of",
    "split_words",
    "semantic_tag",
    "strip_semantic_tag",
    "token_ids",
    "units_of",
    "words",
]
