"""Issue 13, item 5: composition that is sound, checked with snomap's own expression subsumption.

The property (`_check_sound`) is run over every compositional phrase of the test corpora: the phrases the
composition tests use on the sample release and the subset, and the `compositional` rows of
bench/mapping_cases (read here only as phrases, with no expected answer, so nothing is tuned on them).
For each composition:

* every closest ancestor subsumes the produced expression (`expressions.subsumes`), and so does every
  ancestor `expression_ancestors` reports for that expression when a client sends it back;
* the expression says every role group the phrase names: for each group g of the phrase,
  ``404684003 : { g }`` subsumes the expression (so "metastasis to left femur" says the metastasis, not
  something else, is in the (left) femur);
* an exact concept is defined by the phrase's groups and no expression is produced.

The hand-checked expectations below come from the RF2 files (sample_data's relationship rows, and the
subset's Relationship and Concept snapshot files read with awk).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from terminology import Terminology
from terminology.expressions import parse_expression, subsumes
from terminology.mapping import compose, expression_ancestors, map_with_composition
from terminology.mapping.composition import Composition, _contradicts_site

REPO = Path(__file__).resolve().parents[3]
CASES = REPO / "bench" / "mapping_cases"

SAMPLE_PHRASES = [  # tests/terminology/mapping/test_composition.py, tests/service/*, issue 13
    "neoplasm, metastatic of bone structure of pelvis",
    "pneumonia due to bacteria",
    "metastasis of the left ilium",
    "metastasis of left sacrum",
    "ilium left metastasis",
    "inflammation of the liver",
    "fracture of left ilium",
    "chronic metastasis of left ilium",
    "metastasis to left femur",
    "right iliac bone metastasis",
    "left ilium metastasis",
    "metastasis to the left ilium",
    "metastatic neoplasm of pelvic bone",
]
SUBSET_PHRASES = [
    "tumour embolus of liver",
    "secondary tumour of right liver lobe",
    "laceration of right lobe of liver",
    "cirhosis of liver",
    "liver cirrosis",
    "hepatic encephalopathy",
    "hepatorenal syndrome",
]


def _bench_phrases(name: str) -> list[str]:
    path = CASES / f"{name}.tsv"
    if not path.is_file():
        return []
    lines = [x for x in path.read_text(encoding="utf-8").splitlines() if x.strip() and not x.startswith("#")]
    rows = list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [r["text"] for r in rows if r["category"] == "compositional"]


def _check_sound(t: Terminology, c: Composition) -> None:
    if c.exact:
        assert c.expression is None
        assert set(c.exact) <= set(c.closest)
        return
    assert c.expression is not None, c.text
    expr = parse_expression(c.expression)
    for x in c.closest:
        assert subsumes(t, x, expr), f"{c.text!r}: closest {x} does not subsume {c.expression}"
    for x in expression_ancestors(t, c.expression).closest:
        assert subsumes(t, x, expr), f"{c.text!r}: reported ancestor {x} does not subsume {c.expression}"
    if c.complete and c.expression_valid:
        for g in c.groups:
            said = "404684003 : { " + ", ".join(f"{a} = {v}" for a, v in g) + " }"
            assert subsumes(t, parse_expression(said), expr), f"{c.text!r}: {c.expression} does not say {g}"


def _run(t: Terminology, phrases: list[str]) -> int:
    checked = 0
    for text in phrases:
        c = compose(t, text)
        if c is None:
            continue
        _check_sound(t, c)
        checked += 1
    return checked


def test_property_sample(sample: Terminology) -> None:
    assert _run(sample, SAMPLE_PHRASES + _bench_phrases("sample")) >= 10


@pytest.mark.real_release
def test_property_subset(subset: Terminology) -> None:
    assert _run(subset, SUBSET_PHRASES + _bench_phrases("subset")) >= 5


# ----- the examples


def test_laterality_binds_inside_the_morphology_group(sample: Terminology) -> None:
    # sample: 1079990001100 |Metastatic malignant neoplasm to femur| = {Neoplasm, metastatic; Bone structure
    # of femur}; no "left femur" structure exists, so the laterality is nested in the site of that group.
    c = compose(sample, "metastasis to left femur")
    assert c is not None and c.closest == [1079990001100]
    expr = parse_expression(c.expression or "")
    in_left_femur = parse_expression(
        "64572001 : { 116676008 = 3029990001100, 363698007 = (2049990001104 : 272741003 = 7771000) }"
    )
    assert subsumes(sample, in_left_femur, expr)


@pytest.mark.parametrize(
    ("text", "lateral_site"), [("right iliac bone metastasis", 2099990001105), ("left ilium metastasis", 2089990001108)]
)
def test_lateral_focus_gives_the_metastasis(sample: Terminology, text: str, lateral_site: int) -> None:
    # The whole of "iliac bone metastasis" names 1059990001105 (focus); its site 2029990001107 has the
    # precoordinated lateral structures 2099990001105 (right) and 2089990001108 (left) (sample Relationship:
    # 272741003 = 24028007 / 7771000), which go into the morphology's group.
    r = map_with_composition(sample, text, 5)
    assert r.candidates[0].concept_id == 1059990001105
    c = r.composition
    assert c is not None and c.complete and c.unrepresented == []
    assert (363698007, lateral_site) in c.groups[0] and (116676008, 3029990001100) in c.groups[0]
    say = parse_expression(f"64572001 : {{ 116676008 = 3029990001100, 363698007 = {lateral_site} }}")
    assert subsumes(sample, say, parse_expression(c.expression or ""))


def test_expression_ancestor_must_subsume(sample: Terminology) -> None:
    # Issue 13's reproduction: 1059990001105's definition includes its primitive supertype chain
    # (1039990001102 |Secondary malignant tumor of bone| is primitive), which Disease is not under.
    e = "64572001 : { 116676008 = 3029990001100, 363698007 = 2089990001108 }"
    closest = expression_ancestors(sample, e).closest
    assert 1059990001105 not in closest
    assert all(subsumes(sample, x, parse_expression(e)) for x in closest)


@pytest.mark.real_release
def test_laceration_of_right_lobe(subset: Terminology) -> None:
    # subset Relationship: 262802005 |Laceration of liver| = {Laceration 35933005, Liver 10200004} plus a
    # {Due to = Traumatic event} group; 419616000 |Hepatocellular liver damage| says Damage 37782003, of
    # which Laceration is a subtype: the laceration says the phrase more specifically.
    c = compose(subset, "laceration of right lobe of liver")
    assert c is not None and c.closest == [262802005]
    assert map_with_composition(subset, "laceration of right lobe of liver").candidates[0].concept_id == 262802005


@pytest.mark.real_release
def test_primitive_siblings_give_their_parent(subset: Terminology) -> None:
    # subset: Posthepatitic (27156006), Florid (76301009) ... cirrhosis have exactly the role groups of
    # 19943007 |Cirrhosis of liver| and differ only by what is not said (primitive, or a primitive parent).
    for text in ("cirhosis of liver", "liver cirrosis"):
        r = map_with_composition(subset, text, 10)
        c = r.composition
        assert c is not None and c.closest == [19943007] and c.exact == [19943007]
        assert r.candidates[0].concept_id == 19943007
        assert not any("exact composition" in x.sources for x in r.candidates if x.concept_id != 19943007)


@pytest.mark.real_release
def test_named_disorder_is_not_composed(subset: Terminology) -> None:
    # 51292008 |Hepatorenal syndrome| is precoordinated: "hepatic"/"renal" do not become finding sites.
    r = map_with_composition(subset, "hepatorenal syndrome")
    assert r.candidates[0].concept_id == 51292008 and r.composition is None


@pytest.mark.real_release
def test_site_of_another_place_is_no_finding_site(subset: Terminology) -> None:
    # 19943007 |Cirrhosis of liver| is at 10200004 |Liver structure|; lung structure (39607008) is neither
    # above nor below it, so it cannot say where the cirrhosis is; the right lobe of liver (48521005) can.
    assert _contradicts_site(subset, 19943007, 39607008)
    assert not _contradicts_site(subset, 19943007, 48521005)
