"""`snomap map-file`: every format in and out, one row per input row in order, forked workers, resumable.

Expected concepts from the sample RF2 rows: 1059990001105 |Metastatic malignant neoplasm to ilium|
(description 105039990001111 "Metastasis to ilium"), 1099990001101 |... to liver|, ExtendedMap
f3e49767 (1099990001101 -> C78.7). Guidelines as in test_api_guidelines.py (all published).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result

from service.cli import main
from service.cli import map_file as batch_cli
from terminology.batch import output_columns, read_table, write_table
from terminology.sample import sample_guidelines_dir

ILIUM_MET = "1059990001105"
LIVER_MET = "1099990001101"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ILIUM_GUIDELINES = "pelvic-bone-metastasis-fracture-risk;suspected-bone-metastasis-workup;oligometastatic-local-therapy;malignant-disease-general-principles"

ROWS = pd.DataFrame(
    {
        "patient": [f"p{i}" for i in range(12)],
        "diagnosis": [
            "metastasis to ilium",
            ILIUM_MET,
            "liver mets",
            "C78.7",
            "",
            "1059990001104",
            "metastasis to ilium",
            "C78.7",
            "the weather is nice today",
            "105039990001111",
            ILIUM_MET,
            "liver mets",
        ],
        "system": ["", "", "", ICD10, "", "", "", "", "", "", "http://snomed.info/sct", ""],
    }
)
EXPECTED = [
    ILIUM_MET,
    ILIUM_MET,
    LIVER_MET,
    LIVER_MET,
    None,
    None,
    ILIUM_MET,
    None,
    None,
    ILIUM_MET,
    ILIUM_MET,
    LIVER_MET,
]


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def map_file(index: Path, src: Path, out: Path, *extra: str) -> Result:
    result = run(
        "map-file",
        str(src),
        "--column",
        "diagnosis",
        "--system-column",
        "system",
        "--out",
        str(out),
        "--index",
        str(index),
        "--guidelines",
        str(sample_guidelines_dir()),
        *extra,
    )
    assert result.exit_code == 0, result.output
    return result


def cell(v: object) -> object:
    return None if v is None or v == "" or (isinstance(v, float) and v != v) else v


@pytest.mark.parametrize("ext", ["csv", "tsv", "jsonl", "parquet"])
def test_every_format_in_and_out(sample_index: Path, tmp_path: Path, ext: str) -> None:
    src, out = tmp_path / f"in.{ext}", tmp_path / f"out.{ext}"
    write_table(ROWS, src)
    map_file(sample_index, src, out, "--workers", "2")
    back = read_table(out)
    assert list(back.columns) == [*ROWS.columns, *output_columns()]
    assert back["patient"].tolist() == ROWS["patient"].tolist()  # every row, in order
    assert back["diagnosis"].tolist() == ROWS["diagnosis"].tolist()
    assert [cell(v) for v in back["conceptId"]] == EXPECTED
    assert back["guidelines"].iloc[0] == ILIUM_GUIDELINES
    assert [cell(v) is not None for v in back["error"]] == [False] * 4 + [True, True] + [False] * 6
    assert not out.with_name(out.name + ".partial").exists() and not out.with_name(out.name + ".partial.d").exists()


def test_a_rerun_writes_the_same_bytes(sample_index: Path, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    write_table(ROWS, src)
    map_file(sample_index, src, tmp_path / "a.csv", "--workers", "2")
    map_file(sample_index, src, tmp_path / "b.csv", "--workers", "1")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_resume_maps_only_the_unfinished_chunks(
    sample_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    write_table(ROWS, src)
    map_file(sample_index, src, tmp_path / "reference.csv", "--workers", "1")
    monkeypatch.setattr(batch_cli, "CHUNK", 2)  # 10 distinct (value, system) pairs: 5 chunks
    real = batch_cli._map_chunk
    mapped: list[int] = []

    def interrupted(task):  # type: ignore[no-untyped-def]
        if len(mapped) == 3:
            raise RuntimeError("interrupted")
        mapped.append(task[0])
        return real(task)

    monkeypatch.setattr(batch_cli, "_map_chunk", interrupted)
    with pytest.raises(RuntimeError, match="interrupted"):
        run(
            "map-file",
            str(src),
            "--column",
            "diagnosis",
            "--system-column",
            "system",
            "--out",
            str(out),
            "--index",
            str(sample_index),
            "--guidelines",
            str(sample_guidelines_dir()),
            "--workers",
            "1",
        )
    assert not out.exists()
    assert sorted(p.name for p in (tmp_path / "out.csv.partial.d").glob("chunk-*")) == [
        f"chunk-00000{i}.parquet" for i in range(3)
    ]
    mapped.clear()
    monkeypatch.setattr(batch_cli, "_map_chunk", lambda task: (mapped.append(task[0]), real(task))[1])
    result = map_file(sample_index, src, out, "--workers", "1", "--resume")
    assert mapped == [3, 4]
    assert "3 of 5 chunks" in result.stderr
    assert out.read_bytes() == (tmp_path / "reference.csv").read_bytes()


def test_without_resume_an_old_partial_run_is_discarded(sample_index: Path, tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_table(ROWS, src)
    stale = tmp_path / "out.jsonl.partial.d"
    stale.mkdir()
    (stale / "chunk-000000.parquet").write_text("not a parquet file")
    map_file(sample_index, src, out, "--workers", "1")
    assert [cell(v) for v in read_table(out)["conceptId"]] == EXPECTED


def test_bad_usage(sample_index: Path, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    write_table(ROWS, src)
    result = CliRunner().invoke(
        main, ["map-file", str(src), "--column", "nope", "--out", str(tmp_path / "o.csv"), "--index", str(sample_index)]
    )
    assert result.exit_code == 2 and "nope" in result.output
    odd = tmp_path / "in.xlsx"
    odd.write_text("x")
    result = CliRunner().invoke(
        main,
        [
            "map-file",
            str(odd),
            "--column",
            "diagnosis",
            "--out",
            str(tmp_path / "o.xlsx"),
            "--index",
            str(sample_index),
        ],
    )
    assert result.exit_code == 2 and "--format" in result.output
