"""Guidelines linked through the is-a hierarchy, through the HTTP API.

Expectations are derived by hand from the sample guideline front matter (sample_data/guidelines/*.md)
and the is-a rows of the sample Snapshot (Terminology/sct2_Relationship_Snapshot_SNOMAP_20250301.txt,
typeId 116680003, active rows only). Never computed with the code under test.

Guideline tags (front matter `tags[].concept`):
  malignant-disease-general-principles                -> 1019990001106 Malignant neoplastic disease
  oligometastatic-local-therapy                       -> 1029990001104 Secondary malignant neoplastic disease
  suspected-bone-metastasis-workup                    -> 1039990001102 Secondary malignant neoplasm of bone
  pelvic-bone-metastasis-fracture-risk                -> 1049990001107 Secondary malignant neoplasm of pelvic bone
  spinal-metastases-instability-and-cord-compression  -> 1089990001103 vertebra, 1069990001108 sacrum
  liver-metastases-management                         -> 1099990001101 liver
  lung-metastases-management                          -> 1109990001105 lung

Active is-a chain of the running example (Relationship row ids in brackets):
  1059990001105 -> 1049990001107 [105019990001126] -> 1039990001102 [104029990001121]
  -> 1029990001104 [103019990001127] -> 1019990001106 [102019990001123] -> 1009990001109 -> ...
The 20240901 row 104019990001125 (1049990001107 -> 1029990001104) is inactive in the Snapshot, so the
oligometastatic guideline is 3 steps away, not 2.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service import create_app

ILIUM_MET = "1059990001105"
SACRUM_MET = "1069990001108"
PELVIC_MET = "1049990001107"
BONE_MET = "1039990001102"
SECONDARY = "1029990001104"
MALIGNANT = "1019990001106"
VERTEBRA_MET = "1089990001103"
PATH_FRACTURE = "1149990001108"
DUPLICATE = "1119990001107"
AMBIGUOUS = "1229990001105"
DELTA_ONLY = "1309990001107"  # a valid concept SCTID that only the Delta package holds

PT = {
    ILIUM_MET: "Metastatic malignant neoplasm to ilium",  # 105029990001114
    SACRUM_MET: "Metastatic malignant neoplasm to sacrum",  # 106029990001119
    PELVIC_MET: "Secondary malignant neoplasm of pelvic bone",  # 104029990001113
    BONE_MET: "Secondary malignant tumor of bone",  # 103029990001110, preferred in en-US
    SECONDARY: "Secondary malignant neoplastic disease",  # 102029990001115
    MALIGNANT: "Malignant neoplastic disease",  # 101029990001111
    VERTEBRA_MET: "Metastatic malignant neoplasm to vertebra",  # 108029990001118
    PATH_FRACTURE: "Pathological fracture due to metastatic bone disease",  # 114029990001111
    DUPLICATE: "Ilium metastasis",  # 111029990001114
    AMBIGUOUS: "Metastasis to sacroiliac region",  # 122029990001110
    "1129990001100": "Fracture of bone",  # 112029990001118
}
BONE_MET_GB = "Secondary malignant tumour of bone"  # 103039990001112, preferred in en-GB

# Active inferred is-a parents, by hand from the Relationship file (for checking `path` edges).
PARENTS = {
    ILIUM_MET: {PELVIC_MET},
    SACRUM_MET: {PELVIC_MET},
    PELVIC_MET: {BONE_MET},
    VERTEBRA_MET: {BONE_MET},
    PATH_FRACTURE: {BONE_MET, "1129990001100"},
    BONE_MET: {SECONDARY},
    SECONDARY: {MALIGNANT},
}

PELVIC = "pelvic-bone-metastasis-fracture-risk"
WORKUP = "suspected-bone-metastasis-workup"
OLIGO = "oligometastatic-local-therapy"
GENERAL = "malignant-disease-general-principles"
SPINAL = "spinal-metastases-instability-and-cord-compression"
LIVER = "liver-metastases-management"
LUNG = "lung-metastases-management"

TITLES = {
    PELVIC: "Pelvic and periacetabular metastases - fracture risk assessment and orthopaedic referral",
    WORKUP: "Imaging and biopsy of a suspected bone metastasis",
    OLIGO: "Local consolidative therapy for oligometastatic disease",
    GENERAL: "General principles of care for malignant neoplastic disease",
    SPINAL: "Spinal metastases - instability assessment and metastatic spinal cord compression",
    LIVER: "Assessment and management of liver metastases",
    LUNG: "Assessment and local treatment of lung metastases",
}


def ref(sctid: str, pt: str | None = None) -> dict[str, Any]:
    return {"conceptId": sctid, "pt": pt if pt is not None else PT[sctid]}


def assert_problem(resp: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert resp.status_code == status, resp.data
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json(force=True)
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    if field is not None:
        assert body.get("field") == field, body
    return body


def get_ok(client: FlaskClient, url: str) -> Any:
    resp = client.get(url)
    assert resp.status_code == 200, resp.data
    assert resp.mimetype == "application/json"
    return resp.get_json()


def links(client: FlaskClient, concept: str, lang: str | None = None) -> dict[str, Any]:
    return get_ok(client, f"/api/v1/guidelines?concept={concept}" + (f"&lang={lang}" if lang else ""))


def assert_path_is_isa_chain(item: dict[str, Any], start: set[str]) -> None:
    """`path` goes from a queried concept up to `via` along active is-a edges, distance + 1 long."""
    path = [p["conceptId"] for p in item["path"]]
    assert path[0] in start
    assert path[-1] == item["via"]["conceptId"]
    assert len(path) == item["distance"] + 1
    for child, parent in zip(path, path[1:], strict=False):
        assert parent in PARENTS[child], (child, parent)


# --------------------------------------------------------------------------- the running example


def test_running_example_order_via_distance_path(client: FlaskClient) -> None:
    body = links(client, ILIUM_MET)
    assert body["concept"] == ref(ILIUM_MET)
    assert body["resolvedFrom"] is None
    assert body["resolution"] is None
    assert body["concepts"] == [ref(ILIUM_MET)]
    assert body["total"] == 4
    got = [(i["id"], i["via"], i["distance"], i["path"]) for i in body["items"]]
    assert got == [
        # Tag 1049990001107 is the parent of 1059990001105: one step.
        (PELVIC, ref(PELVIC_MET), 1, [ref(ILIUM_MET), ref(PELVIC_MET)]),
        # Tag 1039990001102: two steps, through 1049990001107.
        (WORKUP, ref(BONE_MET), 2, [ref(ILIUM_MET), ref(PELVIC_MET), ref(BONE_MET)]),
        # Tag 1029990001104: three steps (the shortcut 104019990001125 is inactive).
        (OLIGO, ref(SECONDARY), 3, [ref(ILIUM_MET), ref(PELVIC_MET), ref(BONE_MET), ref(SECONDARY)]),
        # Tag 1019990001106: four steps.
        (GENERAL, ref(MALIGNANT), 4, [ref(ILIUM_MET), ref(PELVIC_MET), ref(BONE_MET), ref(SECONDARY), ref(MALIGNANT)]),
    ]
    for item in body["items"]:
        assert item["title"] == TITLES[item["id"]]
        assert item["status"] == "published"
    # Liver, lung and spinal guidelines are tagged on concepts that are not ancestors-or-self.
    assert {i["id"] for i in body["items"]}.isdisjoint({LIVER, LUNG, SPINAL})


def test_key_recommendations_come_from_front_matter(client: FlaskClient) -> None:
    items = {i["id"]: i for i in links(client, ILIUM_MET)["items"]}
    # pelvic-bone-metastasis-fracture-risk.md front matter: r1..r7 with these strengths.
    pelvic = items[PELVIC]["keyRecommendations"]
    assert [(r["id"], r["strength"]) for r in pelvic] == [
        ("r1", "expert opinion"),
        ("r2", "expert opinion"),
        ("r3", "moderate"),
        ("r4", "expert opinion"),
        ("r5", "weak"),
        ("r6", "moderate"),
        ("r7", "expert opinion"),
    ]
    assert pelvic[2]["text"].startswith("Use the Mirels score for lesions of the proximal femur")
    # oligometastatic-local-therapy.md: r1 strong, r2 and r3 expert opinion, r4 moderate, r5 weak.
    oligo = items[OLIGO]["keyRecommendations"]
    assert [(r["id"], r["strength"]) for r in oligo] == [
        ("r1", "strong"),
        ("r2", "expert opinion"),
        ("r3", "expert opinion"),
        ("r4", "moderate"),
        ("r5", "weak"),
    ]


def test_path_terms_follow_lang(client: FlaskClient) -> None:
    body = links(client, ILIUM_MET, "en-GB")
    workup = next(i for i in body["items"] if i["id"] == WORKUP)
    assert workup["via"] == ref(BONE_MET, BONE_MET_GB)
    assert workup["path"][-1] == ref(BONE_MET, BONE_MET_GB)


@pytest.mark.parametrize(
    ("concept", "expected"),
    [
        # Tagged directly on 1039990001102: distance 0, path is the concept alone.
        (BONE_MET, [(WORKUP, BONE_MET, 0), (OLIGO, SECONDARY, 1), (GENERAL, MALIGNANT, 2)]),
        # 1069990001108 is itself tagged by the spinal guideline, and is-a 1049990001107.
        (
            SACRUM_MET,
            [
                (SPINAL, SACRUM_MET, 0),
                (PELVIC, PELVIC_MET, 1),
                (WORKUP, BONE_MET, 2),
                (OLIGO, SECONDARY, 3),
                (GENERAL, MALIGNANT, 4),
            ],
        ),
        # 1089990001103 is-a 1039990001102 directly (108019990001121); tagged by spinal.
        (
            VERTEBRA_MET,
            [(SPINAL, VERTEBRA_MET, 0), (WORKUP, BONE_MET, 1), (OLIGO, SECONDARY, 2), (GENERAL, MALIGNANT, 3)],
        ),
        # Two parents: 1039990001102 carries the tags; 1129990001100 Fracture of bone has none above it.
        (PATH_FRACTURE, [(WORKUP, BONE_MET, 1), (OLIGO, SECONDARY, 2), (GENERAL, MALIGNANT, 3)]),
        (SECONDARY, [(OLIGO, SECONDARY, 0), (GENERAL, MALIGNANT, 1)]),
        (MALIGNANT, [(GENERAL, MALIGNANT, 0)]),
    ],
)
def test_more_concepts(client: FlaskClient, concept: str, expected: list[tuple[str, str, int]]) -> None:
    body = links(client, concept)
    assert body["total"] == len(expected)
    assert [(i["id"], i["via"]["conceptId"], i["distance"]) for i in body["items"]] == expected
    for item in body["items"]:
        assert_path_is_isa_chain(item, {concept})
        assert item["via"] == ref(item["via"]["conceptId"])


def test_bone_metastasis_guideline_comes_before_oligometastasis(client: FlaskClient) -> None:
    # The more specific tag (1039990001102) is closer than 1029990001104 for every bone metastasis.
    for concept in (ILIUM_MET, SACRUM_MET, VERTEBRA_MET, PATH_FRACTURE, BONE_MET, PELVIC_MET):
        ids = [i["id"] for i in links(client, concept)["items"]]
        assert ids.index(WORKUP) < ids.index(OLIGO), concept


# --------------------------------------------------------------------------- inactive concepts


def test_inactive_duplicate_is_resolved(client: FlaskClient) -> None:
    body = links(client, DUPLICATE)
    # Association bd696d99: 1119990001107 REPLACED BY 1059990001105.
    assert body["resolvedFrom"] == ref(DUPLICATE)
    assert body["resolution"] == "REPLACED BY"
    assert body["concepts"] == [ref(ILIUM_MET)]
    assert body["total"] == 4
    # Same links as the replacement, paths starting at the active concept.
    assert [(i["id"], i["via"]["conceptId"], i["distance"]) for i in body["items"]] == [
        (PELVIC, PELVIC_MET, 1),
        (WORKUP, BONE_MET, 2),
        (OLIGO, SECONDARY, 3),
        (GENERAL, MALIGNANT, 4),
    ]
    for item in body["items"]:
        assert_path_is_isa_chain(item, {ILIUM_MET})


def test_inactive_ambiguous_unites_both_targets(client: FlaskClient) -> None:
    body = links(client, AMBIGUOUS)
    # Associations 38f49e62 / 838a7465: POSSIBLY EQUIVALENT TO 1059990001105 and 1069990001108.
    assert body["resolvedFrom"] == ref(AMBIGUOUS)
    assert body["resolution"] == "POSSIBLY EQUIVALENT TO"
    assert sorted(c["conceptId"] for c in body["concepts"]) == [ILIUM_MET, SACRUM_MET]
    # Union: the sacrum's own spinal tag (distance 0) plus the four shared ones.
    assert [(i["id"], i["via"]["conceptId"], i["distance"]) for i in body["items"]] == [
        (SPINAL, SACRUM_MET, 0),
        (PELVIC, PELVIC_MET, 1),
        (WORKUP, BONE_MET, 2),
        (OLIGO, SECONDARY, 3),
        (GENERAL, MALIGNANT, 4),
    ]
    for item in body["items"]:
        assert_path_is_isa_chain(item, {ILIUM_MET, SACRUM_MET})


# --------------------------------------------------------------------------- no guideline


@pytest.mark.parametrize(
    "concept",
    [
        "1219990001103",  # Type 2 diabetes mellitus: 1209990001100 -> 64572001 -> ..., no tag on the way
        "1129990001100",  # Fracture of bone: is-a 64572001 only
        "1179990001101",  # Benign neoplasm of bone: is-a 1009990001109, above every tag
        "1009990001109",  # Neoplastic disease: tags below it do not apply upwards
        "2029990001107",  # Bone structure of ilium: a body structure
        "138875005",  # the root
    ],
)
def test_concept_with_no_tagged_ancestor(client: FlaskClient, concept: str) -> None:
    body = links(client, concept)
    assert body["total"] == 0
    assert body["items"] == []
    assert body["resolvedFrom"] is None
    assert [c["conceptId"] for c in body["concepts"]] == [concept]


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("value", "reason_part"),
    [
        ("abc", "not numeric"),
        ("", "not numeric"),
        ("1059990001104", "wrong check digit"),
        ("105019990001119", "description"),
        ("-1059990001105", "not numeric"),
    ],
)
def test_invalid_concept_is_400(client: FlaskClient, value: str, reason_part: str) -> None:
    body = assert_problem(client.get(f"/api/v1/guidelines?concept={value}"), 400, "concept")
    assert reason_part in body["detail"]


def test_unknown_concept_is_404(client: FlaskClient) -> None:
    body = assert_problem(client.get(f"/api/v1/guidelines?concept={DELTA_ONLY}"), 404)
    assert DELTA_ONLY in body["detail"]


@pytest.mark.parametrize(
    "gid", ["no-such-guideline", "README", "readme", "Oligometastatic-Local-Therapy", "x" * 300, "%27%20OR%201%3D1"]
)
def test_unknown_guideline_is_404(client: FlaskClient, gid: str) -> None:
    assert_problem(client.get(f"/api/v1/guidelines/{gid}"), 404)


# --------------------------------------------------------------------------- the collection


def test_list_all_guidelines(client: FlaskClient) -> None:
    body = get_ok(client, "/api/v1/guidelines")
    # Seven guideline files in sample_data/guidelines (README.md has no front matter and is skipped).
    assert body["total"] == 7
    # Ordered by title, case-insensitively ("Assessment and local..." < "Assessment and management...").
    assert [i["id"] for i in body["items"]] == [LUNG, LIVER, GENERAL, WORKUP, OLIGO, PELVIC, SPINAL]
    by_id = {i["id"]: i for i in body["items"]}
    for gid, item in by_id.items():
        assert item["title"] == TITLES[gid]
        assert item["status"] == "published"
        assert item["updated"] == "2025-03-01"
    # spinal-...md has two tags, in front-matter order, with the release's preferred terms.
    assert by_id[SPINAL]["tags"] == [
        {**ref(VERTEBRA_MET), "ecl": None, "exclude": []},
        {**ref(SACRUM_MET), "ecl": None, "exclude": []},
    ]
    assert by_id[PELVIC]["tags"] == [{**ref(PELVIC_MET), "ecl": None, "exclude": []}]


def test_list_tags_follow_lang(client: FlaskClient) -> None:
    body = get_ok(client, "/api/v1/guidelines?lang=en-GB")
    workup = next(i for i in body["items"] if i["id"] == WORKUP)
    assert workup["tags"][0]["pt"] == BONE_MET_GB


# --------------------------------------------------------------------------- one guideline


class _Elements(HTMLParser):
    """Every start tag and its attributes, to check sanitised HTML structurally (not by substring)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def assert_safe_html(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag not in {"script", "iframe", "object", "embed", "style", "form", "base", "meta", "link"}, html
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, html)
            if value is not None:
                squashed = "".join(value.split()).lower()
                assert not squashed.startswith(("javascript:", "vbscript:", "data:text/html")), (tag, name, value)
    assert "<script" not in html.lower()
    return parser.tags


def test_full_guideline(client: FlaskClient) -> None:
    g = get_ok(client, f"/api/v1/guidelines/{OLIGO}")
    assert g["id"] == OLIGO
    assert g["title"] == TITLES[OLIGO]
    assert g["status"] == "published"
    assert g["updated"] == "2025-03-01"
    assert g["tags"] == [{**ref(SECONDARY), "ecl": None, "exclude": []}]
    # The body's `## ` headings, in file order.
    assert [s["heading"] for s in g["sections"]] == ["Overview", "Diagnosis", "Management", "Key recommendations"]
    for s in g["sections"]:
        assert s["markdown"].strip()
        assert s["html"].strip()
        assert_safe_html(s["html"])
    overview = g["sections"][0]
    # The Rim 2022 figures as written in the Markdown body.
    assert "pooled odds ratio 2.896 (95% CI 2.377–3.528)" in overview["markdown"]
    assert "pooled odds ratio 3.045 (95% CI 2.356–3.937)" in overview["markdown"]
    assert "OS odds ratio 1.535 (95% CI 1.082–2.177)" in overview["markdown"]
    assert "PFS odds ratio 1.668 (95% CI 1.187–2.344)" in overview["markdown"]
    # ... and rendered: bold list labels become <strong>, the bullets a <ul>.
    assert "<strong>Overall survival (OS):</strong> pooled odds ratio 2.896" in overview["html"]
    assert "<strong>Progression-free survival (PFS):</strong> pooled odds ratio 3.045" in overview["html"]
    assert "<ul>" in overview["html"]
    # Recommendations from the front matter.
    assert [(r["id"], r["strength"]) for r in g["recommendations"]] == [
        ("r1", "strong"),
        ("r2", "expert opinion"),
        ("r3", "expert opinion"),
        ("r4", "moderate"),
        ("r5", "weak"),
    ]


def test_full_guideline_references(client: FlaskClient) -> None:
    g = get_ok(client, f"/api/v1/guidelines/{OLIGO}")
    refs = {r["id"]: r for r in g["references"]}
    assert list(refs) == ["rim2022", "palma2019", "guckenberger2020", "hellman1995"]
    assert refs["rim2022"] == {
        "id": "rim2022",
        "authors": ["Rim CH", "et al."],
        "title": "Role of Local Treatment for Oligometastasis: A Comparability-Based Meta-Analysis",
        "journal": "Cancer Research and Treatment",
        "year": 2022,
        "volume": "54(4)",
        "pmid": None,
        "doi": None,
        "url": "https://www.e-crt.org/",
        "links": {"url": "https://www.e-crt.org/"},
    }
    # No pmid, doi or url in the front matter: no links.
    assert refs["palma2019"]["links"] == {}
    assert refs["hellman1995"]["authors"] == ["Hellman S", "Weichselbaum RR"]
    assert refs["hellman1995"]["volume"] == "13(1)"
    assert refs["hellman1995"]["year"] == 1995


def test_every_sample_guideline_renders_safe_html(client: FlaskClient) -> None:
    for gid in TITLES:
        g = get_ok(client, f"/api/v1/guidelines/{gid}")
        assert g["sections"], gid
        for s in g["sections"]:
            assert_safe_html(s["html"])


# --------------------------------------------------------------------------- a hostile guideline directory

EVIL = """\
---
id: evil-guideline
title: Evil guideline
status: published
tags:
  - concept: 1059990001105
    term: Metastatic malignant neoplasm to ilium
recommendations:
  - id: r1
    text: "Do nothing."
    strength: weak
references:
  - id: evil2024
    authors: [Evil E]
    title: "An evil paper"
    journal: Nowhere
    year: 2024
    pmid: "12345678"
    doi: "10.1000/xyz123"
    url: "https://example.org/paper"
updated: 2025-03-01
---
## Overview

Hello <script>alert('xss')</script> world.

<script src="https://evil.example/x.js"></script>

<SCRIPT>alert(2)</SCRIPT>

<img src="x" onerror="alert(1)">

<iframe src="https://evil.example/"></iframe>

[click me](javascript:alert(1)) and [also](JaVaScRiPt:alert(2)) and <javascript:alert(3)>
and [spaced]( javascript:alert(6) ) and [entity](&#106;avascript:alert(7)) and [vb](vbscript:msgbox(1))

<a href="javascript:alert(4)">raw anchor</a>

![img](javascript:alert(8))

[ok link](https://example.org/ok) [evil2024]

## Key recommendations

- [r1] Do nothing. (Strength: weak) [evil2024]
"""

# A second guideline exercising `exclude`: tagged on 1039990001102 but not for the pelvic subtree.
EXCLUDING = """\
---
id: non-pelvic-bone
title: Bone metastases outside the pelvis
status: published
tags:
  - concept: 1039990001102
    exclude: [1049990001107]
recommendations:
  - id: r1
    text: "Look elsewhere."
    strength: expert opinion
updated: 2025-03-01
---
## Overview

Not for pelvic bone metastases.
"""

# A reference whose `url` is a javascript: URL: it must not be offered as a link.
EVIL_URL = """\
---
id: evil-url
title: Evil URL
status: published
tags:
  - concept: 1099990001101
recommendations:
  - id: r1
    text: "Read the reference."
    strength: weak
references:
  - id: bad
    authors: [Bad B]
    title: "Bad"
    journal: Nowhere
    year: 2024
    url: "javascript:alert(document.cookie)"
updated: 2025-03-01
---
## Overview

See [bad].
"""


@pytest.fixture(scope="module")
def hostile_app(sample_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    directory = tmp_path_factory.mktemp("guidelines")
    (directory / "evil-guideline.md").write_text(EVIL, encoding="utf-8")
    (directory / "non-pelvic-bone.md").write_text(EXCLUDING, encoding="utf-8")
    (directory / "evil-url.md").write_text(EVIL_URL, encoding="utf-8")
    return create_app({"SNOMAP_INDEX": str(sample_index), "SNOMAP_GUIDELINES": str(directory), "TESTING": True})


@pytest.fixture()
def hostile(hostile_app: Flask) -> FlaskClient:
    return hostile_app.test_client()


def test_script_and_javascript_links_are_stripped(hostile: FlaskClient) -> None:
    g = get_ok(hostile, "/api/v1/guidelines/evil-guideline")
    overview = g["sections"][0]
    assert overview["heading"] == "Overview"
    # The Markdown source is returned as authored ...
    assert "<script>alert('xss')</script>" in overview["markdown"]
    # ... but the HTML has no script element, no event handler and no javascript:/vbscript: URL.
    tags = assert_safe_html(overview["html"])
    hrefs = [attrs.get("href") for tag, attrs in tags if tag == "a"]
    # The one safe link survives.
    assert hrefs == ["https://example.org/ok"]
    assert not any(tag == "img" for tag, _ in tags)
    for s in g["sections"]:
        assert_safe_html(s["html"])


def test_reference_links_from_pmid_and_doi(hostile: FlaskClient) -> None:
    g = get_ok(hostile, "/api/v1/guidelines/evil-guideline")
    assert g["references"][0]["links"] == {
        "pubmed": "https://pubmed.ncbi.nlm.nih.gov/12345678/",
        "doi": "https://doi.org/10.1000/xyz123",
        "url": "https://example.org/paper",
    }


def test_second_app_only_serves_its_directory(hostile: FlaskClient) -> None:
    body = get_ok(hostile, "/api/v1/guidelines")
    assert sorted(i["id"] for i in body["items"]) == ["evil-guideline", "evil-url", "non-pelvic-bone"]
    assert_problem(hostile.get(f"/api/v1/guidelines/{OLIGO}"), 404)
    # The running example gets the guideline tagged on it (distance 0) and not the excluding one.
    body = links(hostile, ILIUM_MET)
    assert [(i["id"], i["distance"]) for i in body["items"]] == [("evil-guideline", 0)]


def test_exclude_keeps_the_rest_of_the_subtree(hostile: FlaskClient) -> None:
    # 1089990001103 is-a 1039990001102 directly and is outside the excluded 1049990001107 subtree.
    body = links(hostile, VERTEBRA_MET)
    assert [(i["id"], i["via"]["conceptId"], i["distance"]) for i in body["items"]] == [
        ("non-pelvic-bone", BONE_MET, 1)
    ]
    # 1069990001108 is below 1049990001107: excluded.
    assert links(hostile, SACRUM_MET)["total"] == 0


def test_reference_links_are_never_javascript(hostile: FlaskClient) -> None:
    g = get_ok(hostile, "/api/v1/guidelines/evil-url")
    for link in g["references"][0]["links"].values():
        assert link.startswith(("https://", "http://")), link


def test_status_filter_links_only_those_statuses(hostile: FlaskClient) -> None:
    # non-pelvic-bone is published (its front matter above; it was a draft before issue 16 made drafts
    # visible to authors only, which a file store, having no tokens, never has), tagged on 1039990001102,
    # the parent of vertebra metastasis 1089990001103. Drafts with an author token: test_access_control.py.
    assert [i["id"] for i in links(hostile, VERTEBRA_MET)["items"]] == ["non-pelvic-bone"]
    body = get_ok(hostile, f"/api/v1/guidelines?concept={VERTEBRA_MET}&status=published")
    assert [(i["id"], i["status"]) for i in body["items"]] == [("non-pelvic-bone", "published")]
    # Asking for drafts or retired guidelines needs an author token (issue 16): 403 without one.
    assert_problem(hostile.get(f"/api/v1/guidelines?concept={VERTEBRA_MET}&status=draft,%20retired"), 403, "status")
    problem = assert_problem(hostile.get(f"/api/v1/guidelines?concept={VERTEBRA_MET}&status=final"), 400, "status")
    assert "final" in problem["detail"]
