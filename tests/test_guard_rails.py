"""Static guard rails, run by the test suite so CI (`.ci/run`) enforces them.

* `lint-imports`: the import contracts in pyproject.toml (loaders -> terminology -> service layering,
  synth beside terminology; a `_private` module is imported only from inside its own package);
* `ruff check .` and `ruff format --check .`;
* `mypy` on the packages listed in pyproject.toml ([tool.mypy] files: loaders/, synth/ and terminology/; strict, with the per-module relaxations listed there).

Each tool runs from the test environment's bin directory against the repository root, so the
configuration in pyproject.toml is the one the developer runs too.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.lint

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    exe = BIN / tool
    if not exe.exists():
        pytest.fail(f"{tool} is not installed in {BIN}: install the test extras (pip install -e '.[test]')")
    return subprocess.run([str(exe), *args], cwd=REPO, capture_output=True, text=True, timeout=600)


def test_import_contracts_are_kept() -> None:
    r = _run("lint-imports", "--no-cache")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 broken" in r.stdout


def test_ruff_check_is_clean() -> None:
    r = _run("ruff", "check", ".", "--output-format", "concise")
    assert r.returncode == 0, r.stdout + r.stderr


def test_ruff_format_is_applied() -> None:
    r = _run("ruff", "format", "--check", ".")
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_is_clean_on_the_typed_packages() -> None:
    r = _run("mypy")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("Success: no issues found")
