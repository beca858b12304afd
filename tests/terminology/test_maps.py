"""Maps both ways (issue 15.3), with expectations from the map files read by hand and from SNOMED
International's ICD-10 map technical guide (rules in priority order within a group; the first rule that
holds gives the group's target; IFA age and sex rules; OTHERWISE TRUE)."""

from __future__ import annotations

import pytest

from loaders import load_release, snomed
from loaders import rf2_format as rf2
from loaders.sctid import ComponentKind, make_sctid
from terminology import Terminology, UnanswerableError, build_index
from terminology.maps import Patient, forward_map, map_refsets_for, parse_age, reverse_map, rule_holds, targets_of
from tests.rf2_files import write_rf2

ICD10 = "http://hl7.org/fhir/sid/icd-10"
NS = 9990004
T = "20250101"
ICD10_MAP = 447562003
CORRELATION, CATEGORY = 447561005, 447637006


def cid(item: int) -> int:
    return make_sctid(item, NS, ComponentKind.CONCEPT)


MODULE, DISORDER, CHILD = cid(1), cid(10), cid(11)
HYPERTENSION = 38341003
AGE = "IFA 445518008 | Age at onset of clinical finding (observable entity) | < 15.0 years"
MAP_ROWS = [
    # group, priority, rule, advice, target
    (1, 1, AGE, "IF AGE AT ONSET OF CLINICAL FINDING BEFORE 15.0 YEARS CHOOSE M08.9", "M08.9"),
    (1, 2, "OTHERWISE TRUE", "ALWAYS M06.9", "M06.9"),
    (2, 1, "IFA 248153007 | Male (finding) |", "IF MALE CHOOSE N49.9", "N49.9"),
    (2, 2, "IFA 248152002 | Female (finding) |", "IF FEMALE CHOOSE N94.9", "N94.9"),
    (3, 1, "IFA 38341003 | Hypertensive disorder, systemic arterial (disorder) |", "IF HYPERTENSIVE CHOOSE I10", "I10"),
    (3, 2, "OTHERWISE TRUE", "ALWAYS NO CODE", ""),
]


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Terminology:
    root = tmp_path_factory.mktemp("maps")
    metadata = [
        snomed.ROOT,
        snomed.IS_A,
        snomed.PRIMITIVE,
        snomed.FSN_TYPE,
        snomed.INFERRED,
        snomed.EXISTENTIAL,
        snomed.CASE_INSENSITIVE,
    ]
    concepts = [MODULE, *metadata, ICD10_MAP, CORRELATION, CATEGORY, HYPERTENSION, DISORDER, CHILD]
    write_rf2(root, rf2.CONCEPT, [[c, T, 1, MODULE, snomed.PRIMITIVE] for c in concepts])
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
                f"Concept {k} (disorder)",
                snomed.CASE_INSENSITIVE,
            ]
            for k, c in enumerate(concepts)
        ],
    )
    parents = {c: snomed.ROOT for c in concepts if c not in (snomed.ROOT, CHILD)} | {CHILD: DISORDER}
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
        [
            f"00000000-0000-4000-8000-{k:012d}",
            T,
            1,
            MODULE,
            ICD10_MAP,
            DISORDER,
            g,
            p,
            rule,
            advice,
            target,
            CORRELATION,
            CATEGORY,
        ]
        for k, (g, p, rule, advice, target) in enumerate(MAP_ROWS)
    ]
    # The child maps to M06.9 as its whole meaning: the reverse map of M06.9 finds the disorder only
    # under a rule (partial) and the child as a whole.
    rows.append(
        [
            "00000000-0000-4000-8000-000000000100",
            T,
            1,
            MODULE,
            ICD10_MAP,
            CHILD,
            1,
            1,
            "TRUE",
            "ALWAYS M06.9",
            "M06.9",
            CORRELATION,
            CATEGORY,
        ]
    )
    write_rf2(root, rf2.EXTENDED_MAP, rows)
    out = root / "maps.idx"
    build_index(load_release(root), out)
    return Terminology.open(out)


def test_the_icd10_map_refset_is_chosen_by_its_code_system(release: Terminology) -> None:
    assert map_refsets_for(release, ICD10) == [ICD10_MAP]
    assert map_refsets_for(release, "http://hl7.org/fhir/sid/icd-10-cm") == []
    with pytest.raises(UnanswerableError):
        map_refsets_for(release, "http://loinc.org")


def test_a_boy_of_ten() -> None:
    assert parse_age("10") == pytest.approx(3652.5)


@pytest.mark.parametrize(
    ("patient", "expected"),
    [
        (Patient(age_days=parse_age("10y"), sex="male"), ["M08.9", "N49.9"]),
        (Patient(age_days=parse_age("40"), sex="female"), ["M06.9", "N94.9"]),
        (Patient(age_days=parse_age("15y"), sex="female"), ["M06.9", "N94.9"]),  # "< 15.0 years" is false at 15
        (
            Patient(age_days=parse_age("40"), sex="female", findings=frozenset({HYPERTENSION})),
            ["M06.9", "N94.9", "I10"],
        ),
    ],
)
def test_forward_map_evaluates_each_group_for_the_patient(
    release: Terminology, patient: Patient, expected: list[str]
) -> None:
    assert targets_of(forward_map(release, DISORDER, ICD10, patient)) == expected


def test_an_undecidable_group_returns_its_map_advice(release: Terminology) -> None:
    groups = forward_map(release, DISORDER, ICD10)
    assert [g.group for g in groups] == [1, 2, 3]
    assert [g.decided for g in groups] == [False, False, False]
    assert "BEFORE 15.0 YEARS" in (groups[0].advice or "")
    assert "IF MALE" in (groups[1].advice or "")


def test_rules() -> None:
    assert rule_holds("TRUE", Patient()) is True
    assert rule_holds("OTHERWISE TRUE", Patient()) is True
    assert rule_holds(AGE, Patient(age_days=10.0)) is True
    assert rule_holds(AGE + " AND IFA 248153007 | Male (finding) |", Patient(age_days=10.0, sex="female")) is False
    assert rule_holds("IFA 248153007 | Male (finding) |", Patient(sex="other")) is None


def test_reverse_map_returns_whole_meanings_most_general_first(release: Terminology) -> None:
    r = reverse_map(release, "M06.9", ICD10)
    assert r.concepts == [CHILD]
    assert r.partial == [DISORDER]  # M06.9 is its target only under OTHERWISE TRUE, after an age rule


def test_reverse_map_of_the_sample_c79_5(sample: Terminology) -> None:
    # sample_data/release/Snapshot/Refset/Map (read by hand): six active concepts map group 1 TRUE to C79.5;
    # 1039990001102 |Secondary malignant neoplasm of bone| subsumes the other five (inferred is-a rows);
    # 1149990001108 |Pathological fracture ...| has C79.5 only in map group 2, beside M84.5 in group 1.
    r = reverse_map(sample, "C79.5", ICD10)
    assert r.concepts == [1039990001102]
    assert r.more_specific == [1049990001107, 1059990001105, 1069990001108, 1079990001100, 1089990001103]
    assert r.partial == [1149990001108]
    assert reverse_map(sample, "c795", "icd-10").concepts == [1039990001102]


def test_forward_map_of_the_sample_pathological_fracture(sample: Terminology) -> None:
    groups = forward_map(sample, 1149990001108, ICD10)
    assert targets_of(groups) == ["M84.5", "C79.5"]
