"""Opening an index: declared arrays, a misspelt array name, a damaged index."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from terminology import IndexFormatError, Terminology
from terminology.index import IndexStore
from terminology.index import format as fmt


def test_the_build_writes_exactly_the_declared_arrays(sample_index: Path) -> None:
    on_disk = {p.stem for p in (sample_index / fmt.ARRAYS).glob("*.npy")}
    assert on_disk == fmt.ARRAY_NAMES


def test_a_misspelt_array_name_is_a_bug_not_a_damaged_index(sample_index: Path) -> None:
    store = IndexStore(sample_index)
    with pytest.raises(AttributeError):
        store.concept_idd  # noqa: B018 - the attribute access is the test
    with pytest.raises(AttributeError):
        store.array("concept_idd")
    with pytest.raises(AttributeError):
        store.has_array("concept_idd")
    with pytest.raises(AttributeError):
        Terminology(store).array("desc_concepts")
    # getattr with a default works as for any object (AttributeError, not IndexFormatError).
    assert getattr(store, "no_such_array", None) is None
    # A declared name still reads.
    assert store.concept_id.ndim == 1 and store.has_array("concept_id")


def test_a_missing_declared_array_is_a_damaged_index(sample_index: Path, tmp_path: Path) -> None:
    copy = tmp_path / "damaged.idx"
    shutil.copytree(sample_index, copy)
    (copy / fmt.ARRAYS / "rel_dest.npy").unlink()
    # The manifest records every file, so the damage is found when the index is opened, naming the file.
    with pytest.raises(IndexFormatError, match="rel_dest.npy"):
        IndexStore(copy)
