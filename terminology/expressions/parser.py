"""Compositional grammar text -> :class:`Expression`, with positioned syntax errors.

The grammar (``scg.lark``) is compiled once by lark into an LALR(1) parser with
the contextual lexer; the transformer runs inside the parser so no parse tree is
built.  Parsing checks syntax only: whether the concepts exist, are active and are
used as the concept model allows is :mod:`terminology.expressions.validate`'s job,
because it needs a release.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from .ast import Attribute, ConceptRef, Concrete, Expression, Refinement, SubExpression

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_NUMBER_DIGITS",
    "ExpressionSyntaxError",
    "looks_like_expression",
    "parse_expression",
]

# The parse limits of compositional grammar, checked here and nowhere else.  Length: a post-coordinated
# expression with dozens of attributes is a few thousand characters.  Depth: brackets ``(`` (nested
# sub-expressions) and ``{`` (groups) open at once; validation, normal forms and rendering recurse once
# per level, so this keeps them far from Python's recursion limit.  Numbers: at most 18 digits before
# and after the point, so every value fits an int64 and a finite float64.
MAX_LENGTH = 20_000
MAX_DEPTH = 30
MAX_NUMBER_DIGITS = 18
_SPECIAL = re.compile(r'[(){}"|]|/\*')
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')

GRAMMAR = Path(__file__).with_name("scg.lark")
_READABLE = {
    "SCTID": "a concept id",
    "TERM": "a |term|",
    "STRING": 'a "string"',
    "NUMBER": "a number",
    "TRUE": "true",
    "FALSE": "false",
    "DEFINITION_STATUS": "=== or <<<",
    "_COLON": '":"',
    "_PLUS": '"+"',
    "_COMMA": '","',
    "_EQUALS": '"="',
    "_LBRACE": '"{"',
    "_RBRACE": '"}"',
    "_LPAR": '"("',
    "_RPAR": '")"',
    "_HASH": '"#"',
    "$END": "the end of the expression",
}


class ExpressionSyntaxError(ValueError):
    """Text that is not a compositional grammar expression; ``position`` is the 0-based offset."""

    def __init__(self, message: str, position: int):
        self.message = message
        self.position = position
        super().__init__(message, position)

    def __str__(self) -> str:
        return f"syntax error at character {self.position}: {self.message}"


class _Builder(Transformer):
    """Builds AST nodes as lark reduces rules."""

    def start(self, c: list[Any]) -> Expression:
        if len(c) == 2:
            return Expression(c[1], str(c[0]))  # type: ignore[arg-type]
        return Expression(c[0])

    def sub_expression(self, c: list[Any]) -> SubExpression:
        return SubExpression(tuple(c[0]), c[1] if len(c) > 1 else None)

    def focus_concept(self, c: list[Any]) -> list[ConceptRef]:
        return list(c)

    def concept_reference(self, c: list[Any]) -> ConceptRef:
        term = str(c[1])[1:-1].strip() if len(c) > 1 and c[1] is not None else None
        return ConceptRef(int(c[0]), term or None)

    def refinement(self, c: list[Any]) -> Refinement:
        ungrouped: list[Attribute] = []
        groups: list[tuple[Attribute, ...]] = []
        for item in c:
            if isinstance(item, Attribute):
                if groups:
                    pos = getattr(item, "_pos", 0)
                    raise ExpressionSyntaxError("ungrouped attributes must come before attribute groups", pos)
                ungrouped.append(item)
            else:
                groups.append(item)
        return Refinement(tuple(ungrouped), tuple(groups))

    def attribute_group(self, c: list[Any]) -> tuple[Attribute, ...]:
        return tuple(c)

    def attribute(self, c: list[Any]) -> Attribute:
        return Attribute(c[0], c[1])

    def string_value(self, c: list[Token]) -> Concrete:
        raw = str(c[0])[1:-1]
        out, i = [], 0
        while i < len(raw):
            if raw[i] == "\\" and i + 1 < len(raw):
                i += 1
            out.append(raw[i])
            i += 1
        return Concrete("string", "".join(out))

    def numeric_value(self, c: list[Token]) -> Concrete:
        text = str(c[0])
        whole, _, fraction = text.lstrip("+-").partition(".")
        if len(whole) > MAX_NUMBER_DIGITS or len(fraction) > MAX_NUMBER_DIGITS:
            raise ExpressionSyntaxError(
                f"number {text[:24]}{'...' if len(text) > 24 else ''} has too many digits "
                f"(at most {MAX_NUMBER_DIGITS} before and after the decimal point)",
                c[0].start_pos or 0,
            )
        if "." in text:
            return Concrete("decimal", Decimal(text))
        return Concrete("integer", int(text))

    def boolean_value(self, c: list[Token]) -> Concrete:
        return Concrete("boolean", str(c[0]).lower() == "true")


@cache
def _parser() -> Lark:
    return Lark(GRAMMAR.read_text(), parser="lalr", lexer="contextual", transformer=_Builder(), maybe_placeholders=True)


def parse_expression(text: str) -> Expression:
    """Parse one expression; raises :class:`ExpressionSyntaxError` saying where and what was expected."""
    if not text or not text.strip():
        raise ExpressionSyntaxError("the expression is empty", 0)
    _check_limits(text)
    try:
        return _parser().parse(text)  # type: ignore[return-value]  # the transformer turns the tree into an Expression; lark types parse() as a Tree
    except VisitError as exc:
        if isinstance(exc.orig_exc, ExpressionSyntaxError):
            raise exc.orig_exc from None
        raise
    except ExpressionSyntaxError:
        raise
    except UnexpectedInput as exc:
        raise _translate(exc, text) from None


def _check_limits(text: str) -> None:
    """Refuse text longer than ``MAX_LENGTH`` or nested deeper than ``MAX_DEPTH`` (at the offending bracket)."""
    if len(text) > MAX_LENGTH:
        raise ExpressionSyntaxError(
            f"the expression is {len(text):,} characters long; at most {MAX_LENGTH:,} are accepted", MAX_LENGTH
        )
    depth, at = 0, 0
    while (m := _SPECIAL.search(text, at)) is not None:
        ch, at = m.group(), m.end()
        if ch in "({":
            depth += 1
            if depth > MAX_DEPTH:
                raise ExpressionSyntaxError(f"the expression nests brackets more than {MAX_DEPTH} deep", m.start())
        elif ch in ")}":
            depth = max(depth - 1, 0)
        else:  # skip a comment, string or term; an unclosed one is the parser's to report
            if ch == '"':
                closed = _STRING.match(text, m.start())
                end = closed.end() if closed else -1
            else:
                end = text.find("*/" if ch == "/*" else "|", at)
                end = end if end < 0 else end + (2 if ch == "/*" else 1)
            if end < 0:
                return
            at = end


def looks_like_expression(code: str) -> bool:
    """True when a FHIR code is more than a bare SCTID, so it must be read as an expression."""
    stripped = code.strip()
    return not stripped.isdigit()


def _translate(exc: UnexpectedInput, text: str) -> ExpressionSyntaxError:
    pos = getattr(exc, "pos_in_stream", None) or 0
    if isinstance(exc, UnexpectedEOF):
        pos = len(text)
        expected: Iterable[str] = exc.expected
        found = "the end of the expression"
    elif isinstance(exc, UnexpectedToken):
        expected = exc.accepts or exc.expected
        found = "the end of the expression" if exc.token.type == "$END" else repr(str(exc.token))
        at_end = exc.token.type == "$END" or exc.token.start_pos is None
        pos = len(text.rstrip()) if at_end else exc.token.start_pos
    elif isinstance(exc, UnexpectedCharacters):
        expected = exc.allowed or set()
        found = repr(text[pos]) if pos < len(text) else "the end of the expression"
    else:  # pragma: no cover - lark has no other kinds
        expected, found = set(), "?"
    names = sorted({_READABLE.get(e, e) for e in expected if not e.startswith("__")})
    wanted = f"; expected {', '.join(names)}" if names else ""
    return ExpressionSyntaxError(f"unexpected {found}{wanted}", pos)
