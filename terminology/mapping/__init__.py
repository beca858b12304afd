"""Free text onto concepts: lexical mapping, compositional mapping, annotation of notes, negation.

* `lexical`: "liver mets" -> the concepts whose descriptions it best matches (`map_text`);
* `parts`, `concept_model`, `composition`: the parts a phrase names, the concepts they define and a
  postcoordinated expression when none is precoordinated (`map_with_composition`);
* `engine`: the one engine behind the API, the CLI and the Find page (`map_phrase`): readings through
  abbreviations, lexical and compositional candidates on one calibrated score, diagnoses first;
* `annotate`: concept mentions in a note; `negation`: NegEx-style negation and uncertainty.

Functions named like a submodule (`annotate.annotate`) are imported from the submodule, so the
submodule stays reachable as an attribute of the package.
"""

from .annotate import MAX_TEXT, Mention, annotate_timed
from .composition import (
    CompositeCandidate,
    CompositeMapResult,
    Composition,
    ExpressionAncestors,
    compose,
    compose_parts,
    expression_ancestors,
    map_with_composition,
)
from .concept_model import ConceptModel, concept_model
from .engine import EngineCandidate, EngineResult, map_phrase
from .lexical import MATCH_THRESHOLD, MapCandidate, MapResult, map_text
from .negation import scopes
from .parts import Part, recognise_parts

__all__ = [
    "MATCH_THRESHOLD",
    "MAX_TEXT",
    "CompositeCandidate",
    "CompositeMapResult",
    "Composition",
    "ConceptModel",
    "EngineCandidate",
    "EngineResult",
    "ExpressionAncestors",
    "MapCandidate",
    "MapResult",
    "Mention",
    "Part",
    "annotate_timed",
    "compose",
    "compose_parts",
    "concept_model",
    "expression_ancestors",
    "map_phrase",
    "map_text",
    "map_with_composition",
    "recognise_parts",
    "scopes",
]
