"""YAML anchors and aliases are refused in guideline front matter (issue 16: a 700-byte alias bomb became 33.6 MB)."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from loaders.guidelines import GuidelineFileError, guideline_text, parse_guideline, read_guideline, read_guidelines

HEAD = "---\nid: bomb\ntitle: Alias bomb\nstatus: draft\ntags:\n  - concept: 1049990001107\nrecommendations:\n  - id: r1\n    text: Assess.\n    strength: moderate\n"


def _bomb() -> str:
    """Nine levels of nine aliases each: 9**9 (387 million) strings once expanded, in under 700 bytes."""
    levels = ['l0: &l0 "lol"']
    for i in range(1, 9):
        levels.append(f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]")
    return HEAD + "\n".join(levels) + "\n---\n"


def test_an_alias_bomb_is_refused_at_its_first_anchor_naming_file_and_line(tmp_path: Path) -> None:
    text = _bomb()
    assert len(text.encode()) < 700
    path = tmp_path / "bomb.md"
    path.write_text(text)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(GuidelineFileError) as caught:
            read_guideline(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 2 and peak < 5 * 2**20
    err = caught.value
    # File line 1 is '---', HEAD takes lines 2-10, the first anchor (&l0) is on line 11.
    assert err.file == str(path) and err.line == 11
    assert str(err).startswith(f"{path}:11: invalid YAML in front matter: anchor &l0 is not accepted")


def test_an_alias_without_its_anchor_in_the_same_node_is_refused(tmp_path: Path) -> None:
    text = HEAD.replace("title: Alias bomb", "title: &t Alias bomb") + "subtitle: *t\n---\n"
    with pytest.raises(GuidelineFileError, match=r"bomb\.md:3: .*anchor &t is not accepted"):
        parse_guideline(text, "bomb.md")


def test_a_lone_alias_is_refused(tmp_path: Path) -> None:
    with pytest.raises(GuidelineFileError, match=r"x\.md:11: .*alias \*nowhere is not accepted"):
        parse_guideline(HEAD + "see: *nowhere\n---\n", "x.md")


def test_a_directory_with_an_alias_bomb_stops_the_load_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "bomb.md").write_text(_bomb())
    with pytest.raises(GuidelineFileError, match="bomb.md:11"):
        read_guidelines(tmp_path)


def test_a_value_used_twice_is_written_without_anchors_and_reads_back() -> None:
    doc = parse_guideline(HEAD + "---\n", "bomb.md")
    shared = ["a", "b"]
    twice = type(doc)(**{**doc.__dict__, "extra": {"first": shared, "second": shared}})
    text = guideline_text(twice)
    assert "&" not in text and "*" not in text
    assert parse_guideline(text, "bomb.md") == twice
