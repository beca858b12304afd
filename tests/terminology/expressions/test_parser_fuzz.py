"""Fuzz of the compositional grammar parser (issue 16, proof): any text is either an Expression or an
ExpressionSyntaxError, never another exception, and in bounded time; the limits of
``terminology.expressions.parser`` hold.  The fixed seed keeps a run reproducible.
"""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from terminology.expressions import ExpressionSyntaxError, canonical, parse_expression
from terminology.expressions.parser import MAX_DEPTH, MAX_LENGTH

TOKENS = [
    "===",
    "<<<",
    "404684003",
    "1049990001107",
    "363698007",
    "123",
    "9" * 30,
    ":",
    "+",
    ",",
    "=",
    "{",
    "}",
    "(",
    ")",
    "#",
    "#1",
    "#-2.5",
    "#" + "9" * 400,
    '"x"',
    '"a\\"b"',
    "|term|",
    "|",
    '"',
    "true",
    "false",
    "/* c */",
    " ",
    "\n",
]

token_texts = st.lists(st.sampled_from(TOKENS), max_size=400).map(" ".join)
raw_texts = st.text(max_size=2000)


def nest(depth: int) -> str:
    inner = "1049990001107"
    for _ in range(depth):
        inner = f"1049990001107:363698007=({inner})"
    return inner


nested = st.integers(min_value=0, max_value=120).map(nest)


@seed(16)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(token_texts, raw_texts, nested))
def test_any_text_parses_or_is_a_syntax_error(text: str) -> None:
    started = time.monotonic()
    try:
        expr = parse_expression(text)
    except ExpressionSyntaxError as err:
        assert 0 <= err.position <= max(len(text), MAX_LENGTH)
    else:
        assert len(text) <= MAX_LENGTH
        assert canonical(parse_expression(canonical(expr))) == canonical(expr)  # a real parse: it round-trips
    assert time.monotonic() - started < 5


def test_the_depth_limit_is_positioned() -> None:
    parse_expression(nest(MAX_DEPTH))
    text = nest(400)  # the issue's $validate-code reproduction
    try:
        parse_expression(text)
    except ExpressionSyntaxError as err:
        assert "more than 30 deep" in str(err) and text[err.position] == "("
    else:
        raise AssertionError("400 levels parsed")
