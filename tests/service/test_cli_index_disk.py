"""The index on disk from the command line: `snomap index --verify`, and one-line refusals of damaged indexes.

Issue 16: an overwritten .npy payload (header intact) was served with wrong answers and 200; a manifest
without `release` or a missing index.sqlite gave a traceback.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from service import create_app
from service.cli import main
from terminology import IndexFormatError

# Concept file line 35 of the sample release: 1059990001105 |Metastatic malignant neoplasm to ilium|.
ILIUM_MET = "1059990001105"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def index(sample_index: Path, tmp_path: Path) -> Path:
    out = tmp_path / "copy.idx"
    shutil.copytree(sample_index.resolve(), out)
    return out


def _overwrite_payload(file: Path) -> None:
    offset = np.load(file, mmap_mode="r", allow_pickle=False).offset
    data = bytearray(file.read_bytes())
    data[offset:] = bytes(len(data) - offset)
    file.write_bytes(bytes(data))


def test_verify_a_sound_index(index: Path) -> None:
    result = run("index", "--verify", str(index))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"ok: {index} ")


def test_verify_prints_one_line_per_damaged_file_naming_it(index: Path) -> None:
    _overwrite_payload(index / "arrays" / "ancestors.npy")
    (index / "index.sqlite").unlink()
    result = run("index", "--verify", str(index))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines == [  # the cheap checks first, then the checksums of the files that passed them
        f"{index.resolve() / 'index.sqlite'}: missing",
        f"{index.resolve() / 'arrays' / 'ancestors.npy'}: contents differ from the checksum recorded at build time (corrupted)",
    ]
    assert "Traceback" not in result.output


def test_verify_of_a_directory_that_is_no_index(tmp_path: Path) -> None:
    result = run("index", "--verify", str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr.strip().endswith("is not a snomap index (no manifest.json); build one with `snomap index`")


def test_verify_takes_no_release_and_no_out(index: Path, tmp_path: Path) -> None:
    result = run("index", "--verify", str(index), "--out", str(tmp_path / "x.idx"))
    assert result.exit_code == 2 and "--verify checks an existing index" in result.output
    assert run("index").exit_code == 2


def test_a_query_on_an_index_whose_manifest_has_no_release_fails_in_one_line(index: Path) -> None:
    manifest = json.loads((index / "manifest.json").read_text())
    del manifest["release"]
    (index / "manifest.json").write_text(json.dumps(manifest))
    result = run("lookup", ILIUM_MET, "--index", str(index))
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"error: {index.resolve() / 'manifest.json'}: damaged manifest: no release; rebuild the index with `snomap index`\n"
    )


def test_a_query_on_an_index_without_its_sqlite_file_fails_in_one_line(index: Path) -> None:
    (index / "index.sqlite").unlink()
    result = run("lookup", ILIUM_MET, "--index", str(index))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and f"{index.resolve() / 'index.sqlite'}: missing" in result.stderr


def test_serve_refuses_an_index_with_an_overwritten_payload_in_one_line(index: Path) -> None:
    _overwrite_payload(index / "arrays" / "ancestors.npy")
    result = run("serve", "--index", str(index), "--port", "1")  # refused before binding anything
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "ancestors.npy: contents differ from the checksum recorded at build time" in result.stderr


def test_the_app_verifies_checksums_by_default_and_the_setting_turns_it_off(index: Path) -> None:
    _overwrite_payload(index / "arrays" / "ancestors.npy")
    with pytest.raises(IndexFormatError, match="ancestors.npy: contents differ"):
        create_app({"SNOMAP_INDEX": str(index), "TESTING": True})
    app = create_app({"SNOMAP_INDEX": str(index), "TESTING": True, "SNOMAP_VERIFY_INDEX": "false"})
    assert app.extensions["snomap"].terminology.store.path == index.resolve()


def test_the_app_refuses_a_truncated_array_even_without_checksums(index: Path) -> None:
    target = index / "arrays" / "ancestors.npy"
    target.write_bytes(target.read_bytes()[:-4])
    with pytest.raises(
        IndexFormatError, match="ancestors.npy: .* bytes, the manifest records .* \\(truncated or replaced\\)"
    ):
        create_app({"SNOMAP_INDEX": str(index), "TESTING": True, "SNOMAP_VERIFY_INDEX": "false"})
