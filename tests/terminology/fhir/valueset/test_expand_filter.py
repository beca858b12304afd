"""``$expand?filter=``: one matching rule for the concepts a value set lists and those its filters admit.

Expectations come from the subset's RF2 files, read here with a reader of their own: a
concept matches when one of its active descriptions (FSN or synonym) has, for every
word of the filter, a word starting with it (words are runs of ASCII letters and digits,
lowercased; the subset's terms under 128241005 are ASCII).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest

from terminology import Terminology
from terminology.fhir import FhirContext, FhirSettings, Params, expand

SCT = "http://snomed.info/sct"
DEFINITION = "900000000000550004"
INFLAMMATORY_LIVER = "128241005"


def params(**kwargs: Any) -> Params:
    items = [
        {"name": k, "resource": v} if isinstance(v, dict) else {"name": k, "valueString": v} for k, v in kwargs.items()
    ]
    return Params.from_resource({"resourceType": "Parameters", "parameter": items})


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture(scope="module")
def ctx(subset: Terminology) -> FhirContext:
    return FhirContext(subset, FhirSettings())


@pytest.fixture(scope="module")
def rf2(subset_path: Path) -> dict[str, Any]:
    rels = [r for r in rows(next(subset_path.rglob("sct2_Relationship_Snapshot*"))) if r["active"] == "1"]
    children: dict[str, set[str]] = {}
    for r in rels:
        if r["typeId"] == "116680003":
            children.setdefault(r["destinationId"], set()).add(r["sourceId"])
    terms: dict[str, list[str]] = {}
    for d in rows(next(subset_path.rglob("sct2_Description_Snapshot*"))):
        if d["active"] == "1" and d["typeId"] != DEFINITION:
            terms.setdefault(d["conceptId"], []).append(d["term"])
    return {"children": children, "terms": terms}


def under(rf2: dict[str, Any], concept: str) -> set[str]:
    out, todo = {concept}, [concept]
    while todo:
        for c in rf2["children"].get(todo.pop(), ()):
            if c not in out:
                out.add(c)
                todo.append(c)
    return out


def matching(rf2: dict[str, Any], concepts: set[str], text: str) -> set[str]:
    wanted = re.findall(r"[a-z0-9]+", text.lower())

    def hit(term: str) -> bool:
        have = re.findall(r"[a-z0-9]+", term.lower())
        return all(any(h.startswith(w) for h in have) for w in wanted)

    return {c for c in concepts if any(hit(term) for term in rf2["terms"].get(c, []))}


def codes(vs: dict[str, Any]) -> set[str]:
    return {c["code"] for c in vs["expansion"].get("contains", [])}


def intensional() -> dict[str, Any]:
    inc = {"system": SCT, "filter": [{"property": "concept", "op": "is-a", "value": INFLAMMATORY_LIVER}]}
    return {"resourceType": "ValueSet", "status": "active", "compose": {"include": [inc]}}


def enumerated(concepts: set[str]) -> dict[str, Any]:
    inc = {"system": SCT, "concept": [{"code": c} for c in sorted(concepts)]}
    return {"resourceType": "ValueSet", "status": "active", "compose": {"include": [inc]}}


@pytest.mark.parametrize("text", ["viral hep", "HEPATITIS", "hep viral", "chronic", "toxic liver", "B"])
def test_same_filter_same_matches_enumerated_and_intensional(ctx: FhirContext, rf2: dict[str, Any], text: str) -> None:
    members = under(rf2, INFLAMMATORY_LIVER)
    expected = matching(rf2, members, text)
    assert expected, f"the subset should hold concepts under {INFLAMMATORY_LIVER} matching {text!r}"
    by_filter = codes(expand(ctx, params(valueSet=intensional(), filter=text)))
    by_list = codes(expand(ctx, params(valueSet=enumerated(members), filter=text)))
    assert by_filter == expected
    assert by_list == expected


def test_a_filter_matches_synonyms_of_listed_concepts_not_only_their_display(
    ctx: FhirContext, rf2: dict[str, Any]
) -> None:
    # 3738000 |Viral hepatitis|: a listed concept matches by any active description, as an included one does.
    terms = rf2["terms"]["3738000"]
    assert any("viral" in t.lower() for t in terms)
    listed = enumerated({"3738000"})
    listed["compose"]["include"][0]["concept"][0]["display"] = "shown name"
    assert codes(expand(ctx, params(valueSet=listed, filter="viral"))) == {"3738000"}
    assert codes(expand(ctx, params(valueSet=listed, filter="shown"))) == {"3738000"}  # its own display too
    assert codes(expand(ctx, params(valueSet=listed, filter="zzz"))) == set()
