"""ValueSet operations over SNOMED CT: which value set a request names (``resolve``), what its
compose admits (``compose``), ``$expand`` (``expand``) and ``$validate-code`` (``validate``)."""

from .compose import SUPPORTED_FILTERS, Evaluator
from .expand import expand
from .resolve import ResolvedValueSet, implicit_value_set, resolve_value_set
from .validate import validate_code

__all__ = [
    "SUPPORTED_FILTERS",
    "Evaluator",
    "ResolvedValueSet",
    "expand",
    "implicit_value_set",
    "resolve_value_set",
    "validate_code",
]
