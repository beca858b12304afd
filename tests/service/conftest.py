"""Flask fixtures in the tutorial's style: app, client and CLI runner over the sample release."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from service import create_app


@pytest.fixture(scope="session")
def app(sample_index: Path) -> Flask:
    app = create_app({"SNOMAP_INDEX": str(sample_index), "TESTING": True})
    return app


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()
