"""The new-release check on two real releases: the sample Snapshot (20250301) and Snapshot + Delta (20250901).

The Delta (sample_data/README.md, "Delta (20250901)") inactivates 1079990001100 Metastatic malignant
neoplasm to femur (Outdated, REPLACED BY 1309990001107 Metastatic malignant neoplasm to femoral shaft).
Tags are added against the Snapshot (recording baselines there), then checked against the Delta.
"""

from __future__ import annotations

from loaders.guidelines import TagSpec
from terminology import Terminology
from terminology.authoring import SqlGuidelineRepository
from terminology.authoring.model import Baseline
from terminology.authoring.release_check import RELEASE_CHECK_USER, apply_release_check, changed_a_lot, check_release
from terminology.authoring.validation import baselines
from terminology.linking.guidelines import guidelines_for_concept
from terminology.sample import sample_guidelines_dir
from tests.terminology.authoring.databases import (
    AMBIGUOUS,
    BONE_MET,
    FEMUR_MET,
    FEMUR_SHAFT_MET,
    ILIUM_MET,
    SACRUM_MET,
    make_doc,
)


def _setup(repo: SqlGuidelineRepository, sample: Terminology) -> None:
    on_snapshot = baselines(sample)
    repo.import_directory(sample_guidelines_dir(), baseline=on_snapshot)
    repo.create(
        make_doc("femur-fixation", TagSpec(concept=FEMUR_MET, term="Metastatic malignant neoplasm to femur")),
        actor="alice",
        baseline=on_snapshot,
    )
    # bone metastases except the femur (an exclusion the Delta breaks)
    repo.create(
        make_doc("bone-not-femur", TagSpec(concept=BONE_MET, exclude=[FEMUR_MET])), actor="alice", baseline=on_snapshot
    )
    # a tag from an older release on a concept that was already ambiguous-inactive (stored without validation)
    repo.create(make_doc("old-ambiguous", TagSpec(concept=AMBIGUOUS)), actor="legacy", baseline=on_snapshot)
    # a baseline taken when the subtree was much smaller
    repo.create(
        make_doc("grew", TagSpec(concept=BONE_MET)), actor="alice", baseline=lambda s: Baseline(1, "an old release")
    )


def test_the_snapshot_itself_only_has_the_legacy_problems(repo: SqlGuidelineRepository, sample: Terminology) -> None:
    _setup(repo, sample)
    check = check_release(repo, sample)
    assert sorted((f.guideline_id, f.kind, f.decision) for f in check.findings) == [
        ("grew", "coverage-changed", "review"),
        ("old-ambiguous", "inactive", "decide"),
    ]


def test_delta_findings_with_replacements(
    repo: SqlGuidelineRepository, sample: Terminology, delta: Terminology
) -> None:
    _setup(repo, sample)
    check = check_release(repo, delta)
    assert check.release == delta.release.uri and check.tags_checked == 8 + 4
    by = {(f.guideline_id, f.kind): f for f in check.findings}
    assert sorted(by) == [
        ("bone-not-femur", "exclusion-inactive"),
        ("femur-fixation", "inactive"),
        ("grew", "coverage-changed"),
        ("old-ambiguous", "inactive"),
    ]
    femur = by[("femur-fixation", "inactive")]
    assert femur.decision == "migrate" and femur.subject == FEMUR_MET and "(OUTDATED)" in femur.detail
    assert [(r["association"], r["conceptId"], r["active"]) for r in femur.replacements] == [
        ("REPLACED BY", str(FEMUR_SHAFT_MET), True)
    ]
    assert femur.baseline_count == 1 and femur.baseline_release == sample.release.uri
    amb = by[("old-ambiguous", "inactive")]
    assert amb.decision == "decide" and {r["conceptId"] for r in amb.replacements} == {str(ILIUM_MET), str(SACRUM_MET)}
    grew = by[("grew", "coverage-changed")]
    assert (grew.baseline_count, grew.current_count, grew.decision) == (1, 7, "review")
    assert by[("bone-not-femur", "exclusion-inactive")].decision == "migrate"
    # the femur subtree left bone metastases and the femoral shaft joined: 7 -> 7, not "a lot"
    assert ("suspected-bone-metastasis-workup", "coverage-changed") not in by
    assert check.summary() == {"tags": 12, "findings": 4, "migrate": 2, "decide": 1, "review": 1}


def test_apply_migrates_only_the_unambiguous(
    repo: SqlGuidelineRepository, sample: Terminology, delta: Terminology
) -> None:
    _setup(repo, sample)
    before = repo.record("femur-fixation")
    assert before is not None
    report = apply_release_check(repo, delta, check_release(repo, delta))
    assert sorted((m["guidelineId"], m["from"], m["to"]) for m in report.migrated) == [
        ("bone-not-femur", str(FEMUR_MET), str(FEMUR_SHAFT_MET)),
        ("femur-fixation", str(FEMUR_MET), str(FEMUR_SHAFT_MET)),
    ]
    assert [f.guideline_id for f in report.to_decide] == ["old-ambiguous"] and report.failed == []

    after = repo.record("femur-fixation")
    assert after is not None and after.revision == before.revision + 1
    (tag,) = after.tags
    assert tag.spec == TagSpec(concept=FEMUR_SHAFT_MET, term=delta.preferred_term(FEMUR_SHAFT_MET))
    assert (tag.added_by, tag.baseline_count, tag.baseline_release) == (RELEASE_CHECK_USER, 1, delta.release.uri)
    rev = repo.revisions("femur-fixation")[-1]
    assert (rev.author, rev.action) == (RELEASE_CHECK_USER, "tag-replace")
    assert "1079990001100 replaced by 1309990001107" in rev.summary and "REPLACED BY" in rev.summary
    assert repo.record("bone-not-femur").doc.tags[0].exclude == [FEMUR_SHAFT_MET]  # type: ignore[union-attr]

    # the migrated guideline links again on the new release, through the new concept
    links = guidelines_for_concept(delta, repo, FEMUR_SHAFT_MET)
    assert "femur-fixation" in [x.guideline.id for x in links]
    # and the old code still finds it, resolved through REPLACED BY
    assert "femur-fixation" in [x.guideline.id for x in guidelines_for_concept(delta, repo, FEMUR_MET)]

    again = check_release(repo, delta)
    assert sorted((f.guideline_id, f.kind) for f in again.findings) == [
        ("grew", "coverage-changed"),
        ("old-ambiguous", "inactive"),
    ]
    # running apply twice changes nothing more
    assert apply_release_check(repo, delta, again).migrated == []


def test_changed_a_lot_needs_both_thresholds() -> None:
    assert changed_a_lot(100, 130, 0.2, 5) and not changed_a_lot(100, 110, 0.2, 5)
    assert not changed_a_lot(2, 5, 0.2, 5) and changed_a_lot(2, 7, 0.2, 5)
    assert changed_a_lot(10, 0, 0.2, 5)
