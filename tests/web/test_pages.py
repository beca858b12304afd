"""The read pages through Flask's test client: status, security headers, content, error pages."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.web.pages import classify, link_citations
from service.web.security import CSP

ILIUM_MET = "1059990001105"
PELVIC_GID = "pelvic-bone-metastasis-fracture-risk"


@pytest.fixture()
def client(web_app: Flask) -> FlaskClient:
    return web_app.test_client()


def assert_secure_page(r, status: int = 200) -> str:  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text[:500]
    assert r.mimetype == "text/html"
    csp = r.headers["Content-Security-Policy"]
    assert csp == CSP
    for directive in (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Cache-Control"] == "no-store"
    html = r.text
    # No inline script or style anywhere: every <script> has a src, no style attributes or <style> blocks.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html and " style=" not in html
    assert not re.search(r"<[a-zA-Z][^>]*\son[a-z]+=", html), "inline event handler"
    # Every asset from this server (no CDN).
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        if url.startswith(("http://", "https://", "//")):
            assert re.search(r'rel="noopener noreferrer external"', html), url
    for asset in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html):
        assert asset.startswith("/assets/"), asset
    return html


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ----------------------------------------------------------------------------- find


def test_find_page_has_a_labelled_combobox(client: FlaskClient) -> None:
    html = assert_secure_page(client.get("/"))
    assert '<label for="q">' in html
    assert 'role="combobox"' in html and 'aria-controls="q-listbox"' in html and 'aria-expanded="false"' in html
    assert 'role="listbox"' in html and 'aria-live="polite"' in html
    assert 'data-search-url="/api/v1/search"' in html
    assert '<html lang="en">' in html and 'name="viewport"' in html


def test_find_text_shows_mapped_and_term_results(client: FlaskClient) -> None:
    html = assert_secure_page(client.get("/?q=metastasis+to+ilium"))
    assert "Best matches for your text" in html and "Terms containing your words" in html
    first = re.search(r'<ol class="results ranked">.*?href="(/concepts/\d+)"', html, re.S)
    assert first and first.group(1) == f"/concepts/{ILIUM_MET}"
    assert "2 of 2 text words matched" in html


def test_find_an_id_opens_the_concept(client: FlaskClient) -> None:
    r = client.get(f"/?q={ILIUM_MET}")
    assert r.status_code == 302 and r.headers["Location"] == f"/concepts/{ILIUM_MET}"
    # A description id opens its concept; the dialect is kept.
    r = client.get("/?q=105039990001111&lang=en-GB")
    assert r.status_code == 302 and r.headers["Location"] == f"/concepts/{ILIUM_MET}?lang=en-GB"


def test_find_an_unknown_id_says_so(client: FlaskClient) -> None:
    html = assert_secure_page(client.get("/?q=1234567890123"))
    assert "is not the id of a concept or description in this release" in html


def test_find_an_icd10_code_lists_the_concepts_that_map_to_it(client: FlaskClient) -> None:
    html = assert_secure_page(client.get("/?q=c79.5"))
    assert "ICD-10 C79.5 maps from" in html
    assert f'href="/concepts/{ILIUM_MET}"' in html and 'href="/concepts/1039990001102"' in html


def test_find_ecl_lists_members_and_explains_errors(client: FlaskClient) -> None:
    html = assert_secure_page(client.get("/", query_string={"q": "<< 1049990001107"}))
    assert "3 concepts" in html and f'href="/concepts/{ILIUM_MET}"' in html
    html = assert_secure_page(client.get("/", query_string={"q": "<< 1049990001107 :"}))
    assert "This expression is not valid ECL" in html and "^" in html


@pytest.mark.parametrize(
    ("q", "kind"),
    [
        ("1059990001105", "id"),
        ("C79.5", "icd10"),
        ("m84.5", "icd10"),
        ("<< 64572001", "ecl"),
        ("73211009 |Diabetes|", "ecl"),
        ("metastasis to ilium", "text"),
        ("C79", "icd10"),
        ("fracture", "text"),
    ],
)
def test_classify(q: str, kind: str) -> None:
    assert classify(q) == kind


# ----------------------------------------------------------------------------- concept


def test_concept_page_shows_terms_hierarchy_attributes_maps_and_guidelines(client: FlaskClient) -> None:
    html = assert_secure_page(client.get(f"/concepts/{ILIUM_MET}"))
    assert "<h1>Metastatic malignant neoplasm to ilium</h1>" in html
    assert "Metastatic malignant neoplasm to ilium (disorder)" in html  # FSN
    for synonym in ("Metastasis to ilium", "Ilium metastasis", "Secondary malignant neoplasm of ilium"):
        assert synonym in html
    # Breadcrumbs from the root, through every parent.
    crumbs = re.findall(r'<ol class="crumbs">(.*?)</ol>', html, re.S)
    assert crumbs and all('href="/concepts/138875005"' in c for c in crumbs)
    assert 'href="/concepts/1049990001107"' in crumbs[0]
    assert "Role group 1" in html and "Finding site" in html and "Bone structure of ilium" in html
    assert "C79.5" in html and "Bone metastasis reporting reference set" in html
    # Guidelines, most specific first, each with the is-a path that explains it.
    titles = re.findall(r'<h3><a href="/guidelines/([^"]+)">', html)
    assert titles[0] == PELVIC_GID
    assert titles.index("suspected-bone-metastasis-workup") < titles.index("oligometastatic-local-therapy")
    paths = re.findall(r'<ol class="path"[^>]*>(.*?)</ol>', html, re.S)
    assert paths and "Secondary malignant neoplasm of pelvic bone" in paths[0]


def test_concept_with_two_parents_shows_a_path_through_each(client: FlaskClient) -> None:
    html = assert_secure_page(client.get("/concepts/1149990001108"))
    crumbs = re.findall(r'<ol class="crumbs">(.*?)</ol>', html, re.S)
    assert len(crumbs) == 2
    assert any("Fracture of bone" in c for c in crumbs) and any("Secondary malignant" in c for c in crumbs)
    assert "Role group 2" in html and "M84.5" in html


def test_dialect_switch_changes_the_preferred_term(client: FlaskClient) -> None:
    us = assert_secure_page(client.get("/concepts/1179990001101?lang=en-US"))
    gb = assert_secure_page(client.get("/concepts/1179990001101?lang=en-GB"))
    assert "<h1>Benign tumor of bone</h1>" in us and "<h1>Benign tumour of bone</h1>" in gb
    assert re.search(r'<a href="/concepts/1179990001101\?lang=en-GB" hreflang="en-GB"\s*>', us)
    assert re.search(r'hreflang="en-GB" aria-current="true"', gb)
    # Links keep the dialect.
    assert 'href="/concepts/1009990001109?lang=en-GB"' in gb


def test_inactive_concept_shows_the_notice_and_its_replacement(client: FlaskClient) -> None:
    html = assert_secure_page(client.get("/concepts/1119990001107"))
    assert "This concept is inactive" in html and "duplicate" in html.lower()
    assert "REPLACED BY" in html and f'href="/concepts/{ILIUM_MET}"' in html
    # Its guidelines are those of the replacement.
    assert f'href="/guidelines/{PELVIC_GID}"' in html


def test_concept_errors_are_pages(client: FlaskClient) -> None:
    html = assert_secure_page(client.get("/concepts/1059990001106"), 400)  # wrong check digit
    assert "check digit" in html
    html = assert_secure_page(client.get("/concepts/1999990001100"), 404)
    assert "Not found" in html


# ----------------------------------------------------------------------------- guidelines


def test_guideline_page_is_an_evidence_summary(client: FlaskClient) -> None:
    html = assert_secure_page(client.get(f"/guidelines/{PELVIC_GID}"))
    text = text_of(html)
    assert "Pelvic and periacetabular metastases" in text
    assert "Applies to" in text and 'href="/concepts/1049990001107"' in html
    for heading in ("Overview", "Diagnosis", "Management", "Key recommendations", "References"):
        assert f">{heading}</h2>" in html
    assert html.count('class="badge strength strength-expert-opinion"') >= 4
    assert 'class="badge strength strength-moderate"' in html and 'class="badge strength strength-weak"' in html
    assert "Last revised 2025-03-01" in text
    # Citations link to their reference.
    assert 'href="#ref-mirels1989"' in html and 'id="ref-mirels1989"' in html
    # The Markdown "Key recommendations" section is not repeated next to the structured one.
    assert html.count(">Key recommendations</h2>") == 1


HOSTILE = """---
id: hostile-guideline
title: "Guideline <script>alert(1)</script>"
status: published
tags:
  - concept: 1059990001105
recommendations:
  - id: r1
    text: "Check <b>everything</b>."
    strength: weak
references:
  - id: ref1
    authors: [Doe J]
    title: A verified paper
    journal: Journal
    year: 2020
    pmid: "12345678"
    doi: 10.1000/xyz123
  - id: ref2
    authors: [Roe R]
    title: Unsafe link
    journal: Journal
    year: 2021
    url: "javascript:alert(1)"
---
## Overview

Text with <script>alert(1)</script>, <img src=x onerror="alert(1)"> and [a link](javascript:alert(1)) [ref1] [ref2].
"""


def test_guideline_references_link_to_pubmed_and_doi_and_text_is_safe(sample_index, sample) -> None:  # type: ignore[no-untyped-def]
    from loaders.guidelines import parse_guideline
    from service import create_app
    from terminology.linking.guidelines import InMemoryGuidelineRepository

    from .conftest import with_pages

    repo = InMemoryGuidelineRepository([parse_guideline(HOSTILE)])
    app = with_pages(
        create_app(
            {
                "SNOMAP_INDEX": str(sample_index),
                "SNOMAP_TERMINOLOGY": sample,
                "SNOMAP_GUIDELINE_REPOSITORY": repo,
                "TESTING": True,
            }
        )
    )
    html = assert_secure_page(app.test_client().get("/guidelines/hostile-guideline"))
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/12345678/" rel="noopener noreferrer external"' in html
    assert 'href="https://doi.org/10.1000/xyz123" rel="noopener noreferrer external"' in html
    assert "<script>" not in html.split("</head>", 1)[1].replace('<script src="/assets/snomap.js" defer></script>', "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the title, escaped
    assert "&lt;img src=x onerror" in html and "<img" not in html  # raw HTML in Markdown stays text
    assert (
        'href="javascript' not in html and '<a href="javascript' not in html
    )  # neither Markdown links nor reference urls
    assert 'href="#ref-ref1"' in html


def test_guideline_markdown_is_sanitised(web_app: Flask) -> None:
    html = str(link_citations("<p>See [a1] and [zz].</p><p>&lt;script&gt;</p>", {"a1": 1}))
    assert '<a class="cite" href="#ref-a1" aria-label="reference 1">[1]</a>' in html and "[zz]" in html
    from service.representations import render_markdown

    out = render_markdown("Hi <script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1))")
    assert "<script" not in out and "<img" not in out and 'href="javascript' not in out


def test_guideline_list_and_unknown_guideline(client: FlaskClient) -> None:
    html = assert_secure_page(client.get("/guidelines"))
    assert html.count('<li class="card">') == 7
    assert_secure_page(client.get("/guidelines/no-such-guideline"), 404)


def test_static_assets_are_served_here_with_security_headers(client: FlaskClient) -> None:
    for name, mimetype in (
        ("snomap.css", "text/css"),
        ("snomap.js", "text/javascript"),
        ("favicon.svg", "image/svg+xml"),
    ):
        r = client.get(f"/assets/{name}")
        assert r.status_code == 200 and r.mimetype == mimetype
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        r.close()


def test_api_keeps_answering_json(client: FlaskClient) -> None:
    r = client.get("/api/v1/concepts/1059990001106")
    assert r.status_code == 400 and r.mimetype == "application/problem+json"
    assert "Content-Security-Policy" not in r.headers


def test_post_without_csrf_token_is_refused(client: FlaskClient) -> None:
    client.get("/author/sign-in")
    for data in ({"token": "x"}, {"token": "x", "csrf_token": "forged"}):
        r = client.post("/author/sign-in", data=data)
        html = assert_secure_page(r, 400)
        assert "Form refused" in html
    r = client.post("/author/sign-out", data={})
    assert r.status_code == 400


def test_the_session_key_is_stable_across_processes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from service.web.security import stored_secret_key

    path = tmp_path / "data" / "web-secret-key"
    key = stored_secret_key(path)
    assert len(key) == 64 and stored_secret_key(path) == key
    assert path.stat().st_mode & 0o777 == 0o600
