"""The `snomap` command line, driven through click's CliRunner on the sample release (and the real subset).

Expected output is read by hand from the sample RF2 files; comments cite file and line (line 1 is the header).
Every query passes --index, so nothing is built in the user's cache.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from service.cli import main

RELEASE = Path(__file__).resolve().parents[2] / "sample_data" / "release"
SNAPSHOT = RELEASE / "Snapshot"
CONCEPT_FILE = "Terminology/sct2_Concept_Snapshot_SNOMAP_20250301.txt"
RELATIONSHIP_FILE = "Terminology/sct2_Relationship_Snapshot_SNOMAP_20250301.txt"

ILIUM_MET = "1059990001105"
SACRUM_MET = "1069990001108"
PELVIC_MET = "1049990001107"
BONE_MET = "1039990001102"
DUPLICATE = "1119990001107"
AMBIGUOUS = "1229990001105"
UNKNOWN = "9999990001104"  # valid check digit and partition (item 999, namespace 9990001), in no sample file


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "sample.idx"
    result = run("index", str(SNAPSHOT), "--out", str(out))
    assert result.exit_code == 0, result.output
    # ModuleDependency Snapshot lines 2-3: edition 19990001103, sourceEffectiveTime 20250301.
    assert "release http://snomed.info/sct/19990001103/version/20250301" in result.stdout
    # Concept file: 121 rows, 2 inactive (lines 41, 52).
    assert "  concepts: 121\n" in result.stdout and "  active_concepts: 119\n" in result.stdout
    return out


def query(index: Path, *args: str) -> Result:
    return run(*args, "--index", str(index))


def ok_json(result: Result) -> object:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# ----- queries


def test_lookup_shows_fsn_and_parent(index: Path) -> None:
    result = query(index, "lookup", ILIUM_MET)
    assert result.exit_code == 0, result.output
    out = result.stdout
    # Description lines 23-24, preferred in en-US (Language lines 325-326).
    assert f"{ILIUM_MET} |Metastatic malignant neoplasm to ilium|" in out
    assert "FSN: Metastatic malignant neoplasm to ilium (disorder)" in out
    # Concept line 35: active, fully defined, module 19990001103, 20240901.
    assert "active, fully-defined, module 19990001103, effective 20240901" in out
    # Relationship line 19 -> 1049990001107, whose en-US preferred term is Description line 21.
    assert f"is a: {PELVIC_MET} |Secondary malignant neoplasm of pelvic bone|" in out
    # Relationship lines 20-21 (attribute and value names: their preferred terms).
    assert "group 1: Finding site = Bone structure of ilium" in out
    assert "synonym: Metastasis to ilium" in out
    assert result.stderr == ""


def test_lookup_json_has_the_fields(index: Path) -> None:
    data = ok_json(query(index, "lookup", ILIUM_MET, "--json"))
    assert isinstance(data, dict)
    assert data["conceptId"] == ILIUM_MET
    assert data["active"] is True
    assert data["moduleId"] == "19990001103"
    assert data["definitionStatus"] == "fully-defined"
    assert data["effectiveTime"] == "20240901"
    assert data["fsn"] == "Metastatic malignant neoplasm to ilium (disorder)"
    assert data["pt"] == "Metastatic malignant neoplasm to ilium"
    # Description lines 24-27.
    assert sorted(data["synonyms"]) == sorted(
        [
            "Metastatic malignant neoplasm to ilium",
            "Metastasis to ilium",
            "Secondary malignant neoplasm of ilium",
            "Ilium metastasis",
        ]
    )
    assert data["parents"] == [{"conceptId": PELVIC_MET, "pt": "Secondary malignant neoplasm of pelvic bone"}]
    assert data["childCount"] == 0
    assert sorted((a["group"], a["type"], a["value"]) for a in data["attributes"]) == [
        (1, "Associated morphology", "Neoplasm, metastatic"),
        (1, "Finding site", "Bone structure of ilium"),
    ]
    # Simple line 4, ExtendedMap line 4, SimpleMap line 5.
    assert data["refsets"] == ["4019990001109", "4029990001102", "4039990001100"]
    assert "inactivationReason" not in data


def test_lookup_lang_en_gb(index: Path) -> None:
    # Language line 18: en-GB prefers "Secondary malignant tumour of bone"; en-US (line 318) the "tumor" spelling.
    assert (
        f"{BONE_MET} |Secondary malignant tumour of bone|" in query(index, "lookup", BONE_MET, "--lang", "en-GB").stdout
    )
    assert f"{BONE_MET} |Secondary malignant tumor of bone|" in query(index, "lookup", BONE_MET).stdout


def test_lookup_of_the_inactive_duplicate_shows_its_history(index: Path) -> None:
    result = query(index, "lookup", DUPLICATE)
    assert result.exit_code == 0, result.output
    # Concept line 41 (inactive), AttributeValue line 2 (Duplicate), Association line 4 (REPLACED BY 1059990001105).
    assert "INACTIVE" in result.stdout
    assert "inactivation reason: DUPLICATE" in result.stdout
    assert f"REPLACED BY: {ILIUM_MET}" in result.stdout
    data = ok_json(query(index, "lookup", DUPLICATE, "--json"))
    assert isinstance(data, dict)
    assert data["active"] is False
    assert data["inactivationReason"] == "DUPLICATE"
    assert data["associations"] == [{"type": "REPLACED BY", "target": ILIUM_MET}]
    assert data["parents"] == []


def test_hierarchy_commands(index: Path) -> None:
    # Relationship lines 46-47: two parents; lines 19 and 22: the children of 1049990001107.
    assert [r["conceptId"] for r in ok_json(query(index, "parents", "1149990001108", "--json"))] == [
        BONE_MET,
        "1129990001100",
    ]
    children = ok_json(query(index, "children", PELVIC_MET, "--json"))
    assert children == [
        {"conceptId": ILIUM_MET, "pt": "Metastatic malignant neoplasm to ilium"},
        {"conceptId": SACRUM_MET, "pt": "Metastatic malignant neoplasm to sacrum"},
    ]
    # The chain of lines 19, 16, 12, 9, 6, 3, 108, 107.
    ancestors = {r["conceptId"] for r in ok_json(query(index, "ancestors", ILIUM_MET, "--json"))}
    assert ancestors == {
        PELVIC_MET,
        BONE_MET,
        "1029990001104",
        "1019990001106",
        "1009990001109",
        "64572001",
        "404684003",
        "138875005",
    }
    # Lines 16, 25, 28, 46 (children of 1039990001102) and 19, 22 (children of 1049990001107).
    descendants = {r["conceptId"] for r in ok_json(query(index, "descendants", BONE_MET, "--json"))}
    assert descendants == {PELVIC_MET, ILIUM_MET, SACRUM_MET, "1079990001100", "1089990001103", "1149990001108"}
    # Plain output: one "id<TAB>preferred term" line per concept.
    assert query(index, "parents", ILIUM_MET).stdout == f"{PELVIC_MET}\tSecondary malignant neoplasm of pelvic bone\n"


@pytest.mark.parametrize(
    ("a", "b", "outcome"),
    [
        (ILIUM_MET, ILIUM_MET, "equivalent"),
        (BONE_MET, ILIUM_MET, "subsumes"),  # lines 19, 16
        (ILIUM_MET, BONE_MET, "subsumed-by"),
        (ILIUM_MET, SACRUM_MET, "not-subsumed"),  # siblings (lines 19, 22)
    ],
)
def test_subsumes_prints_the_outcome(index: Path, a: str, b: str, outcome: str) -> None:
    result = query(index, "subsumes", a, b)
    assert (result.exit_code, result.stdout) == (0, outcome + "\n")
    assert ok_json(query(index, "subsumes", a, b, "--json")) == {"outcome": outcome}


def test_resolve_the_inactive_duplicate_and_the_ambiguous_concept(index: Path) -> None:
    # Association line 4: REPLACED BY 1059990001105.
    result = query(index, "resolve", DUPLICATE)
    assert (result.exit_code, result.stdout) == (
        0,
        f"{ILIUM_MET}\tMetastatic malignant neoplasm to ilium\t(REPLACED BY)\n",
    )
    # Association lines 2-3: POSSIBLY EQUIVALENT TO the ilium and the sacrum metastases.
    rows = ok_json(query(index, "resolve", AMBIGUOUS, "--json"))
    assert [(r["conceptId"], r["how"], r["chain"]) for r in rows] == [
        (ILIUM_MET, "POSSIBLY EQUIVALENT TO", [AMBIGUOUS, ILIUM_MET]),
        (SACRUM_MET, "POSSIBLY EQUIVALENT TO", [AMBIGUOUS, SACRUM_MET]),
    ]


# ----- bad input: exit code 2, one line on stderr, nothing on stdout


@pytest.mark.parametrize("command", ["lookup", "parents", "children", "ancestors", "descendants", "resolve"])
@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("1059990001106", "wrong check digit"),  # 1059990001105 with its last digit changed
        ("abc", "not numeric"),
    ],
)
def test_invalid_sctid_exits_2_naming_the_problem(index: Path, command: str, value: str, problem: str) -> None:
    result = query(index, command, value)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: ") and value in result.stderr and problem in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["lookup", "parents", "children", "ancestors", "descendants"])
def test_a_description_id_is_not_a_concept_id(index: Path, command: str) -> None:
    # 105019990001119 is a description id (Description line 23): partition 11. `resolve` accepts it (below).
    result = query(index, command, "105019990001119")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: ") and "105019990001119" in result.stderr and "description" in result.stderr


def test_resolve_accepts_what_the_api_accepts(index: Path) -> None:
    # Description 105019990001119 (FSN of 1059990001105), as POST /resolve reads it.
    result = query(index, "resolve", "105019990001119")
    assert (result.exit_code, result.stdout) == (
        0,
        f"{ILIUM_MET}\tMetastatic malignant neoplasm to ilium\t(description)\n",
    )
    # ExtendedMap f3e49767: 1099990001101 -> C78.7, the only row with that target.
    result = query(index, "resolve", "C78.7", "--system", "http://hl7.org/fhir/sid/icd-10")
    assert (result.exit_code, result.stdout) == (0, "1099990001101\tMetastatic malignant neoplasm to liver\t(map)\n")
    # An expression with no refinement stands for its focus concept.
    result = query(index, "resolve", f"{ILIUM_MET} |Metastatic malignant neoplasm to ilium|")
    assert (result.exit_code, result.stdout) == (
        0,
        f"{ILIUM_MET}\tMetastatic malignant neoplasm to ilium\t(expression)\n",
    )
    # An ICD-10 code no map row targets: exit 2 with the reason.
    result = query(index, "resolve", "Z99.9", "--system", "icd-10")
    assert result.exit_code == 2 and "Z99.9" in result.stderr


def test_invalid_sctid_in_subsumes(index: Path) -> None:
    result = query(index, "subsumes", BONE_MET, "12x")
    assert result.exit_code == 2 and "12x" in result.stderr and "not numeric" in result.stderr


@pytest.mark.parametrize(
    "args", [("lookup", UNKNOWN), ("parents", UNKNOWN), ("resolve", UNKNOWN), ("subsumes", BONE_MET, UNKNOWN)]
)
def test_unknown_concept_exits_2(index: Path, args: tuple[str, ...]) -> None:
    result = query(index, *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert UNKNOWN in result.stderr and "not in the release" in result.stderr


# ----- index: failures leave nothing behind


def _copy_with_line(tmp_path: Path, file: str, line: int, old: str, new: str) -> Path:
    """A copy of the sample Snapshot whose `file` has `old` replaced by `new` on line `line` (1 = header)."""
    root = tmp_path / "broken"
    shutil.copytree(SNAPSHOT, root)
    path = root / file
    lines = path.read_text(encoding="utf-8").split("\n")
    assert old in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path.write_text("\n".join(lines), encoding="utf-8")
    return root


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def test_index_of_a_release_with_a_bad_check_digit_fails_naming_file_and_line(tmp_path: Path) -> None:
    # Concept line 35 is "1059990001105 ..."; 1059990001106 has a wrong Verhoeff check digit.
    broken = _copy_with_line(tmp_path, CONCEPT_FILE, 35, "1059990001105\t", "1059990001106\t")
    out = tmp_path / "out.idx"
    result = run("index", str(broken), "--out", str(out))
    assert result.exit_code == 2
    assert f"{broken / CONCEPT_FILE}:35" in result.stderr
    assert "1059990001106" in result.stderr and "check digit" in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()
    assert _leftovers(out) == []


def _good_index_at(index: Path, out: Path) -> dict[str, bytes]:
    shutil.copytree(index, out)
    return {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def test_a_failed_load_leaves_the_previous_index_intact(tmp_path: Path, index: Path) -> None:
    out = tmp_path / "out.idx"
    before = _good_index_at(index, out)
    broken = _copy_with_line(tmp_path, CONCEPT_FILE, 35, "1059990001105\t", "1059990001106\t")
    result = run("index", str(broken), "--out", str(out))
    assert result.exit_code == 2 and f"{CONCEPT_FILE.rsplit('/', 1)[1]}:35" in result.stderr
    assert {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert "|Metastatic malignant neoplasm to ilium|" in query(out, "lookup", ILIUM_MET).stdout


def test_a_failed_build_leaves_the_previous_index_intact_and_no_temporary_directory(
    tmp_path: Path, index: Path
) -> None:
    # Relationship line 107 is "404684003 is-a 138875005"; pointing it at 1059990001105 (itself, through
    # lines 19, 16, 12, 9, 6, 3, 108, a descendant of 404684003) makes an is-a cycle: the release loads, the
    # index build fails.
    broken = _copy_with_line(
        tmp_path, RELATIONSHIP_FILE, 107, "\t404684003\t138875005\t", "\t404684003\t1059990001105\t"
    )
    out = tmp_path / "out.idx"
    before = _good_index_at(index, out)
    result = run("index", str(broken), "--out", str(out))
    assert result.exit_code == 2
    assert "cycle" in result.stderr and "Traceback" not in result.output
    assert {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert _leftovers(out) == []
    fresh = tmp_path / "fresh.idx"
    assert run("index", str(broken), "--out", str(fresh)).exit_code == 2
    assert not fresh.exists() and _leftovers(fresh) == []


def test_index_refuses_to_overwrite_a_directory_that_is_not_an_index(tmp_path: Path) -> None:
    out = tmp_path / "notes"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = run("index", str(SNAPSHOT), "--out", str(out))
    assert result.exit_code == 2 and "not a snomap index" in result.stderr
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert _leftovers(out) == []


def test_index_full_as_at_a_date_before_the_release_fails_cleanly(tmp_path: Path) -> None:
    # The earliest effectiveTime in the Full files is 20240901: nothing exists as at 20200101.
    out = tmp_path / "empty.idx"
    result = run("index", str(RELEASE / "Full"), "--full", "--as-at", "20200101", "--out", str(out))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert not out.exists()


# ----- index: Full as at a date, Delta


def test_index_full_as_at_the_first_release(tmp_path: Path) -> None:
    out = tmp_path / "first.idx"
    result = run("index", str(RELEASE / "Full"), "--full", "--as-at", "20240901", "--out", str(out))
    assert result.exit_code == 0, result.output
    # ModuleDependency_Full lines 2 and 4: sourceEffectiveTime 20240901.
    assert "version/20240901" in result.stdout
    # Description_Full line 21 (old term of 104029990001113) and Relationship_Full line 15 (old is-a 1029990001104).
    pelvic = query(out, "lookup", PELVIC_MET).stdout
    assert f"{PELVIC_MET} |Secondary malignant neoplasm of pelvic bones|" in pelvic
    assert "is a: 1029990001104 |Secondary malignant neoplastic disease|" in pelvic
    # Concept_Full line 41: the duplicate was active, is-a 1049990001107 (Relationship_Full line 38).
    duplicate = ok_json(query(out, "lookup", DUPLICATE, "--json"))
    assert isinstance(duplicate, dict)
    assert duplicate["active"] is True
    assert duplicate["parents"] == [{"conceptId": PELVIC_MET, "pt": "Secondary malignant neoplasm of pelvic bones"}]
    # Language_Full line 17: en-GB preferred the "tumor" spelling then.
    assert f"{BONE_MET} |Secondary malignant tumor of bone|" in query(out, "lookup", BONE_MET, "--lang", "en-GB").stdout
    # Concept_Full: 1089990001103 only has a 20250301 row.
    assert query(out, "lookup", "1089990001103").exit_code == 2


def test_index_with_a_delta(tmp_path: Path) -> None:
    out = tmp_path / "delta.idx"
    result = run("index", str(SNAPSHOT), "--delta", str(RELEASE / "Delta"), "--out", str(out))
    assert result.exit_code == 0, result.output
    # ModuleDependency_Delta lines 2-3: sourceEffectiveTime 20250901.
    assert "version/20250901" in result.stdout
    # Concept_Delta line 2, AttributeValue_Delta line 2 (Outdated), Association_Delta line 2.
    femur = query(out, "lookup", "1079990001100").stdout
    assert "INACTIVE" in femur and "inactivation reason: OUTDATED" in femur and "REPLACED BY: 1309990001107" in femur
    # Concept_Delta line 3, Description_Delta line 3, Relationship_Delta line 5.
    shaft = query(out, "lookup", "1309990001107").stdout
    assert "1309990001107 |Metastatic malignant neoplasm to femoral shaft|" in shaft
    assert f"is a: {BONE_MET} |" in shaft
    resolved = query(out, "resolve", "1079990001100")
    assert resolved.stdout == "1309990001107\tMetastatic malignant neoplasm to femoral shaft\t(REPLACED BY)\n"
    children = {r["conceptId"] for r in ok_json(query(out, "children", BONE_MET, "--json"))}
    assert children == {PELVIC_MET, "1089990001103", "1149990001108", "1309990001107"}


# ----- the real SNOMED CT subset (acceptance check of the issue)


@pytest.mark.real_release
def test_real_subset_index_then_lookup(subset_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "subset.idx"
    result = run("index", str(subset_path), "--out", str(out))
    assert result.exit_code == 0, result.output
    lookup = query(out, "lookup", "94381002")
    assert lookup.exit_code == 0, lookup.output
    # Description 156294011 "Metastatic malignant neoplasm to liver" is en-US preferred (its language row 0e6bb002...);
    # Relationship 48021000003028: 94381002 is-a 93870000.
    assert "94381002 |Metastatic malignant neoplasm to liver|" in lookup.stdout
    assert "is a: 93870000 |" in lookup.stdout


# ----- one clean-failure path


@pytest.mark.parametrize(
    "args",
    [
        ("lookup", ILIUM_MET),
        ("map", "metastasis to ilium"),
        ("ecl", "<< 1039990001102"),
        ("subsumes", BONE_MET, ILIUM_MET),
        ("serve",),
    ],
)
def test_a_bad_index_is_one_line_and_exit_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    """Every command, `map` and `serve` included, answers a directory that is not an index with one line."""
    result = run(*args, "--index", str(tmp_path))
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ") and str(tmp_path) in result.stderr
    assert "Traceback" not in result.output


def test_python_m_service_runs_the_command_line() -> None:
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[2]
    for module in ("service", "service.cli"):
        r = subprocess.run(
            [sys.executable, "-m", module, "--help"], cwd=repo, capture_output=True, text=True, timeout=60
        )
        assert r.returncode == 0, r.stderr
        assert "serve" in r.stdout and "guidelines" in r.stdout and "ecl" in r.stdout


def test_the_command_modules_do_not_import_the_group() -> None:
    """Leaf modules define commands; only service/cli/__init__.py assembles them (no import cycle)."""
    cli = Path(__file__).resolve().parents[2] / "service" / "cli"
    for module in cli.glob("*.py"):
        if module.name not in ("__init__.py", "__main__.py"):
            text = module.read_text()
            assert (
                "from . import" not in text and "import main" not in text and "from service.cli import" not in text
            ), module.name
