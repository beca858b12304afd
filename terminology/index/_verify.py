"""Checking a persisted index before it is served: manifest, file sizes, .npy headers and checksums.

The manifest records, per file, its size and an xxh3-128 checksum (and, for each array, its dtype and
shape, and its .npy header as written, which was checked against the size). Opening an index always
checks the cheap part: every file present, of its recorded size, each array's header byte for byte as
recorded (one stat and one 128-byte read per file, no parsing: about a millisecond for ~90 files); the
checksums cost one read of every byte (about 0.5-0.9 s per GB on the reference machine, measured) and
are checked by `snomap serve` by default and by `snomap index --verify`.

xxh3-128 rather than a cryptographic hash: the checksums detect corruption (a bad disk, a partial copy,
a stray write), not tampering (whoever can rewrite a payload can rewrite the manifest); on 1 GB it took
0.4-0.9 s against 2.5-3.3 s for sha256 and 6-11 s for blake2b, and serve pays it at every start.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import xxhash

from ..errors import IndexFormatError
from . import format as fmt

CHECKSUM = "xxh3_128"
_SQLITE_MAGIC = b"SQLite format 3\x00"
_READ = 1 << 20
# The manifest's release fields every Terminology reads (Terminology.release).
_RELEASE_FIELDS = ("edition_module", "version", "uri", "modules", "dependencies")


def checksum(path: Path) -> str:
    """The xxh3-128 checksum of a file, read in 1 MB blocks."""
    h = xxhash.xxh3_128()
    buf = bytearray(_READ)
    view = memoryview(buf)
    with open(path, "rb") as fh:
        while n := fh.readinto(buf):
            h.update(view[:n])
    return h.hexdigest()


def index_files(dir_: Path) -> list[str]:
    """The files an index consists of, relative to its directory (the arrays, then the SQLite file)."""
    names = sorted(f"{fmt.ARRAYS}/{f.name}" for f in (dir_ / fmt.ARRAYS).glob("*.npy"))
    return [*names, fmt.SQLITE]


def describe_files(dir_: Path) -> dict[str, dict[str, Any]]:
    """The manifest's record of each file of a freshly built index: size, checksum, array dtype and shape."""
    files: dict[str, dict[str, Any]] = {}
    for name in index_files(dir_):
        path = dir_ / name
        entry: dict[str, Any] = {"size": path.stat().st_size, CHECKSUM: checksum(path)}
        if name.endswith(".npy"):
            dtype, shape, offset = _npy_header(path)
            if offset + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize != entry["size"]:
                raise IndexFormatError(f"{path}: array header and size disagree as written")
            entry["dtype"] = dtype.str
            entry["shape"] = list(shape)
            with open(path, "rb") as fh:  # the header as written: opening compares bytes, parsing nothing
                entry["npy_header"] = fh.read(offset).decode("latin-1")
        files[name] = entry
    return files


def read_manifest(dir_: Path) -> dict[str, Any]:
    """The manifest of an index directory, checked for the fields opening it relies on."""
    manifest_path = dir_ / fmt.MANIFEST
    if not manifest_path.is_file():
        raise IndexFormatError(f"{dir_} is not a snomap index (no {fmt.MANIFEST}); build one with `snomap index`")
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError) as exc:
        raise IndexFormatError(f"{manifest_path}: unreadable manifest ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != fmt.FORMAT_NAME:
        got = manifest.get("format") if isinstance(manifest, dict) else None
        raise IndexFormatError(f"{dir_} is not a snomap index (format {got!r})")
    version = manifest.get("format_version")
    if version != fmt.FORMAT_VERSION:
        raise IndexFormatError(
            f"{dir_} has index format version {version}; this snomap reads version {fmt.FORMAT_VERSION}. "
            "Rebuild it with `snomap index`."
        )
    problem = _manifest_problem(manifest)
    if problem:
        raise IndexFormatError(f"{manifest_path}: {problem}; rebuild the index with `snomap index`")
    return manifest


def _manifest_problem(manifest: dict[str, Any]) -> str | None:
    release = manifest.get("release")
    if not isinstance(release, dict):
        return "damaged manifest: no release"
    missing = [f for f in _RELEASE_FIELDS if f not in release]
    if missing:
        return f"damaged manifest: the release has no {', '.join(missing)}"
    files = manifest.get("files")
    if not isinstance(files, dict) or fmt.SQLITE not in files:
        return "damaged manifest: no record of the index files"
    for name, entry in files.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("size"), int):
            return f"damaged manifest: no size recorded for {name}"
        if ".." in Path(name).parts or Path(name).is_absolute():
            return f"damaged manifest: file name {name!r} is outside the index"
    return None


def layout_problems(dir_: Path, manifest: dict[str, Any]) -> list[str]:
    """Cheap checks of every recorded file: present, of its recorded size, array headers as recorded."""
    problems: list[str] = []
    for name, entry in manifest["files"].items():
        path = dir_ / name
        try:
            size = path.stat().st_size
        except OSError:
            problems.append(f"{path}: missing")
            continue
        if size != entry["size"]:
            problems.append(f"{path}: {size:,} bytes, the manifest records {entry['size']:,} (truncated or replaced)")
            continue
        if name.endswith(".npy"):
            problem = _npy_problem(path, entry, size)
        elif name == fmt.SQLITE:
            problem = _sqlite_problem(path)
        else:
            problem = None
        if problem:
            problems.append(f"{path}: {problem}")
    return problems


def checksum_problems(dir_: Path, manifest: dict[str, Any], names: Iterable[str] | None = None) -> list[str]:
    """Files whose contents differ from the checksum recorded at build time (reads every byte)."""
    problems = []
    for name in names if names is not None else manifest["files"]:
        entry = manifest["files"][name]
        path = dir_ / name
        if CHECKSUM not in entry:
            problems.append(f"{path}: no {CHECKSUM} checksum recorded in the manifest")
            continue
        try:
            if checksum(path) != entry[CHECKSUM]:
                problems.append(f"{path}: contents differ from the checksum recorded at build time (corrupted)")
        except OSError as exc:
            problems.append(f"{path}: unreadable ({exc.strerror or exc})")
    return problems


def check_index(dir_: Path, manifest: dict[str, Any], checksums: bool) -> None:
    """Raise one IndexFormatError naming the first damaged file (and how many more there are)."""
    problems = layout_problems(dir_, manifest)
    if checksums and not problems:
        problems = checksum_problems(dir_, manifest)
    if problems:
        more = f" (and {len(problems) - 1} more; `snomap index --verify` lists them)" if len(problems) > 1 else ""
        raise IndexFormatError(f"{problems[0]}{more}; rebuild the index with `snomap index`")


def verify_index(path: str | Path) -> list[str]:
    """Every problem with an index, one line each naming the file (empty when it is sound)."""
    dir_ = Path(path).resolve()
    try:
        manifest = read_manifest(dir_)
    except IndexFormatError as exc:
        return [str(exc)]
    problems = layout_problems(dir_, manifest)
    damaged = {p.split(": ", 1)[0] for p in problems}
    sound = [n for n in manifest["files"] if str(dir_ / n) not in damaged]
    problems += checksum_problems(dir_, manifest, sound)
    recorded = set(manifest["files"])
    problems += [f"{dir_ / n}: not recorded in the manifest" for n in index_files(dir_) if n not in recorded]
    return problems


def _npy_header(path: Path) -> tuple[np.dtype, tuple[int, ...], int]:
    """An .npy file's dtype, shape and data offset, from its header alone."""
    with open(path, "rb") as fh:
        version = np.lib.format.read_magic(fh)
        readers = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
        read = readers.get(version)
        if read is None:
            raise ValueError(f".npy format version {version} (an index is written with 1.0)")
        shape, fortran, dtype = read(fh, max_header_size=10_000)
        if fortran:
            raise ValueError("Fortran-ordered array")
        return dtype, tuple(shape), fh.tell()


def _npy_problem(path: Path, entry: dict[str, Any], size: int) -> str | None:
    """The array's header must be byte for byte the one written at build (which was checked against its size)."""
    header = entry.get("npy_header")
    if not isinstance(header, str):
        return "no array header recorded in the manifest"
    expected = header.encode("latin-1")
    try:
        with open(path, "rb") as fh:
            found = fh.read(len(expected))
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    if found != expected:
        return f"damaged array header (the manifest records {entry.get('dtype')} {entry.get('shape')})"
    return None


def _sqlite_problem(path: Path) -> str | None:
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    return None if head == _SQLITE_MAGIC else "not an SQLite database"
