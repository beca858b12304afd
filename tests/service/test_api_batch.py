"""POST /api/v1/map:batch and /api/v1/guidelines:batch: up to 1,000 items, each with its own result and error.

Expectations by hand from the sample RF2 rows and guideline front matter (see test_api_guidelines.py
for the tag table and the is-a chain): 1059990001105 -> 1049990001107 (pelvic tag, 1 step) ->
1039990001102 (bone work-up, 2) -> 1029990001104 (oligometastatic, 3) -> 1019990001106 (general, 4).
"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

ILIUM_MET = "1059990001105"
LIVER_MET = "1099990001101"
DUPLICATE = "1119990001107"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ILIUM_GUIDELINES = [
    ("pelvic-bone-metastasis-fracture-risk", "1049990001107", 1),
    ("suspected-bone-metastasis-workup", "1039990001102", 2),
    ("oligometastatic-local-therapy", "1029990001104", 3),
    ("malignant-disease-general-principles", "1019990001106", 4),
]


def condition(*codings: tuple[str, str], text: str | None = None, **extra: Any) -> dict[str, Any]:
    code: dict[str, Any] = {"coding": [{"system": s, "code": c} for s, c in codings]}
    if text:
        code["text"] = text
    return {"resourceType": "Condition", "subject": {"reference": "Patient/1"}, "code": code, **extra}


def post(client: FlaskClient, path: str, items: list[Any], **extra: Any) -> list[dict[str, Any]]:
    resp = client.post(f"/api/v1/{path}", json={"items": items, **extra})
    assert resp.status_code == 200, resp.data
    results = resp.get_json()["results"]
    assert [r["index"] for r in results] == list(range(len(items)))
    assert [r["input"] for r in results] == items
    return results


def assert_problem(resp: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert resp.status_code == status, resp.data
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json(force=True)
    assert body["status"] == status
    if field is not None:
        assert body.get("field") == field
    return body


def item_error(result: dict[str, Any], status: int, index: int) -> dict[str, Any]:
    err = result["error"]
    assert err is not None and err["status"] == status
    assert {"type", "title", "status", "detail"} <= err.keys()
    assert err["field"] == f"items[{index}]"
    return err


# ----- map:batch


# How a reverse map lookup chose its concepts (terminology.maps.reverse_map; issue 15.3).
MAP_HOW = "map"


def test_map_batch_every_kind_of_item(client: FlaskClient) -> None:
    items = [
        "metastasis to ilium",  # description 105039990001111 "Metastasis to ilium"
        ILIUM_MET,
        int(ILIUM_MET),
        "105039990001111",  # a description id of 1059990001105
        DUPLICATE,  # REPLACED BY 1059990001105
        {"system": ICD10, "code": "C78.7"},  # ExtendedMap f3e49767 -> 1099990001101
        {"system": "http://snomed.info/sct", "code": ILIUM_MET},
        f"{ILIUM_MET} |Metastatic malignant neoplasm to ilium|",
        condition(("http://snomed.info/sct", ILIUM_MET)),
        condition((ICD10, "C78.7")),
        condition(text="liver mets"),
    ]
    results = post(client, "map:batch", items)
    assert [r["error"] for r in results] == [None] * len(items)
    assert [r["conceptId"] for r in results] == [ILIUM_MET] * 5 + [LIVER_MET] + [ILIUM_MET] * 3 + [LIVER_MET] * 2
    assert [r["how"] for r in results] == [
        "text",
        "direct",
        "direct",
        "description",
        "REPLACED BY",
        MAP_HOW,
        "direct",
        "expression",
        "SNOMED CT coding: direct",
        f"{ICD10} coding: {MAP_HOW}",
        "code.text: text",
    ]
    assert results[0]["pt"] == "Metastatic malignant neoplasm to ilium"
    assert results[0]["matchedTerm"] == "Metastasis to ilium"
    assert all(r["matched"] for r in results)
    assert results[1]["concepts"] == [{"conceptId": ILIUM_MET, "pt": "Metastatic malignant neoplasm to ilium"}]


def test_map_batch_a_code_system_without_a_map_refset_is_that_items_error(client: FlaskClient) -> None:
    # The map refset is chosen by the code system (issue 15.3): the sample has an ICD-10 map
    # (4029990001102 |snomap sample ICD-10 map|) and no ICD-10-CM map, so C78.7 of ICD-10-CM is unanswerable.
    ok, cm = post(client, "map:batch", [{"system": ICD10, "code": "C78.7"}, {"system": "ICD-10-CM", "code": "C78.7"}])
    assert ok["error"] is None and ok["conceptId"] == LIVER_MET
    assert item_error(cm, 422, 1)["detail"].endswith("icd-10-cm")


def test_map_batch_text_matching_nothing_is_not_an_error(client: FlaskClient) -> None:
    (r,) = post(client, "map:batch", ["the weather is nice today"])
    assert r["error"] is None and r["matched"] is False and r["conceptId"] is None and r["concepts"] == []


@pytest.mark.parametrize(
    ("bad", "status"),
    [
        (None, 400),
        (True, 400),
        (1.5, 400),
        ([ILIUM_MET], 400),
        ({}, 400),
        ({"system": ICD10}, 400),
        ({"code": "C79.5", "system": 5}, 400),
        ({"code": ILIUM_MET, "bogus": 1}, 400),
        ("", 400),
        ("1059990001104", 400),  # wrong check digit
        ("9999990001104", 404),  # valid, in no sample file
        ({"system": ICD10, "code": "Z99.9"}, 422),  # no map row targets it
        ({"system": "http://loinc.org", "code": "1234-5"}, 422),
        ({"resourceType": "Patient"}, 400),
        (condition(), 400),  # no coding, no text
    ],
)
def test_one_bad_item_never_fails_the_batch(client: FlaskClient, bad: Any, status: int) -> None:
    first, middle, last = post(client, "map:batch", [ILIUM_MET, bad, "liver mets"])
    assert first["conceptId"] == ILIUM_MET and last["conceptId"] == LIVER_MET
    item_error(middle, status, 1)
    assert middle["conceptId"] is None and middle["concepts"] == [] and middle["matched"] is False


def test_one_thousand_items_and_repeats(client: FlaskClient) -> None:
    results = post(client, "map:batch", [ILIUM_MET, None] * 500)
    assert [r["conceptId"] for r in results[:4]] == [ILIUM_MET, None, ILIUM_MET, None]
    assert results[999]["error"]["field"] == "items[999]"


@pytest.mark.parametrize("path", ["map:batch", "guidelines:batch"])
def test_over_one_thousand_items_is_413_before_any_work(client: FlaskClient, path: str) -> None:
    # Items that would each be a 400 if read: the count is refused first.
    assert_problem(client.post(f"/api/v1/{path}", json={"items": [None] * 1001}), 413, "items")


@pytest.mark.parametrize("path", ["map:batch", "guidelines:batch"])
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "items"),
        ({"items": None}, "items"),
        ({"items": ILIUM_MET}, "items"),
        ({"items": {"a": 1}}, "items"),
        ({"items": [], "lang": 5}, "lang"),
        ({"items": [], "unexpected": 1}, "unexpected"),
    ],
)
def test_a_batch_that_is_not_a_list_is_400(client: FlaskClient, path: str, body: dict[str, Any], field: str) -> None:
    assert_problem(client.post(f"/api/v1/{path}", json=body), 400, field)


@pytest.mark.parametrize("data", ["[]", "null", "not json", '{"items": ['])
def test_a_body_that_is_not_a_json_object_is_400(client: FlaskClient, data: str) -> None:
    assert_problem(client.post("/api/v1/map:batch", data=data, content_type="application/json"), 400)


def test_an_empty_batch_is_an_empty_answer(client: FlaskClient) -> None:
    assert post(client, "map:batch", []) == []


def test_lang(client: FlaskClient) -> None:
    (r,) = post(client, "map:batch", ["1039990001102"], lang="en-GB")
    assert r["pt"] == "Secondary malignant tumour of bone"  # 103039990001112, preferred in en-GB


# ----- guidelines:batch


def test_guidelines_batch_the_running_example(client: FlaskClient) -> None:
    # Issue 14: a Condition coded 1059990001105 gives the pelvic, bone work-up, oligometastatic and general guidelines, in order.
    items = [
        condition(("http://snomed.info/sct", ILIUM_MET)),
        ILIUM_MET,
        "metastasis to ilium",
        {"system": ICD10, "code": "C78.7"},
    ]
    results = post(client, "guidelines:batch", items)
    for r in results[:3]:
        assert r["error"] is None
        assert [(g["id"], g["via"]["conceptId"], g["distance"]) for g in r["guidelines"]] == ILIUM_GUIDELINES
        assert all(g["status"] == "published" for g in r["guidelines"])
        assert r["concepts"] == [{"conceptId": ILIUM_MET, "pt": "Metastatic malignant neoplasm to ilium"}]
    # Liver: its own tag (0 steps), then oligometastatic and general.
    assert [g["id"] for g in results[3]["guidelines"]] == [
        "liver-metastases-management",
        "oligometastatic-local-therapy",
        "malignant-disease-general-principles",
    ]


def test_guidelines_batch_errors_per_item(client: FlaskClient) -> None:
    results = post(client, "guidelines:batch", [None, "the weather is nice today", "9999990001104", ILIUM_MET])
    item_error(results[0], 400, 0)
    item_error(results[1], 422, 1)  # a text that names no concept
    item_error(results[2], 404, 2)
    assert len(results[3]["guidelines"]) == 4 and results[3]["error"] is None


def test_guidelines_batch_status_filter(client: FlaskClient) -> None:
    (r,) = post(client, "guidelines:batch", [ILIUM_MET], status=["draft"])
    assert r["guidelines"] == [] and r["error"] is None
    assert_problem(client.post("/api/v1/guidelines:batch", json={"items": [], "status": ["nope"]}), 400)


def test_batch_paths_are_in_the_openapi_document(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    pytest.importorskip("openapi_spec_validator").validate(spec)
    paths = spec["paths"]
    for path in ("/api/v1/map:batch", "/api/v1/guidelines:batch", "/api/v1/resolve"):
        assert "post" in paths[path]
        assert "413" in paths[path]["post"]["responses"]
