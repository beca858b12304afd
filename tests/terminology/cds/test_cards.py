"""Cards from findings: summary length, Markdown detail with the is-a path, indicator, stable uuid."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import pytest

from terminology import Terminology
from terminology.cds import card, choose, conditions_in
from terminology.linking import FileGuidelineRepository, InMemoryGuidelineRepository
from terminology.sample import sample_guidelines_dir

SCT = "http://snomed.info/sct"
PELVIC = "pelvic-bone-metastasis-fracture-risk"


def url(gid: str) -> str:
    return f"https://snomap.example.org/guidelines/{gid}"


@pytest.fixture(scope="module")
def repo() -> FileGuidelineRepository:
    return FileGuidelineRepository(sample_guidelines_dir())


def cards_for(
    sample: Terminology, repo: Any, code: str | None, text: str | None = None, service: str = "svc"
) -> list[dict[str, Any]]:
    c: dict[str, Any] = {"resourceType": "Condition", "code": {}}
    if code:
        c["code"]["coding"] = [{"system": SCT, "code": code}]
    if text:
        c["code"]["text"] = text
    return [card(f, service, url) for f in choose(sample, repo, conditions_in(c)).findings]


def test_pelvic_card(sample: Terminology, repo: FileGuidelineRepository) -> None:
    c = cards_for(sample, repo, "1059990001105")[0]
    assert c["summary"] == "Pelvic and periacetabular metastases - fracture risk assessment and orthopaedic referral"
    assert "Metastatic malignant neoplasm to ilium is a Secondary malignant neoplasm of pelvic bone." in c["detail"]
    assert "- Use the Mirels score for lesions of the proximal femur" in c["detail"]
    assert "*(strength: moderate)*" in c["detail"] and "*(strength: expert opinion)*" in c["detail"]
    assert c["indicator"] == "info"
    assert c["source"]["label"] == c["summary"]
    assert c["source"]["url"] == url(PELVIC)
    assert c["source"]["topic"] == {
        "system": SCT,
        "code": "1049990001107",
        "display": "Secondary malignant neoplasm of pelvic bone",
    }
    assert c["links"] == [{"label": "Open the guideline", "url": url(PELVIC), "type": "absolute"}]
    assert c["selectionBehavior"] == "at-most-one" and len(c["suggestions"]) == 1
    assert all(r["display"] for r in c["overrideReasons"])


def test_longer_path_reads_as_a_chain(sample: Terminology, repo: FileGuidelineRepository) -> None:
    general = cards_for(sample, repo, "1059990001105")[3]
    assert (
        "Metastatic malignant neoplasm to ilium is a Secondary malignant neoplasm of pelvic bone, which is a "
        "Secondary malignant tumor of bone, which is a Secondary malignant neoplastic disease, which is a "
        "Malignant neoplastic disease."
    ) in general["detail"]


def test_uuid_is_stable_per_service_guideline_and_concept(sample: Terminology, repo: FileGuidelineRepository) -> None:
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, "https://snomap.dev/cds-hooks/cards")
    first = cards_for(sample, repo, "1059990001105")[0]
    assert first["uuid"] == str(uuid.uuid5(namespace, f"svc|{PELVIC}|1059990001105"))
    assert cards_for(sample, repo, "1059990001105")[0]["uuid"] == first["uuid"]
    # The inactive duplicate is read as the same concept: the same card.
    assert cards_for(sample, repo, "1119990001107")[0]["uuid"] == first["uuid"]
    assert cards_for(sample, repo, "1059990001105", service="other")[0]["uuid"] != first["uuid"]


def test_warning_from_front_matter_but_never_from_text(sample: Terminology, repo: FileGuidelineRepository) -> None:
    docs = [
        dataclasses.replace(g, extra={"cdsIndicator": "warning"}) if g.id.startswith("spinal") else g
        for g in repo.list()
    ]
    warned = InMemoryGuidelineRepository(docs)
    coded = cards_for(sample, warned, "1069990001108")
    assert [c["indicator"] for c in coded][:2] == ["warning", "info"]
    texted = cards_for(sample, warned, None, text="metastasis to sacrum")
    assert texted[0]["source"]["label"].startswith("Spinal metastases")
    assert texted[0]["indicator"] == "info"
    assert texted[0]["summary"].startswith("Matched from text: ")
    assert "matched from its text" in texted[0]["detail"]


def test_summary_fits_and_markdown_is_escaped(sample: Terminology, repo: FileGuidelineRepository) -> None:
    long_title = "Pelvic *metastases* " + " ".join(["assessment"] * 30)
    docs = [dataclasses.replace(g, title=long_title) if g.id == PELVIC else g for g in repo.list()]
    c = cards_for(sample, InMemoryGuidelineRepository(docs), "1059990001105")[0]
    assert len(c["summary"]) < 140 and c["summary"].endswith("…")
    assert c["source"]["label"] == long_title
    recs = [r for r in docs if r.id == PELVIC][0].recommendations
    rec = dataclasses.replace(recs[0], text="Use *care* with [links] and <b>tags</b>")
    docs = [dataclasses.replace(g, recommendations=[rec]) if g.id == PELVIC else g for g in repo.list()]
    c = cards_for(sample, InMemoryGuidelineRepository(docs), "1059990001105")[0]
    assert r"Use \*care\* with \[links\] and \<b\>tags\</b\>" in c["detail"]
