"""Engine indexes of the ECL evaluator, so that no refinement scans the release in Python.

The index build keeps the active non-is-a relationships sorted by source
(``rel_src/rel_type/rel_dest/rel_group`` + ``rel_ptr``).  Refinements mostly start
from the *value* side (``363698007 = << 39057004``), so the engine adds the same
relationships sorted by (type, destination):

==================  =======  =============================================================
array               dtype    meaning
==================  =======  =============================================================
``ecl_td_key``      int64    ``type_row * n + dest_row``, sorted (ties by source)
``ecl_td_src``      int32    source row of each entry
``ecl_td_dest``     int32    destination row of each entry
``ecl_td_rel``      int32    row of the relationship in the ``rel_*`` arrays
``ecl_rel_unit``    int64    per relationship row: its *group unit* (see below)
``ecl_assoc_*``     int32/64 active historical associations (source, target, refset) sorted by target
==================  =======  =============================================================

A value set V of a type t is then one ``searchsorted`` per (t, v) pair, or, for large
V, a mask lookup over the contiguous slice of type t.  About 24 bytes per relationship
(19 MB at 786,000 attribute relationships) plus 16 bytes per association.

Group units: role group g >= 1 of concept s is the unit ``s << 20 | g``; every
relationship in group 0 is a unit of its own (``s << 20 | 2**15 + k``, k its position
among s's relationships), as are concrete values in group 0 (``2**18 + k``) and is-a
relationships (``2**19 + k``, k the parent's position in s's ``parents`` row: is-a is
always group 0), so an attribute group ``{ ... }`` is matched within one role group, and
an ungrouped attribute counts as a group by itself.  ``unit >> 20`` is the concept row.

Is-a relationships are not in ``rel_*`` (nor here): ``116680003 |Is a|`` as an attribute
reads the hierarchy's ``parents``/``children`` rows, which hold the same (active,
inferred) edges already, so no per-relationship array is added for them.

The index build persists these arrays (``build_arrays``); every index of the current
format has them (older ones are refused by the format gate when they are opened).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from loaders import snomed

from ..index import format as fmt
from ..text.postings import Postings, postings
from . import _sets as sets

if TYPE_CHECKING:
    import pandas as pd

    from ..terminology import Terminology

UNIT_SHIFT = 20
GROUP0_REL = 1 << 15
GROUP0_CV = 1 << 18
GROUP0_ISA = 1 << 19
PERSISTED = ("ecl_td_key", "ecl_td_src", "ecl_td_dest", "ecl_td_rel", "ecl_rel_unit")
ASSOCIATION_ARRAYS = ("ecl_assoc_target", "ecl_assoc_source", "ecl_assoc_refset")


def relationship_arrays(
    n: int, rel_src: np.ndarray, rel_type: np.ndarray, rel_dest: np.ndarray, rel_group: np.ndarray, rel_ptr: np.ndarray
) -> dict[str, np.ndarray]:
    """The (type, destination) ordering and the group units of the relationships (vectorised)."""
    src = np.asarray(rel_src, np.int64)
    typ = np.asarray(rel_type, np.int64)
    dest = np.asarray(rel_dest, np.int64)
    order = np.lexsort((src, dest, typ))
    local = np.arange(len(src), dtype=np.int64) - np.asarray(rel_ptr, np.int64)[src] if len(src) else src
    group = np.asarray(rel_group, np.int64)
    unit = (src << UNIT_SHIFT) | np.where(group > 0, group, GROUP0_REL + local)
    return {
        "ecl_td_key": (typ * n + dest)[order],
        "ecl_td_src": src[order].astype(np.int32),
        "ecl_td_dest": dest[order].astype(np.int32),
        "ecl_td_rel": order.astype(np.int32),
        "ecl_rel_unit": unit,
    }


def association_arrays(
    ids: np.ndarray, refset: np.ndarray, source: np.ndarray, target: np.ndarray
) -> dict[str, np.ndarray]:
    """Historical associations whose source and target are concepts of the release, sorted by target row."""
    ids = np.asarray(ids)
    refset, source, target = (np.asarray(a, np.int64) for a in (refset, source, target))
    s_pos = np.searchsorted(ids, source).clip(0, max(len(ids) - 1, 0))
    t_pos = np.searchsorted(ids, target).clip(0, max(len(ids) - 1, 0))
    keep = (ids[s_pos] == source) & (ids[t_pos] == target) if len(ids) else np.zeros(len(source), bool)
    s_pos, t_pos, refset = s_pos[keep], t_pos[keep], refset[keep]
    order = np.lexsort((s_pos, t_pos))
    return {
        "ecl_assoc_target": t_pos[order].astype(np.int32),
        "ecl_assoc_source": s_pos[order].astype(np.int32),
        "ecl_assoc_refset": refset[order],
    }


def build_arrays(load: Callable[[str], np.ndarray], associations: pd.DataFrame | None) -> dict[str, np.ndarray]:
    """Every persisted engine array, from the index's own arrays (``load(name)``) and the Association frame."""
    ids = load("concept_id")
    out = relationship_arrays(
        len(ids), load("rel_src"), load("rel_type"), load("rel_dest"), load("rel_group"), load("rel_ptr")
    )
    if associations is not None and len(associations):
        a = associations[associations["active"]] if "active" in associations.columns else associations
        out.update(
            association_arrays(
                ids,
                a["refsetId"].to_numpy(np.int64),
                a["referencedComponentId"].to_numpy(np.int64),
                a["targetComponentId"].to_numpy(np.int64),
            )
        )
    else:
        out.update(association_arrays(ids, np.zeros(0), np.zeros(0), np.zeros(0)))
    return out


class EclIndex:
    """The arrays one Terminology's evaluations share: mapped (or derived) once, read-only afterwards."""

    def __init__(self, t: Terminology):
        self.t = t
        self.n = len(t.ids)
        self.concept_active = t.array("concept_active")
        self._columns: dict[str, list[str]] = {}

    def array(self, name: str) -> np.ndarray:
        """A persisted engine array (``ecl_*``, see the module docstring)."""
        return self.t.array(name)

    def warm(self) -> None:
        """Map every engine array and build every derived table now (before serving, so the first query pays nothing)."""
        for name in (*PERSISTED, *ASSOCIATION_ARRAYS):
            np.asarray(self.array(name)[:1])
        for prop in (
            "active_rows",
            "attribute_types",
            "type_bounds",
            "concrete",
            "definition_rows",
            "row_of_refset_member",
            "ascii_terms",
            "non_ascii_rows",
            "postings",
            "term_text",
        ):
            getattr(self, prop)

    # ----- derived, small
    @cached_property
    def active_rows(self) -> np.ndarray:
        return np.flatnonzero(self.concept_active).astype(np.int32)

    @cached_property
    def type_bounds(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(type rows, start, end): the slice of ``ecl_td_*`` holding each attribute type."""
        key = self.array("ecl_td_key")
        if len(key) == 0:
            return sets.EMPTY, np.zeros(0, np.int64), np.zeros(0, np.int64)
        types = np.asarray(key) // self.n
        starts = np.flatnonzero(np.concatenate(([True], types[1:] != types[:-1])))
        ends = np.append(starts[1:], len(types))
        return types[starts].astype(np.int32), starts.astype(np.int64), ends.astype(np.int64)

    @cached_property
    def is_a_row(self) -> int | None:
        """Row of 116680003 |Is a| (None when the release has no such concept)."""
        return self.t.index_of(snomed.IS_A)

    @property
    def attribute_types(self) -> np.ndarray:
        """Rows of every type that some active relationship has (sorted)."""
        return self.type_bounds[0]

    @cached_property
    def concrete(self) -> dict[str, np.ndarray]:
        """Concrete values ordered by type: rows into the ``cv_*`` arrays, their types, units and numbers."""
        a = self.t.array
        cv_type = np.asarray(a("cv_type"), np.int32)
        order = np.argsort(cv_type, kind="stable").astype(np.int64)
        src = np.asarray(a("cv_src"), np.int64)
        local = np.arange(len(src), dtype=np.int64) - np.asarray(a("cv_ptr"), np.int64)[src] if len(src) else src
        group = np.asarray(a("cv_group"), np.int64)
        unit = (src << UNIT_SHIFT) | np.where(group > 0, group, GROUP0_CV + local)
        return {
            "row": order,
            "type": cv_type[order],
            "src": src[order].astype(np.int32),
            "unit": unit[order],
            "kind": np.asarray(a("cv_kind"))[order],
            "number": np.asarray(a("cv_number"), np.float64)[order],
            "unit_by_row": unit,
        }

    def concrete_text(self, cv_rows: np.ndarray) -> list[str]:
        """The text of some concrete values (strings without quotes, numbers as written)."""
        ptr, blob = self.t.array("cv_text_ptr"), self.t.array("cv_text_blob")
        return [bytes(blob[int(ptr[k]) : int(ptr[k + 1])]).decode() for k in cv_rows.tolist()]

    @cached_property
    def definition_rows(self) -> np.ndarray:
        """Description rows of text definitions (the FTS table leaves them out)."""
        return np.flatnonzero(np.asarray(self.t.array("desc_type")) == fmt.DEFINITION).astype(np.int64)

    @cached_property
    def ascii_terms(self) -> np.ndarray:
        """Per description: its term is plain ASCII (so bytes can be compared without decoding)."""
        ptr, blob = np.asarray(self.t.array("term_ptr")), np.asarray(self.t.array("term_blob"))
        out = np.ones(len(ptr) - 1, bool)
        if len(blob):
            high = np.flatnonzero(blob >= 128)
            out[np.searchsorted(ptr, high, "right") - 1] = False
        return out

    @cached_property
    def row_of_refset_member(self) -> tuple[np.ndarray, np.ndarray]:
        """(refset SCTIDs sorted, member concept rows) of the member arrays."""
        return np.asarray(self.t.array("member_refset")), np.asarray(self.t.array("member_concept_by_refset"), np.int32)

    @cached_property
    def postings(self) -> Postings:
        """The word -> description postings that term filters are answered from."""
        return postings(self.t)

    @cached_property
    def term_text(self) -> tuple[np.ndarray, memoryview]:
        """(term_ptr, term_blob as a memoryview): the terms read by the exact check of term filter candidates."""
        return np.asarray(self.t.array("term_ptr")), memoryview(np.asarray(self.t.array("term_blob")))

    @cached_property
    def n_desc(self) -> int:
        return len(self.t.array("desc_concept"))

    @cached_property
    def non_ascii_rows(self) -> np.ndarray:
        """Description rows whose term is not plain ASCII (sorted)."""
        return np.flatnonzero(~self.ascii_terms).astype(np.int64)

    def table_columns(self, table: str) -> list[str]:
        """Column names of a refset table (names are checked against these before any SQL uses them)."""
        cols = self._columns.get(table)
        if cols is None:
            cols = [r[1] for r in self.t.sql(f"PRAGMA table_info({table})")]
            self._columns[table] = cols
        return cols

    def refset_table(self, refset_id: int) -> str | None:
        return self.t.manifest.get("refset_tables", {}).get(str(refset_id))
