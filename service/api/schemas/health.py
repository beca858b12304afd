"""Schemas of the readiness probe (``GET /readyz``)."""

from __future__ import annotations

from marshmallow import Schema, fields


class ReleaseOut(Schema):
    edition = fields.Str()
    version = fields.Str()
    uri = fields.Str()
    concepts = fields.Int()
    activeConcepts = fields.Int()


class ReadyOut(Schema):
    status = fields.Str()
    versions = fields.List(fields.Str(), metadata={"description": "Every loaded edition URI, the default first"})
    release = fields.Nested(ReleaseOut)
