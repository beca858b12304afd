"""Shared fixtures: the sample release index, the real SNOMED CT subset (by path, never copied)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from loaders import load_release
from terminology import Terminology, build_index
from terminology.sample import sample_release_dir

REPO = Path(__file__).resolve().parent.parent
SUBSET = Path(os.environ.get("SNOMAP_SNOMED_SUBSET", REPO.parent / "shared" / "snomed-subset"))
SUBSET_REASON = (
    f"the real SNOMED CT subset is not at {SUBSET} (set SNOMAP_SNOMED_SUBSET; it is licensed content "
    "that is read by path and never copied into this repository)"
)


@pytest.fixture(scope="session", autouse=True)
def _isolated_data_dir(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Keep the authoring store of test apps out of ~/.local/share (and off any configured database)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SNOMAP_DATA_DIR", str(tmp_path_factory.mktemp("snomap-data")))
    mp.delenv("SNOMAP_DATABASE_URL", raising=False)
    yield
    mp.undo()


@pytest.fixture(scope="session")
def subset_path() -> Path:
    if not SUBSET.is_dir() or not any(SUBSET.rglob("sct2_Concept_*")):
        pytest.skip(SUBSET_REASON)
    return SUBSET


@pytest.fixture(scope="session")
def subset_index(subset_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("subset") / "subset.idx"
    build_index(load_release(subset_path), out)
    return out


@pytest.fixture(scope="session")
def subset(subset_index: Path) -> Terminology:
    return Terminology.open(subset_index)


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "sample.idx"
    build_index(load_release(sample_release_dir() / "Snapshot", strict=True), out)
    return out


@pytest.fixture(scope="session")
def sample(sample_index: Path) -> Terminology:
    return Terminology.open(sample_index)
