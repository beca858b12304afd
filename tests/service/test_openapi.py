"""The OpenAPI document, the docs page, and the health probes.

The document is checked by hand against the OpenAPI 3.0 structure (always), with
openapi-spec-validator when it is installed, and against the app's own url_map: every route
under /api/v1, plus /healthz and /readyz, must be documented with its methods.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
# Routes that serve the documentation itself (see test_docs_routes_are_documented).
DOC_ROUTES = {"/api/v1/openapi.json", "/api/v1/docs"}


@pytest.fixture(scope="module")
def spec(app: Flask) -> dict[str, Any]:
    resp = app.test_client().get("/api/v1/openapi.json")
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"
    return resp.get_json()


def documented_routes(app: Flask) -> dict[str, set[str]]:
    """Rules of the url_map that must be in the document (the API and CDS Hooks), in OpenAPI path syntax, with their methods."""
    out: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if not (rule.rule.startswith(("/api/v1", "/cds-services")) or rule.rule in ("/healthz", "/readyz")):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        out.setdefault(path, set()).update(m.lower() for m in (rule.methods or ()) if m not in ("HEAD", "OPTIONS"))
    return out


def walk(node: Any, where: str = "#") -> Iterator[tuple[str, Any]]:
    yield where, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, f"{where}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, f"{where}/{i}")


def resolve_pointer(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"{ref}: no {part!r}"
        node = node[part]
    return node


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in HTTP_METHODS:
                yield path, method, op


# --------------------------------------------------------------------------- structure, by hand


def test_top_level_structure(spec: dict[str, Any]) -> None:
    assert re.fullmatch(r"3\.\d+\.\d+", spec["openapi"])
    assert isinstance(spec["info"]["title"], str) and spec["info"]["title"]
    assert isinstance(spec["info"]["version"], str) and spec["info"]["version"]
    assert isinstance(spec["paths"], dict) and spec["paths"]
    assert isinstance(spec["components"]["schemas"], dict)
    assert set(spec) <= {"openapi", "info", "servers", "paths", "components", "security", "tags", "externalDocs"}


def test_operations_by_hand(spec: dict[str, Any]) -> None:
    seen_ids: set[str] = set()
    for path, method, op in operations(spec):
        assert path.startswith("/")
        assert isinstance(op.get("responses"), dict) and op["responses"], (path, method)
        for code in op["responses"]:
            assert re.fullmatch(r"[1-5]\d\d|[1-5]XX|default", str(code)), (path, method, code)
        op_id = op.get("operationId")
        assert op_id and op_id not in seen_ids, (path, method, op_id)
        seen_ids.add(op_id)
        params = op.get("parameters", [])
        for p in params:
            assert p["in"] in {"path", "query", "header", "cookie"}
            assert p["name"]
            assert "schema" in p or "content" in p
            if p["in"] == "path":
                assert p.get("required") is True, (path, p)
        # Every {template} in the path is declared as a path parameter, and nothing else is.
        templated = set(re.findall(r"{([^}]+)}", path))
        assert {p["name"] for p in params if p["in"] == "path"} == templated, (path, method)
        if "requestBody" in op:
            assert op["requestBody"]["content"], (path, method)


def test_every_ref_resolves(spec: dict[str, Any]) -> None:
    refs = [(where, node["$ref"]) for where, node in walk(spec) if isinstance(node, dict) and "$ref" in node]
    assert refs, "the document uses components; expected some $ref"
    for where, ref in refs:
        target = resolve_pointer(spec, ref)
        assert isinstance(target, dict), (where, ref)


def test_every_response_has_a_description(spec: dict[str, Any]) -> None:
    missing = [
        f"{method.upper()} {path} {code}"
        for path, method, op in operations(spec)
        for code, resp in op["responses"].items()
        if not isinstance(resp.get("description"), str)
    ]
    assert missing == []


def test_valid_with_openapi_spec_validator(spec: dict[str, Any]) -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(spec)


# --------------------------------------------------------------------------- the document matches the app


def test_every_api_route_is_documented(app: Flask, spec: dict[str, Any]) -> None:
    routes = documented_routes(app)
    # The API routes themselves (the docs routes are checked separately below).
    expected = {p: m for p, m in routes.items() if p not in DOC_ROUTES}
    assert {
        "/healthz",
        "/readyz",
        "/api/v1/concepts/{concept_id}",
        "/api/v1/concepts/{concept_id}/parents",
        "/api/v1/concepts/{concept_id}/children",
        "/api/v1/concepts/{concept_id}/ancestors",
        "/api/v1/concepts/{concept_id}/descendants",
        "/api/v1/subsumes",
        "/api/v1/resolve",
        "/api/v1/guidelines",
        "/api/v1/guidelines/{gid}",
    } <= set(expected)
    for path, methods in expected.items():
        assert path in spec["paths"], path
        assert {m for m in spec["paths"][path] if m in HTTP_METHODS} == methods, path


def test_no_documented_path_without_a_route(app: Flask, spec: dict[str, Any]) -> None:
    assert set(spec["paths"]) <= set(documented_routes(app))


def test_docs_routes_are_documented(spec: dict[str, Any]) -> None:
    assert set(spec["paths"]) >= DOC_ROUTES


def test_documented_paging_bounds_match_behaviour(spec: dict[str, Any]) -> None:
    # The limits the API enforces (400 outside 1..1000, offset >= 0) are the documented ones.
    for which in ("parents", "children", "ancestors", "descendants"):
        params = {p["name"]: p for p in spec["paths"][f"/api/v1/concepts/{{concept_id}}/{which}"]["get"]["parameters"]}
        assert params["limit"]["schema"]["minimum"] == 1
        assert params["limit"]["schema"]["maximum"] == 1000
        assert params["offset"]["schema"]["minimum"] == 0
    resolve_in = spec["components"]["schemas"]["ResolveIn"]
    assert resolve_in["properties"]["codes"]["minItems"] == 1
    assert resolve_in["properties"]["codes"]["maxItems"] == 1000
    assert resolve_in["required"] == ["codes"]


def _inline(spec: dict[str, Any], node: Any) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(spec, resolve_pointer(spec, node["$ref"]))
        return {k: _inline(spec, v) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(spec, v) for v in node]
    return node


@pytest.mark.parametrize(
    ("method", "url", "path", "body"),
    [
        ("get", "/readyz", "/readyz", None),
        ("get", "/api/v1/concepts/1059990001105", "/api/v1/concepts/{concept_id}", None),
        ("get", "/api/v1/concepts/1119990001107", "/api/v1/concepts/{concept_id}", None),
        ("get", "/api/v1/concepts/5019990001108", "/api/v1/concepts/{concept_id}", None),
        (
            "get",
            "/api/v1/concepts/1019990001106/descendants?limit=3",
            "/api/v1/concepts/{concept_id}/descendants",
            None,
        ),
        ("get", "/api/v1/concepts/1059990001105/parents", "/api/v1/concepts/{concept_id}/parents", None),
        ("get", "/api/v1/subsumes?a=1039990001102&b=1059990001105", "/api/v1/subsumes", None),
        ("get", "/api/v1/guidelines?concept=1229990001105", "/api/v1/guidelines", None),
        ("get", "/api/v1/guidelines", "/api/v1/guidelines", None),
        ("get", "/api/v1/guidelines/oligometastatic-local-therapy", "/api/v1/guidelines/{gid}", None),
        (
            "post",
            "/api/v1/resolve",
            "/api/v1/resolve",
            {"codes": ["1059990001105", "abc", {"system": "http://hl7.org/fhir/sid/icd-10", "code": "C79.5"}]},
        ),
    ],
)
def test_responses_match_their_documented_schema(
    client: FlaskClient, spec: dict[str, Any], method: str, url: str, path: str, body: Any
) -> None:
    oas = pytest.importorskip("openapi_schema_validator")
    resp = client.post(url, json=body) if method == "post" else client.get(url)
    assert resp.status_code == 200
    schema = _inline(spec, spec["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"])
    errors = [e.message for e in oas.OAS30Validator(schema).iter_errors(resp.get_json())]
    assert errors == []


# --------------------------------------------------------------------------- the docs page


def test_docs_page_is_html_mentioning_every_path(app: Flask, client: FlaskClient, spec: dict[str, Any]) -> None:
    resp = client.get("/api/v1/docs")
    assert resp.status_code == 200
    assert resp.mimetype == "text/html"
    page = resp.get_data(as_text=True)
    assert page.lstrip().lower().startswith("<!doctype html>")
    for path in set(spec["paths"]) | (set(documented_routes(app)) - DOC_ROUTES):
        assert f"<code>{path}</code>" in page, path
    for _, method, op in operations(spec):
        assert f'id="{op["operationId"]}"' in page
        assert f'<span class="m">{method}</span>' in page
    # It links the machine-readable document and loads nothing from elsewhere.
    assert 'href="/api/v1/openapi.json"' in page
    assert "<script" not in page.lower()
    assert not re.search(r'(src|href)="https?://', page)


# --------------------------------------------------------------------------- health probes


def test_healthz(client: FlaskClient) -> None:
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"
    assert resp.get_json() == {"status": "ok"}


def test_readyz_reports_the_sample_edition_and_version(client: FlaskClient) -> None:
    resp = client.get("/readyz")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["status"] == "ready"
    release = body["release"]
    # Refset/Metadata/der2_ssRefset_ModuleDependencySnapshot_SNOMAP_20250301.txt: module 19990001103
    # depends on 900000000000012004 and 900000000000207008 (referencedComponentId), sourceEffectiveTime
    # 20250301. Nothing depends on 19990001103, so it is the edition; its version is 20250301.
    assert release["edition"] == "19990001103"
    assert release["version"] == "20250301"
    # 19990001103 is a fictional edition, not among those SNOMED International and its members publish,
    # so its URI is the xsct form (docs/fhir.md "Versions and editions"), the one FHIR reports too.
    assert release["uri"] == "http://snomed.info/xsct/19990001103/version/20250301"
    assert body["versions"] == [release["uri"]]
    # Terminology/sct2_Concept_Snapshot_SNOMAP_20250301.txt: 121 rows, 2 with active = 0
    # (1119990001107, 1229990001105).
    assert release["concepts"] == 121
    assert release["activeConcepts"] == 119


def test_every_schema_module_is_walked(app: Flask) -> None:
    """OpenAPI walks service/api/schemas: every public schema of every module is a component, with no list to keep."""
    from marshmallow import Schema

    from service.openapi import build_spec, schema_modules

    spec = build_spec(app)
    modules = schema_modules()
    assert {m.__name__.rsplit(".", 1)[-1] for m in modules} >= {
        "common",
        "concepts",
        "ecl",
        "guidelines",
        "map",
        "authoring",
        "annotate",
        "resolve",
    }
    for m in modules:
        for name, cls in vars(m).items():
            if (
                isinstance(cls, type)
                and issubclass(cls, Schema)
                and cls.__module__ == m.__name__
                and not name.startswith("_")
            ):
                assert name in spec["components"]["schemas"], name
