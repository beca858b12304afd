"""Schemas of mapping text onto concepts, with composition (``POST /api/v1/map``)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .common import ConceptRef


class MapIn(Schema):
    text = fields.Str(required=True, validate=validate.Length(1, 1000))
    limit = fields.Int(load_default=10, validate=validate.Range(1, 100))
    lang = fields.Str(load_default=None)
    within = fields.Str(
        load_default=None,
        validate=validate.Length(1, 4000),
        metadata={"description": "An ECL expression: only its concepts are candidates (e.g. << 404684003)"},
    )


class MapCandidateOut(Schema):
    conceptId = fields.Str()
    term = fields.Str()
    pt = fields.Str(allow_none=True)
    score = fields.Float()
    matchedTerm = fields.Str()
    explanation = fields.Raw()
    ancestors = fields.List(
        fields.Nested(ConceptRef),
        metadata={"description": "The nearest ancestors first (at most 25; see ancestorCount)"},
    )
    ancestorCount = fields.Int(metadata={"description": "How many ancestors the concept has in all"})


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
        fields.Nested(ConceptRef),
        metadata={"description": "Most specific precoordinated concepts subsuming the phrase"},
    )
    expression = fields.Str(
        allow_none=True, metadata={"description": "Compositional grammar, when no exact precoordinated concept exists"}
    )
    expressionValid = fields.Bool(allow_none=True, metadata={"description": "The expression conforms to the MRCM"})
    problems = fields.List(fields.Str())
    unrepresented = fields.List(fields.Nested(CompositionPartOut))
    ecl = fields.Str(metadata={"description": "The ECL that found the candidate concepts"})
    explanation = fields.Raw()


_FLAG_TEXT = {
    "negated": 'The text says the patient does not have it ("no", "exclude", "ruled out")',
    "hypothetical": 'The text considers it without stating it ("rule out", "suspected", "?")',
    "historical": 'The text places it in the past ("history of", "previous")',
    "family": 'The text names a relative\'s condition ("family history of", "mother had")',
    "uncertain": 'The text doubts it ("suspected", "possible", "?"); a kind of hypothetical',
}


class ContextFlags(Schema):
    negated = fields.Bool(metadata={"description": _FLAG_TEXT["negated"]})
    hypothetical = fields.Bool(metadata={"description": _FLAG_TEXT["hypothetical"]})
    historical = fields.Bool(metadata={"description": _FLAG_TEXT["historical"]})
    family = fields.Bool(metadata={"description": _FLAG_TEXT["family"]})
    uncertain = fields.Bool(metadata={"description": _FLAG_TEXT["uncertain"]})


class CompositeCandidateOut(MapCandidateOut, ContextFlags):
    sources = fields.List(
        fields.Str(), metadata={"description": "lexical, exact composition, closest ancestor, situation"}
    )
    kind = fields.Str(metadata={"description": "finding, morphology, structure or other"})


class CompositeMapOut(ContextFlags):
    candidates = fields.List(fields.Nested(CompositeCandidateOut))
    matched = fields.Bool(
        metadata={
            "description": "The best candidate is what the text names; never for the patient's own condition in a negated or family-history text"
        }
    )
    threshold = fields.Float()
    composition = fields.Nested(CompositionOut, allow_none=True)
    names = fields.Str(
        metadata={
            "description": "What the text names (finding, structure or morphology): findings rank before structures and morphologies unless it names one"
        }
    )
    readings = fields.List(fields.Raw(), metadata={"description": "Readings of the text through its abbreviations"})
    ambiguous = fields.List(
        fields.Raw(), metadata={"description": "Abbreviations the text leaves ambiguous (then `matched` is false)"}
    )
    contextTriggers = fields.List(fields.Str(), metadata={"description": "The words that set the context flags"})
    contextCore = fields.Str(metadata={"description": "The text without its context triggers: what was mapped"})
