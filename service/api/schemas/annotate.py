"""Schemas of text annotation (``POST /api/v1/annotate``)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from terminology.mapping.annotate import MAX_TEXT

from .ecl import MAX_ECL_LENGTH


class AnnotateIn(Schema):
    text = fields.Str(required=True, validate=validate.Length(1, MAX_TEXT))
    lang = fields.Str(load_default=None)
    ecl = fields.Str(
        load_default=None,
        validate=validate.Length(1, MAX_ECL_LENGTH),
        metadata={"description": "Only suggest concepts of this ECL expression"},
    )
    minScore = fields.Float(load_default=0.0, validate=validate.Range(0.0, 1.0))


class MentionOut(Schema):
    start = fields.Int(metadata={"description": "Character offset of the first character"})
    end = fields.Int(metadata={"description": "Character offset after the last character"})
    text = fields.Str()
    conceptId = fields.Str()
    pt = fields.Str(allow_none=True)
    matchedTerm = fields.Str()
    score = fields.Float()
    negated = fields.Bool(metadata={"description": 'The patient does not have it ("no", "exclude")'})
    hypothetical = fields.Bool(metadata={"description": 'Considered, not stated ("rule out", "suspected", "?")'})
    historical = fields.Bool(metadata={"description": 'In the past ("history of", "previous")'})
    family = fields.Bool(metadata={"description": 'A relative\'s ("family history of", "mother had")'})
    uncertain = fields.Bool(metadata={"description": 'Doubted ("suspected", "possible", "?"); a kind of hypothetical'})
    trigger = fields.Str(
        allow_none=True, metadata={"description": "The first context trigger (negation, uncertainty, history, family)"}
    )


class AnnotateOut(Schema):
    mentions = fields.List(fields.Nested(MentionOut))
    total = fields.Int()
    elapsedMs = fields.Float()
