"""Fixtures for the page tests: apps with the web blueprint, an authoring store, a live server and Chromium.

Browser tests drive Debian's Chromium (/usr/bin/chromium, installed by `scripts/install --test`)
through Playwright for Python; Playwright never downloads a browser of its own. They are marked
`browser` and skipped, with the reason, only when that binary (or the playwright package) is missing.
The live server is a werkzeug server thread on a free loopback port, stopped after each test module.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from service import create_app
from terminology import Terminology

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("SNOMAP_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(os.environ.get("SNOMAP_SCREENSHOT_DIR", REPO / "docs" / "screenshots"))
ARTIFACTS = REPO / "tests" / "_artifacts"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
NO_CHROMIUM = f"{CHROMIUM} is missing: install Debian chromium with `scripts/install --test` to run the browser tests"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives headless Chromium through Playwright (needs /usr/bin/chromium)")


def with_pages(app: Flask) -> Flask:
    """The app, which registers the pages and the authoring API itself (kept so the fixtures read as before)."""
    assert "web" in app.blueprints and "authoring" in app.blueprints
    return app


@pytest.fixture(scope="session")
def web_app(sample_index: Path, sample: Terminology) -> Flask:
    """The app over the sample release and the read-only sample guideline files."""
    from terminology.linking.guidelines import FileGuidelineRepository
    from terminology.sample import sample_guidelines_dir

    files = FileGuidelineRepository(sample_guidelines_dir())
    return with_pages(
        create_app(
            {
                "SNOMAP_INDEX": str(sample_index),
                "SNOMAP_TERMINOLOGY": sample,
                "SNOMAP_GUIDELINE_REPOSITORY": files,
                "TESTING": True,
            }
        )
    )


@dataclass
class Authoring:
    app: Flask
    store: Any
    tokens: dict[str, str]


def authoring_store(tmp_path: Path, sample: Terminology) -> Any:
    """A fresh SQLite guideline store seeded with the sample guidelines."""
    from terminology.authoring import open_repository
    from terminology.authoring.validation import baselines
    from terminology.sample import sample_guidelines_dir

    repo = open_repository(f"sqlite:///{tmp_path / 'guidelines.db'}")
    repo.import_directory(sample_guidelines_dir(), baseline=baselines(sample))
    return repo


@pytest.fixture()
def authoring(tmp_path: Path, sample_index: Path, sample: Terminology) -> Iterator[Authoring]:
    """An app whose guidelines live in a writable store, with an author, a reader and an admin token."""
    repo = authoring_store(tmp_path, sample)
    tokens = {role: repo.tokens.create(f"{role}-user", role) for role in ("reader", "author", "admin")}
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
    yield Authoring(app, repo, tokens)
    repo.dispose()


# ----------------------------------------------------------------------------- live server and browser


class LiveServer:
    """A werkzeug server thread on a free loopback port."""

    def __init__(self, app: Flask):
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="live-server", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture()
def live_server() -> Iterator[Any]:
    """A factory: live_server(app) serves that app until the end of the test."""
    started: list[LiveServer] = []

    def start(app: Flask) -> LiveServer:
        server = LiveServer(app)
        started.append(server)
        return server

    yield start
    for s in started:
        s.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(NO_CHROMIUM)
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is not installed (pip install playwright)"
    )
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    """A desktop-sized page that records console errors (a CSP violation shows up there)."""
    context = browser.new_context(viewport=DESKTOP, device_scale_factor=1, locale="en-GB")
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    pg.console_errors = []  # type: ignore[attr-defined]
    pg.on("console", lambda m: m.type == "error" and pg.console_errors.append(m.text))  # type: ignore[attr-defined]
    yield pg
    context.close()


@pytest.fixture()
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True, locale="en-GB")
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


def screenshot(pg: Any, name: str, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="hide")
    return path
