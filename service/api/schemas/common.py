"""Schemas every resource shares: the dialect and paging parameters, a concept reference, a page of them."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

MAX_PAGE = 1000
# The largest integer a query parameter (or path segment, ``service.app``) may hold: what the databases'
# BIGINT and numpy's int64 hold, so a larger one is a 400 (404 in a path), not an overflow in a query.
MAX_INT64 = 2**63 - 1


class LangQuery(Schema):
    lang = fields.Str(
        load_default=None,
        metadata={"description": "Dialect for terms: en-US (default), en-GB, or a language refset id"},
    )


class PageQuery(LangQuery):
    limit = fields.Int(load_default=50, validate=validate.Range(1, MAX_PAGE))
    offset = fields.Int(load_default=0, validate=validate.Range(0, MAX_INT64))


class ConceptRef(Schema):
    conceptId = fields.Str(required=True)
    pt = fields.Str(allow_none=True)


class Page(Schema):
    total = fields.Int(required=True)
    limit = fields.Int(required=True)
    offset = fields.Int(required=True)
    items = fields.List(fields.Nested(ConceptRef), required=True)
