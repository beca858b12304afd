"""Guidelines for a postcoordinated expression: those of its closest precoordinated ancestors.

The ancestors come from compositional mapping (`mapping.expression_ancestors`); each of their
guideline links (`guidelines.guidelines_for_concept`) applies to the expression, one is-a step
further away when the expression refines the ancestor.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..mapping import ExpressionAncestors, expression_ancestors
from ..terminology import Terminology
from .guidelines import GuidelineRepository, LinkedGuideline, guidelines_for_concept


@dataclass(frozen=True)
class ExpressionGuideline:
    """A guideline for an expression: the link from one of its closest ancestors, and the distance from the expression."""

    link: LinkedGuideline
    from_concept: int
    distance: int


def guidelines_for_expression(
    t: Terminology, repo: GuidelineRepository, expression: str, lang: str | None = None
) -> tuple[ExpressionAncestors, list[ExpressionGuideline], dict[int, str | None]]:
    """Guidelines of an expression: those of its closest precoordinated ancestors, each guideline once.

    A refined expression is one is-a step below each closest ancestor, so a guideline's distance is the
    ancestor's distance plus one; ties keep the ancestor listed first. Returns the ancestors, the
    guidelines most specific first, and the preferred terms of every concept mentioned.
    """
    anc = expression_ancestors(t, expression)
    step = 1 if anc.refined else 0
    best: dict[str, ExpressionGuideline] = {}
    mentioned: set[int] = {*anc.focus, *anc.closest}
    for c in anc.closest:
        for link in guidelines_for_concept(t, repo, c, lang).links:
            g = ExpressionGuideline(link, c, link.distance + step)
            current = best.get(link.guideline.id)
            if current is None or g.distance < current.distance:
                best[link.guideline.id] = g
    out = sorted(best.values(), key=lambda g: (g.distance, g.link.guideline.title.casefold(), g.link.guideline.id))
    for g in out:
        mentioned.update(g.link.path)
    return anc, out, t.preferred_terms(sorted(mentioned), lang)
