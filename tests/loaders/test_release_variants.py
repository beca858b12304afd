"""The release variants of the sample: Full as at a date, Delta over a Snapshot, several packages, zip, flat.

Every expectation is read from the sample RF2 files themselves, with the csv module (`file_rows`) or by
eye (the comments cite the file and its line number; line 1 is the header). The loader is only ever the
thing being checked.
"""

from __future__ import annotations

import csv
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from loaders import load_release
from loaders.release import Release

RELEASE = Path(__file__).resolve().parents[2] / "sample_data" / "release"
SNAPSHOT = RELEASE / "Snapshot"
FULL = RELEASE / "Full"
DELTA = RELEASE / "Delta"

# The sample's file of each kind, by its name written out by hand ({r} = Snapshot | Full | Delta).
FILES = {
    "Concept": "Terminology/sct2_Concept_{r}_SNOMAP_{d}.txt",
    "Description": "Terminology/sct2_Description_{r}-en_SNOMAP_{d}.txt",
    "TextDefinition": "Terminology/sct2_TextDefinition_{r}-en_SNOMAP_{d}.txt",
    "Relationship": "Terminology/sct2_Relationship_{r}_SNOMAP_{d}.txt",
    "StatedRelationship": "Terminology/sct2_StatedRelationship_{r}_SNOMAP_{d}.txt",
    "RelationshipConcreteValues": "Terminology/sct2_RelationshipConcreteValues_{r}_SNOMAP_{d}.txt",
    "Language": "Refset/Language/der2_cRefset_Language{r}-en_SNOMAP_{d}.txt",
    "Simple": "Refset/Content/der2_Refset_Simple{r}_SNOMAP_{d}.txt",
    "Association": "Refset/Content/der2_cRefset_Association{r}_SNOMAP_{d}.txt",
    "AttributeValue": "Refset/Content/der2_cRefset_AttributeValue{r}_SNOMAP_{d}.txt",
    "ExtendedMap": "Refset/Map/der2_iisssccRefset_ExtendedMap{r}_SNOMAP_{d}.txt",
    "SimpleMap": "Refset/Map/der2_sRefset_SimpleMap{r}_SNOMAP_{d}.txt",
    "ModuleDependency": "Refset/Metadata/der2_ssRefset_ModuleDependency{r}_SNOMAP_{d}.txt",
    "MRCMAttributeDomain": "Refset/Metadata/der2_cissccRefset_MRCMAttributeDomain{r}_SNOMAP_{d}.txt",
    "MRCMAttributeRange": "Refset/Metadata/der2_ssccRefset_MRCMAttributeRange{r}_SNOMAP_{d}.txt",
}

Rows = dict[str, dict[str, str]]  # id -> column -> value, all as the text of the file


def path_of(kind: str, release: str) -> Path:
    date = "20250901" if release == "Delta" else "20250301"
    return RELEASE / release / FILES[kind].format(r=release, d=date)


def file_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def by_id(rows: list[dict[str, str]]) -> Rows:
    out: Rows = {}
    for row in rows:
        assert row["id"] not in out, f"duplicate id {row['id']}"
        out[row["id"]] = row
    return out


def snapshot_file(kind: str) -> Rows:
    return by_id(file_rows(path_of(kind, "Snapshot")))


def full_as_at(kind: str, as_at: int) -> Rows:
    """The hand-made reduction: for each id, the Full row with the latest effectiveTime <= as_at."""
    out: Rows = {}
    for row in file_rows(path_of(kind, "Full")):
        t = int(row["effectiveTime"])
        if t <= as_at and (row["id"] not in out or t > int(out[row["id"]]["effectiveTime"])):
            out[row["id"]] = row
    return out


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def loaded_rows(release: Release, kind: str) -> Rows:
    """A loaded table back as file text (ints as digits, booleans as 1/0), without the _line/_file columns."""
    df = release.get(kind)
    columns = [c for c in df.columns if not c.startswith("_")]
    rows = [{c: _text(v) for c, v in rec.items()} for rec in df[columns].to_dict("records")]
    return by_id(rows)


def assert_same_rows(release: Release, expected: dict[str, Rows]) -> None:
    assert set(release.frames) == set(expected)
    for kind, rows in expected.items():
        got = loaded_rows(release, kind)
        assert set(got) == set(rows), kind
        for id_, row in rows.items():
            assert got[id_] == row, (kind, id_)


def frame(release: Release, kind: str) -> pd.DataFrame:
    return release.get(kind).drop(columns=["_file"]).sort_values("id").reset_index(drop=True)


def assert_same_release(a: Release, b: Release) -> None:
    assert set(a.frames) == set(b.frames)
    for kind in a.frames:
        pd.testing.assert_frame_equal(frame(a, kind), frame(b, kind), check_categorical=False, obj=kind)


def row(release: Release, kind: str, id_: str) -> dict[str, str]:
    return loaded_rows(release, kind)[id_]


# ----- the Snapshot itself is the anchor: what the files say, row for row


@pytest.fixture(scope="module")
def snapshot() -> Release:
    return load_release(SNAPSHOT, strict=True)


def test_the_snapshot_loads_exactly_the_rows_of_its_files(snapshot: Release) -> None:
    r = snapshot
    assert_same_rows(r, {kind: snapshot_file(kind) for kind in FILES})
    # Concept file: 122 lines = header + 121 concepts; line 35 is the running example.
    assert len(r.get("Concept")) == 121
    assert row(r, "Concept", "1059990001105") == {
        "id": "1059990001105",
        "effectiveTime": "20240901",
        "active": "1",
        "moduleId": "19990001103",
        "definitionStatusId": "900000000000073002",
    }


# ----- Full


def test_full_as_at_the_snapshot_date_equals_the_snapshot() -> None:
    r = load_release(FULL, "Full", as_at=20250301, strict=True)
    assert_same_rows(r, {kind: snapshot_file(kind) for kind in FILES})


def test_full_without_a_date_is_its_latest_state_the_snapshot() -> None:
    r = load_release(FULL, "Full", strict=True)
    assert_same_rows(r, {kind: snapshot_file(kind) for kind in FILES})


@pytest.fixture(scope="module")
def first_release() -> Release:
    return load_release(FULL, "Full", as_at=20240901, strict=True)


def test_full_as_at_the_first_release_equals_the_hand_reduction_of_the_full_files(first_release: Release) -> None:
    assert_same_rows(first_release, {kind: full_as_at(kind, 20240901) for kind in FILES})


def test_full_as_at_20240901_has_the_inactivated_concepts_still_active(first_release: Release) -> None:
    # sct2_Concept_Full: line 41 "1119990001107 20240901 1 ... 074008" and line 42 (its 20250301 row, active 0);
    # line 53 "1229990001105 20240901 1" and line 54 (20250301, active 0).
    assert row(first_release, "Concept", "1119990001107")["active"] == "1"
    assert row(first_release, "Concept", "1119990001107")["effectiveTime"] == "20240901"
    assert row(first_release, "Concept", "1229990001105")["active"] == "1"
    # Their is-a rows to 1049990001107 (Relationship_Full lines 38 and 74, 20240901, active 1).
    assert row(first_release, "Relationship", "111019990001126")["active"] == "1"
    assert row(first_release, "Relationship", "122019990001127")["active"] == "1"
    # The duplicate was a member of the bone metastasis refset (Simple_Full line 8) and mapped to C79.5
    # (ExtendedMap_Full line 10), the ambiguous one too (ExtendedMap_Full line 23).
    assert row(first_release, "Simple", "83324494-cf07-52c1-9b99-1d59face6673")["active"] == "1"
    assert row(first_release, "ExtendedMap", "7040dec3-68cb-5353-9306-195f5fcae175")["active"] == "1"
    assert row(first_release, "ExtendedMap", "3734e6bc-6f26-5879-9812-ebe78ece8fb6")["active"] == "1"
    # Every Association (lines 2-4) and AttributeValue (lines 2-3) row of the Full is dated 20250301: no history yet.
    assert len(first_release.get("Association")) == 0
    assert len(first_release.get("AttributeValue")) == 0


def test_full_as_at_20240901_has_the_old_terms_and_parent(first_release: Release) -> None:
    # Description_Full line 21: 104029990001113 20240901 "Secondary malignant neoplasm of pelvic bones";
    # line 22 is the same id dated 20250301 with "...pelvic bone".
    d = row(first_release, "Description", "104029990001113")
    assert (d["effectiveTime"], d["term"]) == ("20240901", "Secondary malignant neoplasm of pelvic bones")
    # Relationship_Full line 15: 104019990001125 20240901 active 1049990001107 is-a 1029990001104 (line 16 inactivates
    # it in 20250301); the new is-a to 1039990001102 (104029990001121, line 17) only has a 20250301 row.
    old = row(first_release, "Relationship", "104019990001125")
    assert (old["active"], old["sourceId"], old["destinationId"]) == ("1", "1049990001107", "1029990001104")
    assert "104029990001121" not in loaded_rows(first_release, "Relationship")
    # en-GB preferred "Secondary malignant tumor of bone" (Language_Full line 17: member 0e059c04, 20240901, 548007;
    # line 18 makes it acceptable in 20250301);
    # the "tumour" description 103039990001112 and "Ilium metastasis" 105059990001115 only have 20250301 rows.
    gb = row(first_release, "Language", "0e059c04-750d-585c-a421-cd9149ad2453")
    assert (gb["effectiveTime"], gb["acceptabilityId"]) == ("20240901", "900000000000548007")
    descriptions = loaded_rows(first_release, "Description")
    assert "103039990001112" not in descriptions
    assert "105059990001115" not in descriptions


def test_full_as_at_20240901_lacks_what_is_new_in_20250301(first_release: Release) -> None:
    # Concept_Full rows of 1089990001103 (vertebra), 1149990001108 (pathological fracture) and the three snomapine
    # concepts are dated 20250301 only: 121 Snapshot concepts - these 5 = 116.
    concepts = loaded_rows(first_release, "Concept")
    for new in ("1089990001103", "1149990001108", "5009990001106", "5019990001108", "5029990001101"):
        assert new not in concepts
    assert len(concepts) == 116
    # All six concrete values (RelationshipConcreteValues_Full lines 2-7) are dated 20250301.
    assert len(first_release.get("RelationshipConcreteValues")) == 0
    # ModuleDependency_Full lines 2 and 4: sourceEffectiveTime 20240901, targetEffectiveTime 20240701.
    for member in ("3b7ce185-35bf-5814-9c38-341e9e9e4488", "5f7b96fc-a003-5521-91ad-0c5e4740b139"):
        md = row(first_release, "ModuleDependency", member)
        assert (md["sourceEffectiveTime"], md["targetEffectiveTime"]) == ("20240901", "20240701")


def test_the_release_root_picks_the_files_of_the_requested_type() -> None:
    # sample_data/release holds Snapshot/, Full/ and Delta/ side by side: each type reads only its own files.
    assert_same_rows(load_release(RELEASE, strict=True), {kind: snapshot_file(kind) for kind in FILES})


# ----- Delta


@pytest.fixture(scope="module")
def with_delta() -> Release:
    return load_release(SNAPSHOT, deltas=[DELTA], strict=True)


def test_delta_rows_replace_the_snapshot_rows_with_the_same_id(with_delta: Release) -> None:
    for kind in FILES:
        expected = snapshot_file(kind)
        expected.update(by_id(file_rows(path_of(kind, "Delta"))))
        assert loaded_rows(with_delta, kind) == expected, kind


def test_delta_inactivates_the_femur_concept(with_delta: Release) -> None:
    # Concept_Delta line 2: 1079990001100 20250901 active 0, now primitive (074008); Snapshot line 37 had it active.
    femur = row(with_delta, "Concept", "1079990001100")
    assert (femur["effectiveTime"], femur["active"], femur["definitionStatusId"]) == (
        "20250901",
        "0",
        "900000000000074008",
    )
    loaded = with_delta.get("Concept").set_index("id")
    assert str(loaded.loc[1079990001100, "_file"]).endswith("sct2_Concept_Delta_SNOMAP_20250901.txt")
    assert int(loaded.loc[1079990001100, "_line"]) == 2
    # Relationship_Delta lines 2-4 inactivate its three inferred rows; the Snapshot rows (lines 25-27) are gone.
    for rel in ("107019990001120", "107029990001129", "107039990001127"):
        assert row(with_delta, "Relationship", rel)["active"] == "0"
    # Its refset member (Simple_Delta line 2) and map row (ExtendedMap_Delta line 2) are inactivated, and it gets
    # OUTDATED (AttributeValue_Delta line 2) and REPLACED BY 1309990001107 (Association_Delta line 2).
    assert row(with_delta, "Simple", "01350f39-888d-5f64-b898-166efa3cc9a2")["active"] == "0"
    assert row(with_delta, "ExtendedMap", "58d8532c-37bf-581f-93cc-a0910a7c5125")["active"] == "0"
    assert row(with_delta, "AttributeValue", "ad17bbb9-54ca-58d6-a40c-3a9ff0d349af")["valueId"] == "900000000000483008"
    assert (
        row(with_delta, "Association", "e43d79dc-4dcb-552e-b394-26b3d76a4925")["targetComponentId"] == "1309990001107"
    )
    # Its descriptions are not in the Delta and are kept (Description Snapshot line 32).
    assert row(with_delta, "Description", "107029990001117")["term"] == "Metastatic malignant neoplasm to femur"


def test_delta_adds_the_femoral_shaft_concept(with_delta: Release) -> None:
    # Concept_Delta line 3: 1309990001107 20250901 active, fully defined (073002).
    shaft = row(with_delta, "Concept", "1309990001107")
    assert (shaft["active"], shaft["definitionStatusId"]) == ("1", "900000000000073002")
    assert len(with_delta.get("Concept")) == 121 + 1
    # Relationship_Delta line 5: is-a 1039990001102; line 7: finding site 2109990001101 in group 1.
    isa = row(with_delta, "Relationship", "130019990001128")
    assert (isa["sourceId"], isa["destinationId"], isa["typeId"]) == ("1309990001107", "1039990001102", "116680003")
    site = row(with_delta, "Relationship", "130039990001121")
    assert (site["destinationId"], site["relationshipGroup"], site["typeId"]) == ("2109990001101", "1", "363698007")
    # 171 Snapshot relationships, 3 replaced in place, 3 new.
    assert len(with_delta.get("Relationship")) == 171 + 3
    # Description_Delta lines 2-4.
    terms = {d["term"] for d in loaded_rows(with_delta, "Description").values() if d["conceptId"] == "1309990001107"}
    assert terms == {
        "Metastatic malignant neoplasm to femoral shaft (disorder)",
        "Metastatic malignant neoplasm to femoral shaft",
        "Metastasis to shaft of femur",
    }
    # ModuleDependency_Delta lines 2-3 replace both Snapshot rows (same ids).
    md = loaded_rows(with_delta, "ModuleDependency")
    assert {(m["sourceEffectiveTime"], m["targetEffectiveTime"]) for m in md.values()} == {("20250901", "20250701")}
    assert len(md) == 2


# ----- several packages at once


def _header_and_rows(path: Path) -> tuple[str, list[str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return lines[0], lines[1:]


def _write(path: Path, header: str, rows: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


def test_a_snapshot_split_over_two_packages_loads_as_the_whole(tmp_path: Path) -> None:
    # Every file's rows alternate between package A and package B; both keep every file (with its header).
    a, b = tmp_path / "A", tmp_path / "B"
    for kind in FILES:
        src = path_of(kind, "Snapshot")
        header, rows = _header_and_rows(src)
        rel = src.relative_to(RELEASE)
        _write(a / rel, header, rows[0::2])
        _write(b / rel, header, rows[1::2])
    assert_same_rows(load_release([a, b], strict=True), {kind: snapshot_file(kind) for kind in FILES})


def _row_line(kind: str, release: str, id_: str, effective_time: str) -> str:
    _, rows = _header_and_rows(path_of(kind, release))
    (line,) = [r for r in rows if r.split("\t")[:2] == [id_, effective_time]]
    return line


def test_the_latest_row_per_id_wins_across_packages_whatever_their_order(tmp_path: Path) -> None:
    a, b = tmp_path / "A", tmp_path / "B"
    shutil.copytree(SNAPSHOT, a / "Snapshot")
    # Package B: older rows copied from the Full (Concept_Full line 41: the duplicate active in 20240901;
    # Description_Full line 21: "...pelvic bones" in 20240901) and one newer row copied from the Delta
    # (Concept_Delta line 2: the femur concept inactive in 20250901).
    concept_header, _ = _header_and_rows(path_of("Concept", "Snapshot"))
    desc_header, _ = _header_and_rows(path_of("Description", "Snapshot"))
    _write(
        b / "Snapshot" / FILES["Concept"].format(r="Snapshot", d="20250901"),
        concept_header,
        [
            _row_line("Concept", "Full", "1119990001107", "20240901"),
            _row_line("Concept", "Delta", "1079990001100", "20250901"),
        ],
    )
    _write(
        b / "Snapshot" / FILES["Description"].format(r="Snapshot", d="20250901"),
        desc_header,
        [
            _row_line("Description", "Full", "104029990001113", "20240901"),
        ],
    )
    for order in ([a, b], [b, a]):
        r = load_release(order, strict=True)
        # The Snapshot's 20250301 rows beat B's 20240901 rows (Concept line 41, Description line 21) ...
        dup = row(r, "Concept", "1119990001107")
        assert (dup["effectiveTime"], dup["active"]) == ("20250301", "0")
        term = row(r, "Description", "104029990001113")
        assert (term["effectiveTime"], term["term"]) == ("20250301", "Secondary malignant neoplasm of pelvic bone")
        # ... and B's 20250901 row beats the Snapshot's 20240901 one (Concept line 37).
        femur = row(r, "Concept", "1079990001100")
        assert (femur["effectiveTime"], femur["active"]) == ("20250901", "0")
        # Nothing else changed: same ids as the Snapshot alone.
        assert set(loaded_rows(r, "Concept")) == set(snapshot_file("Concept"))
        assert set(loaded_rows(r, "Description")) == set(snapshot_file("Description"))


# ----- packaging: zip and flat layouts


def test_a_zip_of_the_snapshot_loads_the_same_as_the_directory(tmp_path: Path, snapshot: Release) -> None:
    archive = tmp_path / "SnomedCT_Sample_20250301.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(SNAPSHOT.rglob("*.txt")):
            zf.write(path, "SnomedCT_Sample_20250301/Snapshot/" + str(path.relative_to(SNAPSHOT)))
    zipped = load_release(archive, strict=True)
    assert_same_rows(zipped, {kind: snapshot_file(kind) for kind in FILES})
    assert_same_release(zipped, snapshot)
    concept_file = str(zipped.get("Concept")["_file"].iloc[0])
    assert concept_file.startswith(str(archive)) and concept_file.endswith("sct2_Concept_Snapshot_SNOMAP_20250301.txt")


def test_a_flat_folder_loads_the_same_as_the_standard_layout(tmp_path: Path, snapshot: Release) -> None:
    flat = tmp_path / "flat"
    flat.mkdir()
    for path in SNAPSHOT.rglob("*.txt"):
        shutil.copy(path, flat / path.name)
    assert not any(p.is_dir() for p in flat.iterdir())
    loaded = load_release(flat, strict=True)
    assert_same_rows(loaded, {kind: snapshot_file(kind) for kind in FILES})
    assert_same_release(loaded, snapshot)
