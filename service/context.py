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
    guidelines: Any  # a terminology.linking.guidelines.GuidelineRepository
    editions: tuple[Terminology, ...] = ()  # further SNOMED CT editions/versions the FHIR API serves


def services() -> Services:
    return current_app.extensions["snomap"]


def terminology() -> Terminology:
    return services().terminology


@cache
def schema_of(cls: type[Schema]) -> Schema:
    """One shared instance per schema class: building a Schema deep-copies its fields (measured ~50 us)."""
    return cls()


def built(schema: type[Schema], data: dict[str, Any]) -> dict[str, Any]:
    """A response body the handler already built in the schema's shape, returned as it is.

    Dumping it through marshmallow again cost two thirds of a guidelines-for-a-concept
    request (about 30 nested items). The schema still documents the response (OpenAPI);
    under ``TESTING`` every body is checked against it, so the two cannot drift apart.
    """
    if current_app.testing:
        dumped = schema_of(schema).dump(data)
        if dumped != data:
            raise AssertionError(f"{schema.__name__}: the handler's body differs from the schema's dump")
    return data


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
