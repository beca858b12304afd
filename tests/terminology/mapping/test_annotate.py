"""Annotating free text on the sample release: mentions, offsets, overlaps, negation and uncertainty.

Expected concepts come from the sample's sct2_Description rows (e.g. "Metastasis to liver" is a
synonym of 1099990001101, "Pelvic bone metastasis" of 1049990001107, "Left ilium" of 2089990001108);
the hierarchies come from the is-a rows (qualifier values such as 7771000 |Left| are not suggested).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from terminology import Terminology
from terminology.ecl import evaluate
from terminology.mapping.annotate import MAX_TEXT, Mention, annotate
from terminology.mapping.negation import scopes

LIVER_METS = 1099990001101
ILIUM_METS = 1059990001105
PELVIC_METS = 1049990001107
LEFT_ILIUM = 2089990001108
PNEUMONIA = 1189990001104
LUNG_CANCER = 1159990001106  # synonym "Lung cancer"; "CA of lung" has the same canonical tokens
DIABETES = 1209990001100

NOTE = (
    "No evidence of metastasis to the liver. Suspected metastasis to ilium; pelvic bone metastasis. "
    "Known diabetes, CA of lung? Left ilium pain. Pneumonia was ruled out."
)


def found(ms: list[Mention]) -> dict[str, tuple[int, bool, bool]]:
    return {m.text: (m.concept_id, m.negated, m.hypothetical) for m in ms}


def test_the_note(sample: Terminology) -> None:
    ms = annotate(sample, NOTE)
    assert found(ms) == {
        "metastasis to the liver": (LIVER_METS, True, False),  # "no evidence of" -> to the end of the sentence
        "metastasis to ilium": (ILIUM_METS, False, True),  # "Suspected" -> up to the semicolon
        "pelvic bone metastasis": (PELVIC_METS, False, False),  # a new clause after ";"
        "diabetes": (DIABETES, False, False),  # "Diabetes" is a synonym of 1209990001100
        "CA of lung": (LUNG_CANCER, False, True),  # "?" doubts its clause back to the comma
        "Left ilium": (LEFT_ILIUM, False, False),
        "Pneumonia": (PNEUMONIA, True, False),  # "was ruled out" looks back to the clause start
    }
    for m in ms:
        assert NOTE[m.start : m.end] == m.text
    first = ms[0]
    assert first.pt == "Metastatic malignant neoplasm to liver" and first.trigger == "no evidence of"
    assert first.score == 1.0  # word for word the description "Metastasis to liver" (function words aside)
    lung = next(m for m in ms if m.concept_id == LUNG_CANCER)
    assert lung.score == 0.95  # equal after normalisation only (ca -> malignant neoplasm)


def test_longest_mention_wins(sample: Terminology) -> None:
    # "metastasis to ilium" (1059990001105) contains "ilium" (2029990001107): only the longer one is kept.
    ms = annotate(sample, "metastasis to ilium")
    assert [(m.concept_id, m.start, m.end) for m in ms] == [(ILIUM_METS, 0, 19)]


def test_mentions_do_not_cross_clause_breaks(sample: Terminology) -> None:
    # "liver. Metastasis" would be {liver, metastas} = "Metastasis to liver" without the full stop.
    ms = annotate(sample, "Liver. Metastasis")
    assert ms[0].concept_id == 2069990001103 and ms[0].end == 5
    # The second clause is mapped on its own (a short clause, issue 13), never as the liver metastasis.
    assert all(m.concept_id != 1099990001101 and (m.end <= 5 or m.start >= 7) for m in ms)


def test_qualifiers_are_not_suggested_and_ecl_restricts(sample: Terminology) -> None:
    assert [m.concept_id for m in annotate(sample, "left side")] == []  # 7771000 is a qualifier value
    within = evaluate(sample, "<< 123037004").ids
    ms = annotate(sample, "metastasis to ilium, left ilium", within=within)
    assert [m.concept_id for m in ms] == [2029990001107, LEFT_ILIUM]  # the disorder is not a body structure


def test_abbreviations_are_doubted_and_short_words_skipped(sample: Terminology) -> None:
    # "ca" stands for {malignant, neoplasm}: the canonical tokens of "Malignant neoplasm" (synonym of the
    # morphology 3019990001107) and of "Cancer" (synonym of the disorder 1019990001106); the clinical
    # finding wins over the body structure, and a lone lowercase abbreviation is doubted.
    ms = annotate(sample, "known ca")
    assert [(m.concept_id, m.score) for m in ms] == [(1019990001106, 0.85)]
    assert annotate(sample, "known CA")[0].score == 0.92


def test_min_score(sample: Terminology) -> None:
    assert [m.text for m in annotate(sample, "known ca, pneumonia", min_score=0.9)] == ["pneumonia"]


def test_too_long_text_is_refused(sample: Terminology) -> None:
    with pytest.raises(ValueError, match="at most"):
        annotate(sample, "x" * (MAX_TEXT + 1))


@pytest.mark.parametrize(
    ("text", "negated", "hypothetical"),
    [
        ("no pneumonia", True, False),
        ("denies pneumonia", True, False),
        ("negative for pneumonia", True, False),
        ("pneumonia is absent", True, False),
        ("pneumonia unlikely", True, False),
        ("possible pneumonia", False, True),
        ("pneumonia suspected", False, True),
        ("pneumonia cannot be ruled out", False, True),  # longest trigger: not "ruled out"
        ("rule out pneumonia", False, True),
        ("?pneumonia", False, True),
        ("no change in pneumonia", False, False),  # a pseudo-trigger
        ("no fever, but pneumonia", False, False),  # "but" ends the scope
        ("no fever. Pneumonia", False, False),  # so does a full stop
        ("no fever, cough or pneumonia", True, False),  # commas do not
    ],
)
def test_negex(sample: Terminology, text: str, negated: bool, hypothetical: bool) -> None:
    (m,) = [m for m in annotate(sample, text) if m.concept_id == PNEUMONIA]
    assert (m.negated, m.hypothetical) == (negated, hypothetical)


def test_scopes_run_to_the_end_of_the_clause() -> None:
    text = "No evidence of metastasis, fracture or pneumonia; liver normal"
    (s,), _ = scopes(text)
    assert s.kind == "negated" and text[s.start : s.end] == " metastasis, fracture or pneumonia"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=200))
def test_any_text_is_safe(sample: Terminology, text: str) -> None:
    ms = annotate(sample, text)
    last = -1
    for m in ms:
        assert text[m.start : m.end] == m.text and m.start >= last  # in order, never overlapping
        last = m.end
        assert 0.0 < m.score <= 1.0
