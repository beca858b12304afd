"""ECL term filters answered from the word postings: same answers as a scan over the RF2 descriptions.

The reference here reads the RF2 Description, TextDefinition and Language files with csv (not the
index) and applies the filters the way the evaluator did before the postings: every description
of the focus concepts, folded by ``normalise.fold`` (the one folding rule), ``match`` as word-prefix
matching of every search word (``[^\\W_]+`` words, as the old matcher), ``wild`` as a whole-term regex
built from the pattern (the old, backtracking implementation: fine on these short patterns).
The focus sets come from the evaluator's hierarchy operators (tested elsewhere against RF2).
"""

from __future__ import annotations

import csv
import random
import re
import sqlite3
from collections import defaultdict
from pathlib import Path

import pytest

from terminology import Terminology
from terminology.ecl import evaluate
from terminology.ecl.ast import SearchTerm, SearchType
from terminology.ecl.filters import glob_match, wild_parts, wild_segments
from terminology.sample import sample_release_dir
from terminology.text.normalise import fold, words
from terminology.text.postings import ARRAYS

FSN, SYNONYM, DEFINITION = 900000000000003001, 900000000000013009, 900000000000550004
EN_US, EN_GB = 900000000000509007, 900000000000508004
PREFERRED, ACCEPTABLE = 900000000000548007, 900000000000549004


# --------------------------------------------------------------------------- the reference scan


class Rf2Descriptions:
    """Descriptions (and text definitions) of an RF2 snapshot with their language refset acceptability."""

    def __init__(self, snapshot: Path):
        self.by_concept: dict[int, list[dict]] = defaultdict(list)
        accept: dict[int, dict[int, int]] = defaultdict(dict)
        for path in snapshot.rglob("*Refset_Language*Snapshot*.txt"):
            for row in _rows(path):
                if row["active"] == "1":
                    accept[int(row["referencedComponentId"])][int(row["refsetId"])] = int(row["acceptabilityId"])
        for pattern in ("sct2_Description_*Snapshot*.txt", "sct2_TextDefinition_*Snapshot*.txt"):
            for path in snapshot.rglob(pattern):
                for row in _rows(path):
                    d = {
                        "active": row["active"] == "1",
                        "term": row["term"],
                        "type": int(row["typeId"]),
                        "lang": row["languageCode"],
                        "accept": accept.get(int(row["id"]), {}),
                    }
                    self.by_concept[int(row["conceptId"])].append(d)


def _rows(path: Path):  # type: ignore[no-untyped-def]
    with open(path, encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)


def _old_wild(text: str):  # type: ignore[no-untyped-def]
    term = SearchTerm(text, SearchType.WILD)
    rx = re.compile("".join(".*" if p is None else re.escape(fold(p)) for p in wild_parts(term)), re.DOTALL)
    return lambda folded: rx.fullmatch(folded) is not None


def _old_match(text: str):  # type: ignore[no-untyped-def]
    wanted = words(text)
    return lambda folded: all(any(w.startswith(q) for w in re.findall(r"[^\W_]+", folded)) for q in wanted)


def reference(
    rf2: Rf2Descriptions,
    focus: set[int],
    terms: list[tuple[str, str]],
    *,
    negate: bool = False,
    types: set[int] | None = None,
    dialect: tuple[int, set[int] | None] | None = None,
    active: bool | None = None,
) -> set[int]:
    """Concepts of `focus` with a description meeting all the filters (terms: ("match"|"wild", text))."""
    tests = [(_old_wild if kind == "wild" else _old_match)(text) for kind, text in terms]
    out = set()
    for c in focus:
        for d in rf2.by_concept.get(c, []):
            if d["active"] != (True if active is None else active):
                continue
            if types is not None and d["type"] not in types:
                continue
            if dialect is not None:
                refset, wanted = dialect
                got = d["accept"].get(refset)
                if got is None or (wanted is not None and got not in wanted):
                    continue
            hit = any(test(fold(d["term"])) for test in tests)
            if hit != negate:
                out.add(c)
                break
    return out


def _ecl_terms(terms: list[tuple[str, str]]) -> str:
    def one(kind: str, text: str) -> str:
        quoted = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return f"wild:{quoted}" if kind == "wild" else quoted

    parts = [one(k, t) for k, t in terms]
    return parts[0] if len(parts) == 1 else "(" + " ".join(parts) + ")"


def ids(t: Terminology, ecl: str) -> set[int]:
    return set(evaluate(t, ecl).ids.tolist())


# Term filters of every kind: common words, prefixes, several words, wildcards at each end and
# inside, punctuation, escaped stars, several terms, words that are in no term.
TERMS: list[list[tuple[str, str]]] = [
    [("match", "liver")],
    [("match", "hep")],
    [("match", "structure of")],
    [("match", "chronic hepat")],
    [("match", "hepatitis viral")],
    [("match", "type")],
    [("match", "LIVER")],
    [("match", "left-sided")],
    [("match", "xyzzyq")],
    [("match", "de toni")],
    [("match", "debre")],
    [("match", "strumpell")],
    [("match", "disorder"), ("match", "tendon")],
    [("wild", "*tion*")],
    [("wild", "*itis")],
    [("wild", "hepat*")],
    [("wild", "Liver*")],
    [("wild", "*liver*")],
    [("wild", "*(disorder)")],
    [("wild", "*of liver*")],
    [("wild", "*of*liver*")],
    [("wild", "chronic*hepatitis*")],
    [("wild", "*-*")],
    [("wild", "* *")],
    [("wild", "*")],
    [("wild", "liver")],
    [("wild", "*ver")],
    [("wild", "*a*e*i*")],
    [("wild", "*strümpell*")],
    [("wild", "*str*mpell*")],
    [("wild", "*©*")],
    [("wild", "*\\**")],
    [("wild", "hepatitis*"), ("match", "cirrhosis")],
    [("wild", "*ti*ti*")],
    [("match", "liver"), ("wild", "*")],
]
SAMPLE_FOCI = [138875005, 404684003, 64572001]
SUBSET_FOCI = [138875005, 404684003, 64572001, 71388002]


def _check_batch(t: Terminology, rf2: Rf2Descriptions, foci: list[int]) -> int:
    checked = 0
    for focus_id in foci:
        focus = ids(t, f"<< {focus_id}")
        for terms in TERMS:
            ecl_terms = _ecl_terms(terms)
            variants = [
                (f"term = {ecl_terms}", {}),
                (f"term != {ecl_terms}", {"negate": True}),
                (f"term = {ecl_terms}, type = fsn", {"types": {FSN}}),
                (f"term = {ecl_terms}, type = (syn def)", {"types": {SYNONYM, DEFINITION}}),
                (f"term = {ecl_terms}, dialect = en-gb (prefer)", {"dialect": (EN_GB, {PREFERRED})}),
                (f"term = {ecl_terms}, dialect = en-us", {"dialect": (EN_US, None)}),
                (f"term = {ecl_terms}, language = en, active = false", {"active": False}),
            ]
            for filters, kw in variants:
                ecl = f"<< {focus_id} {{{{ {filters} }}}}"
                assert ids(t, ecl) == reference(rf2, focus, terms, **kw), ecl  # type: ignore[arg-type]
                checked += 1
    return checked


def test_term_filters_match_a_description_scan_on_the_sample(sample: Terminology) -> None:
    rf2 = Rf2Descriptions(sample_release_dir() / "Snapshot")
    assert _check_batch(sample, rf2, SAMPLE_FOCI) == len(SAMPLE_FOCI) * len(TERMS) * 7


def test_term_filters_match_a_description_scan_on_the_subset(subset: Terminology, subset_path: Path) -> None:
    rf2 = Rf2Descriptions(subset_path)
    # Non-trivial: the batch finds real hits (hand-checked in the RF2 file: "Hepatitis" terms are many).
    assert len(ids(subset, '<< 64572001 {{ term = "hepatitis viral" }}')) > 5
    assert _check_batch(subset, rf2, SUBSET_FOCI) == len(SUBSET_FOCI) * len(TERMS) * 7


def test_two_filter_blocks_and_two_term_filters(subset: Terminology, subset_path: Path) -> None:
    rf2 = Rf2Descriptions(subset_path)
    focus = ids(subset, "<< 404684003")
    both = reference(rf2, focus, [("match", "chronic")]) & reference(rf2, focus, [("wild", "*hepatitis*")])
    assert ids(subset, '<< 404684003 {{ term = "chronic" }} {{ term = wild:"*hepatitis*" }}') == both
    # Within one block both filters must hold for the same description.
    same = {
        c
        for c in focus
        for d in rf2.by_concept.get(c, [])
        if d["active"] and _old_match("chronic")(fold(d["term"])) and _old_wild("*hepatitis*")(fold(d["term"]))
    }
    assert ids(subset, '<< 404684003 {{ term = "chronic", term = wild:"*hepatitis*" }}') == same
    assert same and same <= both


# --------------------------------------------------------------------------- the backtracking reproduction


def _a_times_then(folded: str, count: int, last: str) -> bool:
    """What ``*a*a...*a*<last>*`` (``count`` a's) means, read off the pattern: ``last`` after the count-th "a"."""
    at = -1
    for _ in range(count):
        at = folded.find("a", at + 1)
        if at < 0:
            return False
    return folded.find(last, at + 1) >= 0


def test_the_backtracking_wild_pattern_is_answered(subset: Terminology, subset_path: Path, sample: Terminology) -> None:
    # Issue 16: this pattern pinned a worker for 60 s with the regex implementation (so the expected
    # set is computed here from the pattern's meaning, not with a regex).
    rf2 = Rf2Descriptions(subset_path)
    every = ids(subset, "<< 138875005")

    def expected(count: int, last: str) -> set[int]:
        return {
            c
            for c in every
            for d in rf2.by_concept.get(c, [])
            if d["active"] and _a_times_then(fold(d["term"]), count, last)
        }

    assert ids(subset, '<< 138875005 {{ term = wild:"*a*a*a*a*a*a*!*" }}') == expected(6, "!")
    assert ids(sample, '<< 138875005 {{ term = wild:"*a*a*a*a*a*a*!*" }}') == set()  # no "!" in the sample's terms
    # Without a "!" to look up, every term is a candidate and is checked by the linear matcher.
    pattern = "*a" * 17 + "*b*"
    got = ids(subset, f'<< 138875005 {{{{ term = wild:"{pattern}" }}}}')
    assert got == expected(17, "b") and got  # some long subset terms have 17 a's and a later b


def test_glob_match_agrees_with_a_regex_on_random_patterns() -> None:
    rng = random.Random(17)
    for _ in range(5000):
        text = "".join(rng.choice("ab ") for _ in range(rng.randint(0, 9)))
        pattern = "".join(rng.choice("ab *") for _ in range(rng.randint(0, 7)))
        rx = re.fullmatch("".join(".*" if c == "*" else re.escape(c) for c in pattern), text, re.DOTALL)
        segments = wild_segments(SearchTerm(pattern, SearchType.WILD))
        assert glob_match(segments, text) == (rx is not None), (pattern, text)


def test_glob_match_is_linear_on_a_long_adversarial_term() -> None:
    # 40 stars over 20,000 "a"s with no match: a backtracking matcher would never finish.
    segments = wild_segments(SearchTerm("*a" * 40 + "*!*", SearchType.WILD))
    assert glob_match(segments, "a" * 20000) is False
    assert glob_match(segments, "a" * 20000 + "!") is True


# --------------------------------------------------------------------------- regression guard


def test_the_posting_arrays_answer_a_term_filter_without_reading_descriptions(sample_index: Path) -> None:
    t = Terminology.open(sample_index)
    assert all(t.has_array(name) for name in ARRAYS)
    statements: list[str] = []
    db: sqlite3.Connection = t.store.db
    db.set_trace_callback(statements.append)
    try:
        # BONE_MET and BENIGN_BONE carry "tumour" (sample Description file, hand-checked in test_evaluator).
        assert ids(t, '< 64572001 {{ term = "tumour" }}') == {1039990001102, 1179990001101}
        assert ids(t, '<< 138875005 {{ term = wild:"*tumour*", type = syn }}')
    finally:
        db.set_trace_callback(None)
    assert not [s for s in statements if "description" in s.lower() or "fts" in s.lower()], statements


def test_an_index_without_the_postings_is_refused(sample_index: Path, tmp_path: Path) -> None:
    import shutil

    from terminology.errors import IndexFormatError

    copy = tmp_path / "no-postings.idx"
    shutil.copytree(sample_index, copy)
    (copy / "arrays" / "word_post_desc.npy").unlink()
    with pytest.raises(IndexFormatError, match="word_post_desc"):
        evaluate(Terminology.open(copy), '<< 138875005 {{ term = "tumour" }}')
