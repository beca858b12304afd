"""CDS Hooks 2.0 JSON shapes, written as JSON Schema from the specification's tables (../shared/cds-hooks/current.md),
and the specification's own JSON examples, read from its Markdown so they are tested as published."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.conftest import REPO

SPEC_DIR = REPO.parent / "shared" / "cds-hooks"

STR = {"type": "string", "minLength": 1}  # "JSON elements SHALL NOT be empty"
OBJECT = {"type": "object", "minProperties": 1}


def coding(display_required: bool = False) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["code", "system", *(["display"] if display_required else [])],
        "properties": {"code": STR, "system": STR, "display": STR},
    }


SERVICE = {
    "type": "object",
    "required": ["hook", "description", "id"],
    "properties": {
        "hook": STR,
        "title": STR,
        "description": STR,
        "id": STR,
        "prefetch": {"type": "object", "additionalProperties": STR},
        "usageRequirements": STR,
        "extension": OBJECT,
    },
    "additionalProperties": False,
}
DISCOVERY = {
    "type": "object",
    "required": ["services"],
    "properties": {"services": {"type": "array", "items": SERVICE}},
}

REQUEST = {
    "type": "object",
    "required": ["hook", "hookInstance", "context"],
    "properties": {
        "hook": STR,
        "hookInstance": STR,
        "fhirServer": {"type": "string", "pattern": "^https?://"},
        "fhirAuthorization": {
            "type": "object",
            "required": ["access_token", "token_type", "expires_in", "scope", "subject"],
            "properties": {
                "access_token": STR,
                "token_type": {"const": "Bearer"},
                "expires_in": {"type": "integer"},
                "scope": STR,
                "subject": STR,
                "patient": STR,
            },
        },
        "context": {"type": "object"},
        "prefetch": {"type": "object"},
        "extension": OBJECT,
    },
    "dependentRequired": {"fhirAuthorization": ["fhirServer"]},
    "additionalProperties": False,
}

ACTION = {
    "type": "object",
    "required": ["type", "description"],
    "properties": {
        "type": {"enum": ["create", "update", "delete"]},
        "description": STR,
        "resource": {"type": "object"},
        "resourceId": STR,
    },
}
LINK = {
    "type": "object",
    "required": ["label", "url", "type"],
    "properties": {
        "label": STR,
        "url": {"type": "string", "pattern": "^https?://"},
        "type": {"enum": ["absolute", "smart"]},
        "appContext": STR,
        "autolaunchable": {"type": "boolean"},
    },
    "additionalProperties": False,
}
CARD = {
    "type": "object",
    "required": ["summary", "indicator", "source"],
    "properties": {
        "uuid": STR,
        "summary": {"type": "string", "minLength": 1, "maxLength": 139},
        "detail": STR,
        "indicator": {"enum": ["info", "warning", "critical"]},
        "source": {
            "type": "object",
            "required": ["label"],
            "properties": {
                "label": STR,
                "url": {"type": "string", "pattern": "^https?://"},
                "icon": {"type": "string", "pattern": "^https?://"},
                "topic": coding(),
            },
            "additionalProperties": False,
        },
        "suggestions": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["label"],
                "properties": {
                    "label": STR,
                    "uuid": STR,
                    "isRecommended": {"type": "boolean"},
                    "actions": {"type": "array", "items": ACTION},
                },
                "additionalProperties": False,
            },
        },
        "selectionBehavior": {"enum": ["at-most-one", "any"]},
        "overrideReasons": {"type": "array", "minItems": 1, "items": coding(display_required=True)},
        "links": {"type": "array", "minItems": 1, "items": LINK},
    },
    "dependentRequired": {"suggestions": ["selectionBehavior"]},
    "additionalProperties": False,
}
RESPONSE = {
    "type": "object",
    "required": ["cards"],
    "properties": {
        "cards": {"type": "array", "items": CARD},
        "systemActions": {"type": "array", "items": ACTION},
        "extension": OBJECT,
    },
    "additionalProperties": False,
}
FEEDBACK = {
    "type": "object",
    "required": ["feedback"],
    "properties": {
        "feedback": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["card", "outcome", "outcomeTimestamp"],
                "properties": {
                    "card": STR,
                    "outcome": {"enum": ["accepted", "overridden"]},
                    "acceptedSuggestions": {
                        "type": "array",
                        "items": {"type": "object", "required": ["id"], "properties": {"id": STR}},
                    },
                    "overrideReason": {"type": "object", "properties": {"reason": coding(), "userComment": STR}},
                    "outcomeTimestamp": {
                        "type": "string",
                        "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$",
                    },
                },
                "if": {"properties": {"outcome": {"const": "accepted"}}},
                "then": {"required": ["acceptedSuggestions"]},
            },
        }
    },
}

_BLOCK = re.compile(r"^```json\s*\n(.*?)^```", re.MULTILINE | re.DOTALL)
_COMMENT = re.compile(r"(^|\s)//.*$", re.MULTILINE)


def examples(name: str) -> list[tuple[str, Any]]:
    """Every JSON value in the ```json blocks of a spec page, with the heading above it.

    As published, some blocks are fragments (`"context": {...}`), start with the HTTP request line, hold
    several objects, or carry `//` comments: those are read as a reader would.
    """
    text = (SPEC_DIR / name).read_text(encoding="utf-8")
    out: list[tuple[str, Any]] = []
    for m in _BLOCK.finditer(text):
        heading = [line for line in text[: m.start()].splitlines() if line.startswith("#")][-1].lstrip("# ").strip()
        src = "\n".join(line for line in m.group(1).splitlines() if not line.startswith("POST "))
        src = _COMMENT.sub("", src).strip()
        if src.startswith('"'):
            src = "{" + src + "}"
        decoder, pos = json.JSONDecoder(), 0
        while pos < len(src):
            value, end = decoder.raw_decode(src, pos)
            out.append((heading, value))
            pos = end
            while pos < len(src) and src[pos].isspace():
                pos += 1
    return out


def example(name: str, heading: str, n: int = 0) -> Any:
    found = [v for h, v in examples(name) if h == heading]
    return found[n]


def spec_available() -> bool:
    return Path(SPEC_DIR / "current.md").is_file()
