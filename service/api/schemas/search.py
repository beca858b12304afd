"""Schemas of term search (``GET /api/v1/search``)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .common import LangQuery
from .ecl import MAX_ECL_LENGTH


class SearchQuery(LangQuery):
    q = fields.Str(required=True, validate=validate.Length(1, 500))
    limit = fields.Int(load_default=20, validate=validate.Range(1, 200))
    ecl = fields.Str(
        load_default=None,
        validate=validate.Length(1, MAX_ECL_LENGTH),
        metadata={"description": "Restrict results to the members of this ECL expression"},
    )
    activeOnly = fields.Bool(load_default=True)


class SearchHitOut(Schema):
    conceptId = fields.Str()
    pt = fields.Str(allow_none=True)
    fsn = fields.Str(
        allow_none=True, metadata={"description": "Fully specified name, e.g. 'Hepatoblastoma (disorder)'"}
    )
    semanticTag = fields.Str(
        allow_none=True,
        metadata={"description": "The FSN's semantic tag, e.g. 'disorder' or 'morphologic abnormality'"},
    )
    term = fields.Str(metadata={"description": "The description that matched"})
    descriptionId = fields.Str()
    score = fields.Float()


class SearchOut(Schema):
    items = fields.List(fields.Nested(SearchHitOut))
