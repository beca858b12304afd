"""map_dask on a real distributed cluster (2 worker processes): the same rows as map_frame, the index opened once per worker."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pandas as pd
import pytest

from terminology import Terminology
from terminology.batch import map_dask, map_frame, open_guidelines
from terminology.sample import sample_guidelines_dir

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("dask.distributed")

pytestmark = pytest.mark.slow

ICD10 = "http://hl7.org/fhir/sid/icd-10"
SAMPLE_ROWS = [
    "metastasis to ilium",
    "1059990001105",
    "liver mets",
    "C78.7",
    None,
    "1059990001104",
    "1119990001107",
    "the weather is nice today",
    "105039990001111",
    "1059990001105 |Metastatic malignant neoplasm to ilium|",
]
SAMPLE_SYSTEMS = [None, None, None, ICD10, None, None, None, None, None, None]
SUBSET_ROWS = [
    "liver metastasis",
    "hepatic mets",
    "cva",
    "stroke",
    "liver cancer",
    "thank you doctor",
    "94381002",
    "not a code 123",
]


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def _opened_indexes(path: str) -> list[tuple[int, int]]:
    """(pid, id of the Terminology) of each index entry this worker process holds for `path`."""
    from terminology import batch

    return [(int(k[-1]), id(v[1])) for k, v in batch._OPEN.items() if k[0] == "index" and k[1] == path]


def _compare(client, t: Terminology, index: Path, df: pd.DataFrame, system: str | None, guidelines: str | None) -> None:  # type: ignore[no-untyped-def]
    repo = open_guidelines(guidelines) if guidelines else None
    expected = map_frame(df, "x", system, terminology=t, guidelines=repo)
    ddf = dd.from_pandas(df, npartitions=4)
    got = map_dask(ddf, "x", system, index_path=index, guidelines=guidelines).compute()
    assert got.index.tolist() == expected.index.tolist()
    text = lambda d: d.astype(object).where(d.notna(), None)  # noqa: E731
    pd.testing.assert_frame_equal(text(got), text(expected), check_dtype=False)


def test_sample_on_two_workers_is_map_frame_row_for_row(client, sample: Terminology, sample_index: Path) -> None:  # type: ignore[no-untyped-def]
    df = pd.DataFrame({"row": range(40), "x": SAMPLE_ROWS * 4, "s": SAMPLE_SYSTEMS * 4})
    _compare(client, sample, sample_index, df, "s", str(sample_guidelines_dir()))
    # Both workers ran tasks, and each opened the index once in its own process; a second run reuses it.
    first = client.run(_opened_indexes, str(sample_index))
    assert len(first) == 2
    for addr, entries in first.items():
        assert len(entries) == 1, (addr, entries)
        assert entries[0][0] == client.run(os.getpid)[addr]
    _compare(client, sample, sample_index, df, "s", str(sample_guidelines_dir()))
    assert client.run(_opened_indexes, str(sample_index)) == first


def test_the_terminology_is_never_pickled_into_tasks(sample: Terminology, sample_index: Path) -> None:
    ddf = map_dask(dd.from_pandas(pd.DataFrame({"x": SAMPLE_ROWS}), npartitions=2), "x", index_path=sample_index)
    graph = dict(ddf.__dask_graph__())
    blob = pickle.dumps(graph)
    assert len(blob) < 200_000  # the rows and a path, not an index
    assert b"Terminology" not in blob and b"IndexStore" not in blob


@pytest.mark.real_release
def test_subset_on_two_workers_is_map_frame_row_for_row(client, subset: Terminology, subset_index: Path) -> None:  # type: ignore[no-untyped-def]
    df = pd.DataFrame({"x": SUBSET_ROWS * 3})
    _compare(client, subset, subset_index, df, None, None)
