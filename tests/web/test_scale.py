"""Autocomplete delay in the browser on the full-size (370,000-concept) synthetic index.

Builds that index when it is missing (bench/data/synth370000.idx via `bench._common.synthetic_index`:
about two minutes and ~1 GB of disk), so CI runs it too; SNOMAP_SKIP_SCALE=1 skips it for quick local
runs. The result is written to tests/_artifacts/autocomplete-370k.json and printed.
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
    common = pytest.importorskip(
        "bench._common", reason="bench/_common.py (the synthetic release helpers) is not in this tree"
    )
    if os.environ.get("SNOMAP_SKIP_SCALE") == "1":
        pytest.skip("SNOMAP_SKIP_SCALE=1: the full-size synthetic index is not built in this run")
    return Path(common.synthetic_index(CONCEPTS))


def test_autocomplete_delay_on_the_full_size_index(live_server: Any, page: Any) -> None:
    index = synthetic_index()
    from terminology.linking.guidelines import FileGuidelineRepository
    from terminology.sample import sample_guidelines_dir

    files = FileGuidelineRepository(sample_guidelines_dir())
    app = with_pages(create_app({"SNOMAP_INDEX": str(index), "SNOMAP_GUIDELINE_REPOSITORY": files, "TESTING": True}))
    app.extensions["snomap"].terminology.warm()  # as `snomap serve` does before it listens
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
