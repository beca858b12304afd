"""POST /api/v1/annotate and `snomap annotate` on the sample release (expectations from its descriptions).

Until the blueprint is registered in service/app.py, the fixture registers it on its own app.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from service import create_app
from service.api import annotate as annotate_api

NOTE = "No evidence of metastasis to the liver. Suspected metastasis to ilium; pelvic bone metastasis."


@pytest.fixture(scope="module")
def annotate_client(sample_index: Path) -> FlaskClient:
    app: Flask = create_app({"SNOMAP_INDEX": str(sample_index), "TESTING": True})
    if "annotate" not in app.blueprints:
        app.register_blueprint(annotate_api.bp)
    return app.test_client()


def test_annotate_returns_mentions(annotate_client: FlaskClient) -> None:
    r = annotate_client.post("/api/v1/annotate", json={"text": NOTE})
    assert r.status_code == 200
    body = r.get_json()
    assert body["total"] == 3 and body["elapsedMs"] >= 0
    liver, ilium, pelvic = body["mentions"]
    # "Metastasis to liver" is a synonym of 1099990001101; "no evidence of" negates it.
    assert liver == {
        "start": 15,
        "end": 38,
        "text": "metastasis to the liver",
        "conceptId": "1099990001101",
        "pt": "Metastatic malignant neoplasm to liver",
        "matchedTerm": "Metastasis to liver",
        "score": 1.0,
        "negated": True,
        "hypothetical": False,
        "historical": False,
        "family": False,
        "uncertain": False,
        "trigger": "no evidence of",
    }
    assert (ilium["conceptId"], ilium["hypothetical"], ilium["trigger"]) == ("1059990001105", True, "suspected")
    assert (pelvic["conceptId"], pelvic["negated"], pelvic["hypothetical"]) == ("1049990001107", False, False)


def test_annotate_ecl_and_min_score(annotate_client: FlaskClient) -> None:
    r = annotate_client.post("/api/v1/annotate", json={"text": "metastasis to ilium and ca", "ecl": "<< 1039990001102"})
    assert [m["conceptId"] for m in r.get_json()["mentions"]] == ["1059990001105"]
    r = annotate_client.post("/api/v1/annotate", json={"text": "metastasis to ilium and ca", "minScore": 0.9})
    assert [m["text"] for m in r.get_json()["mentions"]] == ["metastasis to ilium"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "text"),
        ({"text": ""}, "text"),
        ({"text": "x" * 100_001}, "text"),
        ({"text": "a", "minScore": 2}, "minScore"),
        ({"text": "a", "x": 1}, "x"),
    ],
)
def test_annotate_validation(annotate_client: FlaskClient, payload: dict, field: str) -> None:
    r = annotate_client.post("/api/v1/annotate", json=payload)
    assert r.status_code == 400 and r.mimetype == "application/problem+json"
    assert r.get_json()["field"] == field


def test_annotate_bad_ecl(annotate_client: FlaskClient) -> None:
    r = annotate_client.post("/api/v1/annotate", json={"text": "ilium", "ecl": "<< ("})
    assert r.status_code == 400 and r.get_json()["field"] == "ecl"


def test_annotate_accepts_100000_characters(annotate_client: FlaskClient) -> None:
    text = (NOTE + " ") * (100_000 // (len(NOTE) + 1))
    r = annotate_client.post("/api/v1/annotate", json={"text": text})
    assert r.status_code == 200 and r.get_json()["total"] == 3 * (100_000 // (len(NOTE) + 1))


def test_cli_annotate(sample_index: Path, tmp_path: Path) -> None:
    from service.cli.annotate import annotate_cmd

    note = tmp_path / "note.txt"
    note.write_text(NOTE)
    runner = CliRunner()
    r = runner.invoke(annotate_cmd, [str(note), "--index", str(sample_index)])
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert (
        lines[0]
        == "15-38\tmetastasis to the liver\t1099990001101 |Metastatic malignant neoplasm to liver|\t1.00 (NEGATED: no evidence of)"
    )
    assert len(lines) == 3
    r = runner.invoke(annotate_cmd, [str(note), "--index", str(sample_index), "--json"])
    assert r.exit_code == 0
    body = json.loads(r.stdout)
    assert body["total"] == 3 and body["mentions"][1]["hypothetical"] is True
    r = runner.invoke(annotate_cmd, ["-", "--index", str(sample_index), "--ecl", "<< ("], input="ilium")
    assert r.exit_code == 2 and "error:" in r.stderr


def test_annotate_context_flags(annotate_client: FlaskClient) -> None:
    # issue 13: historical and negated mentions, flagged per mention.
    r = annotate_client.post("/api/v1/annotate", json={"text": "History of metastasis to ilium. Exclude pneumonia."})
    assert r.status_code == 200
    ms = r.get_json()["mentions"]
    assert [(m["conceptId"], m["historical"], m["negated"]) for m in ms] == [
        ("1059990001105", True, False),
        ("1189990001104", False, True),
    ]
