"""Fuzz of the ECL parser (issue 16, proof): any text is either parsed or refused with EclSyntaxError,
never another exception, and in bounded time; the limits of ``terminology.ecl.parser`` hold.

Texts are drawn from ECL's own tokens (so that many are valid or nearly so, and nest deeply) and from
arbitrary characters, up to a few thousand characters; the fixed seed keeps a run reproducible.
"""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from terminology.ecl import EclSyntaxError, parse_ecl, to_ecl
from terminology.ecl.parser import MAX_DEPTH, MAX_LENGTH

TOKENS = [
    "<<",
    "<",
    ">>",
    ">",
    "<!",
    "<<!",
    ">!",
    ">>!",
    "!!>",
    "!!<",
    "^",
    "*",
    "(",
    ")",
    "{",
    "}",
    "{{",
    "}}",
    "[",
    "]",
    ":",
    ",",
    ".",
    "AND",
    "OR",
    "MINUS",
    "=",
    "!=",
    "<=",
    ">=",
    "#",
    "R",
    "1..3",
    "0..*",
    "..",
    "404684003",
    "1049990001107",
    "363698007",
    "123",
    "9" * 30,
    "-1.5",
    '"x"',
    '"a\\"b"',
    "|term|",
    "|",
    '"',
    "/* c */",
    "/*",
    "*/",
    "term",
    "match:",
    "wild:",
    '"*a*"',
    "C",
    "D",
    "M",
    "active",
    "true",
    "false",
    "1",
    "0",
    "definitionStatus",
    "primitive",
    "moduleId",
    "effectiveTime",
    "language",
    "en",
    "type",
    "syn",
    "dialect",
    "en-gb",
    "prefer",
    "accept",
    "id",
    "+HISTORY-MIN",
    "+HISTORY",
    "referencedComponentId",
    " ",
    "\n",
    "\t",
]

token_texts = st.lists(st.sampled_from(TOKENS), max_size=400).map(" ".join)
raw_texts = st.text(max_size=2000)
nested = st.integers(min_value=0, max_value=200).map(lambda d: "(" * d + "<< 404684003" + ")" * d)
limit_texts = st.sampled_from(
    [
        "1049990001107 OR " * 1200,
        "(" * (MAX_DEPTH + 1),
        "{{ " * 600,
        "/*" * 3000,
        '"' + "(" * 3000,
        "|" + "(" * 3000,
        "< 1049990001107 : * = #" + "9" * 400,
    ]
)


def check(text: str) -> None:
    started = time.monotonic()
    try:
        expr = parse_ecl(text)
    except EclSyntaxError as err:
        assert 0 <= err.position <= max(len(text), MAX_LENGTH)
        assert err.line >= 1 and err.column >= 1
    else:
        assert len(text) <= MAX_LENGTH
        assert parse_ecl(to_ecl(expr)) == expr  # a parse is a real one: it round-trips
    assert time.monotonic() - started < 5, f"parsing {len(text)} characters took too long"


@seed(16)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(token_texts, raw_texts, nested, limit_texts))
def test_any_text_parses_or_is_a_syntax_error(text: str) -> None:
    check(text)


def test_the_limits_are_positioned() -> None:
    text = "(" * 60 + "404684003" + ")" * 60
    try:
        parse_ecl(text)
    except EclSyntaxError as err:
        assert err.position == MAX_DEPTH and "more than 50 deep" in str(err)
    else:
        raise AssertionError("60 levels parsed")
    parse_ecl("(" * MAX_DEPTH + "404684003" + ")" * MAX_DEPTH)  # exactly the limit is fine
    long = "404684003 OR " * 2000
    try:
        parse_ecl(long)
    except EclSyntaxError as err:
        assert err.position == MAX_LENGTH and "at most 20,000" in str(err)
    else:
        raise AssertionError("too long parsed")
