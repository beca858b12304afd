"""Opening a persisted index: memory-mapped arrays, a read-only SQLite file and the manifest."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import numpy as np

from ..errors import IndexFormatError
from . import format as fmt


class IndexStore:
    """Read-only access to one index directory; cheap to open, safe to share across forks."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        manifest_path = self.path / fmt.MANIFEST
        if not manifest_path.is_file():
            raise IndexFormatError(f"{self.path} is not a snomap index (no {fmt.MANIFEST}); build one with `snomap index`")
        try:
            self.manifest: dict = json.loads(manifest_path.read_text())
        except (OSError, ValueError) as exc:
            raise IndexFormatError(f"{manifest_path}: unreadable manifest ({exc})") from None
        if self.manifest.get("format") != fmt.FORMAT_NAME:
            raise IndexFormatError(f"{self.path} is not a snomap index (format {self.manifest.get('format')!r})")
        version = self.manifest.get("format_version")
        if version != fmt.FORMAT_VERSION:
            raise IndexFormatError(
                f"{self.path} has index format version {version}; this snomap reads version {fmt.FORMAT_VERSION}. "
                "Rebuild it with `snomap index`."
            )
        self._arrays: dict[str, np.ndarray] = {}
        self._local = threading.local()

    def array(self, name: str) -> np.ndarray:
        """A memory-mapped array of the index (loaded on first use, never unpickled).

        AttributeError for a name the format does not declare (a bug in the caller); IndexFormatError
        for a declared array the index lacks or cannot read (a damaged index).
        """
        arr = self._arrays.get(name)
        if arr is None:
            if name not in fmt.ARRAY_NAMES:
                raise AttributeError(f"an index has no array {name!r} (see terminology.index.format.ARRAY_NAMES)")
            file = self.path / fmt.ARRAYS / f"{name}.npy"
            try:
                arr = np.load(file, mmap_mode="r", allow_pickle=False)
            except (OSError, ValueError) as exc:
                raise IndexFormatError(f"{file}: damaged or missing index array ({exc})") from None
            # A plain ndarray view of the mapping: numpy.memmap adds Python overhead to every slice.
            arr = np.load(file, allow_pickle=False) if arr.size == 0 else arr.view(np.ndarray)
            self._arrays[name] = arr
        return arr

    def has_array(self, name: str) -> bool:
        """True when the index holds the declared array `name` (AttributeError for an undeclared name)."""
        if name not in fmt.ARRAY_NAMES:
            raise AttributeError(f"an index has no array {name!r} (see terminology.index.format.ARRAY_NAMES)")
        return name in self._arrays or (self.path / fmt.ARRAYS / f"{name}.npy").is_file()

    def __getattr__(self, name: str) -> np.ndarray:
        """``store.concept_id`` is ``store.array("concept_id")``; any other name is an AttributeError."""
        if name.startswith("_") or name not in fmt.ARRAY_NAMES:
            raise AttributeError(f"{type(self).__name__!s} has no attribute or index array {name!r}")
        return self.array(name)

    @property
    def db(self) -> sqlite3.Connection:
        """A read-only SQLite connection for this thread (connections are not shared across threads)."""
        conn = getattr(self._local, "db", None)
        if conn is None:
            uri = f"file:{(self.path / fmt.SQLITE).resolve()}?mode=ro&immutable=1"
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self._local.db = conn
        return conn

    def has_table(self, table: str) -> bool:
        row = self.db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone()
        return row is not None

    def warm(self) -> None:
        """Map every array now (before forking workers, so they share the mappings)."""
        for file in sorted((self.path / fmt.ARRAYS).glob("*.npy")):
            self.array(file.stem)
