"""The one mapping engine (issue 13, items 1-4): calibrated scores, diagnoses first, safe spelling
correction, clinical shorthand; on the sample release and the real SNOMED CT subset.

Expected concepts were read off the RF2 description files by hand (grep over
sct2_Description_Snapshot), as each comment says; none was computed by the code under test.
"""

from __future__ import annotations

import pytest

from terminology import Terminology
from terminology.mapping import map_phrase
from terminology.mapping.calibration import calibrated, isotonic
from terminology.mapping.engine import MATCH_THRESHOLD, text_names
from terminology.text.abbreviations import readings
from terminology.text.canonical import EXPANSIONS, canonical_tokens
from terminology.text.lexicon import learn_acronyms, lexicon

# Real subset (sct2_Description_Snapshot-en_INT_20250909.txt):
HCC_DISORDER = 109841003  # "Hepatocellular carcinoma", "HCC - Hepatocellular carcinoma", PT "Liver cell carcinoma"
HCC_MORPHOLOGY = 25370001  # "Hepatocellular carcinoma" (morphologic abnormality)
HBL_DISORDER = 109843000  # "Hepatoblastoma" (disorder)
HBL_MORPHOLOGY = 45024009  # "Hepatoblastoma" (morphologic abnormality), "HBL - Hepatoblastoma"
NEOPLASM_OF_LIVER = 126851005  # "Neoplasm of liver"
INFLAMMATORY_LIVER = 128241005  # "Inflammatory disease of liver" (what "Hepatitis" names)
CIRRHOSIS = 19943007  # "Cirrhosis of liver"
HEP_B = 66071002  # "Hepatitis B" (disorder)
HEP_B_VIRUS = 81665004  # "Hepatitis B virus" (organism)
NASH = 442685003  # "NASH - Nonalcoholic steatohepatitis", "Nonalcoholic steatohepatitis"
AFLP = 716379000  # "AFLP - acute fatty liver of pregnancy"
LIVER_STRUCTURE = 10200004  # "Liver structure", "Liver"
# Sample release (sample_data/release/Snapshot):
SECONDARY_DISEASE = 1029990001104  # "Secondary malignant neoplastic disease" (synonym "Metastatic disease")
DISEASE = 64572001
ILIUM_METS = 1059990001105  # "Metastatic malignant neoplasm to ilium"
RIGHT_ILIUM = 2099990001105  # "Bone structure of right ilium"
METASTATIC_MORPHOLOGY = 3029990001100  # "Neoplasm, metastatic" (morphologic abnormality)


def ids(r) -> list[int]:  # type: ignore[no-untyped-def]
    return [c.concept_id for c in r.candidates]


def before(r, a: int, b: int) -> bool:  # type: ignore[no-untyped-def]
    got = ids(r)
    return a in got and (b not in got or got.index(a) < got.index(b))


# ----- item 1: one scoring model, candidates ordered by their reported score


@pytest.mark.parametrize(
    "text", ["metastatic disease", "metastasis to the left ilium", "right iliac bone metastasis", "ilium", "xyzzy"]
)
def test_sample_candidates_are_ordered_by_their_score(sample: Terminology, text: str) -> None:
    r = map_phrase(sample, text, limit=10)
    scores = [c.score for c in r.candidates]
    assert scores == sorted(scores, reverse=True)
    assert r.matched == (bool(scores) and scores[0] >= MATCH_THRESHOLD and not r.ambiguous)
    for c in r.candidates:
        assert "calibratedScore" in c.explanation and "rank" in c.explanation


def test_sample_metastatic_disease_synonym_before_disease(sample: Terminology) -> None:
    # Issue 13: "metastatic disease" listed 64572001 |Disease| (0.859) above the synonym match
    # 1029990001104 (0.930). Its description "Metastatic disease" is the text itself.
    r = map_phrase(sample, "metastatic disease", limit=5)
    assert ids(r)[0] == SECONDARY_DISEASE
    assert before(r, SECONDARY_DISEASE, DISEASE)


def test_calibration_is_monotone_and_fitted_by_isotonic_regression() -> None:
    # Pool adjacent violators on a hand-made set: raw 0.1, 0.2 wrong; 0.3 right, 0.4 wrong (pooled
    # to 0.5); 0.5, 0.6 right. Expected steps worked out by hand.
    xs, ys = isotonic([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [0, 0, 1, 0, 1, 1])  # type: ignore[arg-type]
    assert list(ys) == [0.0, 0.5, 1.0]
    assert list(xs) == pytest.approx([0.15, 0.35, 0.55])
    raws = [i / 20 for i in range(21)]
    for source in ("lexical", "exact composition", "closest ancestor"):
        got = [calibrated(source, x) for x in raws]
        assert got == sorted(got) and all(0.0 <= g <= 1.0 for g in got)


# ----- item 2: diagnoses first, and `within`


@pytest.mark.real_release
@pytest.mark.parametrize(
    ("text", "disorder", "morphology"),
    [("hepatocellular carcinoma", HCC_DISORDER, HCC_MORPHOLOGY), ("hepatoblastoma", HBL_DISORDER, HBL_MORPHOLOGY)],
)
def test_subset_disorder_before_morphology(subset: Terminology, text: str, disorder: int, morphology: int) -> None:
    r = map_phrase(subset, text, limit=10)
    assert ids(r)[0] == disorder
    assert morphology in ids(r) and before(r, disorder, morphology)
    m = next(c for c in r.candidates if c.concept_id == morphology)
    assert "diagnosesFirst" in m.explanation and m.explanation["kind"] == "morphology"


@pytest.mark.real_release
@pytest.mark.parametrize("text", ["liver", "structure of liver"])
def test_subset_a_text_naming_a_site_gets_the_structure(subset: Terminology, text: str) -> None:
    r = map_phrase(subset, text, limit=5)
    assert r.names == "structure"
    assert ids(r)[0] == LIVER_STRUCTURE


@pytest.mark.real_release
def test_subset_within_restricts_to_the_ecl(subset: Terminology) -> None:
    import numpy as np

    from terminology.ecl import evaluate

    rows = evaluate(subset, "<< 49755003").rows
    mask = np.zeros(len(subset.ids), bool)
    mask[np.asarray(rows, np.int64)] = True
    r = map_phrase(subset, "hepatocellular carcinoma", limit=5, within=mask)
    assert ids(r)[0] == HCC_MORPHOLOGY
    assert all(subset.subsumes(49755003, c) for c in ids(r))


def test_sample_right_iliac_bone_metastasis_is_the_metastasis_not_the_bone(sample: Terminology) -> None:
    # Issue 13: "Bone structure of right ilium" came first. The text names a metastasis (finding).
    r = map_phrase(sample, "right iliac bone metastasis", limit=5)
    assert r.names == "finding"
    assert before(r, ILIUM_METS, RIGHT_ILIUM)


def test_sample_metastasis_disorder_before_morphology(sample: Terminology) -> None:
    r = map_phrase(sample, "metastasis", limit=10)
    assert before(r, SECONDARY_DISEASE, METASTATIC_MORPHOLOGY)


def test_sample_text_names(sample: Terminology) -> None:
    assert text_names(sample, "entire ilium", []) == "structure"
    assert text_names(sample, "metastasis morphology", []) == "morphology"
    assert text_names(sample, "metastasis to ilium", []) == "finding"


# ----- item 3: spelling correction that cannot change meaning


@pytest.mark.real_release
def test_subset_hepatiic_tumor_is_a_neoplasm_of_liver_not_hepatitis(subset: Terminology) -> None:
    # "hepatiic" is one edit from "hepatic" and two from "hepatitis" (both words of the subset).
    r = map_phrase(subset, "Hepatiic tumor", limit=10)
    assert ids(r)[0] == NEOPLASM_OF_LIVER
    assert INFLAMMATORY_LIVER not in ids(r)[:3]
    hows = [m["how"] for m in r.candidates[0].explanation.get("matches", [])]
    assert any("typo corrected to 'hepatic'" in h and "cost" in h for h in hows)
    assert not any("hepatitis" in h for c in r.candidates for m in c.explanation.get("matches", []) for h in [m["how"]])


@pytest.mark.real_release
def test_subset_cirhosis_of_liver(subset: Terminology) -> None:
    r = map_phrase(subset, "cirhosis of liver", limit=10)
    assert ids(r)[0] == CIRRHOSIS and r.matched


@pytest.mark.real_release
def test_subset_corrections_keep_only_the_closest_words(subset: Terminology) -> None:
    from terminology.mapping.lexical import safe_corrections

    got = safe_corrections(lexicon(subset), "hepatiic")
    assert ("hepatic", 1) in got and all(w != "hepatitis" for w, _ in got)
    assert {d for _, d in got} == {1}


# ----- item 4: clinical shorthand


def test_lexicon_is_data_with_expansions_and_sources() -> None:
    # terminology/text/data/abbreviations.tsv
    assert EXPANSIONS[("hcc",)][0][0] == "hepatocellular carcinoma"
    assert EXPANSIONS[("hep", "b")][0][0] == "hepatitis b"
    assert EXPANSIONS[("ca", "19", "9")][0][0] == "cancer antigen 19-9"
    assert all(src for exps in EXPANSIONS.values() for _, src in exps)
    assert canonical_tokens("liver mets") == canonical_tokens("liver metastasis")  # a "fold" row


def test_ambiguous_abbreviation_gives_one_reading_per_expansion() -> None:
    texts = [r.text for r in readings(None, "known MS")]
    assert texts == ["known MS", "known multiple sclerosis", "known mitral stenosis"]
    assert readings(None, "cirrhosis") == readings(None, "cirrhosis")[:1]


def test_learn_acronyms_from_descriptions() -> None:
    # Both patterns of the issue: "X - expansion", and an all-capitals description equal to the
    # initials of another description of the same concept. "Evaluation - action" is no acronym.
    got = learn_acronyms(
        [
            "NASH - Nonalcoholic steatohepatitis",
            "Evaluation - action",
            "DILI",
            "Drug induced liver injury",
            "ABC - Xyz",
        ],
        [1, 2, 3, 3, 4],
    )
    assert [(a, e) for a, e, _ in got] == [
        ("dili", "drug induced liver injury"),
        ("nash", "nonalcoholic steatohepatitis"),
    ]


@pytest.mark.real_release
@pytest.mark.parametrize(
    ("text", "concept"),
    [("HCC", HCC_DISORDER), ("hep B", HEP_B), ("HBV", HEP_B), ("NASH", NASH), ("HBL", HBL_DISORDER), ("AFLP", AFLP)],
)
def test_subset_abbreviations(subset: Terminology, text: str, concept: int) -> None:
    r = map_phrase(subset, text, limit=5)
    assert ids(r)[0] == concept
    assert r.candidates[0].explanation.get("abbreviations") or r.candidates[0].explanation.get("source") == "lexical"


@pytest.mark.real_release
def test_subset_hep_b_is_the_infection_not_the_organism(subset: Terminology) -> None:
    r = map_phrase(subset, "hep B", limit=5)
    assert before(r, HEP_B, HEP_B_VIRUS)
    notes = r.candidates[0].explanation["abbreviations"]
    assert notes[0]["abbreviation"] == "hep b" and notes[0]["expansion"] == "hepatitis b"


@pytest.mark.real_release
def test_subset_acronyms_learned_at_index_time(subset: Terminology) -> None:
    # "AFLP - acute fatty liver of pregnancy" (716379000) and "ALD - Alcoholic liver disease" (41309000)
    learned = lexicon(subset).acronyms
    assert "acute fatty liver of pregnancy" in [e for e, _ in learned["aflp"]]
    assert "alcoholic liver disease" in [e for e, _ in learned["ald"]]
    r = map_phrase(subset, "AFLP", limit=3)
    assert "learned from the release" in r.candidates[0].explanation["abbreviations"][0]["source"]


def test_close_readings_of_one_abbreviation_stay_ambiguous() -> None:
    from terminology.mapping.engine import _ambiguities

    rs = readings(None, "known MS")
    # Best calibrated score and first concept per reading (as the engine records them), made up:
    # the two expansions end 0.02 apart on different concepts -> ambiguous; 0.3 apart -> resolved.
    close = _ambiguities(rs, [(0.4, 1), (0.81, 2), (0.79, 3)])
    assert [a["abbreviation"] for a in close] == ["ms"]
    assert close[0]["readings"] == ["multiple sclerosis", "mitral stenosis"]
    assert _ambiguities(rs, [(0.4, 1), (0.9, 2), (0.6, 3)]) == []
