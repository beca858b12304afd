"""Text normalisation shared by search and mapping, and the lexical tables built into the index.

Two views of a term are kept:

* its *words*: folded (lowercase, no diacritics) runs of letters and digits, split exactly the way the
  SQLite FTS5 ``unicode61`` tokenizer splits them, so a quoted word never turns into a phrase;
* its *canonical tokens*: the words with function words dropped, GB/US spelling and inflection folded
  (tumour/tumor, haemorrhage/hemorrhage, -ise/-ize, oedema/edema, centre/center, metastases/metastasis),
  and clinical synonyms and abbreviations rewritten (mets, secondaries -> metastasis; ca, cancer,
  malignancy -> malignant neoplasm; tumour, neoplasia -> neoplasm; heart attack -> myocardial
  infarction). The same function runs over every description when the index is built and over the
  user's text at query time, so both sides always agree.

``RELATED`` holds softer links (hepatic ~ liver, secondary ~ metastasis, carcinoma ~ malignant neoplasm)
that only the query side expands, with a weight below 1, so an exact wording still ranks first;
``IMPLIES`` holds one-way ones (a metastasis is malignant) that only excuse a term's extra words.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import process as rf_process
from rapidfuzz.distance import OSA

from ._store import IndexStore
from .text.normalise import words

# ----- words

# A private-use character: FTS5 keeps it inside a token, and no user query can produce it.
CANON_MARK = "\ue000"
# Tables and arrays added to the index (see build_lexical_index).
SEARCH_TABLE = "search_fts"
NORM_TABLE = "norm_fts"
NORM_VOCAB_TABLE = "norm_vocab"
WORD_VOCAB_TABLE = "word_vocab"
LEX_DESC = "lex_desc"  # lexical row -> description row
NORM_PTR = "lex_norm_ptr"  # lexical row -> slice of lex_norm_ids
NORM_IDS = "lex_norm_ids"  # canonical token ids of each row (sorted, unique)
NORM_DF = "norm_df"  # canonical token id -> number of rows holding it
LEX_SPLIT = "lex_split"  # [number of rows of active concepts]: they come first in rowid order





_SEMANTIC_TAG = re.compile(r"\s*\([^()]*\)\s*$")


def strip_semantic_tag(fsn: str) -> str:
    """ "Metastatic malignant neoplasm to liver (disorder)" -> "Metastatic malignant neoplasm to liver"."""
    return _SEMANTIC_TAG.sub("", fsn)


# ----- canonical tokens


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS = _wordset(
    "a an and as at be been by for from has have had her his in into is it its of on onto or that the their "
    "these this those to was were which with via nos s"
)

# Whole words rewritten before any other rule: irregular plurals and clinical abbreviations.
_WORD_MAP_SOURCE: dict[str, str] = {
    # metastasis
    "mets": "metastasis",
    "met": "metastasis",
    "metastatic": "metastasis",
    "metastases": "metastasis",
    "metastasize": "metastasis",
    "metastasise": "metastasis",
    "metastasized": "metastasis",
    "metastasised": "metastasis",
    "metastasizing": "metastasis",
    "metastasising": "metastasis",
    "secondaries": "metastasis",
    # malignant neoplasm
    "ca": "malignant neoplasm",
    "cancer": "malignant neoplasm",
    "cancers": "malignant neoplasm",
    "malignancy": "malignant neoplasm",
    "malignancies": "malignant neoplasm",
    "tumour": "neoplasm",
    "tumours": "neoplasm",
    "tumor": "neoplasm",
    "tumors": "neoplasm",
    "neoplasia": "neoplasm",
    "neoplastic": "neoplasm",
    "neoplasms": "neoplasm",
    # common abbreviations
    "mi": "myocardial infarction",
    "htn": "hypertension",
    "dm": "diabetes mellitus",
    "t1dm": "type 1 diabetes mellitus",
    "t2dm": "type 2 diabetes mellitus",
    "iddm": "type 1 diabetes mellitus",
    "niddm": "type 2 diabetes mellitus",
    "copd": "chronic obstructive pulmonary disease",
    "chf": "congestive heart failure",
    "ckd": "chronic kidney disease",
    "uti": "urinary tract infection",
    "cva": "cerebrovascular accident",
    "dvt": "deep vein thrombosis",
    "pe": "pulmonary embolism",
    "fx": "fracture",
    "hx": "history",
    "afib": "atrial fibrillation",
    # irregular plurals
    "feet": "foot",
    "teeth": "tooth",
    "children": "child",
    "men": "man",
    "women": "woman",
    "mice": "mouse",
    "lice": "louse",
    "calves": "calf",
    "halves": "half",
    "leaves": "leaf",
    "knives": "knife",
    "testes": "testis",
    "pelves": "pelvis",
    "bacteria": "bacterium",
    "ganglia": "ganglion",
    "criteria": "criterion",
    "diverticula": "diverticulum",
    "labia": "labium",
    "foramina": "foramen",
    "lumina": "lumen",
    "phalanges": "phalanx",
    "apices": "apex",
    "appendices": "appendix",
    "cervices": "cervix",
    "cortices": "cortex",
    "indices": "index",
    "matrices": "matrix",
    "varices": "varix",
    "vertices": "vertex",
    "calyces": "calyx",
    "bronchi": "bronchus",
    "thrombi": "thrombus",
    "emboli": "embolus",
    "calculi": "calculus",
    "fungi": "fungus",
    "nuclei": "nucleus",
    "foci": "focus",
    "alveoli": "alveolus",
    "glomeruli": "glomerulus",
    "naevi": "nevus",
    "nevi": "nevus",
    "villi": "villus",
    "stimuli": "stimulus",
    "bacilli": "bacillus",
    # GB/US words that no rule covers
    "aluminium": "aluminum",
    "grey": "gray",
    "mould": "mold",
    "moult": "molt",
    "programme": "program",
    "ageing": "aging",
    "artefact": "artifact",
    "judgement": "judgment",
    "licence": "license",
    "defence": "defense",
    "offence": "offense",
    "practise": "practice",
    "draught": "draft",
}

# Word sequences rewritten as a whole (matched on folded words, before function words are dropped).
_PHRASE_SOURCE: dict[str, str] = {
    "heart attack": "myocardial infarction",
    "high blood pressure": "hypertension",
    "iliac bone": "ilium",
    "secondary to": "due",
    "due to": "due",
    "caused by": "due",
    "malignant tumour": "malignant neoplasm",
    "malignant tumor": "malignant neoplasm",
    "malignant growth": "malignant neoplasm",
    "secondary deposit": "metastasis",
    "secondary deposits": "metastasis",
    "kidney stone": "kidney calculus",
    "renal stone": "kidney calculus",
}

# Soft links (both directions): a query word also matches these, at the given weight.
_RELATED_SOURCE: list[tuple[str, str, float]] = [
    ("secondary", "metastasis", 0.85),
    ("deposit", "metastasis", 0.8),
    ("carcinoma", "malignant", 0.6),
    ("carcinoma", "neoplasm", 0.75),
    ("sarcoma", "malignant", 0.5),
    ("sarcoma", "neoplasm", 0.6),
    ("growth", "neoplasm", 0.8),
    ("mass", "neoplasm", 0.6),
    ("lump", "neoplasm", 0.6),
    ("infarct", "infarction", 0.9),
    ("disorder", "disease", 0.9),
    ("hepatic", "liver", 0.9),
    ("pulmonary", "lung", 0.9),
    ("renal", "kidney", 0.9),
    ("nephric", "kidney", 0.8),
    ("cardiac", "heart", 0.9),
    ("osseous", "bone", 0.9),
    ("bony", "bone", 0.9),
    ("iliac", "ilium", 0.85),
    ("vertebral", "vertebra", 0.9),
    ("spinal", "spine", 0.9),
    ("femoral", "femur", 0.9),
    ("tibial", "tibia", 0.9),
    ("fibular", "fibula", 0.9),
    ("humeral", "humerus", 0.9),
    ("ulnar", "ulna", 0.9),
    ("clavicular", "clavicle", 0.9),
    ("scapular", "scapula", 0.9),
    ("patellar", "patella", 0.9),
    ("sternal", "sternum", 0.9),
    ("mandibular", "mandible", 0.9),
    ("maxillary", "maxilla", 0.9),
    ("pelvic", "pelvis", 0.9),
    ("sacral", "sacrum", 0.9),
    ("cerebral", "brain", 0.85),
    ("gastric", "stomach", 0.9),
    ("colonic", "colon", 0.9),
    ("rectal", "rectum", 0.9),
    ("cutaneous", "skin", 0.9),
    ("dermal", "skin", 0.8),
    ("mammary", "breast", 0.9),
    ("ocular", "eye", 0.9),
    ("ophthalmic", "eye", 0.85),
    ("nasal", "nose", 0.9),
    ("oral", "mouth", 0.85),
    ("dental", "tooth", 0.9),
    ("cranial", "skull", 0.8),
    ("costal", "rib", 0.9),
    ("pleural", "pleura", 0.9),
    ("biliary", "bile", 0.85),
    ("pancreatic", "pancreas", 0.9),
    ("splenic", "spleen", 0.9),
    ("ovarian", "ovary", 0.9),
    ("uterine", "uterus", 0.9),
    ("lymphatic", "lymph", 0.85),
    ("nodal", "node", 0.85),
    ("diabetic", "diabetes", 0.9),
    ("fractured", "fracture", 0.95),
    ("broken", "fracture", 0.8),
    ("infected", "infection", 0.9),
    ("inflamed", "inflammation", 0.9),
]

# One-way links: a query word accounts for these words of a term (term coverage only, never retrieval):
# a metastasis is malignant, so "liver mets" fully explains "Secondary malignant neoplasm of liver".
_IMPLIES_SOURCE: list[tuple[str, str, float]] = [
    ("metastasis", "malignant", 0.9),
    ("secondary", "malignant", 0.8),
    ("carcinoma", "malignant", 0.9),
    ("sarcoma", "malignant", 0.9),
    ("lymphoma", "malignant", 0.9),
    ("melanoma", "malignant", 0.9),
]

_NO_SINGULAR = _wordset(
    "pancreas atlas gas bias alias lens series species caries rabies scabies measles mumps herpes news always "
    "perhaps plus thus yes"
)
_OUR_KEEP = ("flour", "scour", "detour", "contour", "devour", "velour", "paramour", "troubadour", "glamour", "amour")
_OUR = re.compile(r"(?<=\w\w)our(?=(s|ed|ing|al|ally|able|ably|ite|ites|ation|less|ful|ize|ise|ization|isation)?$)")
_IZE = re.compile(r"(?<=\w\w)is(?=(e|es|ed|ing|ation|ations|er|ers)$)")
_YZE = re.compile(r"(?<=\w)ys(?=(e|ed|ing|er|ers)$)")
_RE_END = re.compile(r"(?<=\w\w)([tbv])re(s?)$")
_OGUE = re.compile(r"ogue(s?)$")
_LL = re.compile(r"(?<=[aeiou])ll(?=(ed|ing|er|ers)$)")
_OE = re.compile(r"oe(?!s?$)")


def _spelling(w: str) -> str:
    """Fold GB spellings onto US ones (tumour -> tumor, haemorrhage -> hemorrhage, centre -> center)."""
    if len(w) < 4 or w.isdigit():
        return w
    if w.endswith("ae") and len(w) > 4:  # Latin plural: vertebrae -> vertebra
        w = w[:-1]
    if "our" in w and not w.startswith(_OUR_KEEP):
        w = _OUR.sub("or", w)
    if "ae" in w and not w.startswith("aer"):
        w = w.replace("ae", "e")
    if "oe" in w and not w.startswith(("coe", "poe")) or w.startswith("coel"):
        w = _OE.sub("e", w)
    if "s" in w:
        w = _IZE.sub("iz", w)
        w = _YZE.sub("yz", w)
        if "sulph" in w:
            w = w.replace("sulph", "sulf")
    if w.endswith(("re", "res")):
        w = _RE_END.sub(r"\1er\2", w)
    if w.endswith(("ogue", "ogues")):
        w = _OGUE.sub(r"og\1", w)
    if "ll" in w:
        w = _LL.sub("l", w)
    return w


def _singular(w: str) -> str:
    """A light stemmer: plural and final -e/-is off (diseases, disease -> diseas; metastasis -> metastas)."""
    if len(w) <= 3 or w in _NO_SINGULAR or w.isdigit():
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith(("sis", "ses", "xes", "zes", "ches", "shes")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if w.endswith("cocci"):
        w = w[:-1] + "us"
    if len(w) >= 4 and w.endswith("e"):
        w = w[:-1]
    return w


def _stem(w: str) -> str:
    return _singular(_spelling(w))


@dataclass(frozen=True)
class Token:
    """One canonical token of a text, with the words it came from and how it was derived."""

    token: str
    source: str  # the folded word(s) of the text it came from
    kind: str  # "word" (spelling/inflection only), "synonym" (abbreviation, synonym or phrase)


_CACHE: dict[str, tuple[tuple[str, ...], str]] = {}


def canonical_word(w: str) -> tuple[tuple[str, ...], str]:
    """The canonical tokens of one folded word, and "word" or "synonym" for how they were derived."""
    hit = _CACHE.get(w)
    if hit is None:
        mapped = _WORD_MAP.get(w)
        hit = (mapped, "synonym") if mapped is not None else ((_stem(w),), "word")
        if len(_CACHE) < 500_000:
            _CACHE[w] = hit
    return hit


def analyse_words(ws: Sequence[str]) -> list[Token]:
    """The canonical tokens of folded words, in order, each with its provenance (for explanations)."""
    out: list[Token] = []
    i, n = 0, len(ws)
    while i < n:
        w = ws[i]
        for seq, rep in _PHRASES.get(w, ()):
            if tuple(ws[i : i + len(seq)]) == seq:
                src = " ".join(seq)
                out.extend(Token(t, src, "synonym") for t in rep)
                i += len(seq)
                break
        else:
            if w not in STOPWORDS:
                toks, kind = canonical_word(w)
                out.extend(Token(t, w, kind) for t in toks)
            i += 1
    return out


def analyse(text: str, fsn: bool = False) -> list[Token]:
    """`analyse_words` of a text (an FSN loses its semantic tag first)."""
    return analyse_words(words(strip_semantic_tag(text) if fsn else text))


def canonical_of_words(ws: Sequence[str]) -> list[str]:
    """The distinct canonical tokens of folded words, in first-seen order (the fast path of `analyse`)."""
    out: list[str] = []
    i, n = 0, len(ws)
    cache, phrases, stop = _CACHE, _PHRASES, STOPWORDS
    while i < n:
        w = ws[i]
        if w in phrases:
            for seq, rep in phrases[w]:
                if tuple(ws[i : i + len(seq)]) == seq:
                    out.extend(rep)
                    i += len(seq)
                    break
            else:
                if w not in stop:
                    out.extend(canonical_word(w)[0])
                i += 1
            continue
        if w not in stop:
            hit = cache.get(w)
            out.extend(hit[0] if hit is not None else canonical_word(w)[0])
        i += 1
    return list(dict.fromkeys(out)) if len(out) > 1 else out


def canonical_tokens(text: str, fsn: bool = False) -> list[str]:
    """The distinct canonical tokens of a text, in first-seen order."""
    return canonical_of_words(words(strip_semantic_tag(text) if fsn else text))


def _canon_phrase(phrase: str) -> tuple[str, ...]:
    out: list[str] = []
    for w in phrase.split():
        if w in STOPWORDS:
            continue
        out.extend(canonical_word(w)[0] if w in _WORD_MAP else (_stem(w),))
    return tuple(out)


_WORD_MAP: dict[str, tuple[str, ...]] = {}
for _k, _v in _WORD_MAP_SOURCE.items():
    _WORD_MAP[_k] = tuple(_stem(x) for x in _v.split() if x not in STOPWORDS)
_PHRASES: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
for _k, _v in _PHRASE_SOURCE.items():
    _seq = tuple(_k.split())
    _PHRASES.setdefault(_seq[0], []).append((_seq, _canon_phrase(_v)))
for _lst in _PHRASES.values():
    _lst.sort(key=lambda p: -len(p[0]))
RELATED: dict[str, dict[str, float]] = {}
for _a, _b, _w in _RELATED_SOURCE:
    (_ta,), (_tb,) = _canon_phrase(_a), _canon_phrase(_b)
    RELATED.setdefault(_ta, {})[_tb] = _w
    RELATED.setdefault(_tb, {})[_ta] = _w
IMPLIES: dict[str, dict[str, float]] = {}
for _a, _b, _w in _IMPLIES_SOURCE:
    (_ta,), (_tb,) = _canon_phrase(_a), _canon_phrase(_b)
    IMPLIES.setdefault(_ta, {})[_tb] = _w


# ----- the lexical tables of the index


def build_lexical_index(
    db: sqlite3.Connection,
    save: Callable[[str, np.ndarray], None],
    terms: Sequence[str],
    rows: np.ndarray,
    is_fsn: np.ndarray,
    concept_active: np.ndarray,
) -> None:
    """Add the search and mapping tables for description rows `rows` (active, not definitions).

    `is_fsn` and `concept_active` are per description row (the latter: is its concept active).

    * ``search_fts(words)``: the folded words of each term, with prefix indexes; its rowid is the
      position of the description in shortest-first order (characters, then words), so ``LIMIT n`` in
      rowid order yields the n shortest matching terms without ranking every match (autocomplete over
      1.6M descriptions). Rows of active concepts come first: ``rowid < lex_split[0]`` keeps to them.
    * ``norm_fts(tokens)``: the canonical tokens (marked with CANON_MARK), same rowids, for mapping.
    * ``lex_desc``: rowid -> description row; ``lex_norm_ptr``/``lex_norm_ids``: canonical token ids per
      rowid; ``norm_vocab(term, id, df)`` and ``norm_df``: the canonical vocabulary with document
      frequencies (IDF weights); ``word_vocab(word, df)``: the folded words, for typo correction.

    One Python pass tokenises every term (words and canonical tokens, with a per-word cache); the
    rest is numpy and SQLite (the word vocabulary is read back from the FTS index with fts5vocab).
    """
    rows = np.asarray(rows, np.int64)
    n = len(rows)
    token_id: dict[str, int] = {}
    word_ids: dict[str, tuple[int, ...]] = {}  # folded word -> its canonical token ids (() if a function word)
    flat: list[int] = []
    joined: list[str] = []
    n_words: list[int] = []
    counts: list[int] = []
    fsn_rows = np.asarray(is_fsn, bool)[rows].tolist()
    all_terms = [terms[r] for r in rows.tolist()]
    phrase_starts = frozenset(_PHRASES)
    for term, fsn in zip(all_terms, fsn_rows, strict=True):
        ws = words(term)
        n_words.append(len(ws))
        joined.append(" ".join(ws))
        cw = ws
        if fsn:  # the FSN's words without those of its semantic tag
            tag = _SEMANTIC_TAG.search(term)
            if tag is not None:
                cw = ws[: len(ws) - len(words(tag.group()))]
        if phrase_starts.isdisjoint(cw):
            ids: list[int] = []
            for w in cw:
                got = word_ids.get(w)
                if got is None:
                    toks = () if w in STOPWORDS else canonical_word(w)[0]
                    got = word_ids[w] = tuple(token_id.setdefault(x, len(token_id)) for x in toks)
                ids.extend(got)
        else:
            ids = [token_id.setdefault(x, len(token_id)) for x in canonical_of_words(cw)]
        if len(ids) > 1:
            ids = list(dict.fromkeys(ids))
        counts.append(len(ids))
        flat.extend(ids)
    lengths = np.fromiter(map(len, all_terms), np.int64, n)
    del all_terms
    inactive = ~np.asarray(concept_active, bool)[rows]
    order = np.lexsort((rows, np.asarray(n_words, np.int64), lengths, inactive))
    counts_a = np.asarray(counts, np.int64)
    save(LEX_DESC, rows[order].astype(np.int32))
    save(LEX_SPLIT, np.array([n - int(inactive.sum())], np.int64))
    # Canonical ids renumbered in sorted term order; each row's ids sorted, rows in length order.
    vocab = sorted(token_id, key=token_id.__getitem__)
    # Sorted in Python: a fixed-width numpy string array would cost len(vocab) x the longest token x 4 bytes.
    alpha = np.array(sorted(range(len(vocab)), key=vocab.__getitem__), np.int64)
    remap = np.empty(len(vocab), np.int32)
    remap[alpha] = np.arange(len(vocab), dtype=np.int32)
    vocab = [vocab[i] for i in alpha.tolist()]
    ids = remap[np.asarray(flat, np.int64)] if flat else np.zeros(0, np.int32)
    owner = np.repeat(np.arange(n), counts_a)
    new_pos = np.empty(n, np.int64)
    new_pos[order] = np.arange(n)
    srt = np.lexsort((ids, new_pos[owner]))
    ids = ids[srt].astype(np.int32)
    ptr = np.zeros(n + 1, np.int64)
    ptr[1:] = np.cumsum(counts_a[order])
    save(NORM_PTR, ptr)
    save(NORM_IDS, ids)
    df = np.bincount(ids, minlength=len(vocab)).astype(np.int32)
    save(NORM_DF, df)
    db.execute(
        f"CREATE VIRTUAL TABLE {SEARCH_TABLE} USING fts5(words, content='', "
        "tokenize='unicode61 remove_diacritics 2', prefix='1 2 3 4', detail='none', columnsize=0)"
    )
    db.execute(
        f"CREATE VIRTUAL TABLE {NORM_TABLE} USING fts5(tokens, content='', tokenize='unicode61', detail='none', columnsize=0)"
    )
    ordered = order.tolist()
    db.executemany(
        f"INSERT INTO {SEARCH_TABLE}(rowid, words) VALUES (?, ?)",
        ((pos, joined[k]) for pos, k in enumerate(ordered)),
    )
    marked = [CANON_MARK + t for t in vocab].__getitem__
    ptr_l, ids_l = ptr.tolist(), ids.tolist()
    db.executemany(
        f"INSERT INTO {NORM_TABLE}(rowid, tokens) VALUES (?, ?)",
        (
            (pos, " ".join(map(marked, ids_l[a:b])))
            for pos, (a, b) in enumerate(zip(ptr_l[:-1], ptr_l[1:], strict=True))
            if b > a
        ),
    )
    db.execute(f"CREATE TABLE {NORM_VOCAB_TABLE}(term TEXT PRIMARY KEY, id INTEGER, df INTEGER) WITHOUT ROWID")
    db.executemany(
        f"INSERT INTO {NORM_VOCAB_TABLE} VALUES (?, ?, ?)", zip(vocab, range(len(vocab)), df.tolist(), strict=True)
    )
    # Folded words with their document frequencies, read back from the search index (in C).
    db.execute(f"CREATE VIRTUAL TABLE temp.search_vocab USING fts5vocab(main, {SEARCH_TABLE}, row)")
    db.execute(f"CREATE TABLE {WORD_VOCAB_TABLE}(word TEXT PRIMARY KEY, df INTEGER) WITHOUT ROWID")
    db.execute(f"INSERT INTO {WORD_VOCAB_TABLE} SELECT term, doc FROM temp.search_vocab")
    db.execute("DROP TABLE temp.search_vocab")


# ----- reading the lexical tables


class Lexicon:
    """Read-side access to the lexical tables of one index (arrays mapped lazily, vocab cached)."""

    def __init__(self, store: IndexStore):
        self.store = store
        self.available = all(
            store.has_table(name) for name in (SEARCH_TABLE, NORM_TABLE, NORM_VOCAB_TABLE, WORD_VOCAB_TABLE)
        )
        self._buckets: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}

    @functools.cached_property
    def lex_desc(self) -> np.ndarray:
        return self.store.array(LEX_DESC)

    @functools.cached_property
    def active_rows(self) -> int:
        """Rows (rowids 0..n-1) that belong to active concepts."""
        return int(self.store.array(LEX_SPLIT)[0])

    @functools.cached_property
    def norm_ptr(self) -> np.ndarray:
        return self.store.array(NORM_PTR)

    @functools.cached_property
    def norm_ids(self) -> np.ndarray:
        return self.store.array(NORM_IDS)

    @functools.cached_property
    def norm_df(self) -> np.ndarray:
        return self.store.array(NORM_DF)

    @property
    def n_rows(self) -> int:
        return len(self.lex_desc)

    @functools.cached_property
    def _blob(self) -> tuple[np.ndarray, memoryview]:
        return np.asarray(self.store.term_ptr), memoryview(np.asarray(self.store.term_blob))

    def terms(self, rows: Iterable[int]) -> list[str]:
        """The terms of description rows (what Terminology._term does, without per-call array overhead)."""
        ptr, blob = self._blob
        return [str(blob[ptr[d] : ptr[d + 1]], "utf-8") for d in rows]

    def vocab(self, tokens: Iterable[str]) -> dict[str, tuple[int, int]]:
        """Canonical token -> (id, document frequency), for the tokens the index holds."""
        wanted = sorted(set(tokens))
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        rows = self.store.db.execute(f"SELECT term, id, df FROM {NORM_VOCAB_TABLE} WHERE term IN ({marks})", wanted)
        return {term: (int(i), int(df)) for term, i, df in rows}

    def words_starting(self, prefix: str, limit: int) -> list[str]:
        """Indexed (folded) words starting with `prefix`, at most `limit` of them."""
        rows = self.store.db.execute(
            f"SELECT word FROM {WORD_VOCAB_TABLE} WHERE word >= ? AND word < ? LIMIT ?",
            (prefix, prefix + "\U0010ffff", limit),
        )
        return [r[0] for r in rows]

    def knows_word(self, word: str) -> bool:
        return self.store.db.execute(f"SELECT 1 FROM {WORD_VOCAB_TABLE} WHERE word = ?", (word,)).fetchone() is not None

    def _bucket(self, first: str) -> tuple[list[str], np.ndarray, np.ndarray]:
        """The folded words starting with `first`, their lengths and document frequencies (cached)."""
        hit = self._buckets.get(first)
        if hit is None:
            rows = self.store.db.execute(
                f"SELECT word, df FROM {WORD_VOCAB_TABLE} WHERE word >= ? AND word < ?", (first, first + "\U0010ffff")
            ).fetchall()
            ws = [w for w, _ in rows]
            hit = (ws, np.fromiter(map(len, ws), np.int32, len(ws)), np.array([d for _, d in rows], np.int64))
            self._buckets[first] = hit
        return hit

    def corrections(self, word: str, limit: int = 3) -> list[tuple[str, int]]:
        """Index words within one edit (two for words of 8+ letters) of `word`: (word, edits), best first.

        Only words sharing the first letter are considered (typos there are rare, and it keeps the
        candidate list to a few thousand words at full size); more frequent words win ties.
        """
        if len(word) < 4 or not word.isalpha():
            return []
        max_d = 1 if len(word) < 8 else 2
        ws, lens, dfs = self._bucket(word[0])
        near = np.flatnonzero(np.abs(lens - len(word)) <= max_d)
        if not len(near):
            return []
        choices = [ws[i] for i in near.tolist()]
        found = rf_process.extract(word, choices, scorer=OSA.distance, score_cutoff=max_d, limit=None)
        found = [(w, int(d), int(dfs[near[k]])) for w, d, k in found if w != word]
        found.sort(key=lambda x: (x[1], -x[2], x[0]))
        return [(w, d) for w, d, _ in found[:limit]]


_LEXICONS: weakref.WeakKeyDictionary[IndexStore, Lexicon] = weakref.WeakKeyDictionary()
_LEX_LOCK = threading.Lock()


def lexicon(store: IndexStore) -> Lexicon:
    """The (per-process, per-index) Lexicon of a store."""
    lex = _LEXICONS.get(store)
    if lex is None:
        with _LEX_LOCK:
            lex = _LEXICONS.get(store)
            if lex is None:
                lex = Lexicon(store)
                _LEXICONS[store] = lex
    return lex
