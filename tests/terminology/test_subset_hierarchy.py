"""The model on the real SNOMED CT subset, checked against the RF2 files read independently."""

from __future__ import annotations

import csv
from collections import defaultdict, deque
from pathlib import Path

import pytest

from terminology import ConceptNotFoundError, Terminology

pytestmark = pytest.mark.real_release
IS_A = "116680003"


def rows(root: Path, pattern: str) -> list[dict[str, str]]:
    (path,) = list(root.rglob(pattern))
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture(scope="module")
def parents_by_hand(subset_path: Path) -> dict[int, set[int]]:
    out: dict[int, set[int]] = defaultdict(set)
    for r in rows(subset_path, "sct2_Relationship_Snapshot*"):
        if r["active"] == "1" and r["typeId"] == IS_A:
            out[int(r["sourceId"])].add(int(r["destinationId"]))
    return out


def ancestors_by_hand(parents: dict[int, set[int]], c: int) -> set[int]:
    seen: set[int] = set()
    queue = deque([c])
    while queue:
        for p in parents.get(queue.popleft(), ()):
            if p not in seen:
                seen.add(p)
                queue.append(p)
    return seen


def test_liver_metastasis_lookup(subset: Terminology) -> None:
    # From the files: concept 94381002 is active and fully defined (900000000000073002); its
    # active FSN is "Metastatic malignant neoplasm to liver (disorder)"; its single is-a parent is 93870000.
    c = subset.concept(94381002)
    assert c.active and c.definition_status == "fully-defined"
    assert subset.fsn(94381002) == "Metastatic malignant neoplasm to liver (disorder)"
    assert subset.preferred_term(94381002) == "Metastatic malignant neoplasm to liver"
    assert subset.parents(94381002) == [93870000]
    assert subset.preferred_term(93870000) == "Malignant neoplasm of liver"


def test_attributes_of_liver_metastasis(subset: Terminology) -> None:
    # Relationship file, sourceId 94381002, group 1: 116676008 -> 14799000 and 363698007 -> 10200004.
    rels = {(r.group, r.type_id, r.destination_id) for r in subset.relationships(94381002)}
    assert rels == {(1, 116676008, 14799000), (1, 363698007, 10200004)}


def test_parents_and_ancestors_equal_the_relationship_file(
    subset: Terminology, parents_by_hand: dict[int, set[int]]
) -> None:
    for c in subset.active_concept_ids().tolist():
        assert set(subset.parents(c)) == parents_by_hand.get(c, set()), c
    for c in [94381002, 93870000, 404684003, 10200004]:
        assert set(subset.ancestors(c).tolist()) == ancestors_by_hand(parents_by_hand, c)


def test_every_active_concept_reaches_the_root(subset: Terminology, parents_by_hand: dict[int, set[int]]) -> None:
    # Three module concepts of the extract (its own 31000003106, the core 900000000000207008 and the
    # model 900000000000012004 modules) have no inferred is-a row in the file, only OWL axioms, so
    # they are the only active concepts besides the root without a path to the root.
    root = 138875005
    orphans = {c for c in subset.active_concept_ids().tolist() if c != root and not parents_by_hand.get(c)}
    assert orphans == {31000003106, 900000000000207008, 900000000000012004}
    for c in subset.active_concept_ids().tolist():
        assert c == root or c in orphans or subset.subsumes(root, c), c


def test_descendants_are_the_inverse_of_ancestors(subset: Terminology, parents_by_hand: dict[int, set[int]]) -> None:
    expected = {c for c in subset.active_concept_ids().tolist() if 404684003 in ancestors_by_hand(parents_by_hand, c)}
    assert set(subset.descendants(404684003).tolist()) == expected


def test_subsumption_outcomes(subset: Terminology) -> None:
    assert subset.subsumption(93870000, 94381002) == "subsumes"
    assert subset.subsumption(94381002, 93870000) == "subsumed-by"
    assert subset.subsumption(94381002, 94381002) == "equivalent"
    assert subset.subsumption(94381002, 10200004) == "not-subsumed"


def test_isa_paths_shortest_first_end_at_the_ancestor(
    subset: Terminology, parents_by_hand: dict[int, set[int]]
) -> None:
    paths = subset.isa_paths(94381002, 404684003, limit=10)
    assert paths and all(p[0] == 94381002 and p[-1] == 404684003 for p in paths)
    assert [len(p) for p in paths] == sorted(len(p) for p in paths)
    for p in paths:
        for child, parent in zip(p, p[1:], strict=False):
            assert parent in parents_by_hand[child]


def test_inactive_concept_resolves_through_replaced_by(subset: Terminology) -> None:
    # Association file: active REPLACED BY (900000000000526001) row 307530000 -> 74400008.
    assert not subset.is_active(307530000)
    (r,) = subset.resolve(307530000)
    assert r.concept_id == 74400008 and r.how == "REPLACED BY"
    assert subset.preferred_term(74400008) == "Appendicitis"


def test_unknown_concept(subset: Terminology) -> None:
    with pytest.raises(ConceptNotFoundError):
        subset.concept(22298006)  # a valid SCTID (myocardial infarction) not in the subset


def test_release_identity_from_module_dependency(subset: Terminology) -> None:
    # ModuleDependency: 31000003106 depends on the core and model modules; its sourceEffectiveTime is 20250909.
    assert subset.release.edition_module == 31000003106
    assert subset.release.version == "20250909"
