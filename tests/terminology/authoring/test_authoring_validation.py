"""Tag validation, sizes and coverage on the sample release (no database needed).

Hand-checked against sample_data/README.md: 1039990001102 Secondary malignant neoplasm of bone has the
descendants pelvic bone (1049990001107) with ilium and sacrum under it, femur, vertebra and the
pathological fracture (6 descendants, 7 with itself); 1119990001107 is inactive, REPLACED BY
1059990001105; 1229990001105 is inactive, POSSIBLY EQUIVALENT TO ilium and sacrum.
"""

from __future__ import annotations

import datetime as dt

import pytest

from loaders.guidelines import TagSpec
from terminology import Terminology
from terminology.authoring import InvalidEclError, TagRejectedError
from terminology.authoring import validation as v
from terminology.authoring.coverage import ECL_NOT_EVALUATED, coverage
from terminology.authoring.model import StoredGuideline, TagRecord
from tests.terminology.authoring.databases import (
    AMBIGUOUS,
    BONE_MET,
    BONE_STRUCTURE,
    DUPLICATE_ILIUM,
    FEMUR_MET,
    ILIUM_MET,
    PELVIC_MET,
    SACRUM_MET,
    VERTEBRA_MET,
    make_doc,
)

NOW = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def test_inactive_concept_is_refused_with_its_replacements(sample: Terminology) -> None:
    with pytest.raises(TagRejectedError) as e:
        v.check_tag(sample, TagSpec(concept=DUPLICATE_ILIUM), "tags[0].")
    assert e.value.field == "tags[0].concept" and "inactive" in e.value.detail
    reps = e.value.extra["replacements"]
    assert [(r["association"], r["conceptId"], r["active"]) for r in reps] == [("REPLACED BY", str(ILIUM_MET), True)]
    with pytest.raises(TagRejectedError) as e:
        v.check_tag(sample, TagSpec(concept=AMBIGUOUS))
    assert {r["conceptId"] for r in e.value.extra["replacements"]} == {str(ILIUM_MET), str(SACRUM_MET)}
    assert {r["association"] for r in e.value.extra["replacements"]} == {"POSSIBLY EQUIVALENT TO"}


def test_missing_concepts_and_exclusions_are_refused(sample: Terminology) -> None:
    with pytest.raises(TagRejectedError, match="not in the release"):
        v.check_tag(sample, TagSpec(concept=9999990001104))
    with pytest.raises(TagRejectedError) as e:
        v.check_tag(sample, TagSpec(concept=BONE_MET, exclude=[PELVIC_MET, DUPLICATE_ILIUM]))
    assert e.value.field == "exclude[1]"


def test_bad_ecl_is_refused_with_its_position(sample: Terminology) -> None:
    with pytest.raises(InvalidEclError) as e:
        v.check_tag(sample, TagSpec(concept=None, ecl="<< 1039990001102 AND"), "tags[1].")
    assert e.value.field == "tags[1].ecl"
    assert e.value.extra["position"] == 20 and e.value.extra["line"] == 1 and e.value.extra["column"] == 21
    v.check_tag(sample, TagSpec(concept=None, ecl="<< 1039990001102 |Secondary bone| MINUS << 1049990001107"))


def test_warnings_hierarchy_redundancy_and_useless_exclusions(sample: Terminology) -> None:
    specs = [
        TagSpec(concept=BONE_MET),
        TagSpec(concept=PELVIC_MET),  # under BONE_MET: redundant
        TagSpec(concept=BONE_STRUCTURE),  # a body structure, not a diagnosis
        TagSpec(concept=VERTEBRA_MET, exclude=[PELVIC_MET]),  # vertebra is under bone too; pelvic is not under vertebra
    ]
    got = v.assess_tags(sample, specs)
    codes = [[w.code for w in a.warnings] for a in got]
    assert codes == [[], ["redundant"], ["hierarchy"], ["redundant", "exclusion-no-effect"]]
    assert "already covers" in got[1].warnings[0].detail
    assert [a.size for a in got] == [7, 3, sample.descendant_count(BONE_STRUCTURE) + 1, 1]
    # an exclusion that cuts the redundancy: pelvic is excluded from the bone tag, so the pelvic tag is not redundant
    got = v.assess_tags(sample, [TagSpec(concept=BONE_MET, exclude=[PELVIC_MET]), TagSpec(concept=PELVIC_MET)])
    assert [[w.code for w in a.warnings] for a in got] == [[], []]
    assert [a.size for a in got] == [4, 3]
    # hierarchies are configurable
    got = v.assess_tags(sample, [TagSpec(concept=BONE_STRUCTURE)], hierarchies=[123037004])
    assert got[0].warnings == []


def _stored(*specs: TagSpec) -> StoredGuideline:
    doc = make_doc("cov", *specs)
    records = tuple(TagRecord(i + 1, s, "a", NOW) for i, s in enumerate(specs))
    return StoredGuideline(doc, "1-x", 1, NOW, "a", NOW, "a", records)


def test_coverage_is_the_union_minus_exclusions(sample: Terminology) -> None:
    g = _stored(TagSpec(concept=BONE_MET, exclude=[PELVIC_MET]), TagSpec(concept=ILIUM_MET), TagSpec(concept=FEMUR_MET))
    c = coverage(sample, g, sample=3)
    # bone subtree (7) minus pelvic subtree (3) = 4, plus ilium (1); femur already inside
    assert c.total == 5
    assert [t["count"] for t in c.by_tag] == [4, 1, 1]
    assert len(c.sample) == 3 and set(c.sample) <= {BONE_MET, FEMUR_MET, VERTEBRA_MET, 1149990001108, ILIUM_MET}
    assert c.ecl_evaluation == "available"


def test_ecl_members_are_the_active_concepts_the_evaluator_returns(sample: Terminology) -> None:
    # 1119990001107 "Ilium metastasis" is inactive (sct2_Concept active = 0): the ECL names it, the tag covers nothing.
    assert v.ecl_members(sample, str(DUPLICATE_ILIUM)).tolist() == []
    assert v.tag_size(sample, TagSpec(concept=None, ecl=str(DUPLICATE_ILIUM))) == (0, None)
    # << 1049990001107: pelvic metastasis and its two subtypes (ilium, sacrum), sorted SCTIDs.
    assert v.ecl_members(sample, "<< 1049990001107").tolist() == sorted([PELVIC_MET, ILIUM_MET, SACRUM_MET])


def test_an_ecl_the_evaluator_cannot_answer_is_reported(sample: Terminology, monkeypatch: pytest.MonkeyPatch) -> None:
    # The failure surfaces (size unknown, with the evaluator's reason); it is not read as "no evaluator".
    from terminology.ecl.evaluator import EclTimeoutError

    def timed_out(t: Terminology, expr: object, **budget: object) -> object:
        raise EclTimeoutError(0.001, 0.5)

    monkeypatch.setattr(v, "evaluate", timed_out)
    ecl = TagSpec(concept=None, ecl="<< 1049990001107")
    (a,) = v.assess_tags(sample, [ecl])
    assert a.size is None and a.size_note is not None and "0.001 s" in a.size_note
    assert a.warnings[0].code == "ecl-size-unknown"
    c = coverage(sample, _stored(ecl, TagSpec(concept=VERTEBRA_MET)))
    assert c.total == 1 and c.by_tag[0]["count"] is None and "0.001 s" in c.by_tag[0]["note"]
    assert c.ecl_evaluation == ECL_NOT_EVALUATED


def test_mentioned_concepts_lists_every_reference() -> None:
    from terminology.ecl import mentioned_concepts

    expr = v.parse_ecl_tag("(<< 1039990001102 MINUS << 1049990001107) OR 1089990001103")
    assert sorted(mentioned_concepts(expr)) == [BONE_MET, PELVIC_MET, VERTEBRA_MET]


def test_baselines_record_the_release(sample: Terminology) -> None:
    b = v.baselines(sample)(TagSpec(concept=BONE_MET))
    assert (b.count, b.release) == (7, sample.release.uri)
    assert v.baselines(sample)(TagSpec(concept=9999990001104)).count == 0


def test_ecl_sizes_with_the_real_evaluator(sample: Terminology) -> None:
    assert v.tag_size(sample, TagSpec(concept=None, ecl="<< 1049990001107")) == (3, None)
    assert v.tag_size(sample, TagSpec(concept=None, ecl="<< 1039990001102 MINUS << 1049990001107")) == (4, None)
    c = coverage(sample, _stored(TagSpec(concept=None, ecl="<< 1049990001107"), TagSpec(concept=VERTEBRA_MET)))
    assert c.total == 4 and c.ecl_evaluation == "available"
