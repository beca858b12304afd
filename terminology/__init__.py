"""The terminology model and every query over it: hierarchy, descriptions, refsets, history.

Public face of the package; implementation modules are private (underscore) or focused.
"""

from loaders.sctid import ComponentKind, is_valid_sctid, namespace, partition, sctid_problem

from .errors import ConceptNotFoundError, IndexFormatError, InvalidSctidError, TerminologyError, UnanswerableError
from .index import build_index, verify_index
from .model import (
    Association,
    Concept,
    ConcreteValue,
    Description,
    MapTarget,
    Relationship,
    ReleaseInfo,
    Replacement,
)
from .terminology import Terminology, parse_sctid

__all__ = [
    "Association",
    "ComponentKind",
    "Concept",
    "ConceptNotFoundError",
    "ConcreteValue",
    "Description",
    "IndexFormatError",
    "InvalidSctidError",
    "MapTarget",
    "Relationship",
    "ReleaseInfo",
    "Replacement",
    "Terminology",
    "TerminologyError",
    "UnanswerableError",
    "build_index",
    "is_valid_sctid",
    "namespace",
    "parse_sctid",
    "partition",
    "sctid_problem",
    "verify_index",
]
