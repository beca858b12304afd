"""The typed tree of a SNOMED CT compositional grammar expression.

Nodes are frozen so they can be dictionary keys and set members (value-set
membership compares expressions, not strings).  Terms written between pipes are
kept for display but ignored by equality, as the grammar says they carry no meaning.
Attribute order is also meaning-free; :func:`canonical` gives the order-independent
form used to compare two expressions.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, TypeAlias

__all__ = [
    "Attribute",
    "AttributeValue",
    "ConceptRef",
    "Concrete",
    "Expression",
    "Refinement",
    "SubExpression",
    "canonical",
    "concept_refs",
]

DefinitionStatus = Literal["===", "<<<"]
ConcreteKind = Literal["integer", "decimal", "string", "boolean"]


@dataclass(frozen=True, slots=True)
class ConceptRef:
    """A concept id; ``term`` is the text written between pipes, if any."""

    id: int
    term: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Concrete:
    """A concrete value: ``#5``, ``#2.5``, ``"text"`` or ``true``."""

    kind: ConcreteKind
    value: int | Decimal | str | bool

    @property
    def scg(self) -> str:
        """The value as the grammar writes it."""
        if self.kind == "boolean":
            return "true" if self.value else "false"
        if self.kind == "string":
            text = str(self.value).replace("\\", "\\\\").replace('"', '\\"')
            return f'"{text}"'
        return f"#{self.value}"


@dataclass(frozen=True, slots=True)
class Attribute:
    """``name = value``; the value is a concept, a nested sub-expression or a concrete value."""

    name: ConceptRef
    value: AttributeValue


@dataclass(frozen=True, slots=True)
class Refinement:
    """Ungrouped attributes first, then attribute groups, as the grammar orders them."""

    ungrouped: tuple[Attribute, ...] = ()
    groups: tuple[tuple[Attribute, ...], ...] = ()

    def attributes(self) -> Iterator[Attribute]:
        yield from self.ungrouped
        for g in self.groups:
            yield from g


@dataclass(frozen=True, slots=True)
class SubExpression:
    """Focus concepts (joined by ``+``) and an optional refinement."""

    focus: tuple[ConceptRef, ...]
    refinement: Refinement | None = None


@dataclass(frozen=True, slots=True)
class Expression:
    """A whole expression: an optional definition status (``===``/``<<<``) and a sub-expression."""

    sub: SubExpression
    definition_status: DefinitionStatus | None = None

    @property
    def is_single_concept(self) -> bool:
        """True for a plain concept reference (which a FHIR code treats as the concept itself)."""
        return self.definition_status is None and len(self.sub.focus) == 1 and self.sub.refinement is None

    @property
    def focus_ids(self) -> tuple[int, ...]:
        return tuple(c.id for c in self.sub.focus)


AttributeValue: TypeAlias = ConceptRef | SubExpression | Concrete


def concept_refs(node: Expression | SubExpression) -> Iterator[tuple[str, ConceptRef, SubExpression]]:
    """Every concept reference with its role (``focus``, ``attribute`` or ``value``) and its sub-expression."""
    sub = node.sub if isinstance(node, Expression) else node
    for c in sub.focus:
        yield "focus", c, sub
    if sub.refinement is None:
        return
    for a in sub.refinement.attributes():
        yield "attribute", a.name, sub
        if isinstance(a.value, ConceptRef):
            yield "value", a.value, sub
        elif isinstance(a.value, SubExpression):
            yield from concept_refs(a.value)


def canonical(node: Expression | SubExpression) -> str:
    """The expression without terms or whitespace, focus concepts and attributes sorted.

    Two expressions that differ only in terms, spacing or attribute/group order
    have the same canonical form; this is how listed expressions are matched.
    """
    if isinstance(node, Expression):
        body = canonical(node.sub)
        return f"{node.definition_status}{body}" if node.definition_status else body
    focus = "+".join(str(i) for i in sorted({c.id for c in node.focus}))
    if node.refinement is None or not (node.refinement.ungrouped or node.refinement.groups):
        return focus
    ungrouped = sorted(_attr(a) for a in node.refinement.ungrouped)
    groups = sorted("{" + ",".join(sorted(_attr(a) for a in g)) + "}" for g in node.refinement.groups)
    return focus + ":" + ",".join(ungrouped + groups)


def _attr(a: Attribute) -> str:
    v = a.value
    if isinstance(v, ConceptRef):
        value = str(v.id)
    elif isinstance(v, SubExpression):
        value = f"({canonical(v)})"
    else:
        value = v.scg
    return f"{a.name.id}={value}"
