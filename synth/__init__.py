"""A synthetic SNOMED CT RF2 Snapshot with the shape of the International Edition.

Benchmarks and scale tests need a release of realistic size and shape that we may generate
freely (the real one is licensed and too big to ship): a deep is-a DAG (depth 20) with multiple
parents under the 19 real top-level concepts, role-grouped attributes whose values refine those
of the parent, about 4.4 descriptions and 3.4 active inferred relationships per active concept,
en-US / en-GB language refsets with spelling variants, inactive concepts with reasons and
historical associations (including chains), a simple refset, an ICD-10-style extended map, MRCM
rows and a few concrete values. Terms are built from the concepts' own attribute values
("Chronic ulcer of proximal shaft of left femur"), so term search and definitions agree.

Scale: `concepts` is the number of ACTIVE concepts (~370,000 like the International Edition).
Inactive concepts come on top of that: a third as many again, so that they are 25 % of all
concepts, as in the real release.

Speed: everything is generated with numpy arrays, one vector step per level of each hierarchy
(at most ~20 steps per hierarchy, never one per concept); 370,000 active concepts take about
30 s of CPU (two thirds of it in pandas' CSV writer) and 1.5-2 GB of memory. File layouts come
from `loaders.rf2_format`, never restated here.

Modules: `ids` (dates and identifiers), `metadata` (the anchor concepts), `vocabulary` (word
lists), `hierarchy` (per-concept arrays, levels and parents), `concepts` (each branch's terms and
attributes), `history` (inactive concepts), then the writers `descriptions`, `relationships`,
`refsets` and `mrcm` over `writer`, driven by `release.write_synthetic_release`. This package writes
releases and never loads them; `loaders` and `terminology` never import it.

Ids: real ids for the root, the top-level concepts and every metadata concept the rows refer to
(modules, description types, attributes, refsets, ...); every other concept gets a short-format
SCTID (partition 00) with an item number from `ITEM_BASE` on, far above the items used by the
real International Edition. Descriptions and relationships use the same item range in their own
partitions. Item numbers are shuffled so that ids carry no hierarchy order.

Not generated: OWL axioms, stated relationships, Full and Delta files.
"""

from .ids import EFFECTIVE_TIME, MIN_CONCEPTS, NAMESPACE_TAG
from .release import SynthSummary, write_synthetic_release

__all__ = ["EFFECTIVE_TIME", "MIN_CONCEPTS", "NAMESPACE_TAG", "SynthSummary", "write_synthetic_release"]
