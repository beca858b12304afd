"""Display forms of expressions: ``ID|term|:{ID|term|=ID|term|}``.

FHIR has no single display for a post-coordinated expression, so the display is the
expression itself with each concept's preferred term (in the requested language)
between pipes and no whitespace, keeping the structure as the client wrote it.  That
is the form HL7's terminology tests expect from ``$validate-code`` and ``$lookup``.
"""

from __future__ import annotations

from ..terminology import Terminology
from .ast import Attribute, ConceptRef, Concrete, Expression, Refinement, SubExpression

__all__ = ["render"]


def render(t: Terminology, node: Expression | SubExpression, lang: str | None = None, terms: bool = True) -> str:
    """The expression with preferred terms (or without any term when ``terms`` is False)."""
    if isinstance(node, Expression):
        body = _sub(t, node.sub, lang, terms)
        return f"{node.definition_status} {body}" if node.definition_status else body
    return _sub(t, node, lang, terms)


def _sub(t: Terminology, sub: SubExpression, lang: str | None, terms: bool) -> str:
    focus = "+".join(_ref(t, c, lang, terms) for c in sub.focus)
    if sub.refinement is None:
        return focus
    return f"{focus}:{_refinement(t, sub.refinement, lang, terms)}"


def _refinement(t: Terminology, r: Refinement, lang: str | None, terms: bool) -> str:
    parts = [_attribute(t, a, lang, terms) for a in r.ungrouped]
    parts += ["{" + ",".join(_attribute(t, a, lang, terms) for a in g) + "}" for g in r.groups]
    return ",".join(parts)


def _attribute(t: Terminology, a: Attribute, lang: str | None, terms: bool) -> str:
    v = a.value
    if isinstance(v, ConceptRef):
        value = _ref(t, v, lang, terms)
    elif isinstance(v, SubExpression):
        value = f"({_sub(t, v, lang, terms)})"
    else:
        value = v.scg if isinstance(v, Concrete) else str(v)
    return f"{_ref(t, a.name, lang, terms)}={value}"


def _ref(t: Terminology, c: ConceptRef, lang: str | None, terms: bool) -> str:
    if not terms:
        return str(c.id)
    term = t.preferred_term(c.id, lang) if t.has_concept(c.id) else None
    term = term or c.term
    return f"{c.id}|{term}|" if term else str(c.id)
