"""The terminology functions CDS Hooks builds on, imported in this one place (so a move is one edit here)."""

from terminology.expressions import ExpressionSyntaxError, looks_like_expression
from terminology.linking import (
    Guideline,
    GuidelineRepository,
    guidelines_for_concept,
    guidelines_for_expression,
    resolve_code,
)
from terminology.linking.resolution import SNOMED_SYSTEMS
from terminology.mapping import map_phrase
from terminology.maps import canonical_system

__all__ = [
    "SNOMED_SYSTEMS",
    "canonical_system",
    "ExpressionSyntaxError",
    "Guideline",
    "GuidelineRepository",
    "guidelines_for_concept",
    "guidelines_for_expression",
    "looks_like_expression",
    "map_phrase",
    "resolve_code",
]
