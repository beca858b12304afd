"""Forward maps of a concept to another code system (GET /api/v1/concepts/{id}/maps)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class MapsQuery(Schema):
    target = fields.Str(
        required=True, metadata={"description": "The target code system: icd-10, icd-10-cm, icd-o, opcs-4, or its URI"}
    )
    age = fields.Str(
        load_default=None,
        validate=validate.Length(max=20),
        metadata={"description": "The patient's age at onset: years (15), or with a unit (15y, 6m, 3w, 28d)"},
    )
    sex = fields.Str(
        load_default=None,
        validate=validate.OneOf(["male", "female", "other", "unknown"]),
        metadata={"description": "The patient's sex (FHIR administrative gender)"},
    )


class MapRowOut(Schema):
    priority = fields.Int()
    rule = fields.Str()
    advice = fields.Str()
    target = fields.Str()
    correlationId = fields.Str(allow_none=True)


class MapGroupOut(Schema):
    refsetId = fields.Str()
    group = fields.Int()
    decided = fields.Bool(metadata={"description": "Whether the patient data given chose this group's target"})
    target = fields.Str(allow_none=True, metadata={"description": "The chosen target code ('' maps to no code)"})
    rule = fields.Str(allow_none=True, metadata={"description": "The rule that chose it"})
    advice = fields.Str(
        allow_none=True, metadata={"description": "The map advice to show when the group is not decided"}
    )
    rows = fields.List(fields.Nested(MapRowOut), metadata={"description": "The group's rules in priority order"})


class MapsOut(Schema):
    conceptId = fields.Str()
    system = fields.Str()
    groups = fields.List(fields.Nested(MapGroupOut))
    targets = fields.List(fields.Str(), metadata={"description": "The chosen target codes, in group order"})
