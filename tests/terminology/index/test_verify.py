"""A damaged index is refused with one line naming the file: sizes and headers on every open, checksums on request.

Each test damages a copy of the sample index the way the hostile-input probe (issue 16) did, by hand.
"""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from terminology import IndexFormatError, Terminology, verify_index
from terminology.index._verify import checksum


@pytest.fixture
def index(sample_index: Path, tmp_path: Path) -> Path:
    """A private copy of the sample index (a plain directory: the layout before versioned builds)."""
    out = tmp_path / "copy.idx"
    shutil.copytree(sample_index.resolve(), out)
    return out


def _overwrite_payload(file: Path) -> None:
    """Replace every byte after the .npy header by others, keeping the header and the size."""
    arr = np.load(file, mmap_mode="r", allow_pickle=False)
    offset = arr.offset
    data = bytearray(file.read_bytes())
    data[offset:] = bytes((b + 1) % 256 for b in data[offset:])
    file.write_bytes(bytes(data))


def test_manifest_records_every_file_with_its_size_and_checksum(index: Path) -> None:
    manifest = json.loads((index / "manifest.json").read_text())
    on_disk = sorted(str(p.relative_to(index)) for p in index.rglob("*") if p.is_file() and p.name != "manifest.json")
    assert sorted(manifest["files"]) == on_disk
    for name, entry in manifest["files"].items():
        assert entry["size"] == (index / name).stat().st_size
        assert entry["xxh3_128"] == checksum(index / name)
    ids = manifest["files"]["arrays/concept_id.npy"]
    assert ids["dtype"] == "<i8" and ids["shape"] == [manifest["counts"]["concepts"]]


def test_a_sound_index_verifies(index: Path) -> None:
    assert verify_index(index) == []
    assert Terminology.open(index, verify=True).release.uri.startswith("http://snomed.info/sct/")


def test_overwritten_payload_with_its_header_intact_is_refused_by_a_verifying_open(index: Path) -> None:
    target = index / "arrays" / "ancestors.npy"
    _overwrite_payload(target)
    with pytest.raises(IndexFormatError) as caught:
        Terminology.open(index, verify=True)
    message = str(caught.value)
    assert str(target) in message and "checksum" in message and "\n" not in message
    assert verify_index(index) == [f"{target}: contents differ from the checksum recorded at build time (corrupted)"]


def test_overwritten_payload_is_not_seen_by_the_cheap_checks(index: Path) -> None:
    """The trade-off `verify=False` makes: sizes and headers only, so a same-size payload change opens."""
    _overwrite_payload(index / "arrays" / "ancestors.npy")
    t = Terminology.open(index)
    assert t.has_array("ancestors")


def test_a_truncated_array_is_refused_by_every_open(index: Path) -> None:
    target = index / "arrays" / "descendants.npy"
    data = target.read_bytes()
    target.write_bytes(data[: len(data) - 8])
    with pytest.raises(IndexFormatError) as caught:
        Terminology.open(index)
    assert str(target) in str(caught.value) and "truncated" in str(caught.value)


def test_a_damaged_array_header_is_refused_by_every_open(index: Path) -> None:
    target = index / "arrays" / "concept_id.npy"
    data = target.read_bytes()
    n = json.loads((index / "manifest.json").read_text())["counts"]["concepts"]
    old = f"'shape': ({n},)".encode()
    new = f"'shape': ({n - 1},)".encode().ljust(len(old))
    assert old in data[:128]
    target.write_bytes(data.replace(old, new, 1))
    with pytest.raises(IndexFormatError) as caught:
        Terminology.open(index)
    assert str(target) in str(caught.value) and "header" in str(caught.value)


def test_a_missing_array_is_refused_by_every_open(index: Path) -> None:
    target = index / "arrays" / "parents.npy"
    target.unlink()
    with pytest.raises(IndexFormatError, match="parents.npy: missing"):
        Terminology.open(index)


def test_verify_lists_every_problem_one_line_each(index: Path) -> None:
    _overwrite_payload(index / "arrays" / "ancestors.npy")
    (index / "arrays" / "children.npy").write_bytes(b"")
    np.save(index / "arrays" / "planted.npy", np.arange(3))
    problems = verify_index(index)
    assert len(problems) == 3
    assert problems[0].startswith(f"{index / 'arrays' / 'children.npy'}: 0 bytes")
    assert problems[1].startswith(f"{index / 'arrays' / 'ancestors.npy'}: contents differ")
    assert problems[2] == f"{index / 'arrays' / 'planted.npy'}: not recorded in the manifest"


def test_an_array_not_recorded_in_the_manifest_is_never_read(index: Path) -> None:
    # A declared array whose file is present but not recorded in the manifest is not trusted.
    _edit_manifest(index, lambda m: m["files"].pop("arrays/rel_dest.npy"))
    t = Terminology.open(index)
    assert not t.has_array("rel_dest")
    with pytest.raises(IndexFormatError, match="not recorded"):
        t.array("rel_dest")
    # A name the format does not declare is a caller's bug, whatever lies on disk.
    np.save(index / "arrays" / "planted.npy", np.arange(3))
    with pytest.raises(AttributeError):
        t.array("planted")


# ----- the manifest and the SQLite file (issue 16: a raw KeyError or sqlite3.DatabaseError before)


def _edit_manifest(index: Path, edit) -> None:  # type: ignore[no-untyped-def]
    path = index / "manifest.json"
    manifest = json.loads(path.read_text())
    edit(manifest)
    path.write_text(json.dumps(manifest))


def test_a_manifest_without_release_is_refused_naming_it(index: Path) -> None:
    _edit_manifest(index, lambda m: m.pop("release"))
    with pytest.raises(IndexFormatError) as caught:
        Terminology.open(index)
    assert str(caught.value).startswith(f"{index / 'manifest.json'}: damaged manifest: no release")


def test_a_manifest_without_the_release_version_is_refused_naming_it(index: Path) -> None:
    _edit_manifest(index, lambda m: m["release"].pop("version"))
    with pytest.raises(IndexFormatError, match="manifest.json: damaged manifest: the release has no version"):
        Terminology.open(index)


def test_a_manifest_of_the_previous_format_asks_for_a_rebuild(index: Path) -> None:
    _edit_manifest(index, lambda m: m.update(format_version=3))
    with pytest.raises(IndexFormatError, match="format version 3.*Rebuild it with `snomap index`"):
        Terminology.open(index)


def test_a_missing_sqlite_file_is_refused_naming_it(index: Path) -> None:
    (index / "index.sqlite").unlink()
    with pytest.raises(IndexFormatError, match=r"index\.sqlite: missing"):
        Terminology.open(index)


def test_a_truncated_sqlite_file_is_refused_naming_it(index: Path) -> None:
    target = index / "index.sqlite"
    target.write_bytes(target.read_bytes()[:4096])
    with pytest.raises(IndexFormatError) as caught:
        Terminology.open(index)
    assert str(caught.value).startswith(f"{target}: 4,096 bytes, the manifest records")


def test_a_sqlite_file_that_is_not_a_database_is_refused_naming_it(index: Path) -> None:
    target = index / "index.sqlite"
    target.write_bytes(b"\0" * target.stat().st_size)
    with pytest.raises(IndexFormatError, match=r"index\.sqlite: not an SQLite database"):
        Terminology.open(index)


def test_a_sqlite_file_damaged_behind_its_header_fails_as_a_damaged_index_not_a_database_error(index: Path) -> None:
    target = index / "index.sqlite"
    data = bytearray(target.read_bytes())
    data[100:8192] = bytes(8092)  # the page-1 b-tree (the schema) and page 2, keeping the 100-byte file header
    target.write_bytes(bytes(data))
    t = Terminology.open(index)  # same size and header: only a checksum sees it
    with pytest.raises(IndexFormatError, match=r"index\.sqlite: damaged index database"):
        t.sql("SELECT count(*) FROM description_fts")
    with pytest.raises(IndexFormatError, match=r"index\.sqlite: contents differ"):
        Terminology.open(index, verify=True)


def test_an_index_opened_through_a_symlink_keeps_reading_that_build_when_the_link_moves(
    sample_index: Path, tmp_path: Path
) -> None:
    link = tmp_path / "current.idx"
    link.symlink_to(sample_index.resolve())
    t = Terminology.open(link)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "next").symlink_to(elsewhere)
    (tmp_path / "next").replace(link)  # the link now names an empty directory
    assert t.store.path == sample_index.resolve()
    rows: list = []
    reader = threading.Thread(target=lambda: rows.extend(t.sql("SELECT count(*) FROM sqlite_master")))
    reader.start()
    reader.join()
    assert rows[0][0] > 0
