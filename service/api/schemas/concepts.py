"""Schemas of a concept and of subsumption (``/api/v1/concepts``, ``/api/v1/subsumes``)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .common import ConceptRef


class DescriptionOut(Schema):
    descriptionId = fields.Str()
    term = fields.Str()
    type = fields.Str()
    languageCode = fields.Str()
    acceptability = fields.Str(
        allow_none=True, metadata={"description": "preferred or acceptable in the requested dialect"}
    )


class AttributeOut(Schema):
    group = fields.Int()
    type = fields.Nested(ConceptRef)
    value = fields.Nested(ConceptRef, allow_none=True)
    concreteValue = fields.Raw(allow_none=True)


class AssociationOut(Schema):
    type = fields.Str()
    refsetId = fields.Str()
    target = fields.Nested(ConceptRef)


class MapOut(Schema):
    refsetId = fields.Str()
    mapTarget = fields.Str()
    mapGroup = fields.Int()
    mapPriority = fields.Int()
    mapRule = fields.Str()
    mapAdvice = fields.Str()


class ConceptOut(Schema):
    conceptId = fields.Str(required=True)
    active = fields.Bool()
    moduleId = fields.Str()
    definitionStatus = fields.Str()
    effectiveTime = fields.Str()
    fsn = fields.Str(allow_none=True)
    pt = fields.Str(allow_none=True)
    synonyms = fields.List(fields.Nested(DescriptionOut))
    parents = fields.List(fields.Nested(ConceptRef))
    childCount = fields.Int()
    attributes = fields.List(fields.Nested(AttributeOut))
    refsets = fields.List(fields.Nested(ConceptRef))
    maps = fields.List(fields.Nested(MapOut))
    inactivationReason = fields.Str(allow_none=True)
    associations = fields.List(fields.Nested(AssociationOut))


class SubsumesQuery(Schema):
    a = fields.Str(required=True, metadata={"description": "Concept A (the possible supertype)"})
    b = fields.Str(required=True, metadata={"description": "Concept B"})


class SubsumesOut(Schema):
    outcome = fields.Str(validate=validate.OneOf(["equivalent", "subsumes", "subsumed-by", "not-subsumed"]))
    warnings = fields.List(
        fields.Str(),
        metadata={"description": "Present when a or b is inactive (it has no is-a relationships), saying which"},
    )
