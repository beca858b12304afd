"""Marshmallow schemas of compositional mapping, expression guidelines and text annotation."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from terminology import Terminology
from terminology.mapping.annotate import MAX_TEXT
from terminology.mapping.composition import Composition

from .guideline_schemas import LinkedGuidelineOut
from .schemas import ConceptRef, MapCandidateOut


class CompositionPartOut(Schema):
    text = fields.Str(metadata={"description": "The words of the text that name the part"})
    start = fields.Int()
    end = fields.Int()
    role = fields.Str(metadata={"description": "value (of `attribute`), laterality, or focus (a clinical finding)"})
    attribute = fields.Nested(ConceptRef, allow_none=True)
    conceptId = fields.Str()
    pt = fields.Str(allow_none=True)
    matchedTerm = fields.Str()
    score = fields.Float()
    how = fields.Str()


class CompositionOut(Schema):
    parts = fields.List(fields.Nested(CompositionPartOut))
    unmatched = fields.List(fields.Str(), metadata={"description": "Content words no part explains"})
    coverage = fields.Float(metadata={"description": "Share of the content words the parts explain"})
    score = fields.Float()
    complete = fields.Bool(metadata={"description": "Every word explained and every part represented"})
    exact = fields.List(fields.Nested(ConceptRef), metadata={"description": "Concepts defined by exactly these parts"})
    closest = fields.List(
        fields.Nested(ConceptRef), metadata={"description": "Most specific precoordinated concepts subsuming the phrase"}
    )
    expression = fields.Str(
        allow_none=True, metadata={"description": "Compositional grammar, when no exact precoordinated concept exists"}
    )
    expressionValid = fields.Bool(allow_none=True, metadata={"description": "The expression conforms to the MRCM"})
    problems = fields.List(fields.Str())
    unrepresented = fields.List(fields.Nested(CompositionPartOut))
    ecl = fields.Str(metadata={"description": "The ECL that found the candidate concepts"})
    explanation = fields.Raw()


class CompositeCandidateOut(MapCandidateOut):
    sources = fields.List(fields.Str(), metadata={"description": "lexical, exact composition, closest ancestor"})


class CompositeMapOut(Schema):
    candidates = fields.List(fields.Nested(CompositeCandidateOut))
    matched = fields.Bool()
    threshold = fields.Float()
    composition = fields.Nested(CompositionOut, allow_none=True)


class ExpressionGuidelineOut(LinkedGuidelineOut):
    fromConcept = fields.Nested(ConceptRef, metadata={"description": "The closest ancestor of the expression it applies through"})


class GuidelinesForExpressionOut(Schema):
    expression = fields.Str()
    focus = fields.List(fields.Nested(ConceptRef))
    closest = fields.List(
        fields.Nested(ConceptRef), metadata={"description": "Most specific precoordinated concepts subsuming the expression"}
    )
    total = fields.Int()
    items = fields.List(fields.Nested(ExpressionGuidelineOut))


class AnnotateIn(Schema):
    text = fields.Str(required=True, validate=validate.Length(1, MAX_TEXT))
    lang = fields.Str(load_default=None)
    ecl = fields.Str(load_default=None, metadata={"description": "Only suggest concepts of this ECL expression"})
    minScore = fields.Float(load_default=0.0, validate=validate.Range(0.0, 1.0))


class MentionOut(Schema):
    start = fields.Int(metadata={"description": "Character offset of the first character"})
    end = fields.Int(metadata={"description": "Character offset after the last character"})
    text = fields.Str()
    conceptId = fields.Str()
    pt = fields.Str(allow_none=True)
    matchedTerm = fields.Str()
    score = fields.Float()
    negated = fields.Bool()
    hypothetical = fields.Bool()
    trigger = fields.Str(allow_none=True, metadata={"description": "The negation or uncertainty trigger"})


class AnnotateOut(Schema):
    mentions = fields.List(fields.Nested(MentionOut))
    total = fields.Int()
    elapsedMs = fields.Float()


def composition_body(t: Terminology, c: Composition, lang: str | None) -> dict[str, Any]:
    """Parts, exact and closest concepts, and the expression of a composition (CompositionOut)."""
    terms = t.preferred_terms(sorted({*c.exact, *c.closest}), lang)
    return {
        "parts": [p.as_dict(t, lang) for p in c.parts],
        "unmatched": c.unmatched,
        "coverage": c.coverage,
        "score": c.score,
        "complete": c.complete,
        "exact": [{"conceptId": str(x), "pt": terms[x]} for x in c.exact],
        "closest": [{"conceptId": str(x), "pt": terms[x]} for x in c.closest],
        "expression": c.expression,
        "expressionValid": c.expression_valid,
        "problems": c.problems,
        "unrepresented": [p.as_dict(t, lang) for p in c.unrepresented],
        "ecl": c.ecl,
        "explanation": c.explanation,
    }



def expression_links_body(t: Terminology, repo: Any, expression: str, lang: str | None) -> dict[str, Any]:
    """The guidelines of a post-coordinated expression (GuidelinesForExpressionOut); a 400 for bad syntax."""
    from terminology.expressions import ExpressionSyntaxError
    from terminology.linking import guidelines_for_expression

    from .problems import Problem

    try:
        anc, found, terms = guidelines_for_expression(t, repo, expression, lang)
    except ExpressionSyntaxError as exc:
        raise Problem(
            400, "Invalid expression", str(exc), "expression", "expression-syntax", position=exc.position
        ) from None

    def r(c: int) -> dict[str, Any]:
        return {"conceptId": str(c), "pt": terms[c] if c in terms else t.preferred_term(c, lang)}

    items = [
        {
            "id": g.link.guideline.id,
            "title": g.link.guideline.title,
            "status": g.link.guideline.status,
            "via": r(g.link.via),
            "distance": g.distance,
            "path": [r(c) for c in g.link.path],
            "keyRecommendations": [
                {"id": x.id, "text": x.text, "strength": x.strength} for x in g.link.guideline.recommendations
            ],
            "fromConcept": r(g.from_concept),
        }
        for g in found
    ]
    return {
        "expression": expression,
        "focus": [r(c) for c in anc.focus],
        "closest": [r(c) for c in anc.closest],
        "total": len(items),
        "items": items,
    }
