"""Finding RF2 files in a directory or a .zip, in the standard layout or any flat variant."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from .errors import ReleaseError
from .rf2_format import FileName, parse_file_name


@dataclass(frozen=True)
class ReleaseFile:
    """One RF2 file found in a release package (a path on disk or a member of a zip)."""

    source: Path
    member: str  # path inside the zip, or the file path relative to the source directory
    name: FileName

    @property
    def display(self) -> str:
        return f"{self.source}!{self.member}" if self.source.suffix == ".zip" else str(self.source / self.member)

    @contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        if self.source.suffix == ".zip":
            with zipfile.ZipFile(self.source) as zf, zf.open(self.member) as raw:
                # A ZipExtFile is a buffered stream, not a raw one, but it has the readinto() BufferedReader needs.
                yield io.BufferedReader(cast(io.RawIOBase, raw))
        else:
            with open(self.source / self.member, "rb") as fh:
                yield fh


def discover(source: str | Path) -> list[ReleaseFile]:
    """Every RF2 data file below `source`, recognised by its file name, wherever it sits."""
    root = Path(source)
    if not root.exists():
        raise ReleaseError("no such file or directory", str(root))
    found: list[ReleaseFile] = []
    if root.is_file():
        if root.suffix != ".zip" or not zipfile.is_zipfile(root):
            raise ReleaseError("not a directory or a .zip release package", str(root))
        with zipfile.ZipFile(root) as zf:
            for member in sorted(zf.namelist()):
                name = parse_file_name(member.rsplit("/", 1)[-1])
                if name is not None and not member.startswith("__MACOSX"):
                    found.append(ReleaseFile(root, member, name))
    else:
        for path in sorted(root.rglob("*.txt")):
            name = parse_file_name(path.name)
            if name is not None:
                found.append(ReleaseFile(root, str(path.relative_to(root)), name))
    if not found:
        raise ReleaseError(
            "no RF2 files found (expected names such as sct2_Concept_Snapshot_INT_20250101.txt)", str(root)
        )
    return found
