"""The built-in sample release and the index of it that commands use when given none."""

from __future__ import annotations

import hashlib
import os
from importlib import resources
from pathlib import Path

from loaders import load_release

from .index import build_index
from .index.format import FORMAT_VERSION

SAMPLE_PACKAGE = "sample_data"


def sample_data_dir() -> Path:
    """Where the sample data lives: the installed `sample_data` package (SNOMAP_SAMPLE_DATA overrides it).

    It ships as package data, so `snomap serve` finds the sample after a plain `pip install`, not
    only in a checkout. The index build reads real files, so a zipped install is refused here.
    """
    env = os.environ.get("SNOMAP_SAMPLE_DATA")
    if env:
        return Path(env)
    root = resources.files(SAMPLE_PACKAGE)
    if not isinstance(root, Path):
        raise RuntimeError(f"the {SAMPLE_PACKAGE} package is not installed as files ({root!r}); set SNOMAP_SAMPLE_DATA")
    return root


def sample_release_dir() -> Path:
    return sample_data_dir() / "release"


def sample_guidelines_dir() -> Path:
    return sample_data_dir() / "guidelines"


def _fingerprint(root: Path) -> str:
    h = hashlib.sha256(str(FORMAT_VERSION).encode())
    for f in sorted((root / "Snapshot").rglob("*.txt")):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def default_index_path(progress: bool = False) -> Path:
    """An index of the sample release Snapshot, built on first use and rebuilt when the sample changes."""
    env = os.environ.get("SNOMAP_INDEX")
    if env:
        return Path(env)
    release = sample_release_dir()
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "snomap"
    path = cache / f"sample-{_fingerprint(release)}.idx"
    if not (path / "manifest.json").exists():
        cache.mkdir(parents=True, exist_ok=True)
        build_index(load_release(release / "Snapshot", strict=True), path, progress=progress)
    return path
