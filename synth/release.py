"""`write_synthetic_release`: build the content of a synthetic release, write its files, summarise it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from loaders import rf2_format as rf

from .descriptions import write_descriptions
from .hierarchy import BRANCHES
from .history import Content
from .ids import EFFECTIVE_TIME, FINDING_SITE, ICD10_MAP_REFSET, LATERALIZABLE_REFSET
from .refsets import write_refsets
from .relationships import write_relationships
from .vocabulary import cap
from .writer import Writer, common_columns, progress_ticker


@dataclass(frozen=True)
class SynthSummary:
    """What was written, with ids that benchmarks can use to pick realistic queries."""

    out_dir: str
    effective_time: str
    concepts: int  # rows in the Concept file (active + inactive)
    active_concepts: int
    inactive_concepts: int
    descriptions: int  # rows in the Description file (FSNs + synonyms, active + inactive)
    active_descriptions: int
    text_definitions: int
    relationships: int  # rows in the Relationship file
    active_relationships: int  # active inferred rows: is-a + attributes
    active_is_a: int
    language_members: int
    association_members: int
    map_members: int
    simple_members: int
    max_depth: int  # longest is-a path from the root to an active concept
    mean_parents_findings: float  # active is-a parents per active finding/disorder
    deep_disorder_id: int  # a disorder at the maximum depth
    broad_disorder_id: int  # a top disorder with the largest subtree
    popular_site_id: int  # the body structure most used as finding site
    mapped_disorder_id: int  # a disorder with an ICD-10 map
    replaced_concept_id: int  # inactive, REPLACED BY / SAME AS an active concept
    ambiguous_concept_id: int  # inactive, POSSIBLY EQUIVALENT TO 2-3 concepts
    chained_concept_id: int  # inactive -> inactive -> active
    icd_map_refset_id: int
    simple_refset_id: int
    sample_terms: tuple[str, ...]  # preferred terms of the notable concepts, for term search


def write_synthetic_release(
    out_dir: str | Path, concepts: int = 370_000, seed: int = 42, progress: bool = False
) -> SynthSummary:
    """Write a synthetic RF2 Snapshot with `concepts` ACTIVE concepts under `out_dir`/Snapshot.

    Inactive concepts come on top (a third as many, i.e. 25 % of all concepts). The output is a
    pure function of (`concepts`, `seed`).
    """
    out = Path(out_dir)
    tick = progress_ticker(progress, len(BRANCHES) + 11)
    r = Content(concepts, seed)
    r.build_metadata()
    tick("metadata")
    r.build_branches(tick)
    r.build_inactive()
    tick("inactive")
    r.dedupe_fsns()
    w = Writer(out)
    n = r.n

    # Concepts.
    w.write(
        rf.CONCEPT, {**common_columns(r.sctid, r.active.astype(np.int8), r.module), "definitionStatusId": r.defstatus}
    )
    tick("concepts")

    d = write_descriptions(w, r, tick)
    rels = write_relationships(w, r, tick)
    refs = write_refsets(w, r, d, concepts, tick)

    ds, de = r.span["disorder"]
    # Summary figures.
    act_isa = r.active[rels.is_a_source]
    fd = np.isin(r.branch, [r.branch_no["disorder"], r.branch_no["finding"]]) & r.active
    fd_parents = np.bincount(rels.is_a_source, minlength=n)[fd]
    dis = np.arange(ds, de)
    deepest = int(dis[np.argmax(r.level[ds:de])])
    subtree = np.ones(n, dtype=np.int64)
    for ls, le, par in reversed(list(r.levels_of("disorder"))):
        if ls > ds:
            np.add.at(subtree, par, subtree[ls:le])
    top = np.arange(ds, int(r.bounds["disorder"][1]))
    broad = int(top[np.argmax(subtree[top])])
    fs_rows = [x for x in r.rels if x[2].size and x[2][0] == FINDING_SITE]
    popular = int(np.argmax(np.bincount(np.concatenate([x[1] for x in fs_rows]), minlength=n)))
    mapped_one = int(refs.mapped[0]) if refs.mapped.size else deepest
    replaced, ambiguous, chained = r.notable_inactive
    return SynthSummary(
        out_dir=str(out),
        effective_time=EFFECTIVE_TIME,
        concepts=n,
        active_concepts=int(r.active.sum()),
        inactive_concepts=r.n_inactive,
        descriptions=int(d.ids.size),
        active_descriptions=int(d.active.sum()),
        text_definitions=d.text_definitions,
        relationships=rels.rows,
        active_relationships=rels.active_rows,
        active_is_a=int(act_isa.sum()),
        language_members=d.language_members,
        association_members=refs.association_members,
        map_members=refs.map_members,
        simple_members=refs.simple_members,
        max_depth=int(r.depth[r.active].max()),
        mean_parents_findings=round(float(fd_parents.mean()), 3) if fd_parents.size else 0.0,
        deep_disorder_id=int(r.sctid[deepest]),
        broad_disorder_id=int(r.sctid[broad]),
        popular_site_id=int(r.sctid[popular]),
        mapped_disorder_id=int(r.sctid[mapped_one]),
        replaced_concept_id=replaced,
        ambiguous_concept_id=ambiguous,
        chained_concept_id=chained,
        icd_map_refset_id=ICD10_MAP_REFSET,
        simple_refset_id=LATERALIZABLE_REFSET,
        sample_terms=tuple(str(x) for x in cap(r.core[[deepest, broad, popular]])),
    )
