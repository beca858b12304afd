"""Concept lookup, hierarchy pages and subsumption through the HTTP API, on the fictional sample release.

Every expectation is read by hand from the sample RF2 Snapshot files (never computed with the code
under test). File names below are abbreviated:

- Concept      = Terminology/sct2_Concept_Snapshot_SNOMAP_20250301.txt
- Description  = Terminology/sct2_Description_Snapshot-en_SNOMAP_20250301.txt
- Relationship = Terminology/sct2_Relationship_Snapshot_SNOMAP_20250301.txt (inferred)
- Concrete     = Terminology/sct2_RelationshipConcreteValues_Snapshot_SNOMAP_20250301.txt
- Language     = Refset/Language/der2_cRefset_LanguageSnapshot-en_SNOMAP_20250301.txt
                 (refset 900000000000509007 = en-US, 900000000000508004 = en-GB;
                 acceptability 900000000000548007 = preferred, 900000000000549004 = acceptable)
- Simple / ExtendedMap / SimpleMap / Association / AttributeValue = the Refset/Content and Refset/Map files
"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

ILIUM_MET = "1059990001105"  # Metastatic malignant neoplasm to ilium: the running example
SACRUM_MET = "1069990001108"
PELVIC_MET = "1049990001107"
BONE_MET = "1039990001102"  # PT differs by dialect (tumor / tumour)
SECONDARY = "1029990001104"
MALIGNANT = "1019990001106"
NEOPLASTIC = "1009990001109"
LIVER_MET = "1099990001101"
LUNG_MET = "1109990001105"
PATH_FRACTURE = "1149990001108"  # two parents, two role groups
FRACTURE = "1129990001100"
BENIGN_BONE = "1179990001101"  # PT differs by dialect (tumor / tumour)
DUPLICATE = "1119990001107"  # inactive, DUPLICATE, REPLACED BY the running example
AMBIGUOUS = "1229990001105"  # inactive, AMBIGUOUS, POSSIBLY EQUIVALENT TO ilium and sacrum
DISEASE = "64572001"
ROOT = "138875005"
# Only in the Delta package (sct2_Concept_Delta_...20250901), so a valid concept SCTID that the
# Snapshot index does not hold: make_sample.py asserts every id it writes is a valid SCTID.
DELTA_ONLY = "1309990001107"
EN_GB_REFSET = "900000000000508004"

# Preferred terms (identical in en-US and en-GB unless noted), from Language rows with acceptability
# 900000000000548007 on the synonym (typeId 900000000000013009) of each concept in Description.
PT = {
    DISEASE: "Disease",  # 602029990001119
    ROOT: "Concept hierarchy root",  # 600029990001115
    "404684003": "Clinical finding",  # 601029990001110
    NEOPLASTIC: "Neoplastic disease",  # 100029990001116
    MALIGNANT: "Malignant neoplastic disease",  # 101029990001111
    SECONDARY: "Secondary malignant neoplastic disease",  # 102029990001115
    BONE_MET: "Secondary malignant tumor of bone",  # en-US: 103029990001110 preferred in ...509007
    PELVIC_MET: "Secondary malignant neoplasm of pelvic bone",  # 104029990001113
    ILIUM_MET: "Metastatic malignant neoplasm to ilium",  # 105029990001114
    SACRUM_MET: "Metastatic malignant neoplasm to sacrum",  # 106029990001119
    "1079990001100": "Metastatic malignant neoplasm to femur",  # 107029990001117
    "1089990001103": "Metastatic malignant neoplasm to vertebra",  # 108029990001118
    LIVER_MET: "Metastatic malignant neoplasm to liver",  # 109029990001112
    LUNG_MET: "Metastatic malignant neoplasm to lung",  # 110029990001119
    FRACTURE: "Fracture of bone",  # 112029990001118
    PATH_FRACTURE: "Pathological fracture due to metastatic bone disease",  # 114029990001111
    "1159990001106": "Primary malignant neoplasm of lung",  # 115029990001112
    "1169990001109": "Primary malignant neoplasm of bone",  # 116029990001117
    "1189990001104": "Pneumonia",  # 118029990001116
    "1209990001100": "Diabetes mellitus",  # 120029990001114
}
BONE_MET_GB = "Secondary malignant tumour of bone"  # en-GB: 103039990001112 preferred in ...508004


def ref(sctid: str, pt: str | None = None) -> dict[str, Any]:
    return {"conceptId": sctid, "pt": pt if pt is not None else PT[sctid]}


def assert_problem(resp: Any, status: int, field: str | None = None) -> dict[str, Any]:
    """An RFC 9457 problem: the media type, the four members, and the offending field."""
    assert resp.status_code == status, resp.data
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json(force=True)
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    if field is not None:
        assert body.get("field") == field, body
    return body


def get_ok(client: FlaskClient, url: str) -> Any:
    resp = client.get(url)
    assert resp.status_code == 200, resp.data
    assert resp.mimetype == "application/json"
    return resp.get_json()


# --------------------------------------------------------------------------- the running example


def test_running_example_identity(client: FlaskClient) -> None:
    body = get_ok(client, f"/api/v1/concepts/{ILIUM_MET}")
    # Concept row: 1059990001105  20240901  1  19990001103  900000000000073002 (fully defined)
    assert body["conceptId"] == ILIUM_MET
    assert body["active"] is True
    assert body["moduleId"] == "19990001103"
    assert body["definitionStatus"] == "fully-defined"
    assert body["effectiveTime"] == "20240901"
    # Description 105019990001119 (typeId ...003001 FSN), preferred in both language refsets.
    assert body["fsn"] == "Metastatic malignant neoplasm to ilium (disorder)"
    # Description 105029990001114, preferred in en-US (...509007) and en-GB (...508004).
    assert body["pt"] == "Metastatic malignant neoplasm to ilium"
    # Active and not inactive: no history fields.
    assert "inactivationReason" not in body
    assert "associations" not in body


def test_running_example_synonyms_with_acceptability(client: FlaskClient) -> None:
    body = get_ok(client, f"/api/v1/concepts/{ILIUM_MET}")
    # Active synonyms (typeId 900000000000013009) of 1059990001105 in Description, with the en-US
    # Language rows (refset 900000000000509007): 105029990001114 preferred (...548007); 105039990001111,
    # 105049990001118 and 105059990001115 acceptable (...549004). The FSN (105019990001119) and the text
    # definition (105509990001111, in the TextDefinition file) are not synonyms.
    expected = {
        ("105029990001114", "Metastatic malignant neoplasm to ilium", "preferred"),
        ("105039990001111", "Metastasis to ilium", "acceptable"),
        ("105049990001118", "Secondary malignant neoplasm of ilium", "acceptable"),
        ("105059990001115", "Ilium metastasis", "acceptable"),
    }
    syns = body["synonyms"]
    assert {(s["descriptionId"], s["term"], s["acceptability"]) for s in syns} == expected
    assert len(syns) == 4
    assert all(s["type"] == "synonym" and s["languageCode"] == "en" for s in syns)
    # The preferred synonym comes first.
    assert syns[0]["descriptionId"] == "105029990001114"


def test_running_example_parents_child_count_attributes(client: FlaskClient) -> None:
    body = get_ok(client, f"/api/v1/concepts/{ILIUM_MET}")
    # Relationship 105019990001126: 1059990001105 is-a (116680003) 1049990001107, active.
    assert body["parents"] == [ref(PELVIC_MET)]
    # No active is-a row has destinationId 1059990001105 (1119990001107's row 111019990001126 points
    # at 1049990001107, and is inactive anyway).
    assert body["childCount"] == 0
    # Relationship 105029990001122: group 1, Associated morphology (116676008) = 3029990001100;
    # Relationship 105039990001124: group 1, Finding site (363698007) = 2029990001107.
    # PTs: 624029990001116 "Associated morphology", 623029990001119 "Finding site",
    # 302029990001114 "Neoplasm, metastatic", 202029990001117 "Bone structure of ilium".
    attrs = sorted(body["attributes"], key=lambda a: (a["group"], a["type"]["conceptId"]))
    assert attrs == [
        {
            "group": 1,
            "type": {"conceptId": "116676008", "pt": "Associated morphology"},
            "value": {"conceptId": "3029990001100", "pt": "Neoplasm, metastatic"},
            "concreteValue": None,
        },
        {
            "group": 1,
            "type": {"conceptId": "363698007", "pt": "Finding site"},
            "value": {"conceptId": "2029990001107", "pt": "Bone structure of ilium"},
            "concreteValue": None,
        },
    ]


def test_running_example_refsets_and_maps(client: FlaskClient) -> None:
    body = get_ok(client, f"/api/v1/concepts/{ILIUM_MET}")
    # Active members with referencedComponentId 1059990001105: Simple eb4ab1c7 (4019990001109),
    # ExtendedMap 312e5a03 (4029990001102), SimpleMap 9c692ca4 (4039990001100). Ordered by refset id.
    assert body["refsets"] == [
        {"conceptId": "4019990001109", "pt": "Bone metastasis reporting reference set"},  # 401029990001112
        {"conceptId": "4029990001102", "pt": "snomap sample ICD-10 map"},  # 402029990001116
        {"conceptId": "4039990001100", "pt": "snomap sample oncology registry map"},  # 403029990001111
    ]
    # ExtendedMap 312e5a03: group 1, priority 1, rule TRUE, advice "ALWAYS C79.5", target C79.5.
    # SimpleMap 9c692ca4: target SMR-212 (a simple map has no group/priority/rule/advice columns).
    maps = body["maps"]
    assert len(maps) == 2
    icd, registry = maps
    assert icd == {
        "refsetId": "4029990001102",
        "mapTarget": "C79.5",
        "mapGroup": 1,
        "mapPriority": 1,
        "mapRule": "TRUE",
        "mapAdvice": "ALWAYS C79.5",
    }
    assert registry["refsetId"] == "4039990001100"
    assert registry["mapTarget"] == "SMR-212"


def test_two_parents_two_role_groups_and_two_map_groups(client: FlaskClient) -> None:
    body = get_ok(client, f"/api/v1/concepts/{PATH_FRACTURE}")
    # Concept row 1149990001108: 20250301, primitive (...074008).
    assert body["definitionStatus"] == "primitive"
    assert body["effectiveTime"] == "20250301"
    # Relationship 114019990001128 is-a 1039990001102, 114029990001124 is-a 1129990001100 (sorted by id).
    assert body["parents"] == [ref(BONE_MET), ref(FRACTURE)]
    assert body["childCount"] == 0
    # 114039990001121 g1 morphology 3029990001100; 114049990001127 g1 site 2009990001102;
    # 114059990001129 g2 morphology 3049990001108; 114069990001126 g2 site 2009990001102.
    got = sorted(
        (a["group"], a["type"]["conceptId"], a["value"]["conceptId"], a["value"]["pt"]) for a in body["attributes"]
    )
    assert got == [
        (1, "116676008", "3029990001100", "Neoplasm, metastatic"),
        (1, "363698007", "2009990001102", "Bone structure"),
        (2, "116676008", "3049990001108", "Fracture"),
        (2, "363698007", "2009990001102", "Bone structure"),
    ]
    # Attributes are listed in role group order.
    assert [a["group"] for a in body["attributes"]] == sorted(a["group"] for a in body["attributes"])
    # ExtendedMap 3faafe17 (group 1, M84.5) and c7a46064 (group 2, C79.5).
    icd = [(m["mapGroup"], m["mapTarget"]) for m in body["maps"] if m["refsetId"] == "4029990001102"]
    assert icd == [(1, "M84.5"), (2, "C79.5")]


def test_concrete_values(client: FlaskClient) -> None:
    body = get_ok(client, "/api/v1/concepts/5019990001108")
    # Concrete: 501809990001128 #1 (g0, 4119990001105), 501819990001126 "tablet" (g0, 4129990001103),
    # 501829990001122 #500 (g1, 4109990001108). Plus no non-is-a relationship rows for 5019990001108.
    got = sorted((a["group"], a["type"]["conceptId"], a["type"]["pt"], a["concreteValue"]) for a in body["attributes"])
    assert got == [
        (0, "4119990001105", "Has count of active ingredients", 1),
        (0, "4129990001103", "Has dose form text", "tablet"),
        (1, "4109990001108", "Has presentation strength value", 500),
    ]
    assert all(a["value"] is None for a in body["attributes"])
    # 502829990001126 #0.5 is a decimal.
    body = get_ok(client, "/api/v1/concepts/5029990001101")
    strength = [a["concreteValue"] for a in body["attributes"] if a["type"]["conceptId"] == "4109990001108"]
    assert strength == [0.5]


# --------------------------------------------------------------------------- dialects


@pytest.mark.parametrize(
    ("concept", "us", "gb"),
    [
        # 103029990001110 preferred in en-US, 103039990001112 preferred in en-GB.
        (BONE_MET, "Secondary malignant tumor of bone", "Secondary malignant tumour of bone"),
        # 117029990001115 preferred in en-US, 117039990001118 preferred in en-GB.
        (BENIGN_BONE, "Benign tumor of bone", "Benign tumour of bone"),
    ],
)
def test_preferred_term_by_dialect(client: FlaskClient, concept: str, us: str, gb: str) -> None:
    assert get_ok(client, f"/api/v1/concepts/{concept}")["pt"] == us  # default is en-US
    assert get_ok(client, f"/api/v1/concepts/{concept}?lang=en-US")["pt"] == us
    assert get_ok(client, f"/api/v1/concepts/{concept}?lang=en-GB")["pt"] == gb
    # A language refset id selects the same dialect as its tag.
    assert get_ok(client, f"/api/v1/concepts/{concept}?lang={EN_GB_REFSET}")["pt"] == gb


def test_fsn_is_the_same_in_both_dialects(client: FlaskClient) -> None:
    # 103019990001115 "Secondary malignant neoplasm of bone (disorder)" is preferred in both refsets.
    for lang in ("en-US", "en-GB"):
        assert (
            get_ok(client, f"/api/v1/concepts/{BONE_MET}?lang={lang}")["fsn"]
            == "Secondary malignant neoplasm of bone (disorder)"
        )


def test_synonym_acceptability_follows_dialect(client: FlaskClient) -> None:
    # Language rows for 1039990001102's synonyms:
    #   en-US: 103029990001110 preferred, 103039990001112 / 103049990001119 / 103059990001116 acceptable
    #   en-GB: 103039990001112 preferred, 103029990001110 / 103049990001119 / 103059990001116 acceptable
    us = {s["descriptionId"]: s["acceptability"] for s in get_ok(client, f"/api/v1/concepts/{BONE_MET}")["synonyms"]}
    gb = {
        s["descriptionId"]: s["acceptability"]
        for s in get_ok(client, f"/api/v1/concepts/{BONE_MET}?lang=en-GB")["synonyms"]
    }
    assert us == {
        "103029990001110": "preferred",
        "103039990001112": "acceptable",
        "103049990001119": "acceptable",
        "103059990001116": "acceptable",
    }
    assert gb == {
        "103029990001110": "acceptable",
        "103039990001112": "preferred",
        "103049990001119": "acceptable",
        "103059990001116": "acceptable",
    }


def test_lang_applies_to_referenced_concepts(client: FlaskClient) -> None:
    # Parents of 1149990001108 include 1039990001102, whose en-GB PT is "...tumour of bone".
    body = get_ok(client, f"/api/v1/concepts/{PATH_FRACTURE}?lang=en-GB")
    assert body["parents"] == [ref(BONE_MET, BONE_MET_GB), ref(FRACTURE)]
    page = get_ok(client, f"/api/v1/concepts/{SECONDARY}/children?lang=en-GB")
    assert ref(BONE_MET, BONE_MET_GB) in page["items"]


# --------------------------------------------------------------------------- inactive concepts


def test_inactive_duplicate(client: FlaskClient) -> None:
    body = get_ok(client, f"/api/v1/concepts/{DUPLICATE}")
    # Concept row: 1119990001107  20250301  0  ...  900000000000074008
    assert body["active"] is False
    assert body["effectiveTime"] == "20250301"
    assert body["definitionStatus"] == "primitive"
    # Inactive concepts keep their active descriptions: 111019990001119 FSN, 111029990001114 synonym.
    assert body["fsn"] == "Ilium metastasis (disorder)"
    assert body["pt"] == "Ilium metastasis"
    # AttributeValue 40302e1d: refset 900000000000489007, valueId 900000000000482003 (Duplicate).
    assert body["inactivationReason"] == "DUPLICATE"
    # Association bd696d99: refset 900000000000526001 (REPLACED BY) -> 1059990001105.
    assert body["associations"] == [{"type": "REPLACED BY", "refsetId": "900000000000526001", "target": ref(ILIUM_MET)}]
    # Its relationships (111019990001126, ...) are inactive: no parents, no attributes.
    assert body["parents"] == []
    assert body["attributes"] == []
    # Its Simple (83324494) and ExtendedMap (7040dec3) rows are inactive: no map, not in those refsets.
    assert body["maps"] == []
    refsets = {r["conceptId"] for r in body["refsets"]}
    assert "4019990001109" not in refsets
    assert "4029990001102" not in refsets


def test_inactive_ambiguous_has_two_associations(client: FlaskClient) -> None:
    body = get_ok(client, f"/api/v1/concepts/{AMBIGUOUS}")
    assert body["active"] is False
    # AttributeValue 923a6de1: valueId 900000000000484002 (Ambiguous).
    assert body["inactivationReason"] == "AMBIGUOUS"
    # Association 38f49e62 and 838a7465: refset 900000000000523009 -> 1059990001105 and 1069990001108.
    got = sorted((a["type"], a["refsetId"], a["target"]["conceptId"], a["target"]["pt"]) for a in body["associations"])
    assert got == [
        ("POSSIBLY EQUIVALENT TO", "900000000000523009", ILIUM_MET, PT[ILIUM_MET]),
        ("POSSIBLY EQUIVALENT TO", "900000000000523009", SACRUM_MET, PT[SACRUM_MET]),
    ]


# --------------------------------------------------------------------------- hierarchy pages

# Active inferred is-a rows (Relationship, typeId 116680003), read by hand:
#   1059990001105 -> 1049990001107 (105019990001126)
#   1049990001107 -> 1039990001102 (104029990001121; the older row 104019990001125 to 1029990001104 is inactive)
#   1039990001102 -> 1029990001104 (103019990001127)
#   1029990001104 -> 1019990001106 (102019990001123)
#   1019990001106 -> 1009990001109 (101019990001128)
#   1009990001109 -> 64572001      (100019990001124)
#   64572001 -> 404684003 -> 138875005 (602019990001122, 601019990001127)
ILIUM_ANCESTORS = [DISEASE, ROOT, "404684003", NEOPLASTIC, MALIGNANT, SECONDARY, BONE_MET, PELVIC_MET]  # by SCTID
# Descendants of 1019990001106: children 1029990001104, 1159990001106, 1169990001109; 1029990001104's
# children 1039990001102, 1099990001101, 1109990001105; 1039990001102's children 1049990001107,
# 1079990001100, 1089990001103, 1149990001108; 1049990001107's children 1059990001105, 1069990001108
# (the is-a rows of inactive 1119990001107 and 1229990001105 are inactive).
MALIGNANT_DESCENDANTS = [
    SECONDARY,
    BONE_MET,
    PELVIC_MET,
    ILIUM_MET,
    SACRUM_MET,
    "1079990001100",
    "1089990001103",
    LIVER_MET,
    LUNG_MET,
    PATH_FRACTURE,
    "1159990001106",
    "1169990001109",
]


def page(client: FlaskClient, concept: str, which: str, query: str = "") -> dict[str, Any]:
    return get_ok(client, f"/api/v1/concepts/{concept}/{which}{'?' + query if query else ''}")


def test_parents_page(client: FlaskClient) -> None:
    assert page(client, ILIUM_MET, "parents") == {"total": 1, "limit": 50, "offset": 0, "items": [ref(PELVIC_MET)]}
    assert page(client, PATH_FRACTURE, "parents") == {
        "total": 2,
        "limit": 50,
        "offset": 0,
        "items": [ref(BONE_MET), ref(FRACTURE)],
    }
    # The root has no parents.
    assert page(client, ROOT, "parents")["total"] == 0


def test_children_page(client: FlaskClient) -> None:
    assert page(client, ILIUM_MET, "children") == {"total": 0, "limit": 50, "offset": 0, "items": []}
    # is-a rows with destination 64572001: 1009990001109, 1129990001100, 1189990001104, 1209990001100.
    assert page(client, DISEASE, "children")["items"] == [
        ref(NEOPLASTIC),
        ref(FRACTURE),
        ref("1189990001104"),
        ref("1209990001100"),
    ]
    # is-a rows with destination 1049990001107 that are active: only 1059990001105 and 1069990001108.
    assert page(client, PELVIC_MET, "children")["items"] == [ref(ILIUM_MET), ref(SACRUM_MET)]


def test_ancestors_page(client: FlaskClient) -> None:
    body = page(client, ILIUM_MET, "ancestors")
    assert body["total"] == 8
    assert body["items"] == [ref(c) for c in ILIUM_ANCESTORS]
    # Two parents: the union of both chains, each ancestor once.
    body = page(client, PATH_FRACTURE, "ancestors")
    assert [i["conceptId"] for i in body["items"]] == [
        DISEASE,
        ROOT,
        "404684003",
        NEOPLASTIC,
        MALIGNANT,
        SECONDARY,
        BONE_MET,
        FRACTURE,
    ]


def test_descendants_page(client: FlaskClient) -> None:
    body = page(client, MALIGNANT, "descendants")
    assert body["total"] == 12
    assert body["items"] == [ref(c) for c in MALIGNANT_DESCENDANTS]


@pytest.mark.parametrize(
    ("offset", "limit", "expected"),
    [
        (0, 5, MALIGNANT_DESCENDANTS[0:5]),
        (5, 5, MALIGNANT_DESCENDANTS[5:10]),
        (10, 5, MALIGNANT_DESCENDANTS[10:12]),
        (12, 5, []),
        (500, 5, []),
        (0, 1, MALIGNANT_DESCENDANTS[:1]),
        (11, 1000, MALIGNANT_DESCENDANTS[11:]),
    ],
)
def test_descendants_pagination(client: FlaskClient, offset: int, limit: int, expected: list[str]) -> None:
    body = page(client, MALIGNANT, "descendants", f"limit={limit}&offset={offset}")
    assert body == {"total": 12, "limit": limit, "offset": offset, "items": [ref(c) for c in expected]}


def test_ancestors_pagination_walks_every_item_once(client: FlaskClient) -> None:
    seen: list[str] = []
    for offset in range(0, 8, 3):
        body = page(client, ILIUM_MET, "ancestors", f"limit=3&offset={offset}")
        assert body["total"] == 8
        seen += [i["conceptId"] for i in body["items"]]
    assert seen == ILIUM_ANCESTORS


@pytest.mark.parametrize("which", ["parents", "children", "ancestors", "descendants"])
def test_pages_of_the_root_are_ordered_by_sctid(client: FlaskClient, which: str) -> None:
    # The Concept file has 121 rows, 2 inactive (1119990001107, 1229990001105): 119 active concepts,
    # each reaching the root (make_sample.py asserts it), so the root has 118 descendants.
    # Its children are the 7 top-level concepts listed in test_root_children_by_hand.
    expected_total = {"parents": 0, "children": 7, "ancestors": 0, "descendants": 118}[which]
    items: list[dict[str, Any]] = []
    for offset in range(0, 200, 50):
        body = page(client, ROOT, which, f"limit=50&offset={offset}")
        assert body["total"] == expected_total
        items += body["items"]
    ids = [int(i["conceptId"]) for i in items]
    assert len(ids) == expected_total
    assert ids == sorted(set(ids))
    if which == "descendants":
        # Smallest and largest SCTIDs in the Concept file apart from the root.
        assert items[0] == {"conceptId": "7771000", "pt": "Left"}  # 609029990001111
        assert items[-1] == {"conceptId": "900000000000550004", "pt": "Definition"}  # 640029990001111


def test_root_children_by_hand(client: FlaskClient) -> None:
    # Relationship rows with destinationId 138875005 and typeId 116680003 (all active):
    # 601019990001127 404684003, 603019990001126 123037004, 605019990001125 71388002,
    # 606019990001121 362981000, 610019990001121 410607006, 611019990001125 373873005,
    # 620019990001125 900000000000441003.
    ids = [i["conceptId"] for i in page(client, ROOT, "children")["items"]]
    assert ids == ["71388002", "123037004", "362981000", "373873005", "404684003", "410607006", "900000000000441003"]


# --------------------------------------------------------------------------- paging bounds


@pytest.mark.parametrize("which", ["parents", "children", "ancestors", "descendants"])
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=-1", "limit"),
        ("limit=abc", "limit"),
        ("limit=1.5", "limit"),
        ("limit=", "limit"),
        ("limit=99999999999999999999999999", "limit"),
        ("offset=-1", "offset"),
        ("offset=x", "offset"),
        ("offset=2.0e1", "offset"),
    ],
)
def test_paging_bounds_are_400_naming_the_field(client: FlaskClient, which: str, query: str, field: str) -> None:
    assert_problem(client.get(f"/api/v1/concepts/{ILIUM_MET}/{which}?{query}"), 400, field)


@pytest.mark.parametrize("limit", [1, 1000])
def test_paging_limits_at_the_bounds_are_accepted(client: FlaskClient, limit: int) -> None:
    body = page(client, MALIGNANT, "descendants", f"limit={limit}")
    assert body["limit"] == limit
    assert len(body["items"]) == min(limit, 12)


@pytest.mark.parametrize("which", ["parents", "children", "ancestors", "descendants"])
def test_pages_of_inactive_concept_are_empty(client: FlaskClient, which: str) -> None:
    # All relationship rows of 1119990001107 are inactive, and no active row points at it.
    assert page(client, DUPLICATE, which)["total"] == 0


# --------------------------------------------------------------------------- concept errors


@pytest.mark.parametrize("suffix", ["", "/parents", "/children", "/ancestors", "/descendants"])
@pytest.mark.parametrize(
    ("value", "reason_part"),
    [
        ("abc", "not numeric"),
        # 1059990001105 is valid, so changing only its check digit makes it wrong (Verhoeff catches
        # every single-digit error).
        ("1059990001104", "check digit"),
        # 105019990001119 is the FSN's description id (Description file): valid, partition 11.
        ("105019990001119", "description"),
        # 105019990001126 is an inferred relationship id (Relationship file): partition 12.
        ("105019990001126", "relationship"),
        ("12345", "6 to 18 digits"),
    ],
)
def test_invalid_concept_id_is_400(client: FlaskClient, suffix: str, value: str, reason_part: str) -> None:
    body = assert_problem(client.get(f"/api/v1/concepts/{value}{suffix}"), 400, "conceptId")
    assert reason_part in body["detail"]


@pytest.mark.parametrize("suffix", ["", "/parents", "/children", "/ancestors", "/descendants"])
def test_unknown_concept_is_404(client: FlaskClient, suffix: str) -> None:
    body = assert_problem(client.get(f"/api/v1/concepts/{DELTA_ONLY}{suffix}"), 404)
    assert DELTA_ONLY in body["detail"]


# --------------------------------------------------------------------------- subsumption


@pytest.mark.parametrize(
    ("a", "b", "outcome"),
    [
        (ILIUM_MET, ILIUM_MET, "equivalent"),
        # 1059990001105 -> 1049990001107 -> 1039990001102 (is-a rows 105019990001126, 104029990001121).
        (BONE_MET, ILIUM_MET, "subsumes"),
        (ILIUM_MET, BONE_MET, "subsumed-by"),
        # Siblings under 1049990001107: neither is an ancestor of the other.
        (ILIUM_MET, SACRUM_MET, "not-subsumed"),
        # Liver vs ilium metastasis: both under 1029990001104, in different branches.
        (LIVER_MET, ILIUM_MET, "not-subsumed"),
        # Through the second parent only: 1149990001108 is-a 1129990001100 (114029990001124).
        (FRACTURE, PATH_FRACTURE, "subsumes"),
        (ROOT, ILIUM_MET, "subsumes"),
        # 1049990001107's old is-a to 1029990001104 is inactive, but it is still below it via 1039990001102.
        (SECONDARY, PELVIC_MET, "subsumes"),
        # Inactive concepts are nobody's descendant: 1119990001107's is-a row is inactive.
        (PELVIC_MET, DUPLICATE, "not-subsumed"),
    ],
)
def test_subsumes_outcomes(client: FlaskClient, a: str, b: str, outcome: str) -> None:
    body = get_ok(client, f"/api/v1/subsumes?a={a}&b={b}")
    assert body["outcome"] == outcome
    # sample concept file: 1119990001107 and 1229990001105 are the two rows with active = 0;
    # an inactive a or b adds a warning naming it (issue 15), nothing else does
    inactive = [c for c in (a, b) if c in ("1119990001107", "1229990001105")]
    assert [w.split("(")[1].split(")")[0] for w in body.get("warnings", [])] == inactive


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (f"a={ILIUM_MET}", "b"),
        (f"b={ILIUM_MET}", "a"),
        (f"a={ILIUM_MET}&c={ILIUM_MET}", "b"),
    ],
)
def test_subsumes_missing_parameter(client: FlaskClient, query: str, field: str) -> None:
    assert_problem(client.get(f"/api/v1/subsumes?{query}"), 400, field)


def test_subsumes_missing_both_names_a_field(client: FlaskClient) -> None:
    body = assert_problem(client.get("/api/v1/subsumes"), 400)
    assert body.get("field") in ("a", "b")


@pytest.mark.parametrize("which", ["a", "b"])
@pytest.mark.parametrize(
    ("value", "reason_part"),
    [
        ("abc", "not numeric"),
        ("", "not numeric"),
        ("1059990001104", "wrong check digit"),
        ("105019990001119", "partition identifier 11 is for a description, not a concept"),
        ("105019990001126", "partition identifier 12 is for a relationship, not a concept"),
    ],
)
def test_subsumes_invalid_id_says_which_and_why(client: FlaskClient, which: str, value: str, reason_part: str) -> None:
    other = "b" if which == "a" else "a"
    body = assert_problem(client.get(f"/api/v1/subsumes?{which}={value}&{other}={ILIUM_MET}"), 400, which)
    assert reason_part in body["detail"]


@pytest.mark.parametrize("which", ["a", "b"])
def test_subsumes_unknown_valid_id_is_404(client: FlaskClient, which: str) -> None:
    other = "b" if which == "a" else "a"
    body = assert_problem(client.get(f"/api/v1/subsumes?{which}={DELTA_ONLY}&{other}={ILIUM_MET}"), 404)
    assert DELTA_ONLY in body["detail"]


def test_subsumes_unknown_equal_ids_is_404(client: FlaskClient) -> None:
    assert_problem(client.get(f"/api/v1/subsumes?a={DELTA_ONLY}&b={DELTA_ONLY}"), 404)


def test_responds_checks_the_body_against_its_schema_under_testing(app: Any) -> None:
    """A body that differs from its schema's dump is a test failure, not a silently different API."""
    from service.api.schemas.concepts import SubsumesOut
    from service.context import respond

    with app.test_request_context("/"):
        assert respond(SubsumesOut, {"outcome": "subsumes"}).get_json() == {"outcome": "subsumes"}
        with pytest.raises(AssertionError, match="SubsumesOut"):
            respond(SubsumesOut, {"outcome": "subsumes", "extra": 1})


# ----- forward maps (issue 15.3), expectations read off sample_data's ExtendedMap file by hand


def test_forward_map_of_pathological_fracture_has_two_groups(client: FlaskClient) -> None:
    # 1149990001108: group 1 TRUE -> M84.5, group 2 TRUE -> C79.5 (refset 4029990001102).
    r = client.get("/api/v1/concepts/1149990001108/maps?target=icd-10")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["system"] == "http://hl7.org/fhir/sid/icd-10"
    assert body["targets"] == ["M84.5", "C79.5"]
    assert [(g["group"], g["decided"], g["target"], g["refsetId"]) for g in body["groups"]] == [
        (1, True, "M84.5", "4029990001102"),
        (2, True, "C79.5", "4029990001102"),
    ]


def test_forward_map_with_patient_data_and_errors(client: FlaskClient) -> None:
    ok = client.get("/api/v1/concepts/1059990001105/maps?target=http://hl7.org/fhir/sid/icd-10&age=70&sex=female")
    assert ok.status_code == 200 and ok.get_json()["targets"] == ["C79.5"]
    # No ICD-10-CM map refset in the sample: no groups, not an error.
    assert client.get("/api/v1/concepts/1059990001105/maps?target=icd-10-cm").get_json()["groups"] == []
    assert client.get("/api/v1/concepts/1059990001105/maps?target=loinc").status_code == 422
    bad_age = client.get("/api/v1/concepts/1059990001105/maps?target=icd-10&age=old")
    assert bad_age.status_code == 400 and bad_age.get_json()["field"] == "age"
    assert client.get("/api/v1/concepts/1059990001105/maps?target=icd-10&sex=x").status_code == 400
    assert client.get("/api/v1/concepts/1059990001104/maps?target=icd-10").status_code == 400  # check digit
