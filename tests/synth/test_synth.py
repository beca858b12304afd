"""The synthetic release must be a valid RF2 Snapshot with the shape benchmarks rely on.

The checks here deliberately use independent means (rf2_format column lists, sctid helpers,
networkx) rather than the generator's own arrays, so a generator bug cannot hide itself.
"""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from loaders import rf2_format as rf
from loaders import snomed
from loaders.sctid import ComponentKind, make_sctid, make_sctids, partition_array, sctid_problem, verhoeff_ok_array
from synth import EFFECTIVE_TIME, NAMESPACE_TAG, SynthSummary, write_synthetic_release

SMALL = 3_000
WRITTEN = (
    rf.CONCEPT,
    rf.DESCRIPTION,
    rf.TEXT_DEFINITION,
    rf.RELATIONSHIP,
    rf.CONCRETE_VALUES,
    rf.LANGUAGE,
    rf.ASSOCIATION,
    rf.ATTRIBUTE_VALUE,
    rf.SIMPLE,
    rf.EXTENDED_MAP,
    rf.MODULE_DEPENDENCY,
    rf.MRCM_DOMAIN,
    rf.MRCM_ATTRIBUTE_DOMAIN,
    rf.MRCM_ATTRIBUTE_RANGE,
)
_LANGUAGE_KINDS = (rf.DESCRIPTION, rf.TEXT_DEFINITION, rf.LANGUAGE)
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def path_of(root: Path, kind: rf.FileKind) -> Path:
    language = "en" if kind in _LANGUAGE_KINDS else None
    name = rf.file_name(kind, "Snapshot", NAMESPACE_TAG, EFFECTIVE_TIME, language)
    return root / "Snapshot" / rf.folder_for(kind) / name


def read(root: Path, kind: rf.FileKind) -> pd.DataFrame:
    return pd.read_csv(
        path_of(root, kind), sep="\t", dtype=str, quoting=csv.QUOTE_NONE, keep_default_na=False, na_filter=False
    )


class Release:
    """A generated release, read back from disk."""

    def __init__(self, root: Path, summary: SynthSummary) -> None:
        self.root = root
        self.summary = summary
        self.t = {kind.name: read(root, kind) for kind in WRITTEN}
        c = self.t["Concept"]
        self.concepts = set(c["id"])
        self.active = set(c.loc[c["active"] == "1", "id"])
        r = self.t["Relationship"]
        self.rels = r[r["active"] == "1"]
        isa = self.rels[self.rels["typeId"] == str(snomed.IS_A)]
        self.isa = nx.DiGraph()  # child -> parent
        self.isa.add_nodes_from(self.active)
        self.isa.add_edges_from(zip(isa["sourceId"], isa["destinationId"], strict=True))


def generate(root: Path, concepts: int = SMALL, seed: int = 42) -> Release:
    return Release(root, write_synthetic_release(root, concepts=concepts, seed=seed))


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    return generate(tmp_path_factory.mktemp("synth"))


def digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*.txt"))}


def test_files_exist_with_rf2_headers_and_plain_tsv(release: Release) -> None:
    for kind in WRITTEN:
        path = path_of(release.root, kind)
        assert path.is_file(), path
        parsed = rf.parse_file_name(path.name)
        assert parsed is not None and parsed.kind is kind and parsed.release == "Snapshot"
        data = path.read_bytes()
        assert b"\r" not in data and data.endswith(b"\n")
        lines = data.decode("utf-8").split("\n")[:-1]
        assert lines[0].split("\t") == list(kind.columns)
        assert len(lines) > 1, f"{kind.name} has no rows"
        assert {line.count("\t") for line in lines} == {len(kind.columns) - 1}
        frame = release.t[kind.name]
        assert set(frame["effectiveTime"]) == {EFFECTIVE_TIME}
        assert set(frame["active"]) <= {"0", "1"}


def test_component_ids_are_valid_unique_sctids(release: Release) -> None:
    for name, kind in (
        ("Concept", ComponentKind.CONCEPT),
        ("Description", ComponentKind.DESCRIPTION),
        ("TextDefinition", ComponentKind.DESCRIPTION),
        ("Relationship", ComponentKind.RELATIONSHIP),
        ("RelationshipConcreteValues", ComponentKind.RELATIONSHIP),
    ):
        ids = release.t[name]["id"]
        assert ids.is_unique, name
        problems = {i: p for i in ids if (p := sctid_problem(i, kind)) is not None}
        assert not problems, (name, list(problems.items())[:5])
        as_int = ids.astype(np.int64).to_numpy()
        assert verhoeff_ok_array(as_int).all()
        expected = {ComponentKind.CONCEPT: 0, ComponentKind.DESCRIPTION: 1, ComponentKind.RELATIONSHIP: 2}[kind]
        assert set(partition_array(as_int).tolist()) == {expected}
    # Description and definition ids share a partition: they must not collide either.
    assert not set(release.t["Description"]["id"]) & set(release.t["TextDefinition"]["id"])


def test_refset_member_ids_are_unique_uuids(release: Release) -> None:
    seen: set[str] = set()
    for kind in WRITTEN:
        if kind.id_kind != "uuid":
            continue
        ids = release.t[kind.name]["id"]
        assert ids.map(lambda x: bool(UUID.match(x))).all(), kind.name
        assert ids.is_unique and not seen & set(ids), kind.name
        seen |= set(ids)


def test_every_referenced_concept_exists_and_is_active(release: Release) -> None:
    own = {"conceptId", "sourceId", "destinationId", "referencedComponentId", "targetComponentId"}
    for kind in WRITTEN:
        frame = release.t[kind.name]
        live = frame[frame["active"] == "1"]
        # Metadata-valued columns (module, type, refset, value, acceptability...) name active concepts.
        metadata = {c for c in kind.columns if c.endswith("Id") and c != "id"} - own
        assert {"moduleId", *kind.concept_columns} - own <= metadata
        for col in metadata:
            values = set(live[col])
            assert values <= release.active, (kind.name, col, sorted(values - release.active)[:5])
        for col in own & set(kind.concept_columns):
            assert set(frame[col]) <= release.concepts, (kind.name, col)
    rels = release.rels
    for col in ("sourceId", "destinationId", "typeId"):
        assert set(rels[col]) <= release.active, col
    assert set(release.t["RelationshipConcreteValues"]["sourceId"]) <= release.active
    # Concept refsets point at concepts; the language refset at descriptions / definitions.
    for name in ("Simple", "ExtendedMap", "Association", "MRCMDomain", "MRCMAttributeDomain", "MRCMAttributeRange"):
        assert set(release.t[name]["referencedComponentId"]) <= release.concepts, name
    assert set(release.t["Association"]["targetComponentId"]) <= release.concepts
    descriptions = set(release.t["Description"]["id"]) | set(release.t["TextDefinition"]["id"])
    assert set(release.t["Language"]["referencedComponentId"]) == descriptions
    av = release.t["AttributeValue"]
    assert set(av["referencedComponentId"]) <= release.concepts | descriptions
    assert set(release.t["Description"]["conceptId"]) == release.concepts


def test_is_a_graph_is_a_dag_reaching_the_root(release: Release) -> None:
    graph = release.isa
    assert nx.is_directed_acyclic_graph(graph)
    root = str(snomed.ROOT)
    reaches_root = nx.ancestors(graph, root)
    assert release.active - {root} <= reaches_root
    assert graph.out_degree(root) == 0
    depth = nx.shortest_path_length(graph.reverse(copy=False), root)
    assert max(depth.values()) >= 10
    longest = nx.dag_longest_path_length(graph)
    assert longest == release.summary.max_depth


def test_top_level_hierarchies_are_the_children_of_the_root(release: Release) -> None:
    children = set(release.isa.predecessors(str(snomed.ROOT)))
    assert children == {str(c) for c in snomed.TOP_LEVEL_HIERARCHIES}
    assert children <= release.active


def test_inactive_concepts_have_reason_association_and_no_active_relationships(release: Release) -> None:
    inactive = release.concepts - release.active
    assert len(inactive) == release.summary.inactive_concepts
    assert len(inactive) / len(release.concepts) == pytest.approx(0.25, abs=0.01)
    rels = release.rels
    assert not (set(rels["sourceId"]) | set(rels["destinationId"])) & inactive
    av = release.t["AttributeValue"]
    reasons = av[av["refsetId"] == str(snomed.CONCEPT_INACTIVATION_REFSET)]
    assert reasons["referencedComponentId"].is_unique
    assert set(reasons["referencedComponentId"]) == inactive
    assert set(reasons["valueId"]) <= {str(c) for c in snomed.INACTIVATION_REASONS}
    assoc = release.t["Association"]
    assert set(assoc["refsetId"]) <= {str(c) for c in snomed.HISTORICAL_ASSOCIATIONS}
    assert set(assoc["referencedComponentId"]) == inactive
    # Every chain ends at an active concept within a few hops, and some chains exist.
    targets = assoc.groupby("referencedComponentId")["targetComponentId"].agg(list).to_dict()
    hops = []
    for start in inactive:
        frontier, n = {start}, 0
        while frontier - release.active:
            frontier = {t for c in frontier for t in (targets[c] if c in inactive else [c])}
            n += 1
            assert n <= 3, start
        hops.append(n)
    assert max(hops) >= 2
    pe = assoc[assoc["refsetId"] == "900000000000523009"].groupby("referencedComponentId").size()
    assert (pe >= 2).any()
    # Inactive concepts keep their former is-a as an inactive row.
    r = release.t["Relationship"]
    assert set(r.loc[r["active"] == "0", "sourceId"]) == inactive


def test_one_preferred_synonym_and_fsn_per_concept_and_dialect(release: Release) -> None:
    d = release.t["Description"]
    lang = release.t["Language"]
    lang = lang[lang["active"] == "1"].merge(
        d[d["active"] == "1"][["id", "conceptId", "typeId", "term"]], left_on="referencedComponentId", right_on="id"
    )
    preferred = lang[lang["acceptabilityId"] == str(snomed.PREFERRED)]
    for refset in (snomed.EN_US, snomed.EN_GB):
        for type_id in (snomed.SYNONYM_TYPE, snomed.FSN_TYPE):
            rows = preferred[(preferred["refsetId"] == str(refset)) & (preferred["typeId"] == str(type_id))]
            counts = rows.groupby("conceptId").size()
            assert set(counts.index) == release.concepts, (refset, type_id)
            assert (counts == 1).all(), (refset, type_id)
    # en-US prefers the US spelling, en-GB the British one.
    pref = preferred[preferred["typeId"] == str(snomed.SYNONYM_TYPE)].pivot(
        index="conceptId", columns="refsetId", values="term"
    )
    differs = pref[pref[str(snomed.EN_US)] != pref[str(snomed.EN_GB)]]
    assert len(differs) > 0
    assert differs[str(snomed.EN_GB)].str.contains("our|ae|oe|is", case=False).all()
    british = "tumour|haem|oedema|oesophag|ischaem|anaem|paediatric|orthopaedic|faeces|colour|behaviour|lised"
    assert not differs[str(snomed.EN_US)].str.contains(british, case=False).any()
    # Descriptions: every synonym row in both dialects, and enough of them.
    assert len(lang) > 0 and set(release.t["Language"]["refsetId"]) == {str(snomed.EN_US), str(snomed.EN_GB)}
    per_concept = d[d["active"] == "1"].groupby("conceptId").size()
    assert per_concept.mean() >= 3.0
    fsn = d[d["typeId"] == str(snomed.FSN_TYPE)]
    assert fsn["term"].str.match(r"^.+ \([a-zA-Z0-9 /+]+\)$").all()
    active_fsn = fsn[fsn["conceptId"].isin(release.active)]
    assert active_fsn["term"].is_unique
    assert not d["term"].str.contains("\t|\n|\r").any()


def test_role_groups_and_attribute_ranges(release: Release) -> None:
    rels = release.rels
    attrs = rels[rels["typeId"] != str(snomed.IS_A)]
    assert {"0", "1", "2"} <= set(attrs["relationshipGroup"])
    graph = release.isa

    def under(concept: int) -> set[str]:
        return nx.ancestors(graph, str(concept))  # everything below `concept`

    body = under(123037004)
    morph = under(49755003)
    for type_id, allowed in (("363698007", body), ("363704007", body), ("116676008", morph)):
        dst = set(attrs.loc[attrs["typeId"] == type_id, "destinationId"])
        assert dst and dst <= allowed, type_id
    # Findings and disorders have more parents than the rest.
    finding = under(404684003)
    parents = rels[rels["typeId"] == str(snomed.IS_A)].groupby("sourceId").size()
    mean_findings = parents[parents.index.isin(finding)].mean()
    mean_other = parents[~parents.index.isin(finding)].mean()
    assert 1.4 <= mean_findings <= 1.8
    assert mean_other < 1.3
    assert release.summary.mean_parents_findings == pytest.approx(mean_findings, abs=0.01)


def test_maps_refsets_and_concrete_values(release: Release) -> None:
    m = release.t["ExtendedMap"]
    assert m["mapTarget"].str.match(r"^[A-Z]\d{2}(\.\d)?$").all()
    assert (m["mapAdvice"] == "ALWAYS " + m["mapTarget"]).all()
    assert set(m["mapRule"]) == {"TRUE"} and set(m["refsetId"]) == {str(release.summary.icd_map_refset_id)}
    assert set(m["correlationId"]) == {"447561005"} and set(m["mapCategoryId"]) == {"447637006"}
    assert str(release.summary.mapped_disorder_id) in set(m["referencedComponentId"])
    simple = release.t["Simple"]
    assert set(simple["refsetId"]) == {str(release.summary.simple_refset_id)}
    assert simple["referencedComponentId"].is_unique
    cv = release.t["RelationshipConcreteValues"]
    assert cv["value"].str.match(r'^(#-?\d+(\.\d+)?|"[^"\t]*")$').all()
    assert cv["value"].str.startswith('"').any() and cv["value"].str.contains(r"\.").any()
    md = release.t["ModuleDependency"]
    assert len(md) == 1 and md.loc[0, "referencedComponentId"] == str(snomed.MODEL_MODULE)


def test_summary_matches_files(release: Release) -> None:
    s = release.summary
    assert s.active_concepts == SMALL == len(release.active)
    assert s.concepts == len(release.t["Concept"])
    assert s.descriptions == len(release.t["Description"])
    assert s.relationships == len(release.t["Relationship"])
    assert s.active_relationships == len(release.rels)
    assert s.language_members == len(release.t["Language"])
    for cid in (s.deep_disorder_id, s.broad_disorder_id, s.popular_site_id, s.mapped_disorder_id):
        assert str(cid) in release.active
    for cid in (s.replaced_concept_id, s.ambiguous_concept_id, s.chained_concept_id):
        assert str(cid) in release.concepts - release.active
    assert (
        nx.dag_longest_path_length(
            release.isa.subgraph(nx.descendants(release.isa, str(s.deep_disorder_id)) | {str(s.deep_disorder_id)})
        )
        == s.max_depth
    )
    terms = set(release.t["Description"]["term"])
    assert set(s.sample_terms) <= terms


def test_same_seed_same_bytes_other_seed_other_release(release: Release, tmp_path: Path) -> None:
    again = write_synthetic_release(tmp_path / "again", concepts=SMALL, seed=42)
    assert again == SynthSummary(**{**release.summary.__dict__, "out_dir": str(tmp_path / "again")})
    assert digest(tmp_path / "again") == digest(release.root)
    write_synthetic_release(tmp_path / "other", concepts=SMALL, seed=7)
    other, same = digest(tmp_path / "other"), digest(release.root)
    assert other.keys() == same.keys()
    assert (
        other["Snapshot/Terminology/" + path_of(release.root, rf.DESCRIPTION).name]
        != same["Snapshot/Terminology/" + path_of(release.root, rf.DESCRIPTION).name]
    )


def test_too_small_a_release_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_synthetic_release(tmp_path, concepts=10)


def test_vectorised_sctids_match_the_scalar_ones() -> None:
    items = np.array([1, 9, 100, 123456, 90_000_000, 99_999_999])
    for kind in ComponentKind:
        for ns in (None, 1000099):
            assert make_sctids(items, ns, kind).tolist() == [make_sctid(int(i), ns, kind) for i in items]
    with pytest.raises(ValueError):
        make_sctids(np.array([10**8]), 1000099, ComponentKind.CONCEPT)  # would need 19 digits


@pytest.mark.slow
def test_fifty_thousand_concepts_keep_the_shape(tmp_path: Path) -> None:
    s = write_synthetic_release(tmp_path, concepts=50_000, seed=3)
    assert s.active_concepts == 50_000
    assert s.concepts == pytest.approx(50_000 / 0.75, rel=0.01)
    assert 4.0 <= s.descriptions / s.concepts * (s.concepts / s.active_concepts) <= 4.8
    assert 3.0 <= s.active_relationships / s.active_concepts <= 3.8
    assert 1.5 <= s.mean_parents_findings <= 1.75
    assert s.max_depth >= 18
    r = read(tmp_path, rf.RELATIONSHIP)
    for name, kind in (("Concept", rf.CONCEPT), ("Description", rf.DESCRIPTION)):
        ids = read(tmp_path, kind)["id"].astype(np.int64).to_numpy()
        assert verhoeff_ok_array(ids).all() and len(np.unique(ids)) == len(ids), name
    active = r[(r["active"] == "1") & (r["typeId"] == str(snomed.IS_A))]
    graph = nx.DiGraph(zip(active["sourceId"], active["destinationId"], strict=True))
    assert nx.is_directed_acyclic_graph(graph)
    c = read(tmp_path, rf.CONCEPT)
    assert set(c.loc[c["active"] == "1", "id"]) - {str(snomed.ROOT)} <= nx.ancestors(graph, str(snomed.ROOT))
