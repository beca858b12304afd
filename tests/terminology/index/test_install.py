"""Replacing an index is one atomic step: a crash at any step leaves the old index openable at its path.

Issue 16: the replacement used to be two renames (old away, new in), and a crash between them left
no index at `--out`. Each test here fails one step of the switch, by an exception or by killing the
building process outright, and opens what is at `--out` afterwards.
"""

from __future__ import annotations

import errno
import json
import multiprocessing
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from loaders import Release, load_release
from terminology import Terminology, build_index
from terminology.index import _install as install
from terminology.index import build as index_build
from terminology.sample import sample_release_dir


@pytest.fixture(scope="module")
def release() -> Release:
    return load_release(sample_release_dir() / "Snapshot", strict=True)


def _build_id(out: Path) -> str:
    """The build the index at `out` comes from, as its own manifest says (and opening it works)."""
    t = Terminology.open(out)
    assert t.release.uri.startswith("http://snomed.info/sct/")
    return t.manifest["build_id"]


def _builds(out: Path) -> list[str]:
    return sorted(p.name for p in install.versions_dir(out).iterdir())


def _beside(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name not in (out.name, out.name + ".d"))


def test_a_build_is_a_versioned_directory_behind_a_relative_symlink(release: Release, tmp_path: Path) -> None:
    out = tmp_path / "sample.idx"
    manifest = build_index(release, out)
    assert out.is_symlink() and not os.readlink(out).startswith("/")
    assert os.readlink(out) == f"sample.idx.d/{manifest['build_id']}"
    assert _build_id(out) == manifest["build_id"]
    assert _builds(out) == [manifest["build_id"]] and _beside(out) == []


def test_rebuilding_keeps_the_current_and_the_previous_build_only(release: Release, tmp_path: Path) -> None:
    out = tmp_path / "sample.idx"
    first = build_index(release, out)["build_id"]
    second = build_index(release, out)["build_id"]
    assert _build_id(out) == second and _builds(out) == sorted([first, second])
    third = build_index(release, out)["build_id"]
    assert _build_id(out) == third and _builds(out) == sorted([second, third])
    assert _beside(out) == []


def test_an_index_opened_before_a_rebuild_keeps_working(release: Release, tmp_path: Path) -> None:
    out = tmp_path / "sample.idx"
    build_index(release, out)
    before = Terminology.open(out)
    build_index(release, out)
    assert before.store.path.is_dir()  # the previous build is kept for the processes that opened it
    assert before.sql("SELECT count(*) FROM sqlite_master")[0][0] > 0
    assert len(before.array("ancestors")) == before.manifest["counts"]["closure_pairs"]


def _raise(exc: BaseException) -> Callable[..., None]:
    def fail(*args: object, **kwargs: object) -> None:
        raise exc

    return fail


# Each step of publishing a build, and what failing it means: (module attribute to break, step).
STEPS = [
    ("os.rename", "renaming .building-<id> to <id>"),
    ("os.symlink", "making the new symlink"),
    ("os.replace", "switching the symlink at --out"),
    ("shutil.rmtree", "removing builds older than the previous one"),
]


@pytest.mark.parametrize(("target", "step"), STEPS)
def test_a_failure_at_each_step_leaves_an_openable_index_at_out(
    release: Release, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, step: str
) -> None:
    out = tmp_path / "sample.idx"
    build_index(release, out)
    build_index(release, out)  # a previous build too, so the last step has one to remove
    old, builds = _build_id(out), _builds(out)
    module_name, name = target.split(".")
    with monkeypatch.context() as m:
        m.setattr(getattr(install, module_name), name, _raise(OSError(errno.EIO, f"injected failure: {step}")))
        with pytest.raises(OSError, match="injected failure"):
            build_index(release, out)
    now = _build_id(out)
    if target == "shutil.rmtree":
        assert now not in builds  # the switch had happened: the new index is in place
    else:
        assert now == old
    after = build_index(release, out)["build_id"]  # the next build tidies whatever the failure left
    assert _build_id(out) == after
    assert _builds(out) == sorted([now, after]) and _beside(out) == []


def _crash_when(release: Release, out: Path, target: str) -> int:
    """Build in a child process that dies (os._exit, no clean-up) at `target`; return its exit code."""

    def child() -> None:
        module_name, name = target.split(".")
        owner = index_build if module_name == "build" else getattr(install, module_name)
        setattr(owner, name, lambda *a, **k: os._exit(70))
        build_index(release, out)
        os._exit(0)

    process = multiprocessing.get_context("fork").Process(target=child)
    process.start()
    process.join(120)
    return process.exitcode


# Mid-build (the arrays written, the manifest not yet), then each step of the switch.
@pytest.mark.parametrize("target", ["build.describe_files", "os.rename", "os.symlink", "os.replace"])
def test_a_process_killed_at_each_step_leaves_the_old_index_and_the_next_build_tidies_up(
    release: Release, tmp_path: Path, target: str
) -> None:
    out = tmp_path / "sample.idx"
    old = build_index(release, out)["build_id"]
    assert _crash_when(release, out, target) == 70
    assert _build_id(out) == old
    after = build_index(release, out)["build_id"]
    assert _build_id(out) == after and _beside(out) == []
    assert [b for b in _builds(out) if b.startswith(".")] == []
    assert after in _builds(out) and old in _builds(out)


def test_an_old_layout_directory_is_replaced_in_one_step_and_kept_as_the_previous_build(
    release: Release, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    built = build_index(release, source := tmp_path_factory.mktemp("src") / "a.idx")
    out = tmp_path / "sample.idx"
    shutil.copytree(source.resolve(), out)  # a plain directory, as snomap wrote before
    assert not out.is_symlink() and _build_id(out) == built["build_id"]
    new = build_index(release, out)["build_id"]
    assert out.is_symlink() and _build_id(out) == new
    kept = [b for b in _builds(out) if b != new]
    assert len(kept) == 1 and "-before-" in kept[0]
    assert (
        json.loads((install.versions_dir(out) / kept[0] / "manifest.json").read_text())["build_id"] == built["build_id"]
    )
    assert _beside(out) == []


def test_an_old_layout_directory_stays_in_place_when_the_exchange_fails(
    release: Release, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = build_index(release, source := tmp_path_factory.mktemp("src") / "a.idx")
    out = tmp_path / "sample.idx"
    shutil.copytree(source.resolve(), out)
    monkeypatch.setattr(install, "exchange", _raise(OSError(errno.EIO, "injected failure: exchange")))
    with pytest.raises(OSError, match="injected failure"):
        build_index(release, out)
    assert not out.is_symlink() and _build_id(out) == built["build_id"]


def test_without_an_atomic_exchange_an_old_layout_directory_is_still_replaced(
    release: Release, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_index(release, source := tmp_path_factory.mktemp("src") / "a.idx")
    out = tmp_path / "sample.idx"
    shutil.copytree(source.resolve(), out)
    monkeypatch.setattr(install, "exchange", _raise(OSError(errno.ENOSYS, "renameat2 is not available")))
    new = build_index(release, out)["build_id"]
    assert out.is_symlink() and _build_id(out) == new


def test_leftovers_of_the_two_rename_layout_are_removed(release: Release, tmp_path: Path) -> None:
    out = tmp_path / "sample.idx"
    dead = _dead_pid()
    for name in (f".sample.idx.building-{dead}", f".sample.idx.old-{dead}"):
        (tmp_path / name / "arrays").mkdir(parents=True)
    build_index(release, out)
    assert _beside(out) == []


def test_leftovers_of_a_live_build_are_not_touched(release: Release, tmp_path: Path) -> None:
    out = tmp_path / "sample.idx"
    live = tmp_path / f".sample.idx.building-{os.getppid()}"
    live.mkdir()
    build_index(release, out)
    assert _beside(out) == [live.name]


def _dead_pid() -> int:
    process = multiprocessing.get_context("fork").Process(target=lambda: None)
    process.start()
    process.join()
    return process.pid
