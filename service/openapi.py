"""The OpenAPI 3 document, generated from the marshmallow schemas and the views' docstrings."""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.yaml_utils import load_operations_from_docstring
from flask import Flask
from marshmallow import Schema

from . import batch_schemas, composition_schemas, ecl_schemas, guideline_schemas, schemas

_RULE_ARG = re.compile(r"<(?:[a-z_]+:)?([a-zA-Z_]+)>")


def build_spec(app: Flask, extra_schemas: list[type[Schema]] | None = None) -> dict[str, Any]:
    spec = APISpec(
        title="snomap",
        version="1",
        openapi_version="3.0.3",
        info={"description": "SNOMED CT concepts, hierarchy, search, mapping and guidelines linked through the is-a hierarchy."},
        plugins=[MarshmallowPlugin()],
    )
    for module in (schemas, guideline_schemas, ecl_schemas, composition_schemas, batch_schemas):
        for name in sorted(dir(module)):
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
                        response.setdefault("description", "OK" if str(code).startswith("2") else "Error (problem+json)")
        path = _RULE_ARG.sub(r"{\1}", rule.rule)
        spec.path(path=path, operations=operations)
    return spec.to_dict()
