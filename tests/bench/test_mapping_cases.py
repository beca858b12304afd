"""The independent mapping cases (bench/mapping_cases) are well formed and name active concepts.

This guards the data, not the mapper: the RF2 concept files are read with csv and the SCTID check digit
is computed here, so that no snomap code takes part in checking the cases that measure snomap.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CASES = REPO / "bench" / "mapping_cases"
SUBSET = Path(os.environ.get("SNOMAP_SNOMED_SUBSET", REPO.parent / "shared" / "snomed-subset"))
SAMPLE = REPO / "sample_data" / "release" / "Snapshot"
COLUMNS = ["category", "text", "expected", "closest", "situation", "context", "note"]
CATEGORIES = {
    "synonym",
    "perturbed",
    "abbreviation",
    "compositional",
    "negated",
    "family",
    "historical",
    "hypothetical",
    "abstain",
}
CONTEXT_CATEGORIES = {"negated", "family", "historical", "hypothetical"}
FLAGS = {"negated", "hypothetical", "historical", "family", "uncertain"}

# Verhoeff tables (the SCTID check digit, SNOMED CT technical implementation guide 6.6)
_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]
_P = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]


def sctid_ok(s: str) -> bool:
    """6-18 digits, no leading zero, a concept partition (00 or 10), and a valid Verhoeff check digit."""
    if not (s.isdigit() and 6 <= len(s) <= 18 and s[0] != "0" and s[-3:-1] in ("00", "10")):
        return False
    c = 0
    for i, ch in enumerate(reversed(s)):
        c = _D[c][_P[i % 8][int(ch)]]
    return c == 0


def read_cases(path: Path) -> list[dict[str, str]]:
    lines = [
        line for line in path.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")
    ]
    rows = list(csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert rows[0] == COLUMNS, f"{path.name}: header is {rows[0]}"
    for n, r in enumerate(rows[1:], 2):
        assert len(r) == len(COLUMNS), f"{path.name} row {n}: {len(r)} columns: {r}"
    return [dict(zip(COLUMNS, r, strict=True)) for r in rows[1:]]


def active_concepts(snapshot: Path) -> set[str]:
    (concept_file,) = snapshot.glob("Terminology/sct2_Concept_Snapshot_*.txt")
    with concept_file.open(newline="", encoding="utf-8") as fh:
        return {r["id"] for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE) if r["active"] == "1"}


def ids(field: str) -> list[str]:
    return [x for x in field.split("|") if x]


def check_rows(rows: list[dict[str, str]], active: set[str]) -> None:
    for r in rows:
        where = f"{r['category']}: {r['text']!r}"
        assert r["category"] in CATEGORIES, where
        assert r["text"].strip() == r["text"] and r["text"], where
        for col in ("expected", "closest", "situation"):
            for x in ids(r[col]):
                assert sctid_ok(x), f"{where}: {x} is not a concept SCTID"
                assert x in active, f"{where}: {x} is not an active concept of the release"
        flags = set(ids(r["context"]))
        assert flags <= FLAGS, where
        if r["category"] == "abstain":
            assert not r["expected"] and not flags, where
        else:
            assert ids(r["expected"]), where
        if r["category"] in CONTEXT_CATEGORIES:
            assert r["category"] in flags, f"{where}: a {r['category']} row must expect that flag"
        else:
            assert not flags and not r["situation"], where
        if r["closest"]:
            assert r["category"] == "compositional", where


def test_sctid_check_digit() -> None:
    # ids read off the RF2 files by hand, and one altered digit of each
    assert sctid_ok("19943007") and sctid_ok("1059990001105") and sctid_ok("138875005")
    assert not sctid_ok("19943008") and not sctid_ok("1059990001106") and not sctid_ok("0199430")


def test_sample_cases_name_active_concepts() -> None:
    rows = read_cases(CASES / "sample.tsv")
    check_rows(rows, active_concepts(SAMPLE))
    assert len(rows) >= 80


def test_subset_cases_name_active_concepts() -> None:
    if not any(SUBSET.rglob("sct2_Concept_Snapshot_*.txt")):
        pytest.skip(f"the real SNOMED CT subset is not at {SUBSET} (set SNOMAP_SNOMED_SUBSET)")
    (snapshot,) = {p.parent.parent for p in SUBSET.rglob("sct2_Concept_Snapshot_*.txt")}
    check_rows(read_cases(CASES / "subset.tsv"), active_concepts(snapshot))


def test_enough_cases_per_category() -> None:
    subset, sample = read_cases(CASES / "subset.tsv"), read_cases(CASES / "sample.tsv")
    assert len(subset) + len(sample) >= 300
    count = {c: sum(r["category"] == c for r in subset) for c in CATEGORIES}
    minimum = {"synonym": 30, "perturbed": 50, "abbreviation": 30, "compositional": 50, "abstain": 30}
    for c in CATEGORIES:
        assert count[c] >= minimum.get(c, 10), f"subset has {count[c]} {c} cases"
    assert len({(r["category"], r["text"].casefold()) for r in subset}) == len(subset), "duplicate subset case"
    assert len({(r["category"], r["text"].casefold()) for r in sample}) == len(sample), "duplicate sample case"
