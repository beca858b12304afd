"""Choosing guidelines for Conditions, against the sample release and guidelines (expectations from the RF2 files).

Sample hierarchy (sample_data/README.md): 1059990001105 Metastatic malignant neoplasm to ilium is a
1049990001107 Secondary malignant neoplasm of pelvic bone, is a 1039990001102 Secondary malignant tumor of
bone, is a 1029990001104 Secondary malignant neoplastic disease, is a 1019990001106 Malignant neoplastic
disease. The guidelines are tagged on each of those four ancestors (pelvic, work-up, oligometastatic, general);
the spinal guideline on 1069990001108 (sacrum). 1119990001107 is inactive, REPLACED BY the ilium concept.
The ExtendedMap rows give ICD-10 C79.5 as the target of 1039990001102 and of its site-specific descendants.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from terminology import Terminology
from terminology.cds import choose, conditions_in, most_general
from terminology.linking import FileGuidelineRepository, InMemoryGuidelineRepository
from terminology.sample import sample_guidelines_dir

SCT = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ILIUM, SACRUM, BONE = 1059990001105, 1069990001108, 1039990001102
RUNNING_EXAMPLE = [
    "pelvic-bone-metastasis-fracture-risk",
    "suspected-bone-metastasis-workup",
    "oligometastatic-local-therapy",
    "malignant-disease-general-principles",
]


@pytest.fixture(scope="module")
def repo() -> FileGuidelineRepository:
    return FileGuidelineRepository(sample_guidelines_dir())


def condition(cid: str, *codings: tuple[str, str], text: str | None = None, **more: Any) -> dict[str, Any]:
    code: dict[str, Any] = {"coding": [{"system": s, "code": c} for s, c in codings]}
    if text:
        code["text"] = text
    return {"resourceType": "Condition", "id": cid, "code": code, **more}


def ids(sample: Terminology, repo: Any, *resources: dict[str, Any]) -> list[str]:
    return [f.guideline.id for f in choose(sample, repo, conditions_in(list(resources))).findings]


def test_running_example_order(sample: Terminology, repo: FileGuidelineRepository) -> None:
    choice = choose(sample, repo, conditions_in(condition("a", (SCT, str(ILIUM)))))
    assert [f.guideline.id for f in choice.findings] == RUNNING_EXAMPLE
    assert [f.distance for f in choice.findings] == [1, 2, 3, 4]
    assert choice.findings[0].path == [ILIUM, 1049990001107]
    assert choice.notes == []


def test_inactive_code_is_read_through_history(sample: Terminology, repo: FileGuidelineRepository) -> None:
    choice = choose(sample, repo, conditions_in(condition("a", (SCT, "1119990001107"))))
    assert [f.guideline.id for f in choice.findings] == RUNNING_EXAMPLE
    assert choice.findings[0].concept == ILIUM and choice.findings[0].reading.how == "REPLACED BY"


def test_icd10_code_links_only_what_it_certainly_means(sample: Terminology, repo: FileGuidelineRepository) -> None:
    # C79.5 is the target of bone metastasis at every site: only the most general concept is linked.
    choice = choose(sample, repo, conditions_in(condition("a", (ICD10, "C79.5"))))
    assert [f.guideline.id for f in choice.findings] == RUNNING_EXAMPLE[1:]
    assert {f.concept for f in choice.findings} == {BONE}
    assert all(f.reading.kind == "map" for f in choice.findings)


def test_most_general(sample: Terminology) -> None:
    assert most_general(sample, [ILIUM, BONE, SACRUM, BONE]) == [BONE]
    assert most_general(sample, [ILIUM, SACRUM]) == [ILIUM, SACRUM]


def test_text_only_condition_is_mapped_and_flagged(sample: Terminology, repo: FileGuidelineRepository) -> None:
    choice = choose(sample, repo, conditions_in(condition("a", text="metastasis to sacrum")))
    assert choice.findings and all(f.from_text for f in choice.findings)
    assert choice.findings[0].guideline.id == "spinal-metastases-instability-and-cord-compression"
    assert choice.findings[0].concept == SACRUM


def test_text_is_not_used_when_a_code_is_read(sample: Terminology, repo: FileGuidelineRepository) -> None:
    got = ids(sample, repo, condition("a", (SCT, str(ILIUM)), text="metastasis to sacrum"))
    assert got == RUNNING_EXAMPLE


def test_unread_system_falls_back_to_text_with_a_note(sample: Terminology, repo: FileGuidelineRepository) -> None:
    choice = choose(
        sample, repo, conditions_in(condition("a", ("http://loinc.org", "1234-5"), text="metastasis to sacrum"))
    )
    assert choice.findings[0].from_text
    assert any("http://loinc.org" in n for n in choice.notes)


def test_deduplicated_across_conditions_most_specific_first(sample: Terminology, repo: FileGuidelineRepository) -> None:
    got = ids(sample, repo, condition("a", (SCT, str(ILIUM))), condition("b", (SCT, str(SACRUM))))
    assert got == ["spinal-metastases-instability-and-cord-compression", *RUNNING_EXAMPLE]


def test_skipped_conditions_give_nothing_and_say_why(sample: Terminology, repo: FileGuidelineRepository) -> None:
    refuted = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "refuted"}]}
    choice = choose(sample, repo, conditions_in(condition("a", (SCT, str(ILIUM)), verificationStatus=refuted)))
    assert choice.findings == [] and choice.notes == ["Condition/a skipped: verificationStatus is refuted"]


def test_drafts_are_never_linked(sample: Terminology, repo: FileGuidelineRepository) -> None:
    pelvic = repo.get("pelvic-bone-metastasis-fracture-risk")
    assert pelvic is not None
    draft = dataclasses.replace(pelvic, id="draft-ilium", title="A draft", status="draft")
    drafts = InMemoryGuidelineRepository([*repo.list(), draft])
    assert ids(sample, drafts, condition("a", (SCT, str(ILIUM)))) == RUNNING_EXAMPLE


def test_post_coordinated_expression(sample: Terminology, repo: FileGuidelineRepository) -> None:
    # Secondary malignant tumor of bone refined by finding site Bone structure of ilium. The ilium
    # metastasis concept is primitive (stated parent only), so it cannot be shown to subsume the
    # expression (issue 13: every closest ancestor truly subsumes it); the closest is BONE itself, one
    # step above, and the pelvic guideline (tagged below BONE) does not apply.
    expression = f"{BONE} : 363698007 = 2029990001107"
    choice = choose(sample, repo, conditions_in(condition("a", (SCT, expression))))
    assert [f.guideline.id for f in choice.findings] == RUNNING_EXAMPLE[1:]
    assert [f.distance for f in choice.findings] == [1, 2, 3]
    assert choice.findings[0].expression == expression and choice.findings[0].concept == BONE


def test_unknown_code_is_a_note(sample: Terminology, repo: FileGuidelineRepository) -> None:
    choice = choose(sample, repo, conditions_in(condition("a", (SCT, "16114001"))))
    assert choice.findings == [] and len(choice.notes) == 1 and "16114001" in choice.notes[0]
