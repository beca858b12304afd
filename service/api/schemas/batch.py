"""Schemas of the batch endpoints (map:batch, guidelines:batch): options in, one result per item out.

The `items` array itself is read by the handler, not by a schema, so that one bad item (null, a
boolean, an unknown shape) becomes that item's error instead of failing the whole batch.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .common import ConceptRef

MAX_ITEMS = 1000

ITEM_DESCRIPTION = (
    "A text ('metastasis to ilium'), a code (SCTID, description id, inactive id, or a post-coordinated "
    "expression), an object {system, code} (SNOMED CT, ICD-10, ICD-10-CM), or a FHIR R4 Condition "
    "(read by its SNOMED CT codings, then its ICD-10 codings, then code.text)"
)


class MapBatchIn(Schema):
    items = fields.List(
        fields.Raw(allow_none=True, metadata={"description": ITEM_DESCRIPTION}),
        required=True,
        validate=validate.Length(0, MAX_ITEMS),
    )
    lang = fields.Str(
        load_default=None,
        metadata={"description": "Dialect for terms: en-US (default), en-GB, or a language refset id"},
    )


class GuidelinesBatchIn(MapBatchIn):
    status = fields.List(
        fields.Str(validate=validate.OneOf(["draft", "published", "retired"])),
        load_default=lambda: ["published"],
        metadata={
            "description": "Link only guidelines of these statuses (default: published only, as a clinician sees them)"
        },
    )


class MapBatchResultOut(Schema):
    index = fields.Int(metadata={"description": "The item's position in `items`"})
    input = fields.Raw(allow_none=True)
    conceptId = fields.Str(
        allow_none=True, metadata={"description": "The concept the item stands for (None when a text matched nothing)"}
    )
    pt = fields.Str(allow_none=True)
    score = fields.Float(
        allow_none=True,
        metadata={
            "description": "0..1; 1 for a code; for a text, the best lexical score even when below the threshold"
        },
    )
    matched = fields.Bool()
    how = fields.Str(
        allow_none=True,
        metadata={
            "description": "text, direct, description, REPLACED BY ..., map, expression, or the coding of a Condition used"
        },
    )
    matchedTerm = fields.Str(allow_none=True)
    concepts = fields.List(
        fields.Nested(ConceptRef),
        metadata={"description": "Every active concept the item stands for (an inactive code may stand for several)"},
    )
    flags = fields.Dict(
        keys=fields.Str(),
        values=fields.Bool(),
        allow_none=True,
        metadata={"description": "Context flags (negated, hypothetical, ...) when the mapper reports them"},
    )
    error = fields.Dict(
        allow_none=True, metadata={"description": "The item's problem (status, title, detail, field), or null"}
    )


class MapBatchOut(Schema):
    results = fields.List(fields.Nested(MapBatchResultOut))


class BatchGuidelineOut(Schema):
    id = fields.Str()
    title = fields.Str()
    status = fields.Str()
    via = fields.Nested(ConceptRef)
    distance = fields.Int()


class GuidelinesBatchResultOut(Schema):
    index = fields.Int()
    input = fields.Raw(allow_none=True)
    concepts = fields.List(fields.Nested(ConceptRef))
    how = fields.Str(allow_none=True)
    guidelines = fields.List(fields.Nested(BatchGuidelineOut), metadata={"description": "Most specific first"})
    error = fields.Dict(allow_none=True)


class GuidelinesBatchOut(Schema):
    results = fields.List(fields.Nested(GuidelinesBatchResultOut))
