"""Autocomplete delay in the browser on the full-size (370,000-concept) synthetic index.

Runs when that index is already built (bench/data/synth370000.idx, made by the benchmarks or
`bench._common.synthetic_index`), or when SNOMAP_BUILD_SCALE=1 asks to build it (about a minute and
a half, ~1 GB). The result is written to tests/_artifacts/autocomplete-370k.json and printed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from service import create_app

from .conftest import screenshot, with_pages
from .test_browser import TIMING_PROBE, measure_autocomplete, report

pytestmark = [pytest.mark.scale, pytest.mark.browser, pytest.mark.slow]

CONCEPTS = 370_000
BUDGET_MS = 300


def synthetic_index() -> Path:
    common = pytest.importorskip("bench._common", reason="bench/_common.py (the synthetic release helpers) is not in this tree")
    idx = common.DATA / f"synth{CONCEPTS}.idx"
    if (idx / "manifest.json").exists() or os.environ.get("SNOMAP_BUILD_SCALE") == "1":
        return Path(common.synthetic_index(CONCEPTS))
    pytest.skip(f"the {CONCEPTS:,}-concept synthetic index is not built at {idx} (set SNOMAP_BUILD_SCALE=1 to build it)")


def test_autocomplete_delay_on_the_full_size_index(live_server: Any, page: Any) -> None:
    index = synthetic_index()
    from terminology.guidelines import FileGuidelineRepository
    from terminology.sample import sample_guidelines_dir

    files = FileGuidelineRepository(sample_guidelines_dir())
    app = with_pages(create_app({"SNOMAP_INDEX": str(index), "SNOMAP_GUIDELINE_REPOSITORY": files, "TESTING": True}))
    app.extensions["snomap"].terminology.store.warm()  # as `snomap serve` does before it listens
    server = live_server(app)
    page.add_init_script(TIMING_PROBE)
    page.goto(server.url + "/")
    measure_autocomplete(page, "fr")  # the first fetch opens the search tables; not part of the measure
    page.locator("#q").fill("")
    delays = measure_autocomplete(page, "fracture of femur")
    delays += measure_autocomplete(page, " neoplasm")
    summary = report("autocomplete-370k", delays, index=f"synthetic, {CONCEPTS:,} active concepts", budget_ms=BUDGET_MS)
    screenshot(page, "find-autocomplete-370k", full_page=False)
    assert summary["median_ms"] < BUDGET_MS, summary
    assert summary["p90_ms"] < 2 * BUDGET_MS, summary
