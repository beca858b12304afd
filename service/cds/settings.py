"""CDS Hooks settings, read from the environment into app.config (explicit app config wins).

SNOMAP_CDS_TRUSTED_ISSUERS        JSON list of the EHRs trusted to call: [{"iss": "https://ehr.example.org",
                                  "jwks_url": "https://ehr.example.org/jwks.json"}, {"iss": ..., "jwks": {"keys": [...]}},
                                  {"iss": ..., "public_keys": {"<kid>": "-----BEGIN PUBLIC KEY-----..."}}]
SNOMAP_CDS_ALLOW_UNAUTHENTICATED  "true" lets calls without a bearer token through: development only, off by default
SNOMAP_CDS_PUBLIC_URL             the service's external base URL (for JWT `aud` and card links) behind a proxy;
                                  default: the URL the request came in on
SNOMAP_CDS_FHIR_TIMEOUT           seconds to wait for the EHR's FHIR server when fetching Conditions (default 5)
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

TRUSTED_ISSUERS = "SNOMAP_CDS_TRUSTED_ISSUERS"
ALLOW_UNAUTHENTICATED = "SNOMAP_CDS_ALLOW_UNAUTHENTICATED"
PUBLIC_URL = "SNOMAP_CDS_PUBLIC_URL"
FHIR_TIMEOUT = "SNOMAP_CDS_FHIR_TIMEOUT"
DEFAULT_FHIR_TIMEOUT = 5.0


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The four settings as app.config values (JSON and booleans parsed; a bad value stops the start)."""
    env = os.environ if environ is None else environ
    raw = env.get(TRUSTED_ISSUERS, "").strip()
    try:
        issuers = json.loads(raw) if raw else []
    except json.JSONDecodeError as e:
        raise ValueError(f"{TRUSTED_ISSUERS} is not JSON: {e}") from e
    return {
        TRUSTED_ISSUERS: issuers,
        ALLOW_UNAUTHENTICATED: flag(env.get(ALLOW_UNAUTHENTICATED, "")),
        PUBLIC_URL: env.get(PUBLIC_URL) or None,
        FHIR_TIMEOUT: float(env.get(FHIR_TIMEOUT) or DEFAULT_FHIR_TIMEOUT),
    }


def flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("", "0", "false", "no", "off"):
        return False
    raise ValueError(f"{ALLOW_UNAUTHENTICATED} must be true or false, got {value!r}")
