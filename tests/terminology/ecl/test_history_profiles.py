"""ECL history supplements (issue 15.1) and refset membership with unknown targets (issue 15.2).

Expectations come from the specifications, not from snomap:
* ECL 2.2, 6.11 "History Supplements", and SNOMED International's reference server
  (Snowstorm ``ECLContentService``): HISTORY-MIN = |SAME AS|; HISTORY-MOD = SAME AS, REPLACED BY,
  WAS A, PARTIALLY EQUIVALENT TO; HISTORY-MAX and bare ``+HISTORY`` = every refset that is a
  descendant of 900000000000522004 |Historical association reference set|. Only active
  association rows count.
* RF2: a reference set member is a member because of its *referenced* component; a target that is
  not in the release is still data (the 2025 subset has such rows in 734139008).
The release below is built by hand: one active target concept and one inactive concept per
association type, each joined to the target by one association row.
"""

from __future__ import annotations

import pytest

from loaders import load_release, snomed
from loaders import rf2_format as rf2
from loaders.sctid import ComponentKind, make_sctid
from terminology import Terminology, build_index
from terminology.ecl import evaluate
from tests.rf2_files import write_rf2

NS = 9990003
T = "20250101"
HISTORICAL = 900000000000522004  # |Historical association reference set|
ASSOCIATION_TYPE = 900000000000521006  # |Association type reference set|
SAME_AS, REPLACED_BY, WAS_A = 900000000000527005, 900000000000526001, 900000000000528000
PARTIALLY_EQUIVALENT_TO, POSSIBLY_EQUIVALENT_TO = 1186924009, 900000000000523009
POSSIBLY_REPLACED_BY, MOVED_TO, ALTERNATIVE = 1186921001, 900000000000524003, 900000000000530003
ANATOMY_ASSOCIATION = 734139008  # an association refset that is not historical
HISTORY_REFSETS = [
    SAME_AS,
    REPLACED_BY,
    WAS_A,
    PARTIALLY_EQUIVALENT_TO,
    POSSIBLY_EQUIVALENT_TO,
    POSSIBLY_REPLACED_BY,
    MOVED_TO,
    ALTERNATIVE,
]


def cid(item: int) -> int:
    return make_sctid(item, NS, ComponentKind.CONCEPT)


MODULE = cid(1)
TARGET = cid(10)
RETIRED = {refset: cid(20 + k) for k, refset in enumerate(HISTORY_REFSETS)}  # inactive, one per association type
RETIRED_INACTIVE_ROW = cid(40)  # has only an inactive SAME AS row: never brought back
PART = cid(50)  # member of the anatomy association refset, whose target is not in the release
PART_OF_TARGET = cid(51)  # member of the anatomy association refset whose target is TARGET: never history
MISSING_TARGET = cid(99)  # never written to the concept file


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Terminology:
    root = tmp_path_factory.mktemp("history")
    metadata = [
        snomed.ROOT,
        snomed.IS_A,
        snomed.PRIMITIVE,
        snomed.FSN_TYPE,
        snomed.INFERRED,
        snomed.EXISTENTIAL,
        snomed.CASE_INSENSITIVE,
    ]
    refset_tree = {ASSOCIATION_TYPE: snomed.ROOT, HISTORICAL: ASSOCIATION_TYPE, ANATOMY_ASSOCIATION: ASSOCIATION_TYPE}
    refset_tree |= dict.fromkeys(HISTORY_REFSETS, HISTORICAL)
    active = [MODULE, *metadata, *refset_tree, TARGET, PART, PART_OF_TARGET]
    inactive = [*RETIRED.values(), RETIRED_INACTIVE_ROW]
    write_rf2(
        root,
        rf2.CONCEPT,
        [[c, T, 1, MODULE, snomed.PRIMITIVE] for c in active] + [[c, T, 0, MODULE, snomed.PRIMITIVE] for c in inactive],
    )
    terms = {c: f"Concept {c} (qualifier value)" for c in active + inactive}
    write_rf2(
        root,
        rf2.DESCRIPTION,
        [
            [
                make_sctid(k + 1, NS, ComponentKind.DESCRIPTION),
                T,
                1,
                MODULE,
                c,
                "en",
                snomed.FSN_TYPE,
                term,
                snomed.CASE_INSENSITIVE,
            ]
            for k, (c, term) in enumerate(terms.items())
        ],
    )
    parents = {TARGET: snomed.ROOT, PART: snomed.ROOT, PART_OF_TARGET: snomed.ROOT} | refset_tree
    parents |= {c: snomed.ROOT for c in [MODULE, *metadata] if c != snomed.ROOT}
    write_rf2(
        root,
        rf2.RELATIONSHIP,
        [
            [
                make_sctid(k + 1, NS, ComponentKind.RELATIONSHIP),
                T,
                1,
                MODULE,
                c,
                p,
                0,
                snomed.IS_A,
                snomed.INFERRED,
                snomed.EXISTENTIAL,
            ]
            for k, (c, p) in enumerate(parents.items())
        ],
    )
    rows = [
        [f"00000000-0000-4000-8000-{k:012d}", T, 1, MODULE, refset, RETIRED[refset], TARGET]
        for k, refset in enumerate(HISTORY_REFSETS)
    ]
    rows.append(["00000000-0000-4000-8000-000000000100", T, 0, MODULE, SAME_AS, RETIRED_INACTIVE_ROW, TARGET])
    rows.append(["00000000-0000-4000-8000-000000000101", T, 1, MODULE, ANATOMY_ASSOCIATION, PART, MISSING_TARGET])
    rows.append(["00000000-0000-4000-8000-000000000102", T, 1, MODULE, ANATOMY_ASSOCIATION, PART_OF_TARGET, TARGET])
    write_rf2(root, rf2.ASSOCIATION, rows)
    out = root / "history.idx"
    build_index(load_release(root), out)
    return Terminology.open(out)


def ids(t: Terminology, ecl: str) -> set[int]:
    return {int(i) for i in evaluate(t, ecl).ids}


def test_history_min_is_same_as_only(release: Terminology) -> None:
    assert ids(release, f"{TARGET} {{{{ +HISTORY-MIN }}}}") == {TARGET, RETIRED[SAME_AS]}


def test_history_mod_is_same_as_replaced_by_was_a_partially_equivalent(release: Terminology) -> None:
    expected = {TARGET} | {RETIRED[r] for r in (SAME_AS, REPLACED_BY, WAS_A, PARTIALLY_EQUIVALENT_TO)}
    assert ids(release, f"{TARGET} {{{{ +HISTORY-MOD }}}}") == expected


@pytest.mark.parametrize("supplement", ["+HISTORY-MAX", "+HISTORY"])
def test_history_max_is_every_historical_association_refset(release: Terminology, supplement: str) -> None:
    # Every descendant of 900000000000522004; not the anatomy association refset, not the inactive row.
    assert ids(release, f"{TARGET} {{{{ {supplement} }}}}") == {TARGET, *RETIRED.values()}


def test_history_subset_names_the_refsets(release: Terminology) -> None:
    assert ids(release, f"{TARGET} {{{{ +HISTORY ({MOVED_TO} OR {ALTERNATIVE}) }}}}") == {
        TARGET,
        RETIRED[MOVED_TO],
        RETIRED[ALTERNATIVE],
    }


def test_a_member_whose_target_is_missing_stays_a_member(release: Terminology) -> None:
    assert ids(release, f"^ {ANATOMY_ASSOCIATION}") == {PART, PART_OF_TARGET}
    assert ANATOMY_ASSOCIATION in release.refset_memberships(PART)


def test_the_load_report_counts_and_names_the_unknown_target(release: Terminology) -> None:
    report = release.manifest["load_report"]
    text = str(report)
    assert str(MISSING_TARGET) in text
    assert "unknown target" in text
    # Nothing was skipped: the member row is kept.
    assert "skipped" not in text or "Association.referencedComponentId" not in text
