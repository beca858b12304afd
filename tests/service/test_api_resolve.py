"""POST /api/v1/resolve: batches of codes to active concepts, with how and the guideline count.

Expectations are derived by hand from the sample Snapshot files and the guideline front matter
(see tests/service/test_api_guidelines.py for the tag table and the is-a chains):

Guidelines per active concept (tag on the concept or an ancestor):
  1059990001105 ilium    -> pelvic, workup, oligo, general                      = 4
  1069990001108 sacrum   -> spinal (own tag), pelvic, workup, oligo, general    = 5
  1039990001102 bone     -> workup, oligo, general                              = 3
  1049990001107 pelvic   -> pelvic, workup, oligo, general                      = 4
  1079990001100 femur    -> workup, oligo, general                              = 3
  1089990001103 vertebra -> spinal (own tag), workup, oligo, general            = 4
  1149990001108 path.fx  -> workup, oligo, general (its other parent has none)  = 3
  1099990001101 liver    -> liver (own tag), oligo, general                     = 3
  1219990001103 T2DM     -> none                                                = 0
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

ILIUM_MET = "1059990001105"
SACRUM_MET = "1069990001108"
DUPLICATE = "1119990001107"
AMBIGUOUS = "1229990001105"
DELTA_ONLY = "1309990001107"  # valid concept SCTID, only in the Delta package
ICD10 = "http://hl7.org/fhir/sid/icd-10"

PT = {
    ILIUM_MET: "Metastatic malignant neoplasm to ilium",
    SACRUM_MET: "Metastatic malignant neoplasm to sacrum",
    "1039990001102": "Secondary malignant tumor of bone",  # en-US PT 103029990001110
    "1049990001107": "Secondary malignant neoplasm of pelvic bone",
    "1079990001100": "Metastatic malignant neoplasm to femur",
    "1089990001103": "Metastatic malignant neoplasm to vertebra",
    "1099990001101": "Metastatic malignant neoplasm to liver",
    "1149990001108": "Pathological fracture due to metastatic bone disease",
    "1219990001103": "Type 2 diabetes mellitus",
}


def ref(sctid: str) -> dict[str, Any]:
    return {"conceptId": sctid, "pt": PT[sctid]}


def resolve(client: FlaskClient, codes: list[Any], **extra: Any) -> list[dict[str, Any]]:
    resp = client.post("/api/v1/resolve", json={"codes": codes, **extra})
    assert resp.status_code == 200, resp.data
    assert resp.mimetype == "application/json"
    results = resp.get_json()["results"]
    assert len(results) == len(codes)
    return results


def one(client: FlaskClient, code: Any, **extra: Any) -> dict[str, Any]:
    return resolve(client, [code], **extra)[0]


def assert_problem(resp: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert resp.status_code == status, resp.data
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json(force=True)
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    if field is not None:
        assert body.get("field") == field, body
    return body


def assert_item_error(result: dict[str, Any], status: int) -> dict[str, Any]:
    """A per-item problem: same shape as a response problem, nothing resolved."""
    err = result["error"]
    assert err is not None
    assert {"type", "title", "status", "detail"} <= err.keys()
    assert err["status"] == status
    assert result["concepts"] == []
    assert result["guidelineCount"] == 0
    return err


# --------------------------------------------------------------------------- each kind of input


def test_active_sctid(client: FlaskClient) -> None:
    r = one(client, ILIUM_MET)
    assert r == {
        "input": ILIUM_MET,
        "concepts": [ref(ILIUM_MET)],
        "how": "direct",
        "moreSpecific": [],
        "partial": [],
        "guidelineCount": 4,
        "error": None,
    }


def test_sctid_as_json_number(client: FlaskClient) -> None:
    r = one(client, int(ILIUM_MET))
    assert r["concepts"] == [ref(ILIUM_MET)]
    assert r["how"] == "direct"
    assert r["guidelineCount"] == 4


@pytest.mark.parametrize("system", ["http://snomed.info/sct", "sct"])
def test_sctid_with_snomed_system(client: FlaskClient, system: str) -> None:
    r = one(client, {"system": system, "code": ILIUM_MET})
    assert r["concepts"] == [ref(ILIUM_MET)]
    assert r["how"] == "direct"
    assert r["guidelineCount"] == 4


@pytest.mark.parametrize(
    "description_id",
    [
        "105019990001119",  # FSN "Metastatic malignant neoplasm to ilium (disorder)"
        "105029990001114",  # PT
        "105039990001111",  # "Metastasis to ilium"
        "105059990001115",  # "Ilium metastasis" (the synonym added in 20250301)
    ],
)
def test_description_id(client: FlaskClient, description_id: str) -> None:
    # Description rows with conceptId 1059990001105.
    r = one(client, description_id)
    assert r["concepts"] == [ref(ILIUM_MET)]
    assert r["how"] == "description"
    assert r["guidelineCount"] == 4
    assert r["error"] is None


def test_description_of_an_inactive_concept(client: FlaskClient) -> None:
    # 111029990001114 "Ilium metastasis" belongs to inactive 1119990001107 (REPLACED BY 1059990001105).
    r = one(client, "111029990001114")
    assert r["concepts"] == [ref(ILIUM_MET)]
    assert r["how"].startswith("description")
    assert "REPLACED BY" in r["how"]
    assert r["guidelineCount"] == 4


def test_inactive_replaced_by(client: FlaskClient) -> None:
    # Association bd696d99: 1119990001107 REPLACED BY (900000000000526001) 1059990001105.
    r = one(client, DUPLICATE)
    assert r == {
        "input": DUPLICATE,
        "concepts": [ref(ILIUM_MET)],
        "how": "REPLACED BY",
        "moreSpecific": [],
        "partial": [],
        "guidelineCount": 4,
        "error": None,
    }


def test_inactive_ambiguous_two_targets(client: FlaskClient) -> None:
    # Associations 38f49e62 / 838a7465: POSSIBLY EQUIVALENT TO (900000000000523009) ilium and sacrum.
    r = one(client, AMBIGUOUS)
    assert sorted(r["concepts"], key=lambda c: c["conceptId"]) == [ref(ILIUM_MET), ref(SACRUM_MET)]
    assert r["how"] == "POSSIBLY EQUIVALENT TO"
    # Union of ilium's 4 and sacrum's 5: {pelvic, workup, oligo, general} + {spinal} = 5 distinct.
    assert r["guidelineCount"] == 5
    assert r["error"] is None


# ExtendedMap rows with mapTarget C79.5, active: 1039990001102, 1049990001107, 1059990001105,
# 1069990001108, 1079990001100, 1089990001103 (group 1) and 1149990001108 (group 2). The rows of
# inactive 1119990001107 (7040dec3) and 1229990001105 (3734e6bc) are inactive, and would only add
# concepts already present through their associations anyway.
# Issue 15.3: a reverse lookup returns the most general concepts whose whole meaning the code is (map
# group 1, first rule TRUE): 1039990001102 |Secondary malignant neoplasm of bone| subsumes the other
# five group-1 concepts (inferred is-a rows, read by hand). 1149990001108 maps to C79.5 only in group 2,
# beside M84.5 in group 1, so C79.5 is only part of its meaning.
C795_GENERAL = ["1039990001102"]
C795_MORE_SPECIFIC = ["1049990001107", ILIUM_MET, SACRUM_MET, "1079990001100", "1089990001103"]
C795_PARTIAL = ["1149990001108"]


@pytest.mark.parametrize("code", ["C79.5", "c79.5", " C79.5 ", "C795"])
def test_icd10_through_the_extended_map(client: FlaskClient, code: str) -> None:
    r = one(client, {"system": ICD10, "code": code})
    assert [c["conceptId"] for c in r["concepts"]] == C795_GENERAL
    assert sorted(c["conceptId"] for c in r["moreSpecific"]) == sorted(C795_MORE_SPECIFIC)
    assert [c["conceptId"] for c in r["partial"]] == C795_PARTIAL
    assert all(c == ref(c["conceptId"]) for c in r["concepts"])
    assert r["how"] == "map"
    # Guidelines of 1039990001102 and its ancestors only: bone work-up (tagged on it), oligometastatic
    # and general principles; the pelvic and spinal guidelines are tagged below it.
    assert r["guidelineCount"] == 3
    assert r["error"] is None
    assert r["input"] == {"system": ICD10, "code": code}


def test_icd10_single_target(client: FlaskClient) -> None:
    # ExtendedMap f3e49767: 1099990001101 -> C78.7, the only row with that target.
    r = one(client, {"system": ICD10, "code": "C78.7"})
    assert r["concepts"] == [ref("1099990001101")]
    assert r["how"] == "map"
    # liver (own tag), oligo, general.
    assert r["guidelineCount"] == 3


def test_icd10_concept_without_guidelines(client: FlaskClient) -> None:
    # ExtendedMap 45cd0b99: 1219990001103 -> E11.9. No guideline is tagged on its ancestors.
    r = one(client, {"system": ICD10, "code": "E11.9"})
    assert r["concepts"] == [ref("1219990001103")]
    assert r["guidelineCount"] == 0


def test_icd10_code_not_in_any_map(client: FlaskClient) -> None:
    r = one(client, {"system": ICD10, "code": "Z99.9"})
    err = assert_item_error(r, 422)
    assert "Z99.9" in err["detail"]


def test_unknown_system(client: FlaskClient) -> None:
    r = one(client, {"system": "http://loinc.org", "code": "1234-5"})
    err = assert_item_error(r, 422)
    assert "http://loinc.org" in err["detail"]
    assert r["how"] is None


@pytest.mark.parametrize(
    ("code", "reason_part"),
    [
        ("1059990001104", "wrong check digit"),  # the running example with its check digit changed
        ("abc", "not numeric"),
        ("", "not numeric"),
        ("105019990001126", "relationship"),  # inferred relationship id (Relationship file)
        ("12345", "6 to 18 digits"),
    ],
)
def test_invalid_id(client: FlaskClient, code: str, reason_part: str) -> None:
    err = assert_item_error(one(client, code), 400)
    assert reason_part in err["detail"]
    assert err.get("field") == "code"


def test_unknown_concept_id(client: FlaskClient) -> None:
    err = assert_item_error(one(client, DELTA_ONLY), 404)
    assert DELTA_ONLY in err["detail"]


def test_unknown_description_id(client: FlaskClient) -> None:
    # 105069990001117 would be description slot 6 of item 1050 (stem 10506 9990001 11, Verhoeff check
    # digit 7, computed with the textbook tables): a valid description id that no Description row has.
    err = assert_item_error(one(client, "105069990001117"), 404)
    assert "105069990001117" in err["detail"]


# --------------------------------------------------------------------------- batches


def test_per_item_errors_do_not_fail_the_batch(client: FlaskClient) -> None:
    codes: list[Any] = [
        ILIUM_MET,
        "1059990001104",
        {"system": "urn:oid:1.2.3", "code": "x"},
        DUPLICATE,
        DELTA_ONLY,
        "105039990001111",
        AMBIGUOUS,
        {"system": ICD10, "code": "C79.5"},
    ]
    results = resolve(client, codes)
    # Results come back in input order, one per code.
    assert [r["error"] is None for r in results] == [True, False, False, True, False, True, True, True]
    assert [r["error"]["status"] for r in results if r["error"]] == [400, 422, 404]
    assert [r["how"] for r in results if not r["error"]] == [
        "direct",
        "REPLACED BY",
        "description",
        "POSSIBLY EQUIVALENT TO",
        "map",
    ]
    assert [r["guidelineCount"] for r in results] == [4, 0, 0, 4, 0, 4, 5, 3]  # C79.5: see C795_GENERAL


def test_duplicates_are_resolved_each_time(client: FlaskClient) -> None:
    results = resolve(client, [ILIUM_MET, ILIUM_MET, DUPLICATE])
    assert [r["concepts"] for r in results] == [[ref(ILIUM_MET)]] * 3


def test_lang_applies_to_terms(client: FlaskClient) -> None:
    r = one(client, "1039990001102", lang="en-GB")
    # 103039990001112 is preferred in en-GB.
    assert r["concepts"] == [{"conceptId": "1039990001102", "pt": "Secondary malignant tumour of bone"}]


def test_one_thousand_codes_are_accepted(client: FlaskClient) -> None:
    results = resolve(client, [ILIUM_MET] * 1000)
    assert all(r["guidelineCount"] == 4 for r in results)


def test_one_thousand_and_one_codes_are_413(client: FlaskClient) -> None:
    assert_problem(client.post("/api/v1/resolve", json={"codes": [ILIUM_MET] * 1001}), 413, "codes")


def test_empty_list_is_400(client: FlaskClient) -> None:
    assert_problem(client.post("/api/v1/resolve", json={"codes": []}), 400, "codes")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "codes"),
        ({"codes": None}, "codes"),
        ({"codes": ILIUM_MET}, "codes"),
        ({"codes": [ILIUM_MET], "lang": 5}, "lang"),
        ({"codes": [ILIUM_MET], "unexpected": 1}, "unexpected"),
    ],
)
def test_malformed_body_is_400_naming_the_field(client: FlaskClient, body: dict[str, Any], field: str) -> None:
    assert_problem(client.post("/api/v1/resolve", json=body), 400, field)


@pytest.mark.parametrize("bad", [None, True, 1.5, [ILIUM_MET], {}, {"system": ICD10}, {"code": "C79.5", "system": 5}])
def test_a_malformed_item_is_that_items_400_and_the_rest_are_answered(client: FlaskClient, bad: Any) -> None:
    first, middle, last = resolve(client, [ILIUM_MET, bad, SACRUM_MET])
    assert first["concepts"] == [ref(ILIUM_MET)] and last["concepts"] == [ref(SACRUM_MET)]
    assert_item_error(middle, 400)
    assert middle["error"]["field"] == "codes[1]"
    assert middle["input"] == bad


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("not json", "application/json"),
        ('{"codes": ["1059990001105"]', "application/json"),  # truncated
        ("", "application/json"),
        ("null", "application/json"),
        (json.dumps({"codes": [ILIUM_MET]}), "text/plain"),  # JSON, but not declared as JSON
        ("codes=1059990001105", "application/x-www-form-urlencoded"),
    ],
)
def test_non_json_body_is_400(client: FlaskClient, data: str, content_type: str) -> None:
    assert_problem(client.post("/api/v1/resolve", data=data, content_type=content_type), 400)


@pytest.mark.parametrize("data", ["[]", "1", '"1059990001105"', "true"])
def test_json_that_is_not_an_object_is_400(client: FlaskClient, data: str) -> None:
    assert_problem(client.post("/api/v1/resolve", data=data, content_type="application/json"), 400)
