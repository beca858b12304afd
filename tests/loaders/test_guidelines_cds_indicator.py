"""The optional `cdsIndicator` front-matter key: validated on read, kept in `extra`, round-tripped by the writer."""

from __future__ import annotations

import pytest

from loaders.guidelines import GuidelineFileError, guideline_text, parse_guideline

BASE = """---
id: g
title: T
status: published
tags:
  - concept: 1059990001105
recommendations:
  - id: r1
    text: Do it.
    strength: strong
{extra}---
## Overview

Text.
"""


def test_warning_is_kept_and_written_back() -> None:
    doc = parse_guideline(BASE.format(extra="cdsIndicator: warning\n"))
    assert doc.extra == {"cdsIndicator": "warning"}
    assert parse_guideline(guideline_text(doc)) == doc


def test_absent_is_fine() -> None:
    assert parse_guideline(BASE.format(extra="")).extra == {}


@pytest.mark.parametrize("value", ["critical", "WARNING", "", "1"])
def test_other_values_are_refused_with_the_line(value: str) -> None:
    with pytest.raises(GuidelineFileError) as e:
        parse_guideline(BASE.format(extra=f"cdsIndicator: '{value}'\n"), "g.md")
    assert e.value.field == "cdsIndicator" and e.value.line == 11
    assert "info, warning" in e.value.problem
