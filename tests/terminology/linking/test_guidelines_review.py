"""ECL tags in guideline linking: the corners a review found (edits seen at once, whitespace and term
variants of one expression, what a rebuild of the tag index costs).

Expectations from the sample Snapshot (sct2_Relationship_Snapshot, active is-a rows; line 1 is the header):

    line 16  1049990001107 Secondary malignant neoplasm of pelvic bone -> 1039990001102 (bone)
    line 19  1059990001105 Metastatic malignant neoplasm to ilium      -> 1049990001107
    line 22  1069990001108 (sacrum)        -> 1049990001107
    line 25  1079990001100 (femur)         -> 1039990001102
    line 28  1089990001103 (vertebra)      -> 1039990001102
    line 46  1149990001108 (pathological fracture) -> 1039990001102

so `<< 1039990001102` has 7 members (1039990001102 itself and the six above, all active in
sct2_Concept_Snapshot), and ilium metastasis is two is-a steps below 1039990001102.
"""

from __future__ import annotations

import copy
import threading
from pathlib import Path
from typing import Any

import pytest

import terminology.linking._ecl_tags as guideline_ecl
from loaders.guidelines import GuidelineDocument, Recommendation, TagSpec
from terminology import Terminology
from terminology.authoring.model import Baseline
from terminology.authoring.store import open_repository
from terminology.linking._ecl_tags import ecl_tag_index
from terminology.linking.guidelines import Guideline, InMemoryGuidelineRepository, guidelines_for_concept

ILIUM_MET = 1059990001105
PELVIC_MET = 1049990001107
BONE_MET = 1039990001102
LIVER_MET = 1099990001101
BONE_MEMBERS = 7


def doc(gid: str, *tags: TagSpec, status: str = "draft", title: str | None = None) -> GuidelineDocument:
    return GuidelineDocument(gid, title or gid, status, list(tags), [Recommendation("r1", "Do it.", "strong")])


def summary(links: Any) -> list[tuple[str, int, int]]:
    return [(link.guideline.id, link.via, link.distance) for link in links]


class SwitchableRepository:
    """Hands out whichever pairs it holds now, the same objects each call (as the stores do between writes)."""

    def __init__(self, docs: list[GuidelineDocument]):
        self.inner = InMemoryGuidelineRepository(docs)
        self.pairs = self.inner.ecl_tagged()

    def tagged(self, concept_ids: Any) -> dict[int, list[Guideline]]:
        return self.inner.tagged(concept_ids)

    def ecl_tagged(self) -> list[tuple[Guideline, TagSpec]]:
        return list(self.pairs)


@pytest.fixture()
def eq_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts GuidelineDocument equality tests (a deep comparison of every field)."""
    calls = [0]
    original = GuidelineDocument.__eq__

    def counting(self: GuidelineDocument, other: object) -> bool:
        calls[0] += 1
        return original(self, other)

    monkeypatch.setattr(GuidelineDocument, "__eq__", counting)
    return calls


# ----------------------------------------------------------------------------- whitespace and terms


def test_whitespace_and_term_variants_are_one_expression(sample: Terminology) -> None:
    variants = [
        f"<< {BONE_MET}",
        f"<<{BONE_MET}",
        f"  <<   {BONE_MET} |Secondary malignant neoplasm of bone| ",
        f"<<\n{BONE_MET}",
    ]
    docs = [doc(f"g{i}", TagSpec(None, ecl=text)) for i, text in enumerate(variants)]
    repo = InMemoryGuidelineRepository(docs)
    # Every variant links its guideline exactly as the plain text does.
    assert summary(guidelines_for_concept(sample, repo, ILIUM_MET)) == [(f"g{i}", BONE_MET, 2) for i in range(4)]
    # ... and the expression is evaluated and indexed once, not once per spelling.
    index = ecl_tag_index(sample, repo.ecl_tagged())
    assert len(index.texts) == 1
    assert len(index.rows) == BONE_MEMBERS
    assert [g.id for g, _ in index.owners[0]] == ["g0", "g1", "g2", "g3"]


# ----------------------------------------------------------------------------- edits


def test_a_status_edit_of_an_ecl_tagged_guideline_is_seen_at_once(sample: Terminology) -> None:
    tag = TagSpec(None, ecl=f"<< {BONE_MET} |status edit|")
    repo = SwitchableRepository([doc("g", tag, status="draft")])
    assert guidelines_for_concept(sample, repo, ILIUM_MET, statuses={"published"}).links == []
    repo.pairs = InMemoryGuidelineRepository([doc("g", tag, status="published")]).ecl_tagged()
    assert summary(guidelines_for_concept(sample, repo, ILIUM_MET, statuses={"published"})) == [("g", BONE_MET, 2)]


def test_an_edit_that_keeps_the_expressions_does_not_reparse_them(
    sample: Terminology, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Editing a guideline (here its title) rebuilds the tag index; its expressions are the same, so
    # they are neither evaluated nor parsed again (5,000 parses cost about a second under the lock).
    texts = [f"<< {BONE_MET} |reparse {i}|" for i in range(3)]
    before = [doc(f"g{i}", TagSpec(None, ecl=text)) for i, text in enumerate(texts)]
    repo = SwitchableRepository(before)
    assert len(guidelines_for_concept(sample, repo, ILIUM_MET).links) == 3
    parses = [0]
    original = guideline_ecl.parse_ecl

    def counting(text: str) -> Any:
        parses[0] += 1
        return original(text)

    monkeypatch.setattr(guideline_ecl, "parse_ecl", counting)
    after = [doc("g0", TagSpec(None, ecl=texts[0]), title="Renamed"), *before[1:]]
    repo.pairs = InMemoryGuidelineRepository(after).ecl_tagged()
    links = guidelines_for_concept(sample, repo, ILIUM_MET)
    assert sorted(link.guideline.title for link in links) == ["Renamed", "g1", "g2"]
    assert parses[0] == 0


# ----------------------------------------------------------------------------- equal copies


def test_equal_copies_are_compared_deeply_once_not_on_every_request(sample: Terminology, eq_calls: list[int]) -> None:
    # A store that re-reads every guideline (the SQL store after a cache generation bump or after
    # missing more than 1,000 revisions) hands out new objects equal to the old ones. The index
    # stays valid; comparing thousands of documents field by field must not become a per-request cost.
    docs = [doc(f"g{i}", TagSpec(None, ecl=f"<< {BONE_MET} |copies|")) for i in range(3)]
    repo = SwitchableRepository(docs)
    guidelines_for_concept(sample, repo, ILIUM_MET)
    repo.pairs = copy.deepcopy(repo.pairs)
    eq_calls[0] = 0
    assert len(guidelines_for_concept(sample, repo, ILIUM_MET).links) == 3
    assert eq_calls[0] == 3  # the first request after the re-read compares once
    eq_calls[0] = 0
    for _ in range(3):
        assert len(guidelines_for_concept(sample, repo, ILIUM_MET).links) == 3
    assert eq_calls[0] == 0  # later ones are identity checks again


def test_the_sql_store_after_a_cache_generation_bump(sample: Terminology, tmp_path: Path, eq_calls: list[int]) -> None:
    repo = open_repository(f"sqlite:///{tmp_path / 'g.db'}")
    try:
        docs = [doc(f"g{i}", TagSpec(None, ecl=f"<< {BONE_MET} |sql|")) for i in range(3)]
        repo.import_documents(docs)  # no baseline: the tags wait for one
        assert len(guidelines_for_concept(sample, repo, ILIUM_MET).links) == 3
        assert repo.fill_missing_baselines(lambda spec: Baseline(BONE_MEMBERS, "test")) == 3  # bumps the generation
        assert len(guidelines_for_concept(sample, repo, ILIUM_MET).links) == 3
        eq_calls[0] = 0
        for _ in range(3):
            assert len(guidelines_for_concept(sample, repo, ILIUM_MET).links) == 3
        assert eq_calls[0] == 0
    finally:
        repo.dispose()


# ----------------------------------------------------------------------------- threads


def test_threads_sharing_the_cache_each_get_their_own_repositorys_answer(sample: Terminology) -> None:
    bone = InMemoryGuidelineRepository([doc("bone", TagSpec(None, ecl=f"<< {BONE_MET} |threads|"))])
    liver = InMemoryGuidelineRepository([doc("liver", TagSpec(None, ecl=f"<< {LIVER_MET} |threads|"))])
    wrong: list[Any] = []

    def work(repo: InMemoryGuidelineRepository, expected: list[tuple[str, int, int]]) -> None:
        for _ in range(40):
            got = summary(guidelines_for_concept(sample, repo, ILIUM_MET))
            if got != expected:
                wrong.append(got)

    threads = [
        threading.Thread(target=work, args=(bone, [("bone", BONE_MET, 2)]) if i % 2 else (liver, [])) for i in range(8)
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert wrong == []
