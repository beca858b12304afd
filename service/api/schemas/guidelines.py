"""Schemas of reading guidelines: one, all, and those for a concept or an expression (``/api/v1/guidelines``)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields

from loaders.guidelines import STATUSES

from .common import ConceptRef, LangQuery


class StatusList(fields.Field):
    """A comma-separated list of guideline statuses (``published`` or ``draft,published``)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> frozenset[str]:
        wanted = [v.strip() for v in str(value).split(",") if v.strip()]
        bad = [v for v in wanted if v not in STATUSES]
        if not wanted or bad:
            raise ValidationError(
                f"{', '.join(bad) or 'nothing'}: give one or more of {', '.join(STATUSES)}, comma-separated"
            )
        return frozenset(wanted)


class GuidelinesQuery(LangQuery):
    concept = fields.Str(load_default=None, metadata={"description": "SCTID: guidelines tagged on it or any ancestor"})
    status = StatusList(
        load_default=None,
        metadata={
            "description": "Only guidelines with these statuses (e.g. `published`; default: published, or every status for an author token; draft and retired need an author token)"
        },
    )


class RecommendationOut(Schema):
    id = fields.Str()
    text = fields.Str()
    strength = fields.Str(metadata={"description": "strong, moderate, weak or expert opinion"})


class ReferenceOut(Schema):
    id = fields.Str()
    authors = fields.List(fields.Str())
    title = fields.Str()
    journal = fields.Str(allow_none=True)
    year = fields.Raw(allow_none=True)
    volume = fields.Str(allow_none=True)
    pmid = fields.Str(allow_none=True)
    doi = fields.Str(allow_none=True)
    url = fields.Str(allow_none=True)
    links = fields.Dict(keys=fields.Str(), values=fields.Str())


class TagOut(Schema):
    conceptId = fields.Str(allow_none=True)
    pt = fields.Str(allow_none=True)
    ecl = fields.Str(allow_none=True)
    exclude = fields.List(fields.Nested(ConceptRef))


class SectionOut(Schema):
    heading = fields.Str()
    markdown = fields.Str()
    html = fields.Str(metadata={"description": "Rendered and sanitised HTML"})


class GuidelineSummaryOut(Schema):
    id = fields.Str()
    title = fields.Str()
    status = fields.Str()
    updated = fields.Str(allow_none=True)
    tags = fields.List(fields.Nested(TagOut))


class GuidelineOut(GuidelineSummaryOut):
    sections = fields.List(fields.Nested(SectionOut))
    recommendations = fields.List(fields.Nested(RecommendationOut))
    references = fields.List(fields.Nested(ReferenceOut))


class GuidelineListOut(Schema):
    total = fields.Int()
    items = fields.List(fields.Nested(GuidelineSummaryOut))


class LinkedGuidelineOut(Schema):
    id = fields.Str()
    title = fields.Str()
    status = fields.Str()
    via = fields.Nested(ConceptRef, metadata={"description": "The tagged concept that makes the guideline apply"})
    distance = fields.Int(metadata={"description": "Fewest is-a steps from the concept up to `via`"})
    path = fields.List(
        fields.Nested(ConceptRef), metadata={"description": "The is-a chain from the concept up to `via`"}
    )
    keyRecommendations = fields.List(fields.Nested(RecommendationOut))


class GuidelinesForConceptOut(Schema):
    concept = fields.Nested(ConceptRef)
    resolvedFrom = fields.Nested(ConceptRef, allow_none=True)
    resolution = fields.Str(allow_none=True)
    concepts = fields.List(fields.Nested(ConceptRef), metadata={"description": "The active concept(s) used"})
    total = fields.Int()
    items = fields.List(fields.Nested(LinkedGuidelineOut))


class ExpressionGuidelineOut(LinkedGuidelineOut):
    fromConcept = fields.Nested(
        ConceptRef, metadata={"description": "The closest ancestor of the expression it applies through"}
    )


class GuidelinesForExpressionOut(Schema):
    expression = fields.Str()
    focus = fields.List(fields.Nested(ConceptRef))
    closest = fields.List(
        fields.Nested(ConceptRef),
        metadata={"description": "Most specific precoordinated concepts subsuming the expression"},
    )
    total = fields.Int()
    items = fields.List(fields.Nested(ExpressionGuidelineOut))
