"""Bad input gets a clear error naming file, line and problem; normal RF2 quirks are accepted."""

from __future__ import annotations

from pathlib import Path

import pytest

from loaders import ReleaseError, load_release, make_sctid, snomed
from loaders import rf2_format as rf2
from loaders.sctid import ComponentKind
from tests.rf2_files import write_rf2

MODULE = make_sctid(1, 9990002, ComponentKind.CONCEPT)
T = "20250101"
C = ComponentKind.CONCEPT


def cid(item: int) -> int:
    return make_sctid(item, 9990002, C)


def did(item: int) -> int:
    return make_sctid(item, 9990002, ComponentKind.DESCRIPTION)


def rid(item: int) -> int:
    return make_sctid(item, 9990002, ComponentKind.RELATIONSHIP)


METADATA = [
    snomed.ROOT,
    snomed.IS_A,
    snomed.PRIMITIVE,
    snomed.FULLY_DEFINED,
    snomed.FSN_TYPE,
    snomed.SYNONYM_TYPE,
    snomed.INFERRED,
    snomed.EXISTENTIAL,
    snomed.CASE_INSENSITIVE,
    snomed.EN_US,
    snomed.PREFERRED,
    snomed.ACCEPTABLE,
]


def concept_rows(extra: list[int]) -> list[list[object]]:
    return [[c, T, 1, MODULE, snomed.PRIMITIVE] for c in [MODULE, *METADATA, *extra]]


def tiny(root: Path, **overrides: list[list[object]]) -> Path:
    """A valid three-concept release: A is-a root, B is-a A."""
    a, b = cid(10), cid(11)
    write_rf2(root, rf2.CONCEPT, overrides.get("concepts", concept_rows([a, b])))
    write_rf2(
        root,
        rf2.DESCRIPTION,
        overrides.get(
            "descriptions",
            [
                [did(10), T, 1, MODULE, a, "en", snomed.FSN_TYPE, "Alpha (finding)", snomed.CASE_INSENSITIVE],
                [did(11), T, 1, MODULE, b, "en", snomed.SYNONYM_TYPE, "Beta", snomed.CASE_INSENSITIVE],
            ],
        ),
    )
    write_rf2(
        root,
        rf2.RELATIONSHIP,
        overrides.get(
            "relationships",
            [
                [rid(10), T, 1, MODULE, a, snomed.ROOT, 0, snomed.IS_A, snomed.INFERRED, snomed.EXISTENTIAL],
                [rid(11), T, 1, MODULE, b, a, 0, snomed.IS_A, snomed.INFERRED, snomed.EXISTENTIAL],
            ],
        ),
    )
    return root


def error_of(root: Path, **kwargs: object) -> ReleaseError:
    with pytest.raises(ReleaseError) as info:
        load_release(root, **kwargs)  # type: ignore[arg-type]
    return info.value


def test_valid_tiny_release_loads(tmp_path: Path) -> None:
    r = load_release(tiny(tmp_path))
    assert len(r.get("Concept")) == 3 + len(METADATA)
    assert r.get("Relationship")["sourceId"].tolist() == [cid(10), cid(11)]


def test_wrong_header_names_file_and_line_1(tmp_path: Path) -> None:
    tiny(tmp_path)
    path = write_rf2(
        tmp_path,
        rf2.CONCEPT,
        concept_rows([]),
        header=["id", "effectiveTime", "active", "moduleId", "definitionStatus"],
    )
    err = error_of(tmp_path)
    assert err.file == str(path) and err.line == 1
    assert "wrong header" in str(err) and "definitionStatusId" in str(err)


def test_too_many_columns_reports_the_line(tmp_path: Path) -> None:
    rows = concept_rows([cid(10), cid(11)])
    rows[4] = [*rows[4], "extra"]
    tiny(tmp_path, concepts=rows)
    err = error_of(tmp_path)
    assert err.line == 6  # header is line 1, rows[4] is line 6
    assert "expected 5 fields, found 6" in str(err)


def test_too_few_columns_reports_the_line(tmp_path: Path) -> None:
    rows = concept_rows([cid(10), cid(11)])
    rows[2] = rows[2][:4]
    tiny(tmp_path, concepts=rows)
    err = error_of(tmp_path)
    assert err.line == 4 and "expected 5 fields, found 4" in str(err)


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ("12345x789", "not numeric"),
        ("94381003", "wrong check digit"),
        (str(did(77)), "is for a description, not a concept"),
    ],
)
def test_invalid_sctids_say_why(tmp_path: Path, bad: str, problem: str) -> None:
    rows = concept_rows([cid(10), cid(11)])
    rows[3][0] = bad
    tiny(tmp_path, concepts=rows)
    err = error_of(tmp_path)
    assert err.line == 5 and err.column == "id"
    assert problem in str(err) and bad in str(err)


def test_bad_effective_time(tmp_path: Path) -> None:
    rows = concept_rows([cid(10), cid(11)])
    rows[1][1] = "20251341"
    tiny(tmp_path, concepts=rows)
    err = error_of(tmp_path)
    assert err.line == 3 and err.column == "effectiveTime" and "20251341" in str(err)


def test_bad_active_flag(tmp_path: Path) -> None:
    rows = concept_rows([cid(10), cid(11)])
    rows[0][2] = "yes"
    tiny(tmp_path, concepts=rows)
    assert error_of(tmp_path).column == "active"


def test_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    tiny(tmp_path)
    write_rf2(tmp_path, rf2.CONCEPT, concept_rows([cid(10), cid(11)]), newline="\r\n", bom=True)
    r = load_release(tmp_path)
    assert cid(11) in set(r.get("Concept")["id"])
    assert r.get("Concept")["definitionStatusId"].iloc[-1] == snomed.PRIMITIVE  # no stray \r in the last column


def test_crlf_terms_have_no_carriage_return(tmp_path: Path) -> None:
    tiny(tmp_path)
    write_rf2(
        tmp_path,
        rf2.DESCRIPTION,
        [
            [did(10), T, 1, MODULE, cid(10), "en", snomed.FSN_TYPE, "Alpha (finding)", snomed.CASE_INSENSITIVE],
        ],
        newline="\r\n",
    )
    r = load_release(tmp_path)
    assert r.get("Description")["term"].tolist() == ["Alpha (finding)"]


def test_dangling_relationship_strict_is_an_error_lenient_is_counted(tmp_path: Path) -> None:
    ghost = cid(99)
    tiny(
        tmp_path,
        relationships=[
            [rid(10), T, 1, MODULE, cid(10), snomed.ROOT, 0, snomed.IS_A, snomed.INFERRED, snomed.EXISTENTIAL],
            [rid(11), T, 1, MODULE, cid(11), ghost, 0, snomed.IS_A, snomed.INFERRED, snomed.EXISTENTIAL],
        ],
    )
    err = error_of(tmp_path, strict=True)
    assert err.line == 3 and err.column == "destinationId" and str(ghost) in str(err)
    r = load_release(tmp_path, strict=False)
    assert len(r.get("Relationship")) == 1
    assert r.report.skipped == {"Relationship.destinationId: unknown concept": 1}


def test_duplicate_id_in_snapshot(tmp_path: Path) -> None:
    rows = concept_rows([cid(10), cid(11)])
    rows.append(list(rows[-1]))
    tiny(tmp_path, concepts=rows)
    err = error_of(tmp_path)
    assert "duplicate id" in str(err) and err.line == len(rows) + 1


def test_invalid_utf8_names_line(tmp_path: Path) -> None:
    tiny(tmp_path)
    path = next(tmp_path.rglob("sct2_Description_*"))
    path.write_bytes(path.read_bytes().replace(b"Beta", b"B\xffta"))
    err = error_of(tmp_path)
    assert err.line == 3 and "UTF-8" in str(err)


def test_missing_directory_and_no_rf2_files(tmp_path: Path) -> None:
    assert "no such file" in str(error_of(tmp_path / "nope"))
    (tmp_path / "empty").mkdir()
    assert "no RF2 files" in str(error_of(tmp_path / "empty"))


def test_zip_package_loads_like_a_directory(tmp_path: Path) -> None:
    import shutil

    tiny(tmp_path / "pkg")
    archive = shutil.make_archive(str(tmp_path / "pkg"), "zip", tmp_path / "pkg")
    assert Path(archive).suffix == ".zip"
    from_zip = load_release(archive).get("Concept")["id"].tolist()
    from_dir = load_release(tmp_path / "pkg").get("Concept")["id"].tolist()
    assert sorted(from_zip) == sorted(from_dir)
