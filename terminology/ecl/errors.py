"""Errors of ECL: the parser's (positioned so that a UI can underline the offending text) and the evaluator's."""

from __future__ import annotations

from collections.abc import Sequence

from loaders.errors import SnomapError

from ..errors import TerminologyError

__all__ = ["EclEvaluationError", "EclInvalidIdError", "EclLimitError", "EclSyntaxError", "EclTimeoutError"]


class EclSyntaxError(SnomapError, ValueError):
    """A malformed expression constraint.

    ``position`` is the 0-based character offset of the problem, ``line`` and
    ``column`` are 1-based (as editors count), ``expected`` a short readable list of
    what could have come next (empty when the problem is not a missing token).
    """

    def __init__(self, message: str, position: int, expected: Sequence[str] = (), *, text: str | None = None) -> None:
        self.message = message
        self.position = position
        self.expected = tuple(expected)
        self.line = 1
        self.column = position + 1
        if text is not None:
            self.locate(text)
        super().__init__(message, position, self.expected)

    def locate(self, text: str) -> None:
        """Derive line and column from the source, which the raiser may not have had."""
        before = text[: self.position]
        self.line = before.count("\n") + 1
        self.column = self.position - (before.rfind("\n") + 1) + 1

    def __str__(self) -> str:
        return f"ECL syntax error at character {self.position}: {self.message}"


class EclInvalidIdError(EclSyntaxError):
    """An SCTID that is not one: wrong length, not numeric, or failing its Verhoeff check digit."""

    def __init__(self, value: str, problem: str, position: int, *, kind: str = "concept") -> None:
        self.value = value
        self.problem = problem
        self.kind = kind
        super().__init__(f"invalid {kind} id {value}: {problem}", position)
        self.args = (value, problem, position)  # what __init__ takes, so the error pickles

    def __str__(self) -> str:
        return f"invalid {self.kind} id {self.value} at character {self.position}: {self.problem}"


class EclEvaluationError(TerminologyError):
    """A well-formed expression the evaluator cannot answer (unknown refset field, unsupported nesting, ...)."""

    status = 422

    def __init__(self, message: str, field: str | None = "ecl"):
        self.field = field
        super().__init__(message)


class EclTimeoutError(EclEvaluationError):
    """The evaluation ran past its time budget (checked between AST nodes): narrow the expression."""

    def __init__(self, budget_s: float, elapsed_s: float):
        self.budget_s = budget_s
        self.elapsed_s = elapsed_s
        super().__init__(f"ECL evaluation exceeded its time budget of {budget_s:g} s (stopped after {elapsed_s:.2f} s)")


class EclLimitError(TerminologyError):
    """A page larger than ``MAX_PAGE`` (or a negative offset) was asked for."""

    status = 400

    def __init__(self, message: str, field: str = "limit"):
        self.field = field
        super().__init__(message)
