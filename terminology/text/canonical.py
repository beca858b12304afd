"""Canonical tokens: the words of a term with spelling, inflection and clinical synonyms folded.

A term's *canonical tokens* are its folded words (`normalise.words`) with function words dropped,
GB/US spelling and inflection folded (tumour/tumor, haemorrhage/hemorrhage, -ise/-ize, oedema/edema,
centre/center, metastases/metastasis), and clinical synonyms and abbreviations rewritten (mets,
secondaries -> metastasis; ca, cancer, malignancy -> malignant neoplasm; tumour, neoplasia ->
neoplasm; heart attack -> myocardial infarction). The same function runs over every description
when the index is built and over the user's text at query time, so both sides always agree.

``RELATED`` holds softer links (hepatic ~ liver, secondary ~ metastasis, carcinoma ~ malignant neoplasm)
that only the query side expands, with a weight below 1, so an exact wording still ranks first;
``IMPLIES`` holds one-way ones (a metastasis is malignant) that only excuse a term's extra words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .normalise import words

_SEMANTIC_TAG = re.compile(r"\s*\([^()]*\)\s*$")


def strip_semantic_tag(fsn: str) -> str:
    """ "Metastatic malignant neoplasm to liver (disorder)" -> "Metastatic malignant neoplasm to liver"."""
    return _SEMANTIC_TAG.sub("", fsn)


def semantic_tag(fsn: str | None) -> str | None:
    """ "Hepatoblastoma (disorder)" -> "disorder"; None when the FSN has no tag."""
    m = _SEMANTIC_TAG.search(fsn or "")
    return m.group(0).strip()[1:-1] if m else None


# ----- canonical tokens


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS = _wordset(
    "a an and as at be been by for from has have had her his in into is it its of on onto or that the their "
    "these this those to was were which with via nos s"
)

# Whole words rewritten before any other rule: irregular plurals and clinical abbreviations.
_WORD_MAP_SOURCE: dict[str, str] = {
    # metastasis (the abbreviations mets, met, secondaries are rows of data/abbreviations.tsv)
    "metastatic": "metastasis",
    "metastases": "metastasis",
    "metastasize": "metastasis",
    "metastasise": "metastasis",
    "metastasized": "metastasis",
    "metastasised": "metastasis",
    "metastasizing": "metastasis",
    "metastasising": "metastasis",
    # neoplasm (ca, cancer, malignancy are rows of data/abbreviations.tsv)
    "tumour": "neoplasm",
    "tumours": "neoplasm",
    "tumor": "neoplasm",
    "tumors": "neoplasm",
    "neoplasia": "neoplasm",
    "neoplastic": "neoplasm",
    "neoplasms": "neoplasm",
    # clinical abbreviations with one meaning: the "fold" rows of data/abbreviations.tsv (see below)
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
    ("alcoholic", "alcohol", 0.9),
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
        phrase = phrase_at(ws, i)
        if phrase is not None:
            length, rep = phrase
            src = " ".join(ws[i : i + length])
            out.extend(Token(t, src, "synonym") for t in rep)
            i += length
            continue
        w = ws[i]
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


def _abbreviation_rows() -> list[tuple[str, tuple[str, ...], str, str]]:
    """The rows of data/abbreviations.tsv: (abbreviation as folded words, expansions, mode, where used)."""
    out = []
    text = (Path(__file__).parent / "data" / "abbreviations.tsv").read_text(encoding="utf-8")
    for line in text.splitlines()[1:]:
        if not line.strip() or line.startswith("#") or line.startswith("abbreviation\t"):
            continue
        a, exp, mode, note = (line.split("\t") + ["", "", ""])[:4]
        out.append(
            (" ".join(words(a)), tuple(e.strip() for e in exp.split("|") if e.strip()), mode.strip(), note.strip())
        )
    return out


ABBREVIATION_ROWS = _abbreviation_rows()
for _a, _exps, _mode, _note in ABBREVIATION_ROWS:
    if _mode == "fold":
        _WORD_MAP_SOURCE.setdefault(_a, _exps[0])
# Query-side abbreviations (mode "expand"): folded words -> [(expansion, where used)], longest first.
EXPANSIONS: dict[tuple[str, ...], list[tuple[str, str]]] = {}
for _a, _exps, _mode, _note in ABBREVIATION_ROWS:
    if _mode == "expand":
        EXPANSIONS[tuple(_a.split())] = [(e, _note) for e in _exps]

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


def is_rewritten(word: str) -> bool:
    """True when a whole-word rule rewrites the folded word (an abbreviation, irregular plural or spelling)."""
    return word in _WORD_MAP


def phrase_at(ws: Sequence[str], i: int) -> tuple[int, tuple[str, ...]] | None:
    """The rewritten phrase starting at folded word `i` ("heart attack" -> myocardial infarction), if any:
    how many words it spans and its canonical tokens (longest phrase first)."""
    for seq, rep in _PHRASES.get(ws[i], ()):
        if tuple(ws[i : i + len(seq)]) == seq:
            return len(seq), rep
    return None


# Folded words that start some rewritten phrase (a quick test before `phrase_at`).
PHRASE_STARTS: frozenset[str] = frozenset(_PHRASES)
