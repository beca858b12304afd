"""Guideline files: the samples parse, write is the exact inverse of read, and bad files get clear errors.

Every error must name the file, the field and (where the file has one) the line, because the
people who fix guideline files are clinical authors editing Markdown, not developers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from loaders.guidelines import (
    STRENGTHS,
    GuidelineDocument,
    GuidelineFileError,
    Recommendation,
    Reference,
    TagSpec,
    guideline_text,
    read_guideline,
    read_guidelines,
    write_guideline,
)
from loaders.sctid import ComponentKind, make_sctid
from terminology.sample import sample_guidelines_dir

SAMPLES = sample_guidelines_dir()
SAMPLE_IDS = [
    "liver-metastases-management",
    "lung-metastases-management",
    "malignant-disease-general-principles",
    "oligometastatic-local-therapy",
    "pelvic-bone-metastasis-fracture-risk",
    "spinal-metastases-instability-and-cord-compression",
    "suspected-bone-metastasis-workup",
]
SECTIONS = ["Overview", "Diagnosis", "Management", "Key recommendations"]

# A small valid file; each error case below edits one line of it.
GOOD = """\
---
id: tiny
title: A tiny guideline
status: draft
tags:
  - concept: 1039990001102
    term: Secondary malignant neoplasm of bone
recommendations:
  - id: r1
    text: Do the first thing.
    strength: strong
  - id: r2
    text: Do the second thing.
    strength: weak
references:
  - id: smith2020
    authors: [Smith A, et al.]
    title: A paper
    journal: A Journal
    year: 2020
updated: 2025-03-01
---
## Overview

Some text citing [smith2020].

## Key recommendations

- [r1] Do the first thing. (Strength: strong) [smith2020]
- [r2] Do the second thing. (Strength: weak)
"""


def line_of(text: str, marker: str, nth: int = 1) -> int:
    """The 1-based line of the nth line containing `marker`, so expected lines follow the text."""
    hits = [i for i, line in enumerate(text.split("\n"), 1) if marker in line]
    return hits[nth - 1]


def write(tmp_path: Path, text: str, name: str = "tiny") -> Path:
    path = tmp_path / f"{name}.md"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> GuidelineFileError:
    with pytest.raises(GuidelineFileError) as info:
        read_guideline(path)
    return info.value


# ----------------------------------------------------------------------------- the samples


def test_reads_every_sample_and_skips_the_readme() -> None:
    docs = read_guidelines(SAMPLES)
    assert [d.id for d in docs] == SAMPLE_IDS
    for d in docs:
        assert list(d.sections) == SECTIONS, d.id
        assert d.status == "published"
        assert d.updated == "2025-03-01"
        assert d.tags and all(t.concept is not None and t.ecl is None and t.exclude == [] for t in d.tags)
        assert d.recommendations and all(r.strength in STRENGTHS for r in d.recommendations)
        assert d.extra == {}
        # Every recommendation is listed in the Key recommendations section (README rule).
        for r in d.recommendations:
            assert f"[{r.id}]" in d.sections["Key recommendations"], (d.id, r.id)


def test_sample_fields_are_parsed_into_the_dataclasses() -> None:
    doc = read_guideline(SAMPLES / "oligometastatic-local-therapy.md")
    assert doc.title == "Local consolidative therapy for oligometastatic disease"
    assert doc.tags == [TagSpec(concept=1029990001104, ecl=None, term="Secondary malignant neoplastic disease")]
    assert doc.recommendations[0] == Recommendation(
        "r1",
        "Consider local consolidative therapy (LCT) to all known sites of disease, in addition to standard "
        "systemic therapy, for patients with oligometastatic disease who are fit enough for treatment.",
        "strong",
    )
    assert [r.strength for r in doc.recommendations] == [
        "strong",
        "expert opinion",
        "expert opinion",
        "moderate",
        "weak",
    ]
    rim = doc.references[0]
    assert rim == Reference(
        id="rim2022",
        authors=["Rim CH", "et al."],
        title="Role of Local Treatment for Oligometastasis: A Comparability-Based Meta-Analysis",
        journal="Cancer Research and Treatment",
        year=2022,
        volume="54(4)",
        url="https://www.e-crt.org/",
    )
    assert doc.references[3].authors == ["Hellman S", "Weichselbaum RR"]
    assert doc.references[3].title == "Oligometastases"
    assert doc.sections["Overview"].startswith("Oligometastatic disease")
    assert not doc.sections["Overview"].startswith("\n") and not doc.sections["Overview"].endswith("\n")


def test_a_guideline_may_carry_several_tags() -> None:
    doc = read_guideline(SAMPLES / "spinal-metastases-instability-and-cord-compression.md")
    assert len(doc.tags) >= 2
    assert 1089990001103 in [t.concept for t in doc.tags]  # Metastatic malignant neoplasm to vertebra


# ----------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("gid", SAMPLE_IDS)
def test_sample_round_trip(gid: str, tmp_path: Path) -> None:
    doc = read_guideline(SAMPLES / f"{gid}.md")
    path = write_guideline(doc, tmp_path)
    assert path == tmp_path / f"{gid}.md"
    again = read_guideline(path)
    assert again == doc
    # Writing is canonical: a second write produces the same bytes.
    assert guideline_text(again) == path.read_text(encoding="utf-8")


def test_round_trip_of_every_optional_form(tmp_path: Path) -> None:
    """ECL tags, exclusions, extra keys, a preamble, odd strings and absent optional fields survive."""
    doc = GuidelineDocument(
        id="all-forms",
        title="Title: with a colon, 'quotes' and unicode — é",
        status="retired",
        tags=[
            TagSpec(concept=1039990001102, term=None, exclude=[1049990001107, 1079990001100]),
            TagSpec(concept=None, ecl="<< 1029990001104 |Secondary malignant neoplastic disease|", term="ECL tag"),
            TagSpec(concept=1019990001106, term="yes"),  # would be a YAML boolean if written unquoted
        ],
        recommendations=[Recommendation("r1", "Line one\nline two, then a # hash", "expert opinion")],
        references=[
            Reference(
                "a1",
                ["Doe J"],
                "T",
                "J",
                1999,
                volume="12",
                pmid="12345678",
                doi="10.1000/xyz",
                url="https://x.org/a?b=1",
            ),
            Reference("a2", ["Roe R", "et al."], "T2", "J2", 2001),
        ],
        sections={
            "": "# A top-level title before the first section",
            "Overview": "Text with trailing hard break  \nand a fenced block:\n\n```\n## not a heading\n```",
            "Empty": "",
            "Key recommendations": "- [r1] Short. (Strength: expert opinion) [a1] [a2]",
        },
        updated=None,
        extra={"owner": "Oncology", "review": {"due": "2026-01-01", "by": ["A", "B"]}},
    )
    path = write_guideline(doc, tmp_path / "all-forms.md")
    assert read_guideline(path) == doc


def test_numeric_volume_and_pmid_are_read_as_strings(tmp_path: Path) -> None:
    text = GOOD.replace("    year: 2020\n", "    year: 2020\n    volume: 27\n    pmid: 12345678\n")
    doc = read_guideline(write(tmp_path, text))
    assert (doc.references[0].volume, doc.references[0].pmid) == ("27", "12345678")
    assert read_guideline(write_guideline(doc, tmp_path / "out" / "tiny.md")) == doc


def test_crlf_and_bom_are_accepted(tmp_path: Path) -> None:
    (tmp_path / "crlf").mkdir()
    path = tmp_path / "crlf" / "tiny.md"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode())
    assert read_guideline(path) == read_guideline(write(tmp_path, GOOD))


def test_write_refuses_a_file_name_that_does_not_match_the_id(tmp_path: Path) -> None:
    doc = read_guideline(write(tmp_path, GOOD))
    with pytest.raises(GuidelineFileError, match=r"tiny\.md") as info:
        write_guideline(doc, tmp_path / "other.md")
    assert info.value.field == "id"


def test_write_refuses_what_would_read_back_differently(tmp_path: Path) -> None:
    doc = read_guideline(write(tmp_path, GOOD))
    bad = GuidelineDocument(**{**doc.__dict__, "sections": {"Overview": "text\n\n## Sneaky heading\n\nmore"}})
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(GuidelineFileError, match="sections"):
        write_guideline(bad, out)
    assert not (out / "tiny.md").exists()


# ----------------------------------------------------------------------------- errors


def test_good_file_is_valid(tmp_path: Path) -> None:
    doc = read_guideline(write(tmp_path, GOOD))
    assert doc.id == "tiny" and list(doc.sections) == ["Overview", "Key recommendations"]


# (edit old -> new in GOOD, file name, expected field, marker of the expected line (None: line 2), message fragment)
# fmt: off
ERROR_CASES = [
    ("id: tiny\n", "", "tiny", "id", None, "is required"),
    ("title: A tiny guideline\n", "", "tiny", "title", None, "is required"),
    ("title: A tiny guideline", "title: ''", "tiny", "title", "title: ''", "must not be empty"),
    ("id: tiny", "id: Tiny_One", "Tiny_One", "id", "id: Tiny_One", "not a valid id"),
    ("id: tiny", "id: -tiny", "-tiny", "id", "id: -tiny", "not a valid id"),
    ("id: tiny", "id: other", "tiny", "id", "id: other", "does not match the file name"),
    ("id: tiny", "id: 123", "123", "id", "id: 123", "must be a string"),
    ("status: draft", "status: final", "tiny", "status", "status: final", "not one of"),
    ("strength: weak", "strength: very weak", "tiny", "recommendations[1].strength", "very weak", "'very weak' is not one of"),
    ("    strength: strong\n", "", "tiny", "recommendations[0].strength", "  - id: r1", "is required"),
    ("concept: 1039990001102", "concept: 1039990001103", "tiny", "tags[0].concept", "concept:", "wrong check digit"),
    ("concept: 1039990001102", "concept: abc", "tiny", "tags[0].concept", "concept:", "not numeric"),
    (
        "concept: 1039990001102",
        f"concept: {make_sctid(103, 9990001, ComponentKind.DESCRIPTION)}",
        "tiny",
        "tags[0].concept",
        "concept:",
        "not a concept",
    ),
    ("    term: Secondary", "    ecl: << 1039990001102\n    term: Secondary", "tiny", "tags[0]", "- concept:", "exactly one of"),
    ("    term: Secondary", "    exclude: [1039990001102]\n    term: Secondary", "tiny", "tags[0].exclude", "exclude:", "own concept"),
    ("    term: Secondary", "    exclude: [12]\n    term: Secondary", "tiny", "tags[0].exclude[0]", "exclude:", "6 to 18 digits"),
    ("    term: Secondary", "    concpet: 1\n    term: Secondary", "tiny", "tags[0].concpet", "concpet", "unknown field"),
    ("tags:\n  - concept: 1039990001102\n    term: Secondary malignant neoplasm of bone\n", "tags: []\n", "tiny", "tags", "tags: []", "at least one"),
    ("    year: 2020", "    year: twenty", "tiny", "references[0].year", "year: twenty", "must be a year"),
    ("    authors: [Smith A, et al.]", "    authors: []", "tiny", "references[0].authors", "authors: []", "non-empty list"),
    ("  - id: r2", "  - id: r1", "tiny", "recommendations[1].id", "- id: r1", "duplicate id 'r1'", 2),
    ("updated: 2025-03-01", "updated: March 2025", "tiny", "updated", "updated:", "YYYY-MM-DD"),
    ("status: draft", "status: draft\ntitle: Again", "tiny", "title", "title: Again", "duplicate key"),
    ("Some text citing [smith2020].", "Some text citing [jones2021].", "tiny", "body", "[jones2021]", "[jones2021]"),
    ("## Key recommendations", "## Overview", "tiny", "body", "## Overview", "duplicate section", 2),
]
# fmt: on


@pytest.mark.parametrize("case", ERROR_CASES, ids=[f"{c[3]}-{c[5][:20]}" for c in ERROR_CASES])
def test_field_errors_name_file_line_and_field(case: tuple, tmp_path: Path) -> None:
    old, new, name, field, marker, fragment, *nth = case
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    path = write(tmp_path, text, name)
    err = error_of(path)
    line = line_of(text, marker, *nth) if marker else 2
    assert (err.file, err.field, err.line) == (str(path), field, line), str(err)
    assert fragment in err.problem
    assert str(err).startswith(f"{path}:{line} (field {field}): ")


def test_bad_yaml_reports_the_file_line(tmp_path: Path) -> None:
    text = GOOD.replace("    text: Do the second thing.", '    text: "Do the second thing.')
    err = error_of(write(tmp_path, text))
    assert "invalid YAML" in err.problem
    # The scanner only notices the unclosed quote where the front matter ends; the message also
    # names the line where the string began, which is the one to fix.
    assert err.line == line_of(text, "---", 2) - 1
    opened = line_of(text, 'text: "Do the second')
    assert f"quoted scalar (line {opened})" in err.problem
    text = GOOD.replace("    strength: weak", "   strength: weak")  # bad indentation
    err = error_of(write(tmp_path, text))
    assert "invalid YAML" in err.problem and err.line == line_of(text, "   strength: weak")


def test_front_matter_problems(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "# Just markdown\n"))
    assert err.line == 1 and "no YAML front matter" in err.problem
    err = error_of(write(tmp_path, GOOD.replace("---\n## Overview", "## Overview")))
    assert err.line == 1 and "not closed" in err.problem
    err = error_of(write(tmp_path, "---\n---\nbody\n"))
    assert "empty" in err.problem
    err = error_of(write(tmp_path, "---\n- a list\n---\n"))
    assert err.line == 2 and "mapping" in err.problem


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "tiny.md"
    path.write_bytes(b"---\nid: \xff\n---\n")
    assert "not UTF-8" in error_of(path).problem
    assert "cannot be read" in error_of(tmp_path / "missing.md").problem


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write(tmp_path / "a", GOOD)
    second = write(tmp_path / "b", GOOD)
    with pytest.raises(GuidelineFileError) as info:
        read_guidelines(tmp_path)
    err = info.value
    assert (err.file, err.field, err.line) == (str(second), "id", 2)
    assert "duplicate guideline id 'tiny'" in err.problem and str(first) in err.problem


def test_directory_reading_skips_readmes_and_hidden_folders(tmp_path: Path) -> None:
    write(tmp_path, "# About these guidelines\n", "README")
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "no front matter\n", "readme")
    (tmp_path / ".drafts").mkdir()
    write(tmp_path / ".drafts", "not even a guideline\n", "tiny")
    write(tmp_path / "sub", GOOD)
    assert [d.id for d in read_guidelines(tmp_path)] == ["tiny"]
    with pytest.raises(GuidelineFileError, match="not a directory"):
        read_guidelines(tmp_path / "nowhere")


def test_an_error_in_one_file_stops_the_directory_load(tmp_path: Path) -> None:
    """All or nothing: serving a partial set would silently drop guidance for some diagnoses."""
    write(tmp_path, GOOD)
    bad = write(tmp_path, GOOD.replace("id: tiny", "id: zzz").replace("strength: weak", "strength: meh"), "zzz")
    with pytest.raises(GuidelineFileError) as info:
        read_guidelines(tmp_path)
    assert info.value.file == str(bad)
