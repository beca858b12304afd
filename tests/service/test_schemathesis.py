"""Schemathesis over /api/v1/openapi.json against the sample app: zero 5xx, every response in its schema.

Issue 16 ("Proof: fuzz"). A fixed seed and example count keep the run reproducible and bounded; every
built-in check runs (server errors, status codes, content types, headers, response schemas, negative
data rejected, positive data accepted, ...). The app gets a store of its own, so writes never touch
another test's data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, seed, settings
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig

from service import create_app

pytestmark = pytest.mark.slow

EXAMPLES = 25
SEED = 20_261_207


def _app(tmp: Path) -> Any:
    import os

    from terminology.sample import default_index_path

    index = os.environ.get("SNOMAP_FUZZ_INDEX") or str(default_index_path())
    return create_app(
        {
            "SNOMAP_INDEX": index,
            "SNOMAP_DATABASE_URL": f"sqlite:///{tmp / 'fuzz.db'}",
            "SNOMAP_DATA_DIR": str(tmp),
            # The fuzz sends refused tokens on purpose (ignored_auth); the failed-login limit has its own tests.
            "SNOMAP_AUTH_FAILURES_PER_MINUTE": 1_000_000,
        }
    )


_TMP = Path(__import__("tempfile").mkdtemp(prefix="snomap-fuzz-"))
# positive_data_acceptance: a request valid by its JSON Schema may still be refused, with a 400 or 422
# problem, for what a schema cannot say: an SCTID's Verhoeff check digit and partition, ECL and
# expression grammar, a concept that is inactive. Those statuses are accepted there; a 5xx never is.
# negative_data_rejection: a batch over its item limit (maxItems) is refused with 413 Content Too Large
# (RFC 9110 15.5.14), as every batch endpoint does, besides the default 4xx statuses.
CONFIG = SchemathesisConfig.from_str(
    """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "422", "428"]

[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
"""
)
APP = _app(_TMP)
# An admin token of the fuzz store: writes are exercised, not only refused with 401.
TOKEN = APP.extensions["snomap"].guidelines.tokens.create("fuzz", "admin")  # type: ignore[attr-defined]
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP, config=CONFIG)
load_all_checks()
ALL_CHECKS = list(CHECKS.get_all())


@schema.parametrize()
@seed(SEED)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api(case: schemathesis.Case) -> None:
    checks = ALL_CHECKS
    if case.operation.path == "/api/v1/audit":
        # Its negative cases are a missing Authorization header (the test always sends the admin token) and
        # unknown query parameters, which every route ignores by design (caches and proxies add some).
        checks = [c for c in ALL_CHECKS if c.__name__ != "negative_data_rejection"]
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"}, checks=checks)
