"""Search over descriptions: prefix matching, ranking, dialects, filters, ids and hostile input.

Expectations come from the RF2 files of the sample release (sample_data/release/Snapshot) and of the
real subset; each test names the description rows (and language refset rows) that make it true.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from terminology import IndexFormatError, Terminology
from terminology.index import format as fmt
from terminology.mapping import map_text
from terminology.text import SEARCH_TABLE
from terminology.text.search import SearchHit, matches_prefixes, prefix_query, query_words, search

ILIUM_METS = 1059990001105  # Metastatic malignant neoplasm to ilium
ILIUM_METS_DUPLICATE = 1119990001107  # Ilium metastasis (inactive, REPLACED BY 1059990001105)
SACRUM_METS = 1069990001108
BONE_STRUCTURE = 2009990001102
BENIGN_BONE = 1179990001101
SECONDARY_BONE = 1039990001102
EN_GB, EN_US = "en-GB", "en-US"


def ids(hits: list[SearchHit]) -> list[int]:
    return [h.concept_id for h in hits]


# ----- helpers that need no index


def test_query_words_strip_fts_syntax() -> None:
    assert query_words('"a" OR (') == ["a", "or"]
    assert query_words("metast* NEAR(ili)") == ["metast", "near", "ili"]
    assert query_words("Sjögren's") == ["sjogren", "s"]
    assert query_words("  ,;:()  ") == []


def test_prefix_query_quotes_every_word() -> None:
    assert prefix_query(["metast", "ili"]) == '"metast"* AND "ili"*'
    assert prefix_query(["and"]) == '"and"*'  # an FTS keyword, but quoted it is only a word


def test_matches_prefixes() -> None:
    assert matches_prefixes(["metastatic", "malignant", "neoplasm", "to", "ilium"], ["metast", "ili"])
    assert not matches_prefixes(["metastasis", "to", "sacroiliac", "region"], ["metast", "ili"])


# ----- the sample release


def test_prefix_autocomplete(sample: Terminology) -> None:
    # 105029990001114 "Metastatic malignant neoplasm to ilium" (preferred en-US and en-GB) and
    # 105039990001111 "Metastasis to ilium" (acceptable) both have words starting metast- and ili-.
    hits = search(sample, "metast ili")
    assert ids(hits) == [ILIUM_METS]
    assert hits[0].term == "Metastatic malignant neoplasm to ilium"  # preferred beats the shorter acceptable
    assert hits[0].description_id == 105029990001114
    assert hits[0].pt == "Metastatic malignant neoplasm to ilium"


def test_inactive_concepts_only_on_request(sample: Terminology) -> None:
    # 111029990001114 "Ilium metastasis" is an active description of the inactive concept 1119990001107.
    assert ILIUM_METS_DUPLICATE not in ids(search(sample, "ilium metastasis"))
    assert ILIUM_METS_DUPLICATE in ids(search(sample, "ilium metastasis", active_only=False))


def test_exact_whole_term_first(sample: Terminology) -> None:
    # 200039990001116 "Bone" is only an acceptable synonym of 2009990001102 (PT "Bone structure"), yet
    # typing exactly "bone" puts it before the preferred terms "Biopsy of bone", "Fracture of bone", ...
    hits = search(sample, "bone")
    assert hits[0].concept_id == BONE_STRUCTURE
    assert hits[0].term == "Bone"
    assert hits[0].pt == "Bone structure"
    assert hits[0].score > hits[1].score
    # 105059990001115 "Ilium metastasis" is exact for 1059990001105 although acceptable only.
    hits = search(sample, "Ilium  METASTASIS!")
    assert hits[0].concept_id == ILIUM_METS
    assert hits[0].term == "Ilium metastasis"


def test_shorter_terms_first(sample: Terminology) -> None:
    # The preferred terms 20x029990001xxx "Bone structure of ilium" (23 chars) ... "Bone structure of
    # shaft of femur" (32) all match; within one tier the shorter comes first.
    hits = search(sample, "bone structure of")
    assert len(hits) == 8
    lengths = [len(h.term) for h in hits]
    assert lengths == sorted(lengths)
    assert hits[-1].term == "Bone structure of shaft of femur"
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)


def test_preferred_before_acceptable_per_dialect(sample: Terminology) -> None:
    # 117029990001115 "Benign tumor of bone": en-US preferred, en-GB acceptable;
    # 117039990001118 "Benign tumour of bone": en-GB preferred, en-US acceptable.
    gb = search(sample, "benign tumo", lang=EN_GB)
    us = search(sample, "benign tumo", lang=EN_US)
    assert ids(gb) == ids(us) == [BENIGN_BONE]
    assert (gb[0].term, gb[0].pt) == ("Benign tumour of bone", "Benign tumour of bone")
    assert (us[0].term, us[0].pt) == ("Benign tumor of bone", "Benign tumor of bone")
    assert gb[0].description_id == 117039990001118


def test_pt_follows_the_dialect(sample: Terminology) -> None:
    # 103039990001112 "Secondary malignant tumour of bone" is the en-GB PT of 1039990001102,
    # 103029990001110 "Secondary malignant tumor of bone" the en-US one.
    gb = {h.concept_id: h.pt for h in search(sample, "secondary malignant", lang=EN_GB)}
    us = {h.concept_id: h.pt for h in search(sample, "secondary malignant", lang=EN_US)}
    assert gb[SECONDARY_BONE] == "Secondary malignant tumour of bone"
    assert us[SECONDARY_BONE] == "Secondary malignant tumor of bone"


def test_one_hit_per_concept_and_limit(sample: Terminology) -> None:
    hits = search(sample, "metasta", limit=50)
    assert len(ids(hits)) == len(set(ids(hits)))
    assert len(hits) > 5
    assert len(search(sample, "metasta", limit=3)) == 3
    assert search(sample, "metasta", limit=0) == []


def test_within_restricts_concepts(sample: Terminology) -> None:
    within = np.array(sorted([SACRUM_METS, ILIUM_METS]), np.int64)
    assert ids(search(sample, "metastasis", within=within)) == [ILIUM_METS, SACRUM_METS]
    assert ids(search(sample, "metastasis to s", within=within)) == [SACRUM_METS]
    assert search(sample, "metastasis", within=np.zeros(0, np.int64)) == []
    # Unsorted input is tolerated; ids outside the release are ignored.
    assert ids(search(sample, "metastasis to", within=np.array([SACRUM_METS, 999999, ILIUM_METS]))) == [
        ILIUM_METS,
        SACRUM_METS,
    ]


def test_within_larger_than_direct_path(sample: Terminology, monkeypatch: pytest.MonkeyPatch) -> None:
    # The same answer through the FTS path (used when `within` holds many descriptions).
    monkeypatch.setattr("terminology.text.search.DIRECT_ROWS", 0)
    within = np.array(sorted([SACRUM_METS, ILIUM_METS]), np.int64)
    assert ids(search(sample, "metastasis", within=within)) == [ILIUM_METS, SACRUM_METS]


def test_concept_id_typed(sample: Terminology) -> None:
    hits = search(sample, f" {ILIUM_METS} ")
    assert hits[0] == SearchHit(
        ILIUM_METS,
        "Metastatic malignant neoplasm to ilium",
        "Metastatic malignant neoplasm to ilium",
        105029990001114,
        1.0,
    )
    assert search(sample, str(ILIUM_METS_DUPLICATE)) == []  # inactive
    assert ids(search(sample, str(ILIUM_METS_DUPLICATE), active_only=False)) == [ILIUM_METS_DUPLICATE]
    assert search(sample, "1059990001104") == []  # wrong check digit: just digits that match nothing


def test_description_id_typed(sample: Terminology) -> None:
    # 105039990001111 "Metastasis to ilium" belongs to 1059990001105.
    hits = search(sample, "105039990001111")
    assert hits[0].concept_id == ILIUM_METS
    assert hits[0].term == "Metastasis to ilium"
    assert hits[0].description_id == 105039990001111


@pytest.mark.parametrize(
    "q",
    [
        '"a" OR (',
        "NEAR(bone ilium)",
        "AND",
        "NOT bone",
        '"',
        "'",
        "(((",
        "bone)",
        "col:bone",
        "bone*",
        "^bone",
        "-bone",
    ],
)
def test_fts_syntax_never_raises(sample: Terminology, q: str) -> None:
    hits = search(sample, q)
    assert isinstance(hits, list)
    # Operators are plain words here: "NOT bone" needs a word starting "not" as well.
    if query_words(q) == ["bone"]:
        assert hits[0].concept_id == BONE_STRUCTURE
    if q in ('"', "'", "((("):
        assert hits == []


@pytest.mark.parametrize("q", ["", "   ", "()", "?!*", "\u200b"])
def test_empty_query(sample: Terminology, q: str) -> None:
    assert search(sample, q) == []


def test_nothing_matches(sample: Terminology) -> None:
    assert search(sample, "zebra stripes") == []
    assert search(sample, "ilium zebra") == []  # every word must match


def test_index_without_lexical_tables_is_refused(sample: Terminology, sample_index: Path, tmp_path: Path) -> None:
    # Every index of this format has search_fts; one without it is damaged, and says so (the API
    # answers 503) instead of quietly searching another table.
    copy = tmp_path / "no-search-fts.idx"
    shutil.copytree(sample_index, copy)
    with sqlite3.connect(copy / fmt.SQLITE) as db:
        db.execute(f"DROP TABLE {SEARCH_TABLE}")
    damaged = Terminology.open(copy)
    with pytest.raises(IndexFormatError, match="search_fts"):
        search(damaged, "metast ili")
    with pytest.raises(IndexFormatError):
        map_text(damaged, "liver mets")
    assert search(sample, '"a" OR (') == []  # a query FTS5 refuses on a sound index: no match, no error


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=40))
def test_any_text_is_safe(sample: Terminology, q: str) -> None:
    hits = search(sample, q, limit=5)
    assert len(hits) <= 5
    assert all(0.0 <= h.score <= 1.0 for h in hits)


# ----- the real SNOMED CT subset


@pytest.mark.real_release
def test_subset_autocomplete(subset: Terminology) -> None:
    # 156294011 "Metastatic malignant neoplasm to liver" (94381002) starts metast-/liv-.
    hits = search(subset, "metast malig liv")
    assert hits[0].concept_id == 94381002
    assert hits[0].term == "Metastatic malignant neoplasm to liver"


@pytest.mark.real_release
def test_subset_exact_and_dialect(subset: Terminology) -> None:
    # 17776014 "Liver" is a synonym of 10200004 |Liver structure|.
    hits = search(subset, "liver")
    assert (hits[0].concept_id, hits[0].term, hits[0].pt) == (10200004, "Liver", "Liver structure")
    # 16763008: en-GB PT "Haemorrhage of liver", en-US PT "Hemorrhage of liver".
    gb = search(subset, "haemorrhage of liv", lang=EN_GB)
    assert gb[0].concept_id == 16763008
    assert gb[0].pt == "Haemorrhage of liver"
    us = search(subset, "hemorrhage of liv", lang=EN_US)
    assert us[0].pt == "Hemorrhage of liver"


@pytest.mark.real_release
def test_subset_concept_id(subset: Terminology) -> None:
    assert search(subset, "94381002")[0].concept_id == 94381002
