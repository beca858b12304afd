"""The pages in a real browser: headless Debian Chromium driven by Playwright, against a live server thread.

Each test saves screenshots to docs/screenshots/ (shown in the README). The autocomplete delay is
measured inside the browser with performance.now(), from the keystroke to the suggestions in the DOM.
"""

from __future__ import annotations

import json
import statistics
from typing import Any

import pytest
from flask import Flask

from .conftest import ARTIFACTS, PHONE, Authoring, screenshot

pytestmark = pytest.mark.browser

ILIUM_MET = "1059990001105"
FEMUR_MET = "1079990001100"
PELVIC_GID = "pelvic-bone-metastasis-fracture-risk"

# Installed before any page script: records, for the input #q, when each key went down and when the
# listbox last received options (both on the performance.now() clock of the page).
TIMING_PROBE = """
window.__ac = {keys: [], shown: []};
document.addEventListener('keydown', function (e) {
  if (e.target && e.target.matches && e.target.matches('input[data-autocomplete]')) window.__ac.keys.push(performance.now());
}, true);
document.addEventListener('DOMContentLoaded', function () {
  document.querySelectorAll('input[data-autocomplete]').forEach(function (input) {
    var status = document.getElementById(input.id + '-status');
    var listbox = document.getElementById(input.getAttribute('aria-controls'));
    // The widget announces every answer (suggestions or none) in its live region, right after the list.
    new MutationObserver(function () {
      window.__ac.shown.push({t: performance.now(), q: input.value.trim(), n: listbox.querySelectorAll('[role=option]').length});
    }).observe(status, {childList: true, characterData: true, subtree: true});
  });
});
"""


def measure_autocomplete(pg: Any, text: str, per_key_pause_ms: int = 400) -> list[float]:
    """Type `text` one key at a time and return each keystroke's delay until its answer is on screen (ms).

    The delay runs from the keydown event to the moment the widget has rendered the suggestions for
    what is now in the box (or said there are none), both read from performance.now() in the page.
    """
    delays = []
    box = pg.locator("#q")
    box.click()
    for ch in text:
        pg.evaluate("window.__ac.shown = []")
        box.press(ch if ch != " " else "Space")
        typed = box.input_value().strip()
        if len(typed) < 2 or ch == " ":
            pg.wait_for_timeout(per_key_pause_ms // 4)
            continue
        pg.wait_for_function("q => window.__ac.shown.some(s => s.q === q)", arg=typed, timeout=10_000)
        key_t = pg.evaluate("window.__ac.keys[window.__ac.keys.length - 1]")
        shown_t = pg.evaluate("q => window.__ac.shown.filter(s => s.q === q)[0].t", typed)
        delays.append(shown_t - key_t)
        pg.wait_for_timeout(per_key_pause_ms)
    return delays


def report(name: str, delays: list[float], **extra: Any) -> dict[str, Any]:
    summary = {
        "keystrokes": len(delays),
        "median_ms": round(statistics.median(delays), 1),
        "p90_ms": round(sorted(delays)[max(0, int(len(delays) * 0.9) - 1)], 1),
        "max_ms": round(max(delays), 1),
        "all_ms": [round(d, 1) for d in delays],
        **extra,
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.json").write_text(json.dumps(summary, indent=2))
    print(f"\n{name}: {json.dumps(summary)}")
    return summary


def test_find_concept_and_its_guidelines(web_app: Flask, live_server: Any, page: Any) -> None:
    server = live_server(web_app)
    page.add_init_script(TIMING_PROBE)
    page.goto(server.url + "/")
    screenshot(page, "find")
    box = page.get_by_role("combobox", name="Concept id, term, clinical text, ICD-10 code or ECL expression")
    box.press_sequentially("metastasis to ilium", delay=60)
    # Wait for the answer to the whole text (earlier keystrokes' answers may come and go before it).
    page.wait_for_function("q => window.__ac.shown.some(s => s.q === q && s.n > 0)", arg="metastasis to ilium")
    option = page.get_by_role("option").first
    assert box.get_attribute("aria-expanded") == "true"
    assert "Metastatic malignant neoplasm to ilium" in option.inner_text()
    screenshot(page, "find-autocomplete", full_page=False)

    box.press("Enter")  # no option chosen: the full search
    page.wait_for_url("**/?q=metastasis+to+ilium")
    results = page.get_by_role("region", name="Best matches for your text")
    assert results.get_by_role("link").first.inner_text() == "Metastatic malignant neoplasm to ilium"
    screenshot(page, "find-results")

    results.get_by_role("link", name="Metastatic malignant neoplasm to ilium").click()
    page.wait_for_url(f"**/concepts/{ILIUM_MET}")
    assert page.get_by_role("heading", level=1).inner_text() == "Metastatic malignant neoplasm to ilium"
    links = page.locator(".guideline-link h3 a")
    titles = links.all_inner_texts()
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    bone = hrefs.index("/guidelines/suspected-bone-metastasis-workup")
    oligo = hrefs.index("/guidelines/oligometastatic-local-therapy")
    assert hrefs[0] == f"/guidelines/{PELVIC_GID}" and bone < oligo, titles
    path = page.locator(".guideline-link").nth(bone).get_by_role("list", name="Why it applies", exact=False)
    assert path.locator("li").all_inner_texts()[-1] == "Secondary malignant tumor of bone"
    screenshot(page, "concept")

    page.get_by_role("link", name="Terms in en-GB").click()
    page.wait_for_url("**lang=en-GB")
    assert "Secondary malignant tumour of bone" in page.locator(".breadcrumbs").inner_text()

    page.locator(".guideline-link h3 a").first.click()
    page.wait_for_url(f"**/guidelines/{PELVIC_GID}**")
    assert page.get_by_role("heading", name="Key recommendations").is_visible()
    assert page.locator(".badge.strength-moderate").count() >= 1
    screenshot(page, "guideline")
    page.goto(server.url + "/guidelines")
    screenshot(page, "guidelines")
    assert page.console_errors == [], page.console_errors  # e.g. a Content-Security-Policy violation


def test_autocomplete_keyboard_and_delay(web_app: Flask, live_server: Any, page: Any) -> None:
    server = live_server(web_app)
    page.add_init_script(TIMING_PROBE)
    page.goto(server.url + "/")
    delays = measure_autocomplete(page, "metastasis to ilium")
    summary = report("autocomplete-sample", delays, index="sample release (≈100 concepts)")
    assert summary["median_ms"] < 300, summary

    box = page.locator("#q")
    box.press("ArrowDown")
    first = page.get_by_role("option").first
    assert first.get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
    box.press("Escape")
    assert box.get_attribute("aria-expanded") == "false" and page.get_by_role("listbox").is_hidden()
    box.press("Backspace")
    page.get_by_role("option").first.wait_for()
    box.press("ArrowDown")
    box.press("Enter")
    page.wait_for_url("**/concepts/*")
    assert page.get_by_role("heading", level=1).inner_text() == "Metastatic malignant neoplasm to ilium"
    assert page.console_errors == []


def test_phone_layout(web_app: Flask, live_server: Any, phone: Any) -> None:
    server = live_server(web_app)
    for path, name in (
        (f"/concepts/{ILIUM_MET}", "concept-phone"),
        ("/?q=metastasis+to+ilium", "find-phone"),
        (f"/guidelines/{PELVIC_GID}", "guideline-phone"),
    ):
        phone.goto(server.url + path)
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {PHONE['width']}px"
        screenshot(phone, name)
    phone.goto(server.url + "/")
    phone.locator("#q").press_sequentially("ilium met", delay=50)
    phone.get_by_role("option").first.wait_for()
    screenshot(phone, "find-autocomplete-phone", full_page=False)


def test_keyboard_only_reaches_the_search_box_and_results(web_app: Flask, live_server: Any, page: Any) -> None:
    server = live_server(web_app)
    page.goto(server.url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    assert page.evaluate("document.activeElement.id") == "q"
    # The focused element has a visible outline (focus-visible style).
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


def test_author_signs_in_tags_a_guideline_and_the_concept_lists_it(
    authoring: Authoring, live_server: Any, page: Any
) -> None:
    server = live_server(authoring.app)
    page.goto(server.url + f"/concepts/{FEMUR_MET}")
    assert page.locator(f'.guideline-link a[href="/guidelines/{PELVIC_GID}"]').count() == 0

    page.goto(server.url + "/author")
    page.wait_for_url("**/author/sign-in**")
    screenshot(page, "sign-in")
    page.get_by_label("API token").fill(authoring.tokens["author"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/author")
    assert "Signed in as author-user" in page.locator(".flashes").inner_text()
    screenshot(page, "workspace")

    page.get_by_role("link", name="Pelvic and periacetabular metastases", exact=False).first.click()
    page.wait_for_url(f"**/author/guidelines/{PELVIC_GID}")
    concept_box = page.get_by_role("combobox", name="Concept")
    concept_box.press_sequentially("metastasis to femur", delay=40)
    page.get_by_role("option", name="Metastatic malignant neoplasm to femur", exact=False).first.click()
    assert page.locator("#tag-concept").input_value() == FEMUR_MET
    page.get_by_role("button", name="Add tag").click()
    page.wait_for_url("**#tags")
    assert "Tagged on Metastatic malignant neoplasm to femur" in page.locator(".flashes").inner_text()
    tags = page.locator(".tag-list").inner_text()
    assert "Metastatic malignant neoplasm to femur" in tags and "added by author-user" in tags
    screenshot(page, "edit-guideline")

    page.goto(server.url + f"/author/guidelines/{PELVIC_GID}/suggestions")
    screenshot(page, "suggestions")
    page.goto(server.url + f"/author/guidelines/{PELVIC_GID}/history")
    assert page.locator("table.history tbody tr").count() == 2
    screenshot(page, "history")

    page.goto(server.url + f"/concepts/{FEMUR_MET}")
    link = page.locator(f'.guideline-link a[href="/guidelines/{PELVIC_GID}"]')
    assert link.count() == 1
    item = page.locator(".guideline-link").filter(has=page.locator(f'a[href="/guidelines/{PELVIC_GID}"]'))
    assert "Tagged on this concept." in item.inner_text()
    assert page.console_errors == [], page.console_errors
