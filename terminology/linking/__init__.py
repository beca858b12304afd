"""From codes to guidelines: resolving the codes integrators send, and the guidelines that apply.

* `resolution`: SCTIDs, description ids, inactive ids and ICD-10 codes -> active concepts;
* `guidelines`: guidelines tagged on a concept or its ancestors (and on ECL tags holding it,
  `_ecl_tags`), and the repository protocol behind them;
* `expression`: guidelines for a postcoordinated expression, through its closest ancestors.
"""

from .expression import ExpressionGuideline, guidelines_for_expression
from .guidelines import (
    FileGuidelineRepository,
    Guideline,
    GuidelineLinks,
    GuidelineRepository,
    InMemoryGuidelineRepository,
    LinkedGuideline,
    Recommendation,
    Reference,
    TagProblem,
    TagSpec,
    check_tags,
    guidelines_for_concept,
    warm,
)
from .resolution import CodeResolution, resolve_code

__all__ = [
    "CodeResolution",
    "ExpressionGuideline",
    "FileGuidelineRepository",
    "Guideline",
    "GuidelineLinks",
    "GuidelineRepository",
    "InMemoryGuidelineRepository",
    "LinkedGuideline",
    "Recommendation",
    "Reference",
    "TagProblem",
    "TagSpec",
    "check_tags",
    "guidelines_for_concept",
    "guidelines_for_expression",
    "resolve_code",
    "warm",
]
