"""ECL text -> AST, with errors a person can act on.

lark builds an LALR(1) parser from ``ecl.lark`` with its contextual lexer (the
lexer only tries the tokens the parser can accept next, which keeps keyword-like
values such as dialect aliases and refset field names apart from keywords).  The
transformer runs inside the parser, so no parse tree is built: each reduction goes
straight to an AST node.  Checks the grammar leaves to code (operator mixing, filter
order, id check digits, value formats) raise ``EclSyntaxError`` with the position of
the offending token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from loaders.sctid import sctid_problem

from .ast import (
    ALL_FIELDS,
    Acceptability,
    ActiveFilter,
    AlternateIdentifier,
    Attribute,
    AttributeGroup,
    BinaryOperator,
    BooleanValue,
    Cardinality,
    Comparison,
    Compound,
    CompoundRefinement,
    ConceptFilters,
    ConceptReference,
    ConceptSet,
    DefinitionStatus,
    DefinitionStatusFilter,
    DefinitionStatusIdFilter,
    DescriptionFilters,
    DescriptionIdFilter,
    DescriptionType,
    DescriptionTypeFilter,
    DescriptionTypeIdFilter,
    DialectAlias,
    DialectAliasFilter,
    DialectIdFilter,
    DialectReference,
    Dotted,
    EffectiveTimeFilter,
    Expression,
    Filtered,
    Hierarchy,
    HierarchyOperator,
    History,
    HistoryProfile,
    LanguageFilter,
    MemberFieldFilter,
    MemberFilters,
    MemberOf,
    ModuleFilter,
    NumericValue,
    Refined,
    SearchTerm,
    SearchType,
    StringValue,
    TermFilter,
    TimeValue,
    Wildcard,
)
from .errors import EclInvalidIdError, EclSyntaxError

__all__ = ["MAX_DEPTH", "MAX_LENGTH", "MAX_NUMBER_DIGITS", "check_limits", "parse_ecl"]

# The parse limits of ECL, checked here and nowhere else (every caller parses through ``parse_ecl``).
# Length: the longest expression a person or a value set plausibly writes (a list of 1,600 concept ids
# joined by OR is about 20,000 characters, parsed in about 0.3 s); longer text is refused before it is parsed.
MAX_LENGTH = 20_000
# Depth: brackets ``(`` and ``{`` (so ``{{`` filter blocks and attribute groups) open at once.  The
# evaluator, the serializer and the AST's hash recurse once per level, so this keeps them far from
# Python's recursion limit; hand-written ECL rarely goes past 5.
MAX_DEPTH = 50
# Digits of a number (before and after the point, each): an int64 and a finite float64 hold every such
# value, so concrete value comparisons, SQL parameters and cardinalities cannot overflow.
MAX_NUMBER_DIGITS = 18

GRAMMAR_PATH = Path(__file__).with_name("ecl.lark")

_HIERARCHY = {
    "LT": HierarchyOperator.DESCENDANT_OF,
    "LTLT": HierarchyOperator.DESCENDANT_OR_SELF_OF,
    "LTBANG": HierarchyOperator.CHILD_OF,
    "LTLTBANG": HierarchyOperator.CHILD_OR_SELF_OF,
    "GT": HierarchyOperator.ANCESTOR_OF,
    "GTGT": HierarchyOperator.ANCESTOR_OR_SELF_OF,
    "GTBANG": HierarchyOperator.PARENT_OF,
    "GTGTBANG": HierarchyOperator.PARENT_OR_SELF_OF,
    "TOP": HierarchyOperator.TOP,
    "BOTTOM": HierarchyOperator.BOTTOM,
    "DESCENDANTOF": HierarchyOperator.DESCENDANT_OF,
    "DESCENDANTORSELFOF": HierarchyOperator.DESCENDANT_OR_SELF_OF,
    "CHILDOF": HierarchyOperator.CHILD_OF,
    "CHILDORSELFOF": HierarchyOperator.CHILD_OR_SELF_OF,
    "ANCESTOROF": HierarchyOperator.ANCESTOR_OF,
    "ANCESTORORSELFOF": HierarchyOperator.ANCESTOR_OR_SELF_OF,
    "PARENTOF": HierarchyOperator.PARENT_OF,
    "PARENTORSELFOF": HierarchyOperator.PARENT_OR_SELF_OF,
    "TOPOF": HierarchyOperator.TOP,
    "BOTTOMOF": HierarchyOperator.BOTTOM,
}
_BINARY = {
    "AND": BinaryOperator.AND,
    "COMMA": BinaryOperator.AND,
    "OR": BinaryOperator.OR,
    "MINUS": BinaryOperator.MINUS,
}
_ORDER = {"LT": Comparison.LT, "LE": Comparison.LE, "GT": Comparison.GT, "GE": Comparison.GE}
_BY_TOKEN: dict[str, DescriptionType | DefinitionStatus | Acceptability] = {
    **{e.token: e for e in DescriptionType},
    **{e.token: e for e in DefinitionStatus},
    **{e.token: e for e in Acceptability},
}
_TIME = re.compile(r"(?:[0-9]{4}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]))?")


@dataclass(frozen=True, slots=True)
class _Nested:
    """A bracketed expression in focus position; kept apart so that ``(^ X) {{ M ... }}`` can be refused."""

    expression: Expression


@dataclass(frozen=True, slots=True)
class _HistoryBlock:
    profile: HistoryProfile | None
    subset: Expression | None


@dataclass(frozen=True, slots=True)
class _Block:
    """A filter block with the offset of its ``{{``, for ordering errors."""

    content: DescriptionFilters | ConceptFilters | MemberFilters | _HistoryBlock
    position: int


def _number_digits(token: Token) -> None:
    """Refuse a number with more digits than ``MAX_NUMBER_DIGITS`` before or after its point."""
    whole, _, fraction = token.value.lstrip("+-").partition(".")
    if len(whole) > MAX_NUMBER_DIGITS or len(fraction) > MAX_NUMBER_DIGITS:
        raise EclSyntaxError(
            f"number {token.value[:24]}{'...' if len(token.value) > 24 else ''} has too many digits "
            f"(at most {MAX_NUMBER_DIGITS} before and after the decimal point)",
            token.start_pos,
        )


def _unwrap(value: Expression | _Nested) -> Expression:
    return value.expression if isinstance(value, _Nested) else value


def _sctid(token: Token, kind: str = "concept") -> int:
    """The id a token spells, or an error at the token when it is not a valid SCTID."""
    problem = sctid_problem(token.value, kind=None)
    if problem is not None:
        raise EclInvalidIdError(token.value, problem, token.start_pos, kind=kind)
    return int(token.value)


def _comparison(token: Token) -> Comparison:
    """The comparison an operator token spells (long-syntax "<>" and "NOT =" are "!=")."""
    if token.type == "EQ_OP":
        return Comparison.EQ if token.value == "=" else Comparison.NE
    return _ORDER[token.type]


def _unquote(token: Token) -> str:
    return token.value[1:-1]


def _times(tokens: list[Token]) -> tuple[str, ...]:
    for t in tokens:
        if not _TIME.fullmatch(_unquote(t)):
            raise EclSyntaxError(f'effective time {t.value} must be "YYYYMMDD" (or "")', t.start_pos)
    return tuple(_unquote(t) for t in tokens)


def _values(children: list[Any]) -> list[Any]:
    """Children without the ',' separators of filter and field lists."""
    return [c for c in children if not (isinstance(c, Token) and c.type == "COMMA")]


def _join(items: list[Any], operators: list[Token], *, what: str) -> Any:
    """Fold ``a op b op c`` into one n-ary node, refusing mixed (or repeated MINUS) operators."""
    if not operators:
        return items[0]
    first = _BINARY[operators[0].type]
    for token in operators[1:]:
        op = _BINARY[token.type]
        if op is not first:
            raise EclSyntaxError(f"Mixed binary operators {first.value} and {op.value} need brackets", token.start_pos)
        if op is BinaryOperator.MINUS:
            raise EclSyntaxError("Repeated MINUS needs brackets, e.g. (A MINUS B) MINUS C", token.start_pos)
    if what == "refinement":
        return CompoundRefinement(first, tuple(items))
    return Compound(first, tuple(items))


class _Builder(Transformer):
    """Reduction callbacks: one method per grammar rule, each returning an AST node (or a part of one)."""

    # ---- expressions

    def start(self, c: list[Any]) -> Expression:
        return _unwrap(c[0])

    def nested(self, c: list[Any]) -> _Nested:
        return _Nested(_unwrap(c[0]))

    def concept_reference(self, c: list[Any]) -> ConceptReference:
        sctid, term = c
        return ConceptReference(_sctid(sctid), term.value[1:-1].strip() if term is not None else None)

    def wildcard(self, c: list[Any]) -> Wildcard:
        return Wildcard()

    def alternate_identifier(self, c: list[Any]) -> AlternateIdentifier:
        ident, term = c
        text = ident.value[1:-1] if ident.type == "QUOTED_ALT_ID" else ident.value
        scheme, _, code = text.partition("#")
        return AlternateIdentifier(scheme, code, term.value[1:-1].strip() if term is not None else None)

    def constraint_operator(self, c: list[Any]) -> HierarchyOperator:
        return _HIERARCHY[c[0].type]

    def field_selection(self, c: list[Any]) -> tuple[str, ...]:
        if c[0].type == "STAR":
            return ALL_FIELDS
        return tuple(t.value for t in _values(c))

    def member_of(self, c: list[Any]) -> MemberOf:
        fields, focus = c
        return MemberOf(_unwrap(focus), fields)

    def sub_expression(self, c: list[Any]) -> Expression:
        operator, body, *blocks = c
        member: list[MemberFilters] = []
        filters: list[DescriptionFilters | ConceptFilters] = []
        history: _HistoryBlock | None = None
        for block in blocks:
            if history is not None:
                raise EclSyntaxError("the history supplement {{ +HISTORY }} must be the last filter", block.position)
            content = block.content
            if isinstance(content, MemberFilters):
                if not isinstance(body, MemberOf):
                    raise EclSyntaxError("member filters {{ M ... }} must follow a ^ (memberOf) focus", block.position)
                if filters:
                    raise EclSyntaxError(
                        "member filters {{ M ... }} must come before description and concept filters", block.position
                    )
                member.append(content)
            elif isinstance(content, _HistoryBlock):
                history = content
            else:
                filters.append(content)
        expression = _unwrap(body)
        if member:
            expression = replace(expression, filters=tuple(member))  # type: ignore[arg-type]  # only MemberOf reaches here; replace() on the union cannot see that
        if operator is not None:
            expression = Hierarchy(operator, expression)
        if filters:
            expression = Filtered(expression, tuple(filters))
        if history is not None:
            expression = History(expression, history.profile, history.subset)
        return expression

    def compound(self, c: list[Any]) -> Compound:
        return _join(c[0::2], c[1::2], what="expression")

    def refined(self, c: list[Any]) -> Refined:
        return Refined(c[0], c[1])

    def dotted(self, c: list[Any]) -> Dotted:
        return Dotted(c[0], tuple(c[1:]))

    # ---- refinements

    def refinement(self, c: list[Any]) -> Any:
        return _join(c[0::2], c[1::2], what="refinement")

    attribute_set = refinement

    def attribute_group(self, c: list[Any]) -> AttributeGroup:
        cardinality, refinement = c
        return AttributeGroup(refinement, cardinality)

    def attribute(self, c: list[Any]) -> Attribute:
        cardinality, reverse, name, (comparison, value) = c
        return Attribute(name, comparison, value, reverse is not None, cardinality)

    def cardinality(self, c: list[Any]) -> Cardinality:
        low, high = c
        for token in (low, high):
            if token.type == "INTEGER":
                _number_digits(token)
        maximum = int(high.value) if high.type == "INTEGER" else None
        if maximum is not None and maximum < int(low.value):
            raise EclSyntaxError(f"cardinality [{low}..{high}] has its minimum above its maximum", low.start_pos)
        return Cardinality(int(low.value), maximum)

    def expression_comparison(self, c: list[Any]) -> tuple[Comparison, Expression]:
        return _comparison(c[0]), c[1]

    def numeric_comparison(self, c: list[Any]) -> tuple[Comparison, NumericValue]:
        _number_digits(c[1])
        text = c[1].value
        number: int | Decimal = Decimal(text) if "." in text else int(text)
        return _comparison(c[0]), NumericValue(number)

    def string_comparison(self, c: list[Any]) -> tuple[Comparison, StringValue]:
        terms = c[1] if isinstance(c[1], tuple) else (c[1],)
        return _comparison(c[0]), StringValue(terms)

    def boolean_comparison(self, c: list[Any]) -> tuple[Comparison, BooleanValue]:
        return _comparison(c[0]), BooleanValue(c[1].type == "TRUE")

    def time_comparison(self, c: list[Any]) -> tuple[Comparison, TimeValue]:
        return _comparison(c[0]), TimeValue(_times(c[1:]))

    def match_term(self, c: list[Any]) -> SearchTerm:
        return SearchTerm(_unquote(c[0]), SearchType.MATCH)

    def wild_term(self, c: list[Any]) -> SearchTerm:
        return SearchTerm(_unquote(c[0]), SearchType.WILD)

    def typed_search_term_set(self, c: list[Any]) -> tuple[SearchTerm, ...]:
        return tuple(c)

    # ---- filters

    def filter_block(self, c: list[Any]) -> _Block:
        return _Block(c[1], c[0].start_pos)

    def description_filters(self, c: list[Any]) -> DescriptionFilters:
        return DescriptionFilters(tuple(_values(c)))

    def concept_filters(self, c: list[Any]) -> ConceptFilters:
        return ConceptFilters(tuple(_values(c)))

    def member_filters(self, c: list[Any]) -> MemberFilters:
        return MemberFilters(tuple(_values(c)))

    def history_supplement(self, c: list[Any]) -> _HistoryBlock:
        keyword, subset = c
        _, _, suffix = keyword.value.partition("-")
        if suffix and subset is not None:
            raise EclSyntaxError("a history supplement takes a profile or a subset, not both", keyword.start_pos)
        return _HistoryBlock(HistoryProfile(suffix.upper()) if suffix else None, subset)

    def term_filter(self, c: list[Any]) -> TermFilter:
        return TermFilter(_comparison(c[0]), c[1] if isinstance(c[1], tuple) else (c[1],))

    def language_filter(self, c: list[Any]) -> LanguageFilter:
        return LanguageFilter(_comparison(c[0]), tuple(t.value.lower() for t in c[1:]))

    def type_token(self, c: list[Any]) -> DescriptionType | DefinitionStatus | Acceptability:
        return _BY_TOKEN[c[0].value.lower()]

    definition_status_token = type_token
    acceptability_token = type_token

    def type_filter(self, c: list[Any]) -> DescriptionTypeFilter:
        return DescriptionTypeFilter(_comparison(c[0]), tuple(c[1:]))

    def type_id_filter(self, c: list[Any]) -> DescriptionTypeIdFilter:
        return DescriptionTypeIdFilter(_comparison(c[0]), _unwrap(c[1]))

    def concept_reference_set(self, c: list[Any]) -> ConceptSet:
        return ConceptSet(tuple(c))

    def dialect_alias(self, c: list[Any]) -> DialectAlias:
        return DialectAlias(c[0].value.lower())

    def dialect_alias_item(self, c: list[Any]) -> DialectAlias:
        return DialectAlias(c[0].value.lower(), c[1])

    def dialect_filter(self, c: list[Any]) -> DialectAliasFilter:
        return DialectAliasFilter(_comparison(c[0]), tuple(c[1:-1]), c[-1])

    def dialect_id_item(self, c: list[Any]) -> DialectReference:
        return DialectReference(c[0], c[1])

    def dialect_id_set(self, c: list[Any]) -> tuple[DialectReference, ...]:
        if isinstance(c[0], ConceptReference):
            return (DialectReference(c[0], c[1]),)
        return tuple(c)

    def dialect_id_filter(self, c: list[Any]) -> DialectIdFilter:
        return DialectIdFilter(_comparison(c[0]), _unwrap(c[1]), c[2])

    def acceptability_set(self, c: list[Any]) -> tuple[Acceptability | ConceptReference, ...]:
        return tuple(c)

    def description_id_filter(self, c: list[Any]) -> DescriptionIdFilter:
        return DescriptionIdFilter(_comparison(c[0]), tuple(_sctid(t, "description") for t in c[1:]))

    def definition_status_filter(self, c: list[Any]) -> DefinitionStatusFilter:
        return DefinitionStatusFilter(_comparison(c[0]), tuple(c[1:]))

    def definition_status_id_filter(self, c: list[Any]) -> DefinitionStatusIdFilter:
        return DefinitionStatusIdFilter(_comparison(c[0]), _unwrap(c[1]))

    def module_filter(self, c: list[Any]) -> ModuleFilter:
        return ModuleFilter(_comparison(c[0]), _unwrap(c[1]))

    def effective_time_filter(self, c: list[Any]) -> EffectiveTimeFilter:
        return EffectiveTimeFilter(_comparison(c[0]), _times(c[1:]))

    def active_filter(self, c: list[Any]) -> ActiveFilter:
        comparison, value = _comparison(c[0]), c[1]
        if value.type == "INTEGER" and value.value not in ("0", "1"):
            raise EclSyntaxError(f"active must be true, false, 1 or 0, not {value}", value.start_pos)
        return ActiveFilter(comparison, value.type == "TRUE" or value.value == "1")

    def member_field_filter(self, c: list[Any]) -> MemberFieldFilter:
        name, (comparison, value) = c
        return MemberFieldFilter(name.value, comparison, value)


@cache
def _parser() -> Lark:
    """The LALR parser, built once per process (about 0.1 s) on first use; it is stateless, so threads can share it."""
    return Lark(
        GRAMMAR_PATH.read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        transformer=_Builder(),
        maybe_placeholders=True,
        propagate_positions=False,
    )


# Characters that matter to bracket depth: the brackets, and the starts of what can hold a bracket that does
# not nest (comments, strings, |terms|).
_SPECIAL = re.compile(r'[(){}"|]|/\*')
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def check_limits(text: str) -> None:
    """Refuse text longer than ``MAX_LENGTH`` or nested deeper than ``MAX_DEPTH``, before it is parsed.

    The error is an ``EclSyntaxError`` at the first character past the limit (for depth, the bracket that
    opens one level too many), so callers report it like any other syntax error.
    """
    if len(text) > MAX_LENGTH:
        raise EclSyntaxError(
            f"the expression is {len(text):,} characters long; at most {MAX_LENGTH:,} are accepted",
            MAX_LENGTH,
            text=text,
        )
    depth, at = 0, 0
    while (m := _SPECIAL.search(text, at)) is not None:
        ch, at = m.group(), m.end()
        if ch in "({":
            depth += 1
            if depth > MAX_DEPTH:
                raise EclSyntaxError(f"the expression nests brackets more than {MAX_DEPTH} deep", m.start(), text=text)
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


def parse_ecl(text: str) -> Expression:
    """Parse ECL (brief or long syntax) into an AST; raises ``EclSyntaxError`` on malformed input.

    Text past the limits (``check_limits``: length, bracket depth; numbers of at most ``MAX_NUMBER_DIGITS``
    digits) is refused with a positioned ``EclSyntaxError`` too.
    """
    check_limits(text)
    try:
        return _parser().parse(text)  # type: ignore[return-value]  # the transformer builds the AST; lark types parse() as a Tree
    except EclSyntaxError as err:
        err.locate(text)
        raise
    except UnexpectedInput as err:
        if _only_comments(text):
            message = "expected an expression but found end of input"
            raise EclSyntaxError(message, len(text), ("an expression",), text=text) from None
        raise _translate(err, text) from None


def _only_comments(text: str) -> bool:
    """Whether the text is nothing but whitespace and closed comments (linear: no backtracking regex)."""
    at = 0
    while True:
        at = _SPACE.match(text, at).end()  # type: ignore[union-attr]
        if at == len(text):
            return True
        if not text.startswith("/*", at):
            return False
        end = text.find("*/", at + 2)
        if end < 0:
            return False
        at = end + 2


_SPACE = re.compile(r"\s*")


# --------------------------------------------------------------------------- error messages

# Readable names of terminals; a group's entries share one name.  The dict order is the
# order in which expected tokens are listed in a message.
_READABLE: dict[str, str] = {
    "SCTID": "a concept id",
    "LTLT": "a constraint operator",
    "STAR": "'*'",
    "_CARET": "'^'",
    "_LPAR": "'('",
    "EQ_OP": "a comparison operator",
    "NUMBER": "a number",
    "INTEGER": "a number",
    "STRING": "a quoted string",
    "TRUE": "true/false",
    "_HASH": "'#'",
    "_RPAR": "')'",
    "_RBRACE": "'}'",
    "_RFILTER": "'}}'",
    "_RSQB": "']'",
    "AND": "AND/OR/MINUS",
    "COMMA": "','",
    "_COLON": "':'",
    "_DOT": "'.'",
    "_DOTDOT": "'..'",
    "TERM": "'|term|'",
    "LFILTER": "'{{'",
    "_LBRACE": "'{'",
    "_LSQB": "'['",
    "REVERSE": "R",
    "_TERM": "a description filter (term, language, type, dialect, ...)",
    "_DEFINITIONSTATUS": "a concept filter (definitionStatus, moduleId, effectiveTime, active)",
    "_MODULEID": "moduleId/effectiveTime/active",
    "FIELD_NAME": "a refset field name",
    "_C": "C",
    "_M": "M",
    "_PLUS": "'+'",
    "HISTORY": "HISTORY",
    "LANGUAGE_CODE": "a language code",
    "DIALECT_ALIAS": "a dialect alias",
    "FSN": "fsn/syn/def",
    "PRIMITIVE": "primitive/defined",
    "ACCEPT": "accept/prefer",
    "_MATCH": "match:/wild:",
    "$END": "end of input",
}
_GROUPS: dict[str, tuple[str, ...]] = {
    "LTLT": ("LTLTBANG", "LTBANG", "GTGTBANG", "GTGT", "GTBANG", "TOP", "BOTTOM", "DESCENDANTOF", "DESCENDANTORSELFOF",
             "CHILDOF", "CHILDORSELFOF", "ANCESTOROF", "ANCESTORORSELFOF", "PARENTOF", "PARENTORSELFOF", "TOPOF",
             "BOTTOMOF"),
    "STAR": ("ANY", "MANY"),
    "_CARET": ("_MEMBEROF",),
    "TRUE": ("FALSE",),
    "FSN": ("SYN", "DEF"),
    "PRIMITIVE": ("DEFINED",),
    "ACCEPT": ("PREFER",),
    "_DOTDOT": ("_TO",),
    "_MATCH": ("_WILD",),
    "_TERM": ("_LANGUAGE", "_TYPE", "_TYPEID", "_DIALECT", "_DIALECTID", "_ID", "_D"),
    "_DEFINITIONSTATUS": ("_DEFINITIONSTATUSID",),
    "_MODULEID": ("_EFFECTIVETIME", "_ACTIVE"),
}  # fmt: skip
_GROUP_OF = {member: head for head, members in _GROUPS.items() for member in members}
_CLOSERS = {"_RPAR", "_RBRACE", "_RFILTER", "_RSQB"}
_CONCEPT_FILTER_WORDS = ("definitionstatus", "definitionstatusid")


def _readable(names: set[str]) -> tuple[str, ...]:
    """Turn lark terminal names into a short, ordered list of readable tokens."""
    heads = {_GROUP_OF.get(n, n) for n in names} - {"ALT_ID", "QUOTED_ALT_ID"}
    if "EQ_OP" not in heads and heads & {"LT", "GT"} and "SCTID" in heads:
        heads.add("LTLT")  # "<" here starts a hierarchy operator, not a comparison
    if "EQ_OP" in heads or "LTLT" in heads:
        heads -= {"LT", "LE", "GT", "GE"}
    overrides: dict[str, str] = {}
    if "AND" in heads:
        overrides["AND"] = "AND/OR/MINUS" if "MINUS" in heads else "AND/OR"
        heads -= {"OR", "MINUS", "COMMA"}
    if "STRING" in heads:
        heads.discard("_MATCH")
    if "_MODULEID" in heads and heads & {"_TERM", "_DEFINITIONSTATUS"}:
        heads.discard("_MODULEID")  # already named by the filter group
    order = {name: i for i, name in enumerate(_READABLE)}
    ranked = sorted(heads, key=lambda n: (order.get(n, len(order)), n))
    return tuple(dict.fromkeys(overrides.get(n) or _READABLE.get(n) or n.strip("_").lower() for n in ranked))


def _found(text: str, position: int) -> str:
    """What stands at ``position``, quoted, for 'but found ...'."""
    match = re.match(r"[A-Za-z0-9_.#-]+|\S", text[position:])
    return f"'{match.group(0)}'" if match else "end of input"


def _join_words(items: tuple[str, ...]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def _acceptable(err: UnexpectedInput, fallback: set[str]) -> set[str]:
    """Terminals the parser could really take at the error (lark's ``expected`` over-reports after LALR merging)."""
    try:
        accepts = err.interactive_parser.accepts() if err.interactive_parser is not None else None
    except Exception:  # pragma: no cover - accepts() replays the parser; never let it mask the real error
        accepts = None
    return set(accepts) if accepts else set(fallback)


def _translate(err: UnexpectedInput, text: str) -> EclSyntaxError:
    """An ``EclSyntaxError`` carrying the position, expected tokens and found text of a lark error."""
    if isinstance(err, UnexpectedToken):
        at_end = err.token.type == "$END"
        position = len(text) if at_end else err.token.start_pos
        names = _acceptable(err, set(err.expected))
        found = "end of input" if at_end else f"'{err.token.value}'"
    elif isinstance(err, UnexpectedCharacters):
        position = err.pos_in_stream
        rest = text[position:]
        if rest.startswith("/*"):
            return EclSyntaxError("unclosed comment /* ... */", position, ("'*/'",), text=text)
        if rest.startswith("|"):
            return EclSyntaxError("unclosed or empty term |...|", position, ("'|'",), text=text)
        if rest.startswith('"'):
            return EclSyntaxError('unclosed string "..."', position, ("'\"'",), text=text)
        names = _acceptable(err, set(err.allowed or ()))
        at_end = False
        found = _found(text, position)
    else:  # pragma: no cover - LALR raises only the two above
        return EclSyntaxError(str(err), getattr(err, "pos_in_stream", 0) or 0, text=text)
    if at_end and names & _CLOSERS:
        # Out of input while something is open: the closing bracket is the useful hint.
        names &= _CLOSERS
    expected = _readable(names)
    message = f"expected {_join_words(expected)} but found {found}" if expected else f"unexpected {found}"
    if found.strip("'").lower() in _CONCEPT_FILTER_WORDS and "C" in expected:
        message += " (concept filters start with C: {{ C definitionStatus = ... }})"
    return EclSyntaxError(message, position, expected, text=text)
