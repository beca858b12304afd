"""Guidelines for a coded diagnosis: tagged on it or an ancestor, each once, most specific first, with the path.

Expected distances are worked out by hand from the sample Snapshot (line 1 is the header):

    sct2_Relationship_Snapshot, active is-a (116680003) rows of the running example's chain:
      line 19  1059990001105 Metastatic malignant neoplasm to ilium  -> 1049990001107
      line 16  1049990001107 Secondary malignant neoplasm of pelvic bone -> 1039990001102
      line 12  1039990001102 Secondary malignant neoplasm of bone -> 1029990001104
      line  9  1029990001104 Secondary malignant neoplastic disease -> 1019990001106
      line  6  1019990001106 Malignant neoplastic disease -> 1009990001109 Neoplastic disease
      line  3  1009990001109 Neoplastic disease -> 64572001 Disease
    Each of these concepts has exactly one active is-a row, so from the ilium concept the chain is
    unique: pelvic bone is 1 step up, bone 2, secondary malignant 3, malignant 4.

    sample_data/guidelines tags (front matter):
      pelvic-bone-metastasis-fracture-risk   -> 1049990001107 (pelvic bone)       => distance 1
      suspected-bone-metastasis-workup       -> 1039990001102 (bone)              => distance 2
      oligometastatic-local-therapy          -> 1029990001104 (secondary)         => distance 3
      malignant-disease-general-principles   -> 1019990001106 (malignant)         => distance 4
      spinal-metastases-...                  -> 1089990001103 (vertebra), 1069990001108 (sacrum):
                                                siblings of ilium, not ancestors  => not linked
      liver-/lung-metastases-management      -> 1099990001101 / 1109990001105: siblings of bone => not linked

    der2_cRefset_AssociationSnapshot line 4: 1119990001107 (inactive "Ilium metastasis")
      REPLACED BY (900000000000526001) 1059990001105; lines 2-3: 1229990001105 (inactive "Metastasis
      to sacroiliac region") POSSIBLY EQUIVALENT TO (900000000000523009) both 1059990001105 (ilium)
      and 1069990001108 (sacrum).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from loaders import load_release, snomed
from loaders import rf2_format as rf2
from loaders.guidelines import GuidelineDocument, Recommendation, TagSpec, write_guideline
from loaders.sctid import ComponentKind, make_sctid
from terminology import ConceptNotFoundError, Terminology, UnanswerableError, build_index
from terminology.linking.guidelines import (
    FileGuidelineRepository,
    Guideline,
    GuidelineRepository,
    InMemoryGuidelineRepository,
    TagProblem,
    check_tags,
    guidelines_for_concept,
)
from terminology.sample import sample_guidelines_dir
from tests.rf2_files import write_rf2

ILIUM_MET = 1059990001105
SACRUM_MET = 1069990001108
FEMUR_MET = 1079990001100
VERTEBRA_MET = 1089990001103
PELVIC_MET = 1049990001107
BONE_MET = 1039990001102
SECONDARY = 1029990001104
MALIGNANT = 1019990001106
FRACTURE = 1129990001100
PATH_FRACTURE = 1149990001108  # is-a bone metastasis (Relationship line 46) and is-a fracture (line 47)
TYPE2_DIABETES = 1219990001103
DUPLICATE = 1119990001107  # inactive, REPLACED BY ilium
AMBIGUOUS = 1229990001105  # inactive, POSSIBLY EQUIVALENT TO ilium and sacrum
UNKNOWN_CONCEPT = 9999990001104  # valid SCTID that no sample file holds

ILIUM_EXPECTED = [
    ("pelvic-bone-metastasis-fracture-risk", PELVIC_MET, 1),
    ("suspected-bone-metastasis-workup", BONE_MET, 2),
    ("oligometastatic-local-therapy", SECONDARY, 3),
    ("malignant-disease-general-principles", MALIGNANT, 4),
]


@pytest.fixture(scope="module")
def repo() -> FileGuidelineRepository:
    return FileGuidelineRepository(sample_guidelines_dir())


def summary(links: Iterable) -> list[tuple[str, int, int]]:
    return [(link.guideline.id, link.via, link.distance) for link in links]


def doc(gid: str, *tags: TagSpec, title: str | None = None) -> GuidelineDocument:
    return GuidelineDocument(gid, title or gid, "draft", list(tags), [Recommendation("r1", "Do it.", "strong")])


# ----------------------------------------------------------------------------- the running example


def test_ilium_gets_guidelines_most_specific_first(sample: Terminology, repo: FileGuidelineRepository) -> None:
    result = guidelines_for_concept(sample, repo, ILIUM_MET)
    assert summary(result) == ILIUM_EXPECTED
    assert result.concept_id == ILIUM_MET and result.concepts == [ILIUM_MET]
    assert result.resolved_from is None and result.resolution is None


def test_paths_explain_each_link(sample: Terminology, repo: FileGuidelineRepository) -> None:
    result = guidelines_for_concept(sample, repo, ILIUM_MET)
    oligo = next(link for link in result if link.guideline.id == "oligometastatic-local-therapy")
    assert oligo.path == [ILIUM_MET, PELVIC_MET, BONE_MET, SECONDARY]
    distances = sample.ancestor_distances(ILIUM_MET)
    for link in result:
        assert link.path[0] == ILIUM_MET and link.path[-1] == link.via
        assert len(link.path) == link.distance + 1 == distances[link.via] + 1
        assert all(up in sample.parents(down) for down, up in zip(link.path, link.path[1:], strict=False))
        assert link.path in sample.isa_paths(ILIUM_MET, link.via, limit=10)
        assert link.paths is None
    assert result.terms is not None
    assert result.terms[ILIUM_MET] == sample.preferred_term(ILIUM_MET)
    assert result.terms[SECONDARY] == sample.preferred_term(SECONDARY)


def test_several_paths_on_request(sample: Terminology, repo: FileGuidelineRepository) -> None:
    result = guidelines_for_concept(sample, repo, PATH_FRACTURE, max_paths=3)
    for link in result:
        assert link.paths == sample.isa_paths(PATH_FRACTURE, link.via, limit=3)
        assert link.path in link.paths


def test_multiple_parents_use_the_shortest_route(sample: Terminology, repo: FileGuidelineRepository) -> None:
    # Pathological fracture is-a bone metastasis (line 46), so bone is 1 step, secondary 2, malignant 3;
    # its other parent, Fracture of bone (line 47), has no tagged ancestor.
    result = guidelines_for_concept(sample, repo, PATH_FRACTURE)
    assert summary(result) == [
        ("suspected-bone-metastasis-workup", BONE_MET, 1),
        ("oligometastatic-local-therapy", SECONDARY, 2),
        ("malignant-disease-general-principles", MALIGNANT, 3),
    ]
    assert result.links[1].path == [PATH_FRACTURE, BONE_MET, SECONDARY]


def test_a_tagged_concept_itself_is_distance_zero(sample: Terminology, repo: FileGuidelineRepository) -> None:
    result = guidelines_for_concept(sample, repo, SACRUM_MET)
    assert summary(result)[0] == ("spinal-metastases-instability-and-cord-compression", SACRUM_MET, 0)
    assert result.links[0].path == [SACRUM_MET]
    # The spinal guideline has two tags (vertebra, sacrum) but is returned once.
    assert [link.guideline.id for link in result].count("spinal-metastases-instability-and-cord-compression") == 1


@pytest.mark.parametrize("concept", [FRACTURE, TYPE2_DIABETES])
def test_no_tagged_ancestor_gives_nothing(sample: Terminology, repo: FileGuidelineRepository, concept: int) -> None:
    result = guidelines_for_concept(sample, repo, concept)
    assert result.links == [] and len(result) == 0 and result.guidelines == []


def test_ties_are_ordered_by_title(sample: Terminology) -> None:
    repo = InMemoryGuidelineRepository(
        [doc("b-first", TagSpec(BONE_MET), title="Alpha"), doc("a-second", TagSpec(BONE_MET), title="beta")]
    )
    assert [link.guideline.id for link in guidelines_for_concept(sample, repo, ILIUM_MET)] == ["b-first", "a-second"]


# ----------------------------------------------------------------------------- inactive concepts


def test_inactive_duplicate_resolves_through_replaced_by(sample: Terminology, repo: FileGuidelineRepository) -> None:
    direct = guidelines_for_concept(sample, repo, ILIUM_MET)
    result = guidelines_for_concept(sample, repo, DUPLICATE)
    assert result.resolved_from == DUPLICATE
    assert result.resolution == "REPLACED BY"
    assert result.concept_id == DUPLICATE and result.concepts == [ILIUM_MET]
    assert result.links == direct.links
    assert summary(result) == ILIUM_EXPECTED


def test_several_replacements_are_united(sample: Terminology, repo: FileGuidelineRepository) -> None:
    """POSSIBLY EQUIVALENT TO ilium and sacrum: the union, each guideline once at its closest link."""
    result = guidelines_for_concept(sample, repo, AMBIGUOUS)
    assert result.resolved_from == AMBIGUOUS and result.resolution == "POSSIBLY EQUIVALENT TO"
    assert sorted(result.concepts) == [ILIUM_MET, SACRUM_MET]
    # The sacrum is tagged itself (distance 0); the rest is reached equally from both, and ties go
    # to the first replacement (resolve() orders them by chain length, then id: ilium first).
    assert summary(result) == [("spinal-metastases-instability-and-cord-compression", SACRUM_MET, 0), *ILIUM_EXPECTED]
    assert result.links[0].path == [SACRUM_MET]
    assert result.links[1].path == [ILIUM_MET, PELVIC_MET]


def test_unknown_concept_raises_concept_not_found(sample: Terminology, repo: FileGuidelineRepository) -> None:
    assert not sample.has_concept(UNKNOWN_CONCEPT)
    with pytest.raises(ConceptNotFoundError):
        guidelines_for_concept(sample, repo, UNKNOWN_CONCEPT)


def cid(item: int) -> int:
    return make_sctid(item, 9990002, ComponentKind.CONCEPT)


@pytest.fixture(scope="module")
def orphan_release(tmp_path_factory: pytest.TempPathFactory) -> Terminology:
    """A tiny release with an inactive concept that has no historical association (the sample has none)."""
    root = tmp_path_factory.mktemp("orphan")
    module, a, gone = cid(1), cid(10), cid(11)
    t = "20250101"
    metadata = [
        snomed.ROOT,
        snomed.IS_A,
        snomed.PRIMITIVE,
        snomed.FSN_TYPE,
        snomed.INFERRED,
        snomed.EXISTENTIAL,
        snomed.CASE_INSENSITIVE,
    ]
    write_rf2(
        root,
        rf2.CONCEPT,
        [[c, t, 1, module, snomed.PRIMITIVE] for c in [module, *metadata, a]]
        + [[gone, t, 0, module, snomed.PRIMITIVE]],
    )
    write_rf2(root, rf2.DESCRIPTION, [
        [make_sctid(10, 9990002, ComponentKind.DESCRIPTION), t, 1, module, a, "en", snomed.FSN_TYPE, "Alpha (disorder)", snomed.CASE_INSENSITIVE],
        [make_sctid(11, 9990002, ComponentKind.DESCRIPTION), t, 1, module, gone, "en", snomed.FSN_TYPE, "Gone (disorder)", snomed.CASE_INSENSITIVE],
    ])  # fmt: skip
    write_rf2(root, rf2.RELATIONSHIP, [
        [make_sctid(10, 9990002, ComponentKind.RELATIONSHIP), t, 1, module, a, snomed.ROOT, 0, snomed.IS_A, snomed.INFERRED, snomed.EXISTENTIAL],
    ])  # fmt: skip
    out = root / "orphan.idx"
    build_index(load_release(root), out)
    return Terminology.open(out)


def test_inactive_concept_without_replacement_is_unanswerable(orphan_release: Terminology) -> None:
    gone = cid(11)
    assert orphan_release.has_concept(gone) and not orphan_release.is_active(gone)
    repo = InMemoryGuidelineRepository([doc("alpha", TagSpec(cid(10)))])
    with pytest.raises(UnanswerableError, match=rf"concept {gone} is inactive.*no historical association"):
        guidelines_for_concept(orphan_release, repo, gone)
    assert summary(guidelines_for_concept(orphan_release, repo, cid(10))) == [("alpha", cid(10), 0)]


# ----------------------------------------------------------------------------- exclusions


def test_exclusion_removes_a_subtree(sample: Terminology, tmp_path: Path) -> None:
    """Tagged on bone metastasis, excluding pelvic bone: femur and vertebra keep it, ilium and pelvis lose it."""
    write_guideline(doc("long-bones", TagSpec(BONE_MET, exclude=[PELVIC_MET])), tmp_path)
    repo = FileGuidelineRepository(tmp_path)
    assert repo.get("long-bones") is not None
    assert repo.get("long-bones").tags[0].exclude == [PELVIC_MET]  # type: ignore[union-attr]
    assert summary(guidelines_for_concept(sample, repo, FEMUR_MET)) == [("long-bones", BONE_MET, 1)]
    assert summary(guidelines_for_concept(sample, repo, VERTEBRA_MET)) == [("long-bones", BONE_MET, 1)]
    assert summary(guidelines_for_concept(sample, repo, BONE_MET)) == [("long-bones", BONE_MET, 0)]
    assert guidelines_for_concept(sample, repo, ILIUM_MET).links == []  # descendant of the exclusion
    assert guidelines_for_concept(sample, repo, PELVIC_MET).links == []  # the exclusion itself
    assert guidelines_for_concept(sample, repo, DUPLICATE).links == []  # resolves to ilium


def test_exclusion_is_per_tag(sample: Terminology) -> None:
    """Another tag of the same guideline can still reach an excluded concept, from further away."""
    repo = InMemoryGuidelineRepository(
        [doc("g", TagSpec(BONE_MET, exclude=[PELVIC_MET]), TagSpec(SECONDARY)), doc("other", TagSpec(PELVIC_MET))]
    )
    assert summary(guidelines_for_concept(sample, repo, ILIUM_MET)) == [("other", PELVIC_MET, 1), ("g", SECONDARY, 3)]
    assert summary(guidelines_for_concept(sample, repo, FEMUR_MET)) == [("g", BONE_MET, 1)]


# ----------------------------------------------------------------------------- ECL tags
#
# Relationship Snapshot lines 14 and 21: bone metastasis (1039990001102) has finding site (363698007)
# 2009990001102 |Bone structure|, ilium metastasis has finding site 2029990001107 |Bone structure of
# ilium|, which is-a 2019990001100 |Bone structure of pelvis| (line 79), is-a Bone structure (line 78).
# Liver metastasis (1099990001101) has finding site 2069990001103, not under Bone structure.
LIVER_MET = 1099990001101
BONE_SITE_ECL = "< 1029990001104 : 363698007 = << 2009990001102"


def test_an_ecl_tag_links_its_members_via_the_concept_it_names(sample: Terminology) -> None:
    repo = InMemoryGuidelineRepository([doc("ecl", TagSpec(None, ecl=f"<< {BONE_MET}"))])
    result = guidelines_for_concept(sample, repo, ILIUM_MET)
    # The same link a concept tag on bone metastasis gives: two is-a steps up.
    assert summary(result) == [("ecl", BONE_MET, 2)]
    assert result.links[0].path == [ILIUM_MET, PELVIC_MET, BONE_MET]
    assert guidelines_for_concept(sample, repo, LIVER_MET).links == []


def test_an_ecl_refinement_tag_follows_the_finding_site(sample: Terminology) -> None:
    repo = InMemoryGuidelineRepository([doc("bone-site", TagSpec(None, ecl=BONE_SITE_ECL))])
    # Ilium metastasis: a secondary malignant neoplasm (3 steps below 1029990001104) with a bone site.
    assert summary(guidelines_for_concept(sample, repo, ILIUM_MET)) == [("bone-site", SECONDARY, 3)]
    assert summary(guidelines_for_concept(sample, repo, BONE_MET)) == [("bone-site", SECONDARY, 1)]
    assert guidelines_for_concept(sample, repo, LIVER_MET).links == []  # liver is not a bone
    assert guidelines_for_concept(sample, repo, SECONDARY).links == []  # < excludes the focus itself


def test_ecl_and_concept_tags_of_one_guideline_keep_the_closest_link(sample: Terminology) -> None:
    repo = InMemoryGuidelineRepository([doc("g", TagSpec(None, ecl=f"<< {SECONDARY}"), TagSpec(PELVIC_MET))])
    assert summary(guidelines_for_concept(sample, repo, ILIUM_MET)) == [("g", PELVIC_MET, 1)]


def test_an_ecl_tag_exclusion_removes_a_subtree(sample: Terminology) -> None:
    repo = InMemoryGuidelineRepository([doc("g", TagSpec(None, ecl=f"<< {BONE_MET}", exclude=[PELVIC_MET]))])
    assert guidelines_for_concept(sample, repo, ILIUM_MET).links == []
    assert summary(guidelines_for_concept(sample, repo, FEMUR_MET)) == [("g", BONE_MET, 1)]


def test_an_inactive_concept_is_linked_through_its_replacement_by_ecl_tags(sample: Terminology) -> None:
    repo = InMemoryGuidelineRepository([doc("ecl", TagSpec(None, ecl=f"<< {PELVIC_MET}"))])
    assert summary(guidelines_for_concept(sample, repo, DUPLICATE)) == [("ecl", PELVIC_MET, 1)]


def test_edited_ecl_tags_are_seen_at_once(sample: Terminology) -> None:
    first = InMemoryGuidelineRepository([doc("g", TagSpec(None, ecl=f"<< {BONE_MET}"))])
    assert summary(guidelines_for_concept(sample, first, ILIUM_MET)) == [("g", BONE_MET, 2)]
    second = InMemoryGuidelineRepository([doc("g", TagSpec(None, ecl=f"<< {LIVER_MET}"))])
    assert guidelines_for_concept(sample, second, ILIUM_MET).links == []


# ----------------------------------------------------------------------------- the repository


def test_file_repository_index(repo: FileGuidelineRepository) -> None:
    assert len(repo) == 7
    assert [g.id for g in repo.list()] == sorted(g.id for g in repo.list())
    tagged = repo.tagged([ILIUM_MET, PELVIC_MET, BONE_MET, FRACTURE])
    assert {c: [g.id for g in gs] for c, gs in tagged.items()} == {
        PELVIC_MET: ["pelvic-bone-metastasis-fracture-risk"],
        BONE_MET: ["suspected-bone-metastasis-workup"],
    }
    assert repo.get("oligometastatic-local-therapy") is not None
    assert repo.get("nope") is None
    assert repo.ecl_tagged() == []


def test_in_memory_repository_keeps_ecl_tags_apart() -> None:
    ecl = TagSpec(None, ecl="<< 1039990001102")
    g = doc("g", TagSpec(BONE_MET), TagSpec(BONE_MET, term="again"), ecl)
    repo = InMemoryGuidelineRepository([g])
    assert repo.tagged([BONE_MET]) == {BONE_MET: [g]}  # once, though tagged twice on the concept
    assert repo.ecl_tagged() == [(g, ecl)]
    with pytest.raises(ValueError, match="duplicate guideline id 'g'"):
        InMemoryGuidelineRepository([g, g])


class CountingRepository:
    """Wraps a repository and refuses a full scan: a request must ask only for its ancestors."""

    def __init__(self, inner: GuidelineRepository):
        self.inner = inner
        self.calls: list[set[int]] = []

    def list(self) -> list[Guideline]:
        raise AssertionError("guidelines_for_concept must not list every guideline")

    def get(self, gid: str) -> Guideline | None:
        raise AssertionError("guidelines_for_concept must not fetch guidelines one by one")

    def tagged(self, concept_ids: Iterable[int]) -> dict[int, list[Guideline]]:
        ids = set(concept_ids)
        self.calls.append(ids)
        return self.inner.tagged(ids)

    def ecl_tagged(self) -> list[tuple[Guideline, TagSpec]]:
        return self.inner.ecl_tagged()


def test_one_repository_query_per_request(sample: Terminology, repo: FileGuidelineRepository) -> None:
    counting = CountingRepository(repo)
    assert summary(guidelines_for_concept(sample, counting, ILIUM_MET)) == ILIUM_EXPECTED
    assert counting.calls == [set(sample.ancestor_distances(ILIUM_MET))]
    counting.calls.clear()
    guidelines_for_concept(sample, counting, AMBIGUOUS)  # two replacements, still one query
    assert counting.calls == [set(sample.ancestor_distances(ILIUM_MET)) | set(sample.ancestor_distances(SACRUM_MET))]


# ----------------------------------------------------------------------------- tag checks


def test_sample_tags_are_all_reachable(sample: Terminology, repo: FileGuidelineRepository) -> None:
    assert check_tags(sample, repo) == []


def test_check_tags_finds_tags_that_can_never_match(sample: Terminology) -> None:
    repo = InMemoryGuidelineRepository(
        [
            doc("inactive", TagSpec(DUPLICATE)),
            doc("missing", TagSpec(UNKNOWN_CONCEPT)),
            doc("useless-exclusion", TagSpec(PELVIC_MET, exclude=[FEMUR_MET])),
        ]
    )
    problems = check_tags(sample, repo)
    assert [(p.guideline_id, p.concept) for p in problems] == [
        ("inactive", DUPLICATE),
        ("missing", UNKNOWN_CONCEPT),
        ("useless-exclusion", PELVIC_MET),
    ]
    assert problems[0] == TagProblem(
        "inactive", DUPLICATE, f"tag concept {DUPLICATE} is inactive (active replacements: {ILIUM_MET})"
    )
    assert "not in the release" in problems[1].problem
    assert f"{FEMUR_MET} is not a descendant" in problems[2].problem


def test_statuses_keep_only_the_guidelines_asked_for(sample: Terminology, repo: FileGuidelineRepository) -> None:
    # The sample guidelines are all `status: published`; doc() makes drafts.
    draft = doc("draft-on-pelvic", TagSpec(PELVIC_MET))
    both = InMemoryGuidelineRepository([*repo.list(), draft])
    published = guidelines_for_concept(sample, both, ILIUM_MET, statuses={"published"})
    assert summary(published) == ILIUM_EXPECTED
    drafts = guidelines_for_concept(sample, both, ILIUM_MET, statuses={"draft"})
    assert summary(drafts) == [("draft-on-pelvic", PELVIC_MET, 1)]
    assert len(guidelines_for_concept(sample, both, ILIUM_MET)) == len(ILIUM_EXPECTED) + 1
