"""An installed snomap (a wheel, not an editable checkout) finds its sample release and guidelines.

The sample ships as package data of `sample_data`. This builds the wheel from a copy of the
source tree, installs it with `--no-deps` into a fresh venv whose dependencies are borrowed from
the test environment (a path entry in a .pth file: only the installed wheel provides snomap's own
packages), and runs the `snomap` console script from an empty working directory.

Expectations come from the sample's files by hand: 1059990001105 is "Metastatic malignant neoplasm
to ilium", fully defined, is-a 1049990001107 |Secondary malignant neoplasm of pelvic bone|
(sct2_Concept / sct2_Description / sct2_Relationship Snapshot); sample_data/guidelines holds seven
guideline files with eight tags between them (spinal-metastases... has two), and the Snapshot is
module 19990001103 version 20250301.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
# What a wheel is built from: the project without tests, benchmarks, environments or build leftovers.
_NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "tests",
    "bench",
    "docs",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    "*.idx",
    ".*_cache",
    ".hypothesis",
    ".snomap",
)
GUIDELINE_FILES = {
    "liver-metastases-management.md",
    "lung-metastases-management.md",
    "malignant-disease-general-principles.md",
    "oligometastatic-local-therapy.md",
    "pelvic-bone-metastasis-fracture-risk.md",
    "spinal-metastases-instability-and-cord-compression.md",
    "suspected-bone-metastasis-workup.md",
}


def _pip(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args], check=True, stdout=subprocess.DEVNULL
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], Path]:
    """(the fresh venv's bin directory, an environment without the checkout, an empty working directory)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    shutil.copytree(REPO, src, ignore=_NOT_SOURCE)
    _pip("wheel", "--no-deps", "-w", str(tmp / "dist"), str(src))
    (wheel,) = (tmp / "dist").glob("snomap-*.whl")

    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # Dependencies only: a plain path line, so the test venv's own .pth files (its editable snomap) are not run.
    Path(site, "_snomap_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _pip("--python", str(python), "install", "--no-deps", "--no-index", str(wheel))

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("SNOMAP_")}
    env.update(XDG_CACHE_HOME=str(tmp / "cache"), SNOMAP_DATA_DIR=str(tmp / "data"))
    work = tmp / "work"
    work.mkdir()
    return bin_dir, env, work


def _run(installed: tuple[Path, dict[str, str], Path], *args: str) -> subprocess.CompletedProcess[str]:
    bin_dir, env, work = installed
    return subprocess.run(
        [str(bin_dir / "snomap"), *args], cwd=work, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_wheel_provides_the_packages_and_the_sample(installed: tuple[Path, dict[str, str], Path]) -> None:
    bin_dir, env, work = installed
    code = "import sample_data, terminology, synth; from terminology.sample import sample_release_dir; print(sample_data.__file__); print(sample_release_dir())"
    out = subprocess.run(
        [str(bin_dir / "python"), "-c", code], cwd=work, env=env, check=True, capture_output=True, text=True
    ).stdout.split()
    venv_root = bin_dir.parent.resolve()
    assert Path(out[0]).resolve().is_relative_to(venv_root)  # the installed copy, not the checkout
    release = Path(out[1])
    assert release.resolve().is_relative_to(venv_root)
    assert (release / "Snapshot" / "Terminology" / "sct2_Concept_Snapshot_SNOMAP_20250301.txt").is_file()


def test_lookup_reads_the_installed_sample(installed: tuple[Path, dict[str, str], Path]) -> None:
    r = _run(installed, "lookup", "1059990001105")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "1059990001105 |Metastatic malignant neoplasm to ilium|"
    assert "  FSN: Metastatic malignant neoplasm to ilium (disorder)" in lines
    assert "  is a: 1049990001107 |Secondary malignant neoplasm of pelvic bone|" in lines
    assert "  group 1: Finding site = Bone structure of ilium" in lines
    # The index of the sample was built on first use, in the user's cache.
    assert list((Path(installed[1]["XDG_CACHE_HOME"]) / "snomap").glob("sample-*.idx"))


def test_guidelines_are_seeded_from_the_installed_sample(
    installed: tuple[Path, dict[str, str], Path], tmp_path: Path
) -> None:
    out = tmp_path / "exported"
    r = _run(installed, "guidelines", "export", str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"exported 7 guideline(s) to {out}"
    assert {p.name for p in out.iterdir()} == GUIDELINE_FILES
    assert "  - concept: 1049990001107\n" in (out / "pelvic-bone-metastasis-fracture-risk.md").read_text()

    check = _run(installed, "guidelines", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert (
        check.stdout.splitlines()[0]
        == "checked 8 tag(s) against http://snomed.info/sct/19990001103/version/20250301: 0 finding(s)"
    )
