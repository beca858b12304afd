"""Putting a built index in place at its path in one atomic step, and tidying what earlier builds left.

Layout: each build is a directory ``OUT.d/<build-id>/`` and ``OUT`` is a relative symlink to the
current one. A build is written to ``OUT.d/.building-<build-id>/``, renamed to ``OUT.d/<build-id>/``
when complete, and published by pointing a fresh symlink at it and renaming that symlink over ``OUT``
(``os.replace``, atomic on POSIX). A crash at any step leaves ``OUT`` naming a complete index, the old
one or the new one, never nothing. The previous build is kept (a running server opened it, see
IndexStore, which resolves the link once) and older ones are removed.

An ``OUT`` that is still a plain directory (the layout before versioned builds) is swapped with the
symlink by ``renameat2(RENAME_EXCHANGE)`` (Linux 3.15+), also one atomic step, and moved into ``OUT.d``
as the previous build. Where that call does not exist this one migration falls back to two renames.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import secrets
import shutil
import time
from pathlib import Path

from ..errors import IndexFormatError
from . import format as fmt

_BUILDING = ".building-"
# Leftovers of a build, named with the pid of the process that made them: ours under OUT.d, and the
# temporary directories of the layout before versioned builds beside OUT.
_PID = re.compile(r"-(\d+)(?:-[0-9a-f]+)?$")


def versions_dir(out: Path) -> Path:
    """Where the builds of the index at `out` live (``OUT.d``)."""
    return out.with_name(out.name + ".d")


def check_target(out: Path) -> None:
    """Refuse to replace something at `out` that is not a snomap index (before spending a build on it)."""
    if out.is_symlink() or not out.exists():
        return
    if not (out / fmt.MANIFEST).is_file():
        raise IndexFormatError(f"{out} exists and is not a snomap index; not overwriting it")


def start_build(out: Path) -> Path:
    """A fresh, empty ``OUT.d/.building-<build-id>/`` to build into (leftovers of dead builds removed first)."""
    check_target(out)
    versions = versions_dir(out)
    versions.mkdir(parents=True, exist_ok=True)
    remove_leftovers(out)
    build_id = f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{os.getpid()}-{secrets.token_hex(3)}"
    building = versions / f"{_BUILDING}{build_id}"
    building.mkdir()
    return building


def abandon_build(building: Path) -> None:
    """Remove a build that failed (and ``OUT.d`` if it is left empty)."""
    shutil.rmtree(building, ignore_errors=True)
    with contextlib.suppress(OSError):
        building.parent.rmdir()


def build_id(building: Path) -> str:
    return building.name.removeprefix(_BUILDING)


def publish(building: Path, out: Path) -> Path:
    """Make the complete build in `building` the index at `out` in one atomic step; return its directory."""
    check_target(out)
    previous = out.resolve() if out.is_symlink() else None
    final = building.with_name(build_id(building))
    os.rename(building, final)  # a crash after this leaves an unused build, removed by the next one
    link = out.with_name(f".{out.name}.link-{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        link.unlink()
    os.symlink(os.path.relpath(final, out.parent), link)
    try:
        if out.is_dir() and not out.is_symlink():
            previous = _swap_in_for_directory(link, out)
        else:
            os.replace(link, out)  # the switch: `out` names the old build until here, the new one after
    except BaseException:
        with contextlib.suppress(OSError):
            link.unlink()
        raise
    keep = {final.name} | ({previous.name} if previous is not None and previous.parent == final.parent else set())
    _remove_old_builds(out, keep)
    remove_leftovers(out)
    return final


def _swap_in_for_directory(link: Path, out: Path) -> Path:
    """Replace the plain directory `out` by the symlink `link`; the directory becomes a kept old build."""
    legacy = versions_dir(out) / f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-before-{os.getpid()}"
    try:
        exchange(link, out)
    except OSError as exc:
        if exc.errno not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
            raise
        os.rename(out, legacy)  # no atomic exchange here: the one non-atomic migration
        os.replace(link, out)
        return legacy
    os.rename(link, legacy)  # `link` now names the old directory
    return legacy


def exchange(a: Path, b: Path) -> None:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); OSError(ENOSYS) where unsupported."""
    func = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if func is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available")
    at_fdcwd, rename_exchange = -100, 2
    if func(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), str(a), None, str(b))


def _remove_old_builds(out: Path, keep: set[str]) -> None:
    versions = versions_dir(out)
    for entry in versions.iterdir():
        if entry.name.startswith(".") or entry.name in keep or not entry.is_dir() or entry.is_symlink():
            continue
        shutil.rmtree(entry, ignore_errors=True)


def remove_leftovers(out: Path) -> None:
    """Remove what builds that died left behind: ``.building-*`` under OUT.d, ``.OUT.{building,old,link}-*`` beside it."""
    candidates = []
    versions = versions_dir(out)
    if versions.is_dir():
        candidates += [p for p in versions.iterdir() if p.name.startswith(_BUILDING)]
    prefixes = tuple(f".{out.name}.{kind}-" for kind in ("building", "old", "link"))
    if out.parent.is_dir():
        candidates += [p for p in out.parent.iterdir() if p.name.startswith(prefixes)]
    for path in candidates:
        match = _PID.search(path.name)
        if match is None or _alive(int(match.group(1))):
            continue
        if path.is_symlink() or not path.is_dir():
            with contextlib.suppress(OSError):
                path.unlink()
        else:
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # our own leftovers are from an earlier call that failed
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
