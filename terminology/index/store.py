"""Opening a persisted index: memory-mapped arrays, a read-only SQLite file and the manifest."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import numpy as np

from ..errors import IndexFormatError
from . import format as fmt
from ._verify import check_index, read_manifest


class IndexStore:
    """Read-only access to one index directory; cheap to open, safe to share across forks."""

    def __init__(self, path: str | Path, verify: bool = False):
        """Open the index at `path` (a directory, or a symlink to one as `snomap index` leaves it).

        Every file's size and every array header are checked against the manifest (about a
        millisecond); with `verify`, every file's checksum too (one read of the whole index,
        about 0.5-0.9 s per GB). A damaged index raises IndexFormatError naming the file.
        """
        # Resolved once, so every file comes from one build even if `path` is re-pointed later.
        self.path = Path(path).resolve()
        self.manifest: dict = read_manifest(self.path)
        check_index(self.path, self.manifest, checksums=verify)
        self._files: dict[str, dict] = self.manifest["files"]
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
            if f"{fmt.ARRAYS}/{name}.npy" not in self._files:
                raise IndexFormatError(f"{file}: no such array in this index (not recorded in its manifest)")
            try:
                arr = np.load(file, mmap_mode="r", allow_pickle=False)
            except (OSError, ValueError) as exc:
                raise IndexFormatError(f"{file}: damaged or missing index array ({exc})") from None
            # A plain ndarray view of the mapping: numpy.memmap adds Python overhead to every slice.
            arr = np.load(file, allow_pickle=False) if arr.size == 0 else arr.view(np.ndarray)
            self._arrays[name] = arr
        return arr

    def has_array(self, name: str) -> bool:
        """Whether the manifest records the declared array `name` (AttributeError for an undeclared name)."""
        if name not in fmt.ARRAY_NAMES:
            raise AttributeError(f"an index has no array {name!r} (see terminology.index.format.ARRAY_NAMES)")
        return name in self._arrays or f"{fmt.ARRAYS}/{name}.npy" in self._files

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
            file = self.path / fmt.SQLITE
            try:
                conn = sqlite3.connect(f"file:{file}?mode=ro&immutable=1", uri=True, check_same_thread=False)
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # reads the schema now
            except sqlite3.DatabaseError as exc:
                raise IndexFormatError(
                    f"{file}: damaged index database ({exc}); rebuild the index with `snomap index`"
                ) from None
            self._local.db = conn
        return conn

    def has_table(self, table: str) -> bool:
        row = self.db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone()
        return row is not None

    def warm(self) -> None:
        """Map every array now (before forking workers, so they share the mappings)."""
        for name in sorted(self._files):
            if name.startswith(f"{fmt.ARRAYS}/") and name.endswith(".npy"):
                self.array(name[len(fmt.ARRAYS) + 1 : -len(".npy")])
