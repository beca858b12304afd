"""The ECL evaluator's per-index state: kept on the Terminology, warmed by ``Terminology.warm()``, released with it.

And the format gate: an index without the engine's persisted arrays is refused with an
error rather than evaluated from arrays computed in memory (a second code path).
"""

from __future__ import annotations

import gc
import shutil
import weakref
from pathlib import Path

import pytest

from terminology import IndexFormatError, Terminology
from terminology.ecl import evaluate
from terminology.ecl.evaluator import evaluator

LIVER_MET = 1099990001101  # sample release: C line for 1099990001101, an active concept


def test_one_evaluator_per_terminology_instance(sample_index: Path) -> None:
    a, b = Terminology.open(sample_index), Terminology.open(sample_index)
    assert evaluator(a) is evaluator(a)
    assert evaluator(a) is not evaluator(b)
    assert evaluator(a).t is a and evaluator(b).t is b


def test_the_evaluator_is_released_with_its_terminology(sample_index: Path) -> None:
    t = Terminology.open(sample_index)
    assert LIVER_MET in evaluate(t, f"<< {LIVER_MET}")
    gone = weakref.ref(evaluator(t))
    del t
    gc.collect()
    assert gone() is None  # no module-level cache holds it (or its Terminology) alive


def test_warm_builds_the_engine_index_before_any_query(sample_index: Path) -> None:
    t = Terminology.open(sample_index)
    t.warm()
    built = vars(evaluator(t).index)
    for table in (
        "active_rows",
        "type_bounds",
        "concrete",
        "definition_rows",
        "row_of_refset_member",
        "ascii_terms",
        "postings",
    ):
        assert table in built, f"{table} was not built by Terminology.warm()"
    assert evaluator(t).index.postings.words  # the word vocabulary is decoded at warm-up


def test_an_index_without_the_engine_arrays_is_refused(sample_index: Path, tmp_path: Path) -> None:
    copy = tmp_path / "no-engine-arrays.idx"
    shutil.copytree(sample_index, copy)
    (copy / "arrays" / "ecl_td_key.npy").unlink()
    # Refused when the index is opened (every file is recorded in the manifest), naming the array;
    # there is no in-memory fallback that would compute it.
    with pytest.raises(IndexFormatError, match="ecl_td_key"):
        evaluate(Terminology.open(copy), "* : 363698007 = *")
