"""SNOMED CT Expression Constraint Language (ECL 2.2): parser, AST and serializer."""

from .ast import *  # noqa: F403
from .ast import __all__ as _ast_all
from .errors import EclInvalidIdError, EclSyntaxError
from .parser import parse_ecl
from .serializer import to_ecl

__all__ = ["EclInvalidIdError", "EclSyntaxError", "parse_ecl", "to_ecl", *_ast_all]
