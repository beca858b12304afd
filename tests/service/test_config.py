"""Settings: every SNOMAP_* read once into the app config, from the argument, else the environment, else the default."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from service import create_app
from service.config import SETTINGS, SettingError, load
from terminology import Terminology

# A constraint that takes more than no time at all: any negative budget stops it at its first check.
ECL = "<< 64572001 MINUS << 1039990001102"


def test_defaults_when_nothing_is_set() -> None:
    config = load({}, environ={})
    assert config["SNOMAP_ECL_TIME_BUDGET"] == 5.0  # README: "Queries have a time budget" (ecl/evaluator.py: 5 s)
    assert config["SNOMAP_READS_REQUIRE_TOKEN"] is False
    assert config["SNOMAP_FHIR_EDITIONS"] == []
    assert config["SNOMAP_FHIR_UNPUBLISHED"] is None
    assert config["SNOMAP_INDEX"] is None


def test_the_environment_and_the_argument_mean_the_same() -> None:
    from_env = load(
        {},
        environ={
            "SNOMAP_ECL_TIME_BUDGET": "2.5",
            "SNOMAP_READS_REQUIRE_TOKEN": "yes",
            "SNOMAP_TAG_HIERARCHIES": "404684003, 71388002",
        },
    )
    given = load(
        {
            "SNOMAP_ECL_TIME_BUDGET": 2.5,
            "SNOMAP_READS_REQUIRE_TOKEN": True,
            "SNOMAP_TAG_HIERARCHIES": [404684003, 71388002],
        },
        environ={},
    )
    assert from_env == given
    assert given["SNOMAP_TAG_HIERARCHIES"] == (404684003, 71388002)


def test_the_argument_wins_over_the_environment() -> None:
    assert (
        load({"SNOMAP_ECL_TIME_BUDGET": "1"}, environ={"SNOMAP_ECL_TIME_BUDGET": "9"})["SNOMAP_ECL_TIME_BUDGET"] == 1.0
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SNOMAP_ECL_TIME_BUDGET", "soon"),
        ("SNOMAP_READS_REQUIRE_TOKEN", "perhaps"),
        ("SNOMAP_FHIR_EXPANSION_LIMIT", "many"),
    ],
)
def test_a_bad_value_names_the_setting(name: str, value: str) -> None:
    with pytest.raises(SettingError, match=name):
        load({}, environ={name: value})


def test_every_setting_is_documented() -> None:
    assert all(s.name.startswith("SNOMAP_") and s.doc for s in SETTINGS)
    assert len({s.name for s in SETTINGS}) == len(SETTINGS)


@pytest.fixture()
def env_app(sample_index: Path, sample: Terminology, monkeypatch: pytest.MonkeyPatch) -> Flask:
    monkeypatch.setenv("SNOMAP_ECL_TIME_BUDGET", "-1")
    return create_app({"SNOMAP_INDEX": str(sample_index), "SNOMAP_TERMINOLOGY": sample, "TESTING": True})


def test_ecl_time_budget_from_the_environment_is_used(env_app: Flask) -> None:
    """The README documents SNOMAP_ECL_TIME_BUDGET as an environment setting; it used to be ignored."""
    assert env_app.config["SNOMAP_ECL_TIME_BUDGET"] == -1.0
    client = env_app.test_client()
    r = client.get("/api/v1/ecl", query_string={"ecl": ECL})
    assert r.status_code == 422 and r.get_json()["type"].endswith("ecl-timeout")
    assert r.get_json()["budgetSeconds"] == -1.0
    r = client.get("/api/v1/search", query_string={"q": "metastasis", "ecl": ECL})
    assert r.status_code == 422 and r.get_json()["type"].endswith("ecl-timeout")
    r = client.post("/api/v1/annotate", json={"text": "metastasis to ilium", "ecl": ECL})
    assert r.status_code == 422 and r.get_json()["type"].endswith("ecl-timeout")


def test_views_do_not_read_the_environment() -> None:
    """Settings are read in service/config.py only (the CLI only names them in its help)."""
    service = Path(__file__).resolve().parents[2] / "service"
    readers = sorted(str(p.relative_to(service)) for p in service.rglob("*.py") if "os.environ" in p.read_text())
    assert readers == ["config.py"]
