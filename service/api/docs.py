"""The OpenAPI document and a readable, self-contained API docs page (no CDN assets)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template_string

from ..openapi import build_spec

bp = Blueprint("docs", __name__)

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>snomap API</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
code,pre{font:14px ui-monospace,monospace;background:#f3f3f3;padding:.1rem .3rem;border-radius:3px}
.op{border:1px solid #ccc;border-radius:6px;margin:1rem 0;padding:.5rem 1rem}
.m{font-weight:700;text-transform:uppercase;margin-right:.5rem;color:#0b5394}
table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.2rem .6rem;text-align:left}
</style></head><body>
<h1>snomap API</h1>
<p>{{ spec.info.description }} Machine-readable document: <a href="{{ url }}">{{ url }}</a>.</p>
{% for path, ops in spec.paths.items() %}{% for method, op in ops.items() %}
<section class="op" id="{{ op.operationId }}"><h2><span class="m">{{ method }}</span><code>{{ path }}</code></h2>
<p>{{ op.summary }}</p>
{% if op.parameters %}<table><tr><th>parameter</th><th>in</th><th>required</th><th>description</th></tr>
{% for p in op.parameters %}<tr><td><code>{{ p.name }}</code></td><td>{{ p['in'] }}</td><td>{{ 'yes' if p.required else 'no' }}</td><td>{{ p.description or '' }}</td></tr>{% endfor %}</table>{% endif %}
{% if op.requestBody %}<p>Request body: <code>{{ op.requestBody.content['application/json'].schema['$ref'].split('/')[-1] if op.requestBody.content['application/json'].schema['$ref'] else 'JSON' }}</code></p>{% endif %}
<ul>{% for code, r in op.responses.items() %}<li><b>{{ code }}</b> {{ r.description or '' }}{% if r.content %} <code>{{ (r.content.values()|list)[0].schema['$ref'].split('/')[-1] if (r.content.values()|list)[0].schema['$ref'] else '' }}</code>{% endif %}</li>{% endfor %}</ul>
</section>{% endfor %}{% endfor %}
<p>Errors are <code>application/problem+json</code>: <code>type</code>, <code>title</code>, <code>status</code>, <code>detail</code> and the offending <code>field</code>.</p>
</body></html>"""


def _spec() -> dict:
    cached = current_app.extensions.get("snomap_openapi")
    if cached is None:
        cached = build_spec(current_app)
        current_app.extensions["snomap_openapi"] = cached
    return cached


@bp.get("/api/v1/openapi.json")
def openapi_json():  # type: ignore[no-untyped-def]
    """This OpenAPI 3 document.
    ---
    get:
      tags: [docs]
      responses:
        200: {description: The OpenAPI document, content: {application/json: {schema: {type: object}}}}
    """
    return jsonify(_spec())


@bp.get("/api/v1/docs")
def api_docs():  # type: ignore[no-untyped-def]
    """A readable page of the API, generated from the OpenAPI document.
    ---
    get:
      tags: [docs]
      responses:
        200: {description: HTML page, content: {text/html: {schema: {type: string}}}}
    """
    return render_template_string(_PAGE, spec=_spec(), url="/api/v1/openapi.json")
