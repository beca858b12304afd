"""The terminology functions CDS Hooks builds on, imported in this one place (so a move is one edit here)."""

from terminology.composition import guidelines_for_expression
from terminology.expressions import ExpressionSyntaxError, looks_like_expression
from terminology.guidelines import Guideline, GuidelineRepository, guidelines_for_concept
from terminology.mapping import map_text
from terminology.resolution import MAP_SYSTEMS, SNOMED_SYSTEMS, resolve_code

__all__ = [
    "MAP_SYSTEMS",
    "SNOMED_SYSTEMS",
    "ExpressionSyntaxError",
    "Guideline",
    "GuidelineRepository",
    "guidelines_for_concept",
    "guidelines_for_expression",
    "looks_like_expression",
    "map_text",
    "resolve_code",
]
