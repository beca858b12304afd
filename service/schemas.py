"""Marshmallow schemas for every request and response body of the concept API."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

MAX_PAGE = 1000


class LangQuery(Schema):
    lang = fields.Str(load_default=None, metadata={"description": "Dialect for terms: en-US (default), en-GB, or a language refset id"})


class PageQuery(LangQuery):
    limit = fields.Int(load_default=50, validate=validate.Range(1, MAX_PAGE))
    offset = fields.Int(load_default=0, validate=validate.Range(0))


class ConceptRef(Schema):
    conceptId = fields.Str(required=True)
    pt = fields.Str(allow_none=True)


class Page(Schema):
    total = fields.Int(required=True)
    limit = fields.Int(required=True)
    offset = fields.Int(required=True)
    items = fields.List(fields.Nested(ConceptRef), required=True)


class DescriptionOut(Schema):
    descriptionId = fields.Str()
    term = fields.Str()
    type = fields.Str()
    languageCode = fields.Str()
    acceptability = fields.Str(allow_none=True, metadata={"description": "preferred or acceptable in the requested dialect"})


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


class SearchQuery(LangQuery):
    q = fields.Str(required=True, validate=validate.Length(1, 500))
    limit = fields.Int(load_default=20, validate=validate.Range(1, 200))
    ecl = fields.Str(load_default=None, metadata={"description": "Restrict results to the members of this ECL expression"})
    activeOnly = fields.Bool(load_default=True)


class SearchHitOut(Schema):
    conceptId = fields.Str()
    pt = fields.Str(allow_none=True)
    term = fields.Str(metadata={"description": "The description that matched"})
    descriptionId = fields.Str()
    score = fields.Float()


class SearchOut(Schema):
    items = fields.List(fields.Nested(SearchHitOut))


class CodingIn(fields.Field):
    """A code to resolve: an SCTID string/number, or {system, code} for a code of another system."""

    def _deserialize(self, value, attr, data, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(value, int | str) and not isinstance(value, bool):
            return {"code": str(value), "system": None}
        if isinstance(value, dict) and isinstance(value.get("code"), str | int):
            system = value.get("system")
            if system is not None and not isinstance(system, str):
                raise ValidationError("system must be a string URI")
            return {"code": str(value["code"]), "system": system}
        raise ValidationError("each code is an SCTID or an object {system, code}")


class ResolveIn(Schema):
    # Items are read one by one by the handler (CodingIn), so one bad item is that item's error.
    codes = fields.List(fields.Raw(allow_none=True), required=True, validate=validate.Length(1, 1000), metadata={"description": "SCTIDs or {system, code}"})
    lang = fields.Str(load_default=None)


class ResolvedOut(Schema):
    input = fields.Raw()
    concepts = fields.List(fields.Nested(ConceptRef))
    how = fields.Str(allow_none=True, metadata={"description": "direct, description, REPLACED BY, SAME AS, ..., or map"})
    guidelineCount = fields.Int()
    error = fields.Dict(allow_none=True)


class ResolveOut(Schema):
    results = fields.List(fields.Nested(ResolvedOut))


class MapIn(Schema):
    text = fields.Str(required=True, validate=validate.Length(1, 1000))
    limit = fields.Int(load_default=10, validate=validate.Range(1, 100))
    lang = fields.Str(load_default=None)


class MapCandidateOut(Schema):
    conceptId = fields.Str()
    term = fields.Str()
    pt = fields.Str(allow_none=True)
    score = fields.Float()
    matchedTerm = fields.Str()
    explanation = fields.Raw()
    ancestors = fields.List(
        fields.Nested(ConceptRef), metadata={"description": "The nearest ancestors first (at most 25; see ancestorCount)"}
    )
    ancestorCount = fields.Int(metadata={"description": "How many ancestors the concept has in all"})


class MapOutSchema(Schema):
    candidates = fields.List(fields.Nested(MapCandidateOut))
    matched = fields.Bool()
    threshold = fields.Float()


class ReleaseOut(Schema):
    edition = fields.Str()
    version = fields.Str()
    uri = fields.Str()
    concepts = fields.Int()
    activeConcepts = fields.Int()


class ReadyOut(Schema):
    status = fields.Str()
    release = fields.Nested(ReleaseOut)


class _NoUnknownQuery(Schema):
    @validates_schema(pass_original=True)
    def _no_unknown(self, data, original, **kwargs):  # type: ignore[no-untyped-def]
        return None
