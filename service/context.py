"""Per-app access to the opened terminology and the guideline repository."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from flask import current_app, request
from marshmallow import Schema

from terminology import Terminology


@dataclass
class Services:
    terminology: Terminology
    guidelines: Any  # a terminology.guidelines.GuidelineRepository
    editions: tuple[Terminology, ...] = ()  # further SNOMED CT editions/versions the FHIR API serves


def services() -> Services:
    return current_app.extensions["snomap"]


def terminology() -> Terminology:
    return services().terminology


@cache
def schema_of(cls: type[Schema]) -> Schema:
    """One shared instance per schema class: building a Schema deep-copies its fields (measured ~50 us)."""
    return cls()


def query(schema: type[Schema]) -> dict[str, Any]:
    """Validated query parameters (unknown ones are ignored, as HTTP caches and proxies add some)."""
    return schema_of(schema).load(request.args.to_dict(), unknown="exclude")


def body(schema: type[Schema]) -> dict[str, Any]:
    """A validated JSON body; a missing or malformed body is a 400 naming the problem."""
    from .problems import Problem

    data = request.get_json(silent=True)
    if data is None:
        raise Problem(400, "Invalid request", "the request body must be a JSON object", kind="invalid-request")
    return schema_of(schema).load(data, unknown="raise")
