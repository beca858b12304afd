"""Every ``SNOMAP_*`` setting of the service: its default and its parser, read once into the app config.

`create_app` calls `load` once; views read `current_app.config` (through `setting`), never the
environment. An explicit config passed to `create_app` wins over the environment, and both go through
the same parser, so ``"true"`` and ``True``, ``"5"`` and ``5.0`` mean the same wherever they come from.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app

from terminology.authoring.validation import DEFAULT_HIERARCHIES
from terminology.ecl.evaluator import DEFAULT_TIME_BUDGET_S
from terminology.fhir import FhirSettings
from terminology.fhir.context import DEFAULT_EXPANSION_LIMIT

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


def _text(value: Any) -> str | None:
    return None if value is None or str(value).strip() == "" else str(value).strip()


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{value!r} is not a yes/no value (1, true, yes, on / 0, false, no, off)")


def _auto_flag(value: Any) -> bool | None:
    """A flag that may be left to the server to decide ("auto" or empty)."""
    if value is None or str(value).strip().lower() in ("", "auto"):
        return None
    return _flag(value)


def _seconds(value: Any) -> float:
    return float(value)


def _count(value: Any) -> int:
    return int(str(value).strip())


def _paths(value: Any) -> list[str]:
    """Index directories from a list or an ``os.pathsep``-separated string (the environment's form)."""
    if not value:
        return []
    items = value.split(os.pathsep) if isinstance(value, str) else list(value)
    return [str(p).strip() for p in items if str(p).strip()]


def _sctids(value: Any) -> tuple[int, ...]:
    """Concept ids from a list or a comma- or space-separated string."""
    if isinstance(value, str):
        value = [v for v in value.replace(" ", ",").split(",") if v]
    return tuple(int(v) for v in value)


def _json_list(value: Any) -> list[Any]:
    """A JSON list (the environment's form) or a list given as such."""
    if isinstance(value, list):
        return value
    text = str(value).strip()
    parsed = json.loads(text) if text else []
    if not isinstance(parsed, list):
        raise ValueError("expected a JSON list")
    return parsed


def _directory(value: Any) -> Path | None:
    return None if _text(value) is None else Path(str(value).strip())


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    parse: Callable[[Any], Any]
    doc: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "SNOMAP_INDEX",
        None,
        _text,
        "The index directory to serve (default: the sample release's index, built on first use).",
    ),
    Setting(
        "SNOMAP_GUIDELINES",
        None,
        _text,
        "A directory of guideline files to serve read-only (default: the authoring store).",
    ),
    Setting(
        "SNOMAP_DATABASE_URL",
        None,
        _text,
        "The guideline store (default: the SQLite file $SNOMAP_DATA_DIR/guidelines.db).",
    ),
    Setting(
        "SNOMAP_DATA_DIR",
        None,
        _directory,
        "Where the embedded store and the page-session key live (default ~/.local/share/snomap).",
    ),
    Setting(
        "SNOMAP_FHIR_EDITIONS",
        [],
        _paths,
        "Further indexes the FHIR API (and REST with ?version= / Accept-Version) serves beside SNOMAP_INDEX (os.pathsep-separated).",
    ),
    Setting(
        "SNOMAP_ECL_TIME_BUDGET",
        DEFAULT_TIME_BUDGET_S,
        _seconds,
        "Seconds one ECL evaluation may take before it is refused (422).",
    ),
    Setting(
        "SNOMAP_READS_REQUIRE_TOKEN", False, _flag, "Require a bearer token (pages: a signed-in session) for reads too."
    ),
    Setting(
        "SNOMAP_TAG_HIERARCHIES",
        DEFAULT_HIERARCHIES,
        _sctids,
        "Concepts whose subtrees a tag may sit in without a warning.",
    ),
    Setting(
        "SNOMAP_AUTH_FAILURES_PER_MINUTE",
        10,
        _count,
        "Failed authentications (API or sign-in) a client address may make per minute before 429 (per worker; 0: no limit).",
    ),
    Setting(
        "SNOMAP_SESSION_COOKIE_SECURE",
        None,
        _auto_flag,
        "Mark the page session cookie Secure: true, false, or auto (when the request came over HTTPS, as the proxy says with SNOMAP_PROXY_FIX).",
    ),
    Setting(
        "SNOMAP_PROXY_FIX",
        0,
        _count,
        "How many reverse proxies to trust for X-Forwarded-For/-Proto (client address, HTTPS); 0: none.",
    ),
    Setting(
        "SNOMAP_SECRET_KEY",
        None,
        _text,
        "The key that signs page sessions (default: a random key kept in SNOMAP_DATA_DIR).",
    ),
    Setting(
        "SNOMAP_FHIR_UNPUBLISHED",
        None,
        _auto_flag,
        "Present the edition as xsct (true), sct (false) or decide from the module (auto).",
    ),
    Setting(
        "SNOMAP_FHIR_EXPANSION_LIMIT", DEFAULT_EXPANSION_LIMIT, _count, "The most codes one $expand response may hold."
    ),
    Setting("SNOMAP_FHIR_MRCM", False, _flag, "Also check expressions in $validate-code against the MRCM."),
    Setting(
        "SNOMAP_VERIFY_INDEX",
        True,
        _flag,
        "Check every index file's checksum when the service opens it (sizes and headers are always checked).",
    ),
    Setting(
        "SNOMAP_CDS_TRUSTED_ISSUERS",
        [],
        _json_list,
        'CDS Hooks: the EHRs trusted to call, as JSON: [{"iss": ..., "jwks_url": ...} | {"iss": ..., "jwks": {...}} | {"iss": ..., "public_keys": {kid: PEM}}].',
    ),
    Setting(
        "SNOMAP_CDS_ALLOW_UNAUTHENTICATED",
        False,
        _flag,
        "CDS Hooks: let calls without a bearer token through (development only).",
    ),
    Setting(
        "SNOMAP_CDS_PUBLIC_URL",
        None,
        _text,
        "CDS Hooks: the service's external base URL (JWT `aud`, card links) behind a proxy.",
    ),
    Setting(
        "SNOMAP_CDS_FHIR_TIMEOUT",
        5.0,
        _seconds,
        "CDS Hooks: seconds to wait for the EHR's FHIR server when fetching Conditions.",
    ),
    Setting(
        "SNOMAP_MAX_BODY_BYTES",
        2 * 1024 * 1024,
        _count,
        "The largest request body any route accepts, chunked or not (413 past it).",
    ),
    Setting(
        "SNOMAP_FHIR_MAX_BODY_BYTES",
        16 * 1024 * 1024,
        _count,
        "The largest request body under /fhir (Parameters and ValueSets can be large).",
    ),
    Setting(
        "SNOMAP_LOG_LEVEL", "warning", lambda v: str(v).strip().lower(), "gunicorn's log level under `snomap serve`."
    ),
)
BY_NAME = {s.name: s for s in SETTINGS}


class SettingError(ValueError):
    """A setting whose value cannot be parsed: names the setting, so a bad deployment stops at start-up."""


def load(given: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Every setting parsed once: the value given to `create_app`, else the environment, else the default."""
    given = given or {}
    environ = os.environ if environ is None else environ
    out: dict[str, Any] = {}
    for s in SETTINGS:
        raw = given.get(s.name)
        if raw is None:
            raw = environ.get(s.name)
        if raw is None:
            out[s.name] = s.default
            continue
        try:
            out[s.name] = s.parse(raw)
        except (TypeError, ValueError) as exc:
            raise SettingError(f"{s.name}={raw!r}: {exc}") from None
    return out


def setting(name: str) -> Any:
    """A setting of the current app (its default when a caller removed it from the config)."""
    value = current_app.config.get(name)
    return BY_NAME[name].default if value is None else value


def data_dir(config: Mapping[str, Any]) -> Path:
    """SNOMAP_DATA_DIR, else $XDG_DATA_HOME/snomap (~/.local/share/snomap), as the guideline store uses it."""
    given = config.get("SNOMAP_DATA_DIR")
    if given:
        return Path(given)
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "snomap"


def fhir_settings(config: Mapping[str, Any]) -> FhirSettings:
    """The FHIR API's settings from the app config (already parsed by `load`)."""
    return FhirSettings(
        unpublished=config.get("SNOMAP_FHIR_UNPUBLISHED"),
        expansion_limit=config.get("SNOMAP_FHIR_EXPANSION_LIMIT") or DEFAULT_EXPANSION_LIMIT,
        mrcm=bool(config.get("SNOMAP_FHIR_MRCM")),
    )
