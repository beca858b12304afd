"""Expressions evaluate ECL constraints with the one ECL engine (there is no second evaluator).

Expectations are read by hand from the sample release's Concept file
(sample_data/release/Snapshot/Terminology/sct2_Concept_Snapshot_SNOMAP_20250301.txt):
121 concept rows, two inactive (1119990001107 and 1229990001105).
"""

from __future__ import annotations

import pytest

from terminology import Terminology
from terminology.ecl import EclEvaluationError, EclTimeoutError, evaluate
from terminology.expressions import (
    EclTooCostlyError,
    EclUnsupportedError,
    Mrcm,
    concept_in_ecl,
    evaluate_ecl,
    evaluate_ecl_rows,
    mrcm_for,
)

DUPLICATE = 1119990001107  # inactive
LIVER_MET = 1099990001101
DISEASE = 64572001
FINDING_SITE = 363698007
UNANSWERABLE = f"<< {DISEASE} : {{ R {FINDING_SITE} = * }}"  # a reverse attribute inside a group


def test_the_substrate_is_the_engines(sample: Terminology) -> None:
    # The deleted fallback read "*" as every concept row (121); ECL's substrate is the active ones.
    star = evaluate_ecl(sample, "*")
    assert len(star) == 119 and DUPLICATE not in star.tolist()
    assert not concept_in_ecl(sample, "*", DUPLICATE)
    assert concept_in_ecl(sample, "*", LIVER_MET)
    assert evaluate_ecl_rows(sample, "*").tolist() == evaluate(sample, "*").rows.tolist()


def test_constructs_beyond_the_old_fallback_are_answered(sample: Terminology) -> None:
    # Description filters and dotted attributes were "unsupported" for the fallback evaluator.
    assert concept_in_ecl(sample, f'<< {DISEASE} {{{{ term = "liver" }}}}', LIVER_MET)
    assert set(evaluate_ecl(sample, f"{LIVER_MET} . {FINDING_SITE}").tolist()) == {
        2069990001103
    }  # R: 1099990001101 363698007 2069990001103 |Liver|


def test_a_constraint_the_engine_cannot_answer_is_an_error(sample: Terminology) -> None:
    with pytest.raises(EclUnsupportedError) as err:
        concept_in_ecl(sample, UNANSWERABLE, LIVER_MET)
    assert isinstance(err.value, EclEvaluationError)  # the engine's own error, under the old name too
    assert EclTooCostlyError is EclTimeoutError


def test_mrcm_rules_live_on_the_terminology(sample_index, subset: Terminology) -> None:  # type: ignore[no-untyped-def]
    assert mrcm_for(subset) is mrcm_for(subset)
    other = Terminology.open(sample_index)
    assert mrcm_for(other) is not mrcm_for(subset) and mrcm_for(other).t is other
    with pytest.raises(EclEvaluationError):
        Mrcm(subset).denotes(UNANSWERABLE, DISEASE)
