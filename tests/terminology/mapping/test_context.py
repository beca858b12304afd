"""Issue 13, item 6: the context of a text (negated, hypothetical, historical, family, uncertain).

Trigger phrases follow NegEx (Chapman et al. 2001) and its ConText extension (Harkema et al. 2009), which
adds historical ("history of", "previous") and experiencer ("family history of", "mother had") triggers.
Expected concepts are read from the RF2 files: subset 19943007 |Cirrhosis of liver|, 34742003 |Portal
hypertension|, 93870000 |Malignant neoplasm of liver|, 74400008 |Appendicitis|, 297250002 |No family
history of stroke| (a situation, under 243796009).
"""

from __future__ import annotations

import pytest

from terminology import Terminology
from terminology.mapping import map_with_composition
from terminology.mapping.annotate import annotate
from terminology.mapping.negation import text_context


@pytest.mark.parametrize(
    ("text", "flags", "core"),
    [
        ("no portal hypertension", {"negated"}, "portal hypertension"),
        ("Exclude primary bone tumours", {"negated"}, "primary bone tumours"),
        ("rule out cirrhosis", {"hypothetical"}, "cirrhosis"),
        ("suspected cirrhosis", {"hypothetical", "uncertain"}, "cirrhosis"),
        ("cirrhosis?", {"hypothetical", "uncertain"}, "cirrhosis"),
        ("History of appendicitis", {"historical"}, "appendicitis"),
        ("previous stroke", {"historical"}, "stroke"),
        ("family history of liver cancer", {"family"}, "liver cancer"),
        ("mother had liver cancer", {"family"}, "liver cancer"),
        ("no family history of stroke", {"negated", "family"}, "stroke"),
        ("cirrhosis of liver", set(), "cirrhosis of liver"),
    ],
)
def test_text_context(text: str, flags: set[str], core: str) -> None:
    c = text_context(text)
    assert {k for k, v in c.flags().items() if v} == flags
    assert c.core == core


@pytest.mark.real_release
@pytest.mark.parametrize(
    "text",
    ["no portal hypertension", "no evidence of cirrhosis", "mother had liver cancer", "family history of liver cancer"],
)
def test_negated_or_family_never_matches_the_condition(subset: Terminology, text: str) -> None:
    r = map_with_composition(subset, text, 5)
    assert r.matched is False
    assert r.context.negated or r.context.family
    # the condition itself is still offered (first, as the subset has no family-history situation)
    assert r.candidates[0].concept_id in {34742003, 19943007, 93870000}


@pytest.mark.real_release
def test_situation_worded_with_the_context_is_offered(subset: Terminology) -> None:
    # 297250002 |No family history of stroke| is a situation saying exactly what the text says.
    r = map_with_composition(subset, "no family history of stroke", 5)
    assert r.candidates[0].concept_id == 297250002 and r.matched is True
    # ... and never for the text without the negation.
    r = map_with_composition(subset, "family history of stroke", 5)
    assert 297250002 not in [c.concept_id for c in r.candidates] and r.matched is False


@pytest.mark.real_release
def test_historical_and_hypothetical_keep_the_condition(subset: Terminology) -> None:
    r = map_with_composition(subset, "History of appendicitis", 5)
    assert r.context.historical and r.candidates[0].concept_id == 74400008
    r = map_with_composition(subset, "?cirrhosis", 5)
    assert r.context.hypothetical and r.context.uncertain and r.candidates[0].concept_id == 19943007


@pytest.mark.real_release
def test_annotate_short_sentences_and_context(subset: Terminology) -> None:
    ms = annotate(subset, "Patient has cirrhosis.")
    assert [(m.text, m.concept_id) for m in ms] == [("cirrhosis", 19943007)]
    ms = annotate(subset, "Known hepatocellular carcinoma.")
    assert [m.concept_id for m in ms] == [109841003]  # its synonym "Hepatocellular carcinoma"
    (m,) = annotate(subset, "History of appendicitis")
    assert m.concept_id == 74400008 and m.historical and not m.hypothetical
    ms = annotate(subset, "No cirrhosis. Mother had liver cancer.")
    assert [(m.concept_id, m.negated, m.family) for m in ms] == [(19943007, True, False), (93870000, False, True)]
    assert annotate(subset, "The weather is nice today.") == []


def test_annotate_exclude_is_negation(sample: Terminology) -> None:
    ms = annotate(sample, "Exclude primary bone tumours")
    assert ms and all(m.negated for m in ms)
