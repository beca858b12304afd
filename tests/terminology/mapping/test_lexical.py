"""Lexical mapping of free clinical text: normalisation, synonyms, typos, ranking and abstention.

Expectations come from the RF2 files of the sample release (sample_data/release/Snapshot) and of the
real subset; each test names the description rows that make it true.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from terminology import Terminology
from terminology.mapping import MATCH_THRESHOLD, MapResult, map_text
from terminology.text import analyse, canonical_tokens, fold, lexicon, words

ILIUM_METS = 1059990001105  # Metastatic malignant neoplasm to ilium
ILIUM_METS_DUPLICATE = 1119990001107  # Ilium metastasis (inactive)
LIVER_METS_SAMPLE = 1099990001101
BENIGN_BONE = 1179990001101
SECONDARY_BONE = 1039990001102
LIVER_METS = 94381002  # real subset: Metastatic malignant neoplasm to liver

NOTHING = ["the weather is nice today", "please call me back", "see you tomorrow", "thank you doctor", "hello"]


def top(r: MapResult) -> int | None:
    return r.candidates[0].concept_id if r.candidates else None


# ----- normalisation (no index needed)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Tumour of liver", "tumor of the liver"),
        ("Haemorrhage", "hemorrhage"),
        ("Oedema of ankle", "edema of ankle"),
        ("Oesophageal varices", "esophageal varix"),
        ("Anaemia", "anemia"),
        ("Paediatric", "pediatric"),
        ("Organisation", "organization"),
        ("Centre", "center"),
        ("Fibres", "fiber"),
        ("Diarrhoea", "diarrhea"),
        ("Behavioural", "behavioral"),
        ("Metastases", "metastasis"),
        ("liver mets", "metastasis to liver"),
        ("Liver secondaries", "metastatic liver"),
        ("CA liver", "Malignant neoplasm of liver"),
        ("cancer of liver", "liver malignancy"),
        ("Diseases of bones", "bone disease"),
        ("vertebrae", "vertebra"),
        ("heart attack", "myocardial infarction"),
        ("Sjögren's syndrome", "sjogren syndrome"),
        ("Structure of iliac bone", "structure of ilium"),
    ],
)
def test_same_canonical_tokens(a: str, b: str) -> None:
    assert sorted(canonical_tokens(a)) == sorted(canonical_tokens(b))


def test_function_words_and_semantic_tags_drop() -> None:
    assert canonical_tokens("the liver in the bone with a tumour") == ["liver", "bon", "neoplasm"]
    assert canonical_tokens("Metastasis to liver (disorder)", fsn=True) == canonical_tokens("metastasis to liver")
    assert "due" in canonical_tokens("Cirrhosis secondary to cholestasis")  # "secondary to" is a cause
    assert canonical_tokens("of the and") == []


def test_folding() -> None:
    assert fold("Ménière") == "meniere"
    assert words("Non-Hodgkin's lymphoma, NOS") == ["non", "hodgkin", "s", "lymphoma", "nos"]


_PIECES = [
    "ca",
    "mets",
    "heart attack",
    "secondary to",
    "of",
    "the",
    "tumours",
    "haemorrhage",
    "Ilium",
    "x",
    "é",
    "-",
    "(",
    ")",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES) | st.text(max_size=6), max_size=12).map(" ".join))
def test_fast_path_agrees_with_explained_path(text: str) -> None:
    assert canonical_tokens(text) == list(dict.fromkeys(t.token for t in analyse(text)))


def test_index_holds_the_canonical_tokens_of_every_description(sample: Terminology) -> None:
    # The build (one pass with a per-word cache) and the query side (canonical_tokens) must agree.
    lex = lexicon(sample)
    vocab = dict(sample.sql("SELECT id, term FROM norm_vocab"))
    for row, d in enumerate(lex.lex_desc.tolist()):
        ids = lex.norm_ids[lex.norm_ptr[row] : lex.norm_ptr[row + 1]].tolist()
        is_fsn = int(sample.array("desc_type")[d]) == 0
        assert sorted(vocab[i] for i in ids) == sorted(canonical_tokens(sample.description_term(d), fsn=is_fsn))
    # Rows of active concepts come first, shortest first.
    active = sample.active_mask[sample.array("desc_concept")[lex.lex_desc]]
    assert active[: lex.active_rows].all() and not active[lex.active_rows :].any()
    lengths = [len(t) for t in lex.terms(lex.lex_desc[: lex.active_rows].tolist())]
    assert lengths == sorted(lengths)


# ----- the sample release: acceptance examples


@pytest.mark.parametrize(
    "text",
    [
        "metastasis to ilium",  # 105039990001111 "Metastasis to ilium"
        "ilium metastasis",  # 105059990001115 "Ilium metastasis" (active concept; 1119990001107 is inactive)
        "secondary tumour of the ilium",  # 105049990001118 "Secondary malignant neoplasm of ilium"
        "metastatic ca to ilium",  # 105029990001114 "Metastatic malignant neoplasm to ilium"
        "Ilium mets",
        "METASTASES TO THE ILIUM.",
        "iliac bone secondaries",
        "metastatic malignant neoplasm to ilim",  # one typo
        "metastatic maligant neoplasm to ilium",  # one typo in a long word
    ],
)
def test_sample_ilium_examples(sample: Terminology, text: str) -> None:
    r = map_text(sample, text)
    assert r.matched, r
    assert top(r) == ILIUM_METS
    assert r.candidates[0].term == "Metastatic malignant neoplasm to ilium"
    assert r.threshold == MATCH_THRESHOLD
    assert ILIUM_METS_DUPLICATE not in [c.concept_id for c in r.candidates]


def test_exact_wording_is_the_matched_term(sample: Terminology) -> None:
    r = map_text(sample, "metastasis to ilium")
    assert r.candidates[0].matched_term == "Metastasis to ilium"
    assert r.candidates[0].score == 1.0
    # The next candidates (bone structure of ilium, neoplasm, ...) are clearly behind.
    assert all(c.score < 0.8 for c in r.candidates[1:])


def test_scores_are_ordered_and_bounded(sample: Terminology) -> None:
    r = map_text(sample, "secondary tumour of the ilium", limit=10)
    scores = [c.score for c in r.candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 < s <= 1.0 for s in scores)
    assert len({c.concept_id for c in r.candidates}) == len(r.candidates)
    assert len(map_text(sample, "bone", limit=2).candidates) == 2


def test_explanation_says_what_matched(sample: Terminology) -> None:
    c = map_text(sample, "liver mets").candidates[0]  # 109039990001114 "Metastasis to liver"
    assert c.concept_id == LIVER_METS_SAMPLE
    e = c.explanation
    how = {m["text"]: m["how"] for m in e["matches"]}
    assert how["liver"] == "exact"
    assert how["mets"] == "synonym or abbreviation"
    assert e["text_coverage"] == 1.0
    assert "2 of 2 text words matched" in e["summary"]

    e = map_text(sample, "metastatic malignant neoplasm to ilim").candidates[0].explanation
    assert {m["text"]: m["how"] for m in e["matches"]}["ilim"].startswith(
        "typo corrected to 'ilium' (cost 0.10"
    )  # item 3: the cost is explained

    # 105049990001118 "Secondary malignant neoplasm of ilium": "malignant" is in the term, not the text.
    e = map_text(sample, "secondary tumour of ilium").candidates[0].explanation
    assert {m["text"]: m["how"] for m in e["matches"]}["tumour"] == "synonym or abbreviation"
    assert e["unmatched_term"] == ["malignant"]


def test_spelling_and_dialect(sample: Terminology) -> None:
    # 117039990001118 "Benign tumour of bone" (en-GB preferred), 117029990001115 "Benign tumor of bone"
    # (en-US preferred): either spelling maps to 1179990001101, and `term` is the dialect's PT.
    for text in ("benign tumour of bone", "benign tumor of bone", "Bone, benign tumours"):
        for lang, pt in (("en-GB", "Benign tumour of bone"), ("en-US", "Benign tumor of bone")):
            c = map_text(sample, text, lang=lang).candidates[0]
            assert (c.concept_id, c.term, c.score) == (BENIGN_BONE, pt, 1.0)
    # Equal scores: the description worded like the text is the matched term, whatever the dialect ...
    assert map_text(sample, "benign tumour of bone", lang="en-US").candidates[0].matched_term == "Benign tumour of bone"
    assert map_text(sample, "benign tumor of bone", lang="en-GB").candidates[0].matched_term == "Benign tumor of bone"
    # ... and when none is, the dialect's preferred one ("tumours" is neither spelling word for word).
    assert map_text(sample, "Bone, benign tumours", lang="en-US").candidates[0].matched_term == "Benign tumor of bone"
    assert map_text(sample, "Bone, benign tumours", lang="en-GB").candidates[0].matched_term == "Benign tumour of bone"


def test_plural_and_word_order(sample: Terminology) -> None:
    # 103059990001116 "Bone metastases" (1039990001102).
    assert top(map_text(sample, "metastasis of bones")) == SECONDARY_BONE
    # 113039990001110 "Femoral fracture" / 113029990001113 "Fracture of femur".
    assert top(map_text(sample, "fractured femur")) == 1139990001103


@pytest.mark.parametrize("text", NOTHING)
def test_abstains_when_nothing_is_named(sample: Terminology, text: str) -> None:
    assert not map_text(sample, text).matched


def test_partial_mention_abstains(sample: Terminology) -> None:
    # "ilium" alone is a body structure; a text about an unknown disorder of it should not be mapped.
    r = map_text(sample, "zygomycosis of ilium")
    assert not r.matched
    assert top(r) == 2029990001107  # still the closest candidate: Bone structure of ilium


@pytest.mark.parametrize("text", ["", "   ", "the of and to", '"a" OR (', "!!!", "\x00"])
def test_empty_or_hostile_text(sample: Terminology, text: str) -> None:
    r = map_text(sample, text)
    assert r == MapResult([], False, MATCH_THRESHOLD)


def test_fts_syntax_inside_text(sample: Terminology) -> None:
    r = map_text(sample, 'metastasis" OR (ilium* NEAR')
    assert top(r) == ILIUM_METS


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=60))
def test_any_text_is_safe(sample: Terminology, text: str) -> None:
    r = map_text(sample, text, limit=3)
    assert len(r.candidates) <= 3
    assert all(0.0 <= c.score <= 1.0 for c in r.candidates)
    assert r.matched == (bool(r.candidates) and r.candidates[0].score >= MATCH_THRESHOLD)


# ----- the real SNOMED CT subset


@pytest.mark.real_release
@pytest.mark.parametrize(
    "text",
    [
        "metastasis to liver",  # 511275014 "Metastasis to liver"
        "liver metastasis",
        "secondary tumour of the liver",  # 156291015 "Secondary malignant neoplasm of liver"
        "metastatic ca to liver",  # 156294011 "Metastatic malignant neoplasm to liver"
        "hepatic mets",  # 511278011 "Hepatic metastasis"
        "metastatic malignant neoplasm to livr",
        "liver secondaries",  # 511276010 "Liver secondaries"
        "secondary deposits in liver",
    ],
)
def test_subset_liver_examples(subset: Terminology, text: str) -> None:
    r = map_text(subset, text)
    assert r.matched
    assert top(r) == LIVER_METS


@pytest.mark.real_release
@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("cva", 230690007),  # 345635016 "CVA - Cerebrovascular accident"
        ("stroke", 230690007),  # 345636015 "Stroke"
        ("cardiac disease", 56265001),  # 497557019 "Cardiac disorder" (cardiac ~ heart, disease ~ disorder)
        ("liver cancer", 93870000),  # 510773010 "Liver cancer"
        ("malignant tumour of the liver", 93870000),  # 510776019 "Malignant tumour of liver"
        ("ca liver", 93870000),  # 510772017 "CA - Liver cancer"
        ("hepatic tumor", 126851005),  # 473893017 "Hepatic tumor"
        ("haemorrhage of liver", 16763008),  # "Haemorrhage of liver" (en-GB PT)
        ("fracture of tibial shaft", 6990005),  # 12536011 "Fracture of shaft of tibia" (tibial ~ tibia)
    ],
)
def test_subset_synonyms(subset: Terminology, text: str, concept: int) -> None:
    r = map_text(subset, text)
    assert r.matched
    assert top(r) == concept


@pytest.mark.real_release
def test_subset_carcinoma_is_not_the_generic_cancer(subset: Terminology) -> None:
    # "ca" is cancer in general: 94381002 (malignant neoplasm) ranks before 1251486007 (carcinoma).
    ranked = [c.concept_id for c in map_text(subset, "metastatic ca to liver").candidates]
    assert ranked.index(94381002) < ranked.index(1251486007)


@pytest.mark.real_release
@pytest.mark.parametrize("text", NOTHING)
def test_subset_abstains(subset: Terminology, text: str) -> None:
    assert not map_text(subset, text).matched
