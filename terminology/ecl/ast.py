"""Typed AST of an ECL 2.2 expression constraint.

The evaluator walks these nodes, so the tree says what to compute, not how it was
written: brief and long syntax give the same nodes, brackets leave no node of
their own, concept ids are ints and every operator is an enum.  Nodes are frozen
(slotted) dataclasses so they hash, compare by value and can key a result cache.

Layout, from the outside in, of one sub-expression such as
``<< ^ 700043003 {{ M active = 1 }} {{ C active = 1 }} {{ +HISTORY }}``::

    History(Filtered(Hierarchy(<<, MemberOf(700043003, filters=(M...,))), (C...,)))

that is: member filters belong to the member-of they follow, the constraint
operator applies next, description/concept filters constrain the result of the
operator, and a history supplement widens what is left.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import TypeAlias

__all__ = [
    "Acceptability",
    "AcceptabilityValue",
    "ActiveFilter",
    "AlternateIdentifier",
    "Attribute",
    "AttributeGroup",
    "AttributeValue",
    "BinaryOperator",
    "BooleanValue",
    "Cardinality",
    "Comparison",
    "Compound",
    "CompoundRefinement",
    "ConceptFilter",
    "ConceptFilters",
    "ConceptReference",
    "ConceptSet",
    "DefinitionStatus",
    "DefinitionStatusFilter",
    "DefinitionStatusIdFilter",
    "DescriptionFilter",
    "DescriptionFilters",
    "DescriptionIdFilter",
    "DescriptionType",
    "DescriptionTypeFilter",
    "DescriptionTypeIdFilter",
    "DialectAlias",
    "DialectAliasFilter",
    "DialectIdFilter",
    "DialectReference",
    "Dotted",
    "EffectiveTimeFilter",
    "Expression",
    "Filtered",
    "FilterValue",
    "Hierarchy",
    "HierarchyOperator",
    "History",
    "HistoryProfile",
    "LanguageFilter",
    "MemberFieldFilter",
    "MemberFieldValue",
    "MemberFilter",
    "MemberFilters",
    "MemberOf",
    "ModuleFilter",
    "Node",
    "NumericValue",
    "Refined",
    "Refinement",
    "SearchTerm",
    "SearchType",
    "StringValue",
    "TermFilter",
    "TimeValue",
    "Wildcard",
    "mentioned_concepts",
    "ALL_FIELDS",
]


# --------------------------------------------------------------------------- enums


class HierarchyOperator(Enum):
    """Constraint operators; the value is the brief-syntax symbol."""

    DESCENDANT_OF = "<"
    DESCENDANT_OR_SELF_OF = "<<"
    CHILD_OF = "<!"
    CHILD_OR_SELF_OF = "<<!"
    ANCESTOR_OF = ">"
    ANCESTOR_OR_SELF_OF = ">>"
    PARENT_OF = ">!"
    PARENT_OR_SELF_OF = ">>!"
    TOP = "!!>"
    BOTTOM = "!!<"


class BinaryOperator(Enum):
    """Set operators between expressions (AND/OR also join refinements)."""

    AND = "AND"
    OR = "OR"
    MINUS = "MINUS"


class Comparison(Enum):
    """Comparison operators of attributes and filters; value is the brief symbol."""

    EQ = "="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="


class SearchType(Enum):
    """How a term filter string is matched (an unprefixed string is ``match``)."""

    MATCH = "match"
    WILD = "wild"


class _TokenEnum(Enum):
    """Enum of an ECL token that stands for a fixed concept: value is (token, concept id)."""

    @property
    def token(self) -> str:
        return self.value[0]

    @property
    def concept_id(self) -> int:
        return self.value[1]


class DescriptionType(_TokenEnum):
    """``type = fsn|syn|def`` tokens and the description type concepts they name."""

    FSN = ("fsn", 900000000000003001)
    SYN = ("syn", 900000000000013009)
    DEF = ("def", 900000000000550004)


class DefinitionStatus(_TokenEnum):
    """``definitionStatus = primitive|defined`` tokens and their concepts."""

    PRIMITIVE = ("primitive", 900000000000074008)
    DEFINED = ("defined", 900000000000073002)


class Acceptability(_TokenEnum):
    """``(accept)`` / ``(prefer)`` tokens of dialect filters and their concepts."""

    ACCEPT = ("accept", 900000000000549004)
    PREFER = ("prefer", 900000000000548007)


class HistoryProfile(Enum):
    """History supplement profiles; ``{{ +HISTORY }}`` without one leaves it None (the evaluator treats that as MAX)."""

    MIN = "MIN"
    MOD = "MOD"
    MAX = "MAX"


# --------------------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class Node:
    """Base of every AST node, for isinstance checks."""


@dataclass(frozen=True, slots=True)
class ConceptReference(Node):
    """A concept id; the ``|term|`` is kept for display but ignored by equality."""

    id: int
    term: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class AlternateIdentifier(Node):
    """An ECL 2.2 alternate identifier such as ``LOINC#54486-6``, resolved by the evaluator."""

    scheme: str
    code: str
    term: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Wildcard(Node):
    """``*`` (long syntax ``ANY``): every concept."""


@dataclass(frozen=True, slots=True)
class MemberOf(Node):
    """``^ refset``: referenced components of the refset's members.

    ``fields`` is the ECL 2.2 field selection ``^ [f1, f2] refset`` (``ALL_FIELDS`` for
    ``[*]``), None when absent.  ``filters`` are the ``{{ M ... }}`` blocks, which
    restrict the members before their components are taken.
    """

    refset: Expression
    fields: tuple[str, ...] | None = None
    filters: tuple[MemberFilters, ...] = ()


ALL_FIELDS: tuple[str, ...] = ("*",)


@dataclass(frozen=True, slots=True)
class Hierarchy(Node):
    """A constraint operator applied to the set its operand denotes."""

    operator: HierarchyOperator
    operand: Expression


@dataclass(frozen=True, slots=True)
class Filtered(Node):
    """Description/concept filter blocks; each block must hold for one component, blocks combine with AND."""

    operand: Expression
    filters: tuple[DescriptionFilters | ConceptFilters, ...]


@dataclass(frozen=True, slots=True)
class History(Node):
    """A history supplement: add inactive concepts associated with the operand's concepts.

    Either a ``profile`` (or neither, meaning the default), or an explicit ``subset``
    expression naming the association refsets to follow.
    """

    operand: Expression
    profile: HistoryProfile | None = None
    subset: Expression | None = None


@dataclass(frozen=True, slots=True)
class Compound(Node):
    """``A AND B AND ...``, ``A OR B OR ...`` or ``A MINUS B`` (MINUS always has two operands)."""

    operator: BinaryOperator
    operands: tuple[Expression, ...]


@dataclass(frozen=True, slots=True)
class Refined(Node):
    """``operand : refinement``."""

    operand: Expression
    refinement: Refinement


@dataclass(frozen=True, slots=True)
class Dotted(Node):
    """``operand . attr1 . attr2``: values of the attributes, applied left to right."""

    operand: Expression
    attributes: tuple[Expression, ...]


Expression: TypeAlias = (
    ConceptReference
    | AlternateIdentifier
    | Wildcard
    | MemberOf
    | Hierarchy
    | Filtered
    | History
    | Compound
    | Refined
    | Dotted
)


# --------------------------------------------------------------------------- concrete values


@dataclass(frozen=True, slots=True)
class NumericValue(Node):
    """``#5`` / ``#-2.5``: int when written without a decimal point, else Decimal (exact)."""

    value: int | Decimal


@dataclass(frozen=True, slots=True)
class SearchTerm(Node):
    """One quoted search string.

    ``text`` is the content between the quotes exactly as written (escapes kept), so
    wild patterns keep ``\\*`` distinct from ``*``; ``decoded()`` undoes the escapes.
    """

    text: str
    type: SearchType = SearchType.MATCH

    def decoded(self) -> str:
        """The string with ``\\"``, ``\\\\`` (and for wild, ``\\*``) escapes removed."""
        out: list[str] = []
        chars = iter(self.text)
        for ch in chars:
            out.append(next(chars, "\\") if ch == "\\" else ch)
        return "".join(out)


@dataclass(frozen=True, slots=True)
class StringValue(Node):
    """A string comparison value: one search term or a set of alternatives."""

    terms: tuple[SearchTerm, ...]


@dataclass(frozen=True, slots=True)
class BooleanValue(Node):
    """``true`` / ``false``."""

    value: bool


@dataclass(frozen=True, slots=True)
class TimeValue(Node):
    """Quoted ``YYYYMMDD`` dates (``""`` allowed by the spec for an unset time); several means any of them."""

    times: tuple[str, ...]


AttributeValue: TypeAlias = Expression | NumericValue | StringValue | BooleanValue
MemberFieldValue: TypeAlias = Expression | NumericValue | StringValue | BooleanValue | TimeValue


# --------------------------------------------------------------------------- refinements


@dataclass(frozen=True, slots=True)
class Cardinality(Node):
    """``[min..max]``; ``max`` None is ``*`` (many)."""

    min: int
    max: int | None


@dataclass(frozen=True, slots=True)
class Attribute(Node):
    """``[card] R name op value``; ``name`` is itself an expression (``*`` or ``<< 123``)."""

    name: Expression
    comparison: Comparison
    value: AttributeValue
    reverse: bool = False
    cardinality: Cardinality | None = None


@dataclass(frozen=True, slots=True)
class AttributeGroup(Node):
    """``[card] { ... }``: the attributes must hold within one relationship group."""

    refinement: Refinement
    cardinality: Cardinality | None = None


@dataclass(frozen=True, slots=True)
class CompoundRefinement(Node):
    """Refinements joined by AND (``,``) or OR; never MINUS."""

    operator: BinaryOperator
    operands: tuple[Refinement, ...]


Refinement: TypeAlias = Attribute | AttributeGroup | CompoundRefinement


# --------------------------------------------------------------------------- filters


@dataclass(frozen=True, slots=True)
class ConceptSet(Node):
    """``(id1 id2 ...)``: an explicit set of concepts, only valid as a filter value."""

    concepts: tuple[ConceptReference, ...]


FilterValue: TypeAlias = Expression | ConceptSet
AcceptabilityValue: TypeAlias = Acceptability | ConceptReference


@dataclass(frozen=True, slots=True)
class TermFilter(Node):
    """``term = "..."`` / ``term = ("a" wild:"b*")``: any of the terms matches."""

    comparison: Comparison
    terms: tuple[SearchTerm, ...]


@dataclass(frozen=True, slots=True)
class LanguageFilter(Node):
    """``language = en`` or ``(en de)``; codes are lower-cased."""

    comparison: Comparison
    codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DescriptionTypeFilter(Node):
    """``type = syn`` / ``type = (fsn syn)``."""

    comparison: Comparison
    types: tuple[DescriptionType, ...]


@dataclass(frozen=True, slots=True)
class DescriptionTypeIdFilter(Node):
    """``typeId = 900000000000013009`` (an expression or a concept set)."""

    comparison: Comparison
    value: FilterValue


@dataclass(frozen=True, slots=True)
class DialectAlias(Node):
    """One dialect alias (``en-gb``, lower-cased) with its own acceptability, if any."""

    alias: str
    acceptability: tuple[AcceptabilityValue, ...] | None = None


@dataclass(frozen=True, slots=True)
class DialectAliasFilter(Node):
    """``dialect = en-gb (prefer)`` / ``dialect = (en-gb (prefer) en-us)``.

    ``acceptability`` is the filter-level set written after the alias(es); an alias's
    own set overrides it (see ``effective``).
    """

    comparison: Comparison
    dialects: tuple[DialectAlias, ...]
    acceptability: tuple[AcceptabilityValue, ...] | None = None

    def effective(self) -> tuple[tuple[str, tuple[AcceptabilityValue, ...] | None], ...]:
        """Each alias with the acceptability that applies to it (None: any)."""
        return tuple((d.alias, d.acceptability or self.acceptability) for d in self.dialects)


@dataclass(frozen=True, slots=True)
class DialectReference(Node):
    """One language refset in a ``dialectId = (...)`` set, with its own acceptability."""

    concept: ConceptReference
    acceptability: tuple[AcceptabilityValue, ...] | None = None


@dataclass(frozen=True, slots=True)
class DialectIdFilter(Node):
    """``dialectId = 900000000000508004 (prefer)``: an expression or an explicit set of refsets."""

    comparison: Comparison
    dialects: Expression | tuple[DialectReference, ...]
    acceptability: tuple[AcceptabilityValue, ...] | None = None


@dataclass(frozen=True, slots=True)
class DescriptionIdFilter(Node):
    """``id = 123`` / ``id = (1 2)``: description ids."""

    comparison: Comparison
    ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ModuleFilter(Node):
    """``moduleId = ...`` (descriptions, concepts or members)."""

    comparison: Comparison
    value: FilterValue


@dataclass(frozen=True, slots=True)
class EffectiveTimeFilter(Node):
    """``effectiveTime >= "20200101"``: any of the times satisfies the comparison."""

    comparison: Comparison
    times: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ActiveFilter(Node):
    """``active = true`` (or ``1``)."""

    comparison: Comparison
    active: bool


@dataclass(frozen=True, slots=True)
class DefinitionStatusFilter(Node):
    """``C definitionStatus = primitive``."""

    comparison: Comparison
    statuses: tuple[DefinitionStatus, ...]


@dataclass(frozen=True, slots=True)
class DefinitionStatusIdFilter(Node):
    """``C definitionStatusId = 900000000000074008``."""

    comparison: Comparison
    value: FilterValue


@dataclass(frozen=True, slots=True)
class MemberFieldFilter(Node):
    """``M field op value``: a refset member column compared with a typed value."""

    field: str
    comparison: Comparison
    value: MemberFieldValue


DescriptionFilter: TypeAlias = (
    TermFilter
    | LanguageFilter
    | DescriptionTypeFilter
    | DescriptionTypeIdFilter
    | DialectAliasFilter
    | DialectIdFilter
    | DescriptionIdFilter
    | ModuleFilter
    | EffectiveTimeFilter
    | ActiveFilter
)
ConceptFilter: TypeAlias = (
    DefinitionStatusFilter | DefinitionStatusIdFilter | ModuleFilter | EffectiveTimeFilter | ActiveFilter
)
MemberFilter: TypeAlias = MemberFieldFilter | ModuleFilter | EffectiveTimeFilter | ActiveFilter


@dataclass(frozen=True, slots=True)
class DescriptionFilters(Node):
    """One ``{{ D ... }}`` block: a single description must satisfy all of ``filters``."""

    filters: tuple[DescriptionFilter, ...]


@dataclass(frozen=True, slots=True)
class ConceptFilters(Node):
    """One ``{{ C ... }}`` block: the concept must satisfy all of ``filters``."""

    filters: tuple[ConceptFilter, ...]


@dataclass(frozen=True, slots=True)
class MemberFilters(Node):
    """One ``{{ M ... }}`` block: a single refset member must satisfy all of ``filters``."""

    filters: tuple[MemberFilter, ...]


def mentioned_concepts(node: object) -> set[int]:
    """Every concept id an expression (or any part of its AST) names.

    For spotting tags that name a concept a new release inactivated, and for the concept a
    guideline link goes through.
    """
    out: set[int] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, ConceptReference):
            out.add(item.id)
        elif isinstance(item, tuple | list):
            stack.extend(item)
        elif isinstance(item, Node):
            stack.extend(getattr(item, f) for f in item.__dataclass_fields__)
    return out
