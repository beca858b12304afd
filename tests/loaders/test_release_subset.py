"""The real SNOMED CT subset loads completely: counts equal the files' rows, read independently with csv."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from loaders import load_release

pytestmark = pytest.mark.real_release


def rows(root: Path, pattern: str) -> list[dict[str, str]]:
    (path,) = list(root.rglob(pattern))
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def test_counts_equal_the_files(subset_path: Path) -> None:
    r = load_release(subset_path)
    for kind, pattern in [
        ("Concept", "sct2_Concept_Snapshot*"),
        ("Description", "sct2_Description_Snapshot*"),
        ("Relationship", "sct2_Relationship_Snapshot*"),
        ("Language", "der2_cRefset_LanguageSnapshot*"),
        ("TextDefinition", "sct2_TextDefinition_Snapshot*"),
    ]:
        expected = rows(subset_path, pattern)
        frame = r.get(kind)
        assert len(frame) == len(expected), kind
        assert int(frame["active"].sum()) == sum(row["active"] == "1" for row in expected), kind


def test_association_rows_whose_target_is_outside_the_subset_are_kept_and_counted(subset_path: Path) -> None:
    # A member is a member because of its referenced component (issue 15.2): a missing target is data.
    concepts = {row["id"] for row in rows(subset_path, "sct2_Concept_Snapshot*")}
    assoc = rows(subset_path, "der2_cRefset_AssociationSnapshot*")
    dangling = sum(row["targetComponentId"] not in concepts for row in assoc)
    r = load_release(subset_path)
    assert dangling > 0
    assert r.report.unknown_targets["Association.targetComponentId"] == dangling
    assert "Association.targetComponentId: unknown component" not in r.report.skipped
    assert len(r.get("Association")) == len(assoc)


def test_refset_734139008_has_every_active_member_of_the_file(subset_path: Path, subset) -> None:  # type: ignore[no-untyped-def]
    from terminology.ecl import evaluate

    members = {
        int(row["referencedComponentId"])
        for row in rows(subset_path, "der2_cRefset_AssociationSnapshot*")
        if row["refsetId"] == "734139008" and row["active"] == "1"
    }
    assert len(members) == 28  # read off the file by hand: 28 active rows, one per referenced component
    assert {int(i) for i in evaluate(subset, "^ 734139008").ids} == members
    assert 734139008 in subset.refset_memberships(21483005)


def test_strict_mode_refuses_the_dangling_rows_with_file_and_line(subset_path: Path) -> None:
    from loaders import ReleaseError

    concepts = {row["id"] for row in rows(subset_path, "sct2_Concept_Snapshot*")}
    assoc = rows(subset_path, "der2_cRefset_AssociationSnapshot*")
    first_bad_line = next(i + 2 for i, row in enumerate(assoc) if row["targetComponentId"] not in concepts)
    with pytest.raises(ReleaseError) as info:
        load_release(subset_path, strict=True)
    assert info.value.line == first_bad_line
    assert info.value.file and info.value.file.endswith(".txt") and "Association" in info.value.file
