"""The OpenAPI 3 document, generated from the marshmallow schemas and the views' docstrings.

Beside what each view declares, every operation gets: the `Problem` (RFC 9457 problem+json) schema on
its error responses; 401 (any route that SNOMAP_READS_REQUIRE_TOKEN can close, i.e. all but the probes
and these documents) and 429 (too many failed authentications) where a token may be sent; 403 where it
declares the `bearer` security scheme, which `components.securitySchemes` defines.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.yaml_utils import load_operations_from_docstring
from flask import Flask
from marshmallow import Schema

from .api import schemas

_RULE_ARG = re.compile(r"<(?:[a-z_]+:)?([a-zA-Z_]+)>")
PROBLEM_JSON = "application/problem+json"
# Open even when reads need a token (service/auth.py OPEN_ENDPOINTS), or authenticated otherwise (CDS Hooks JWTs).
_OPEN = ("/healthz", "/readyz", "/api/v1/openapi.json", "/api/v1/docs")
PROBLEM_SCHEMA = {
    "type": "object",
    "description": "An error (RFC 9457). Further members say more: `field`, `errors` per field, `position` in an expression ...",
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "field": {"type": "string"},
    },
    "required": ["type", "title", "status"],
    "additionalProperties": True,
}
BEARER = {
    "type": "http",
    "scheme": "bearer",
    "description": "An API token made with `snomap tokens create` (`snm_<id>_<secret>`). CDS Hooks services take the calling EHR's signed JWT instead.",
}
_ADDED = {
    "401": "No token, or one not accepted (problem+json, `WWW-Authenticate: Bearer`); every route but the probes needs one when SNOMAP_READS_REQUIRE_TOKEN is on",
    "403": "The token's role is not enough",
    "429": "Too many failed authentications from this address (`Retry-After` says when to try again)",
    "400": "A malformed parameter (an unknown `lang`, a NUL character, a number out of range): the problem names the field",
}


def _problem_ref() -> dict[str, Any]:
    return {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _complete(path: str, op: dict[str, Any]) -> None:
    """The error responses every operation shares, each with the Problem schema (see the module docstring)."""
    responses = op["responses"] = {str(k): v for k, v in (op.get("responses") or {}).items()}
    if path not in _OPEN and not path.startswith("/cds-services"):
        responses.setdefault("401", {"description": _ADDED["401"]})
        responses.setdefault("429", {"description": _ADDED["429"]})
    if any("bearer" in req for req in op.get("security") or []):
        responses.setdefault("403", {"description": _ADDED["403"]})
    if not path.startswith("/fhir") and not path.startswith("/cds-services"):
        responses.setdefault("400", {"description": _ADDED["400"]})  # every query string is checked (lang, NUL)
    for code, response in list(responses.items()):
        key = str(code)
        if (
            isinstance(response, dict)
            and key[:1] in ("4", "5")
            and "content" not in response
            and not path.startswith("/fhir")
        ):
            response["content"] = _problem_ref()


def schema_modules() -> list[Any]:
    """Every module of `service.api.schemas`, in name order (a new resource module is picked up by itself)."""
    names = sorted(m.name for m in pkgutil.iter_modules(schemas.__path__) if not m.name.startswith("_"))
    return [importlib.import_module(f"{schemas.__name__}.{name}") for name in names]


def build_spec(app: Flask, extra_schemas: list[type[Schema]] | None = None) -> dict[str, Any]:
    spec = APISpec(
        title="snomap",
        version="1",
        openapi_version="3.0.3",
        info={
            "description": "SNOMED CT concepts, hierarchy, search, mapping and guidelines linked through the is-a hierarchy."
        },
        plugins=[MarshmallowPlugin()],
    )
    for module in schema_modules():
        for name in sorted(vars(module)):
            cls = getattr(module, name)
            if not (isinstance(cls, type) and issubclass(cls, Schema)) or cls is Schema or name.startswith("_"):
                continue
            if name not in spec.components.schemas:
                spec.components.schema(name, schema=cls)
    for cls in extra_schemas or []:
        if cls.__name__ not in spec.components.schemas:
            spec.components.schema(cls.__name__, schema=cls)
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        if view is None or not view.__doc__ or "---" not in view.__doc__:
            continue
        operations = load_operations_from_docstring(view.__doc__)
        summary = view.__doc__.strip().split("\n")[0]
        for op in operations.values():
            if isinstance(op, dict):
                op.setdefault("summary", summary)
                op.setdefault("operationId", rule.endpoint.replace(".", "_"))
                for code, response in op.get("responses", {}).items():
                    if isinstance(response, dict):
                        response.setdefault(
                            "description", "OK" if str(code).startswith(("2", "3")) else "Error (problem+json)"
                        )
        path = _RULE_ARG.sub(r"{\1}", rule.rule)
        for op in operations.values():
            if isinstance(op, dict):
                _complete(path, op)
        spec.path(path=path, operations=operations)
    spec.components.schema("Problem", PROBLEM_SCHEMA)
    spec.components.security_scheme("bearer", BEARER)
    return spec.to_dict()
