"""The Terminology facade: every query over an opened index, by SCTID, with no web code."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import networkx as nx
import numpy as np

from loaders import snomed
from loaders.sctid import ComponentKind, sctid_problem

from .dialects import language_refset_order
from .errors import ConceptNotFoundError, InvalidSctidError
from .index import IndexStore
from .index import format as fmt
from .model import (
    Acceptability,
    Association,
    Concept,
    ConcreteValue,
    Description,
    MapTarget,
    Relationship,
    ReleaseInfo,
    Replacement,
    SubsumptionOutcome,
)

_TYPE_NAMES = {fmt.FSN: "fsn", fmt.SYNONYM: "synonym", fmt.DEFINITION: "definition", fmt.OTHER_TYPE: "other"}
# Associations that say where an inactive concept's meaning went, in the order we prefer them.
RESOLVING_ASSOCIATIONS = (
    snomed.SAME_AS,
    snomed.REPLACED_BY,
    snomed.MOVED_TO,
    snomed.POSSIBLY_REPLACED_BY,
    snomed.POSSIBLY_EQUIVALENT_TO,
    snomed.PARTIALLY_EQUIVALENT_TO,
    snomed.ALTERNATIVE,
    snomed.WAS_A,
)


T = TypeVar("T")

# Factories whose derived state `Terminology.warm()` builds before a server forks. Registered by the
# subsystems themselves (ECL index, lexicon, concept model...): a list of functions, not state per index.
_WARM_FACTORIES: list[Callable[[Terminology], Any]] = []
# The subsystem packages whose modules register factories (imported by `Terminology.warm`).
WARMED_PACKAGES = (
    "terminology.text",
    "terminology.ecl",
    "terminology.expressions",
    "terminology.mapping",
    "terminology.linking",
    "terminology.fhir",
)


def warmed(factory: Callable[[Terminology], T]) -> Callable[[Terminology], T]:
    """Register a derived-state factory so that `Terminology.warm()` builds it (decorator)."""
    if factory not in _WARM_FACTORIES:
        _WARM_FACTORIES.append(factory)
    return factory


def parse_sctid(value: object, kind: ComponentKind | None = ComponentKind.CONCEPT, field: str | None = None) -> int:
    """An SCTID from user input, or InvalidSctidError saying what is wrong with it."""
    problem = sctid_problem(value if isinstance(value, str | int) else str(value), kind)
    if problem:
        raise InvalidSctidError(value, problem, field)
    return int(str(value).strip())


class Terminology:
    """A loaded release: concepts, descriptions, the is-a hierarchy, attributes, refsets and history.

    Return types: sets of concepts that can be large come back as sorted numpy arrays of SCTIDs
    (`ancestors`, `descendants`, `refset_members`, `active_concept_ids`); short answers come back as
    lists (`parents`, `children`, `refsets`, `map_refsets`, `relationships`, `descriptions`, ...).
    Row-level access for the subsystems (text, mapping, ECL) works on internal rows: `row_of` /
    `index_of` give a concept's row, `array(name)` a persisted array (numpy, read-only), `sql` the
    rows of a query (a list of tuples), and `ancestor_rows`, `active_mask`, `refset_columns`,
    `preferred_term_of_row`, `description_term` answer per row. State derived from the release lives
    on the instance (`derived`) and is built before a server forks by `warm`.
    """

    def __init__(self, store: IndexStore):
        self.store = store
        self.ids: np.ndarray = store.concept_id
        self._active: np.ndarray = store.concept_active
        m = store.manifest
        self.language_refsets: list[int] = list(m.get("language_refsets", []))
        self._languages: list[str] = list(m.get("languages", []))
        self._derived: dict[Callable[[Terminology], Any], Any] = {}
        self._derived_lock = threading.RLock()

    def derived(self, factory: Callable[[Terminology], T]) -> T:
        """State computed from this release once (indexes, lexicons, models), owned by this instance.

        ``factory(self)`` runs at most once per instance; its value lives and dies with the Terminology.
        """
        try:
            return self._derived[factory]
        except KeyError:
            pass
        with self._derived_lock:
            if factory not in self._derived:
                self._derived[factory] = factory(self)
            return self._derived[factory]

    def warm(self) -> None:
        """Map every array and build every registered derived state now (before a server forks, so
        workers share them). The subsystems register their factories when imported, so they are
        imported here first: what is warmed never depends on what happened to be imported."""
        import importlib

        for package in WARMED_PACKAGES:
            importlib.import_module(package)
        self.store.warm()
        for factory in list(_WARM_FACTORIES):
            self.derived(factory)

    # ----- row-level access for the subsystems that read the index's own tables (ECL, text, mapping)
    @property
    def manifest(self) -> dict:
        """The index manifest (format, release, counts, load report)."""
        return self.store.manifest

    def array(self, name: str) -> np.ndarray:
        """A persisted index array by name (memory-mapped, read-only); rows are concept or description rows."""
        return self.store.array(name)

    def has_array(self, name: str) -> bool:
        """True when the index holds the (declared) array `name`."""
        return self.store.has_array(name)

    def sql(self, query: str, params: Sequence[object] = (), *, deadline: float | None = None) -> list[tuple]:
        """Rows of a read-only query over the index's SQLite tables (refsets, FTS).

        With a ``deadline`` (a ``time.monotonic()`` value) SQLite is interrupted once it passes, and
        ``TimeoutError`` is raised: a slow query (a LIKE pattern with many ``%``) stops at the budget.
        """
        db = self.store.db
        if deadline is None:
            return db.execute(query, tuple(params)).fetchall()
        # SQLite calls the handler every 1,000 virtual machine steps (a few microseconds each).
        db.set_progress_handler(lambda: time.monotonic() > deadline, 1000)
        try:
            return db.execute(query, tuple(params)).fetchall()
        except sqlite3.OperationalError as exc:
            if time.monotonic() > deadline and "interrupt" in str(exc):
                raise TimeoutError(f"query interrupted at its deadline: {query[:80]}") from None
            raise
        finally:
            db.set_progress_handler(None, 0)

    def has_table(self, table: str) -> bool:
        """True when the index's SQLite file has the table (refset tables exist only when the release has rows)."""
        return self.store.has_table(table)

    @classmethod
    def open(cls, path: str | Path, verify: bool = False) -> Terminology:
        """Open an index; sizes and array headers are always checked, checksums with `verify` (~0.5-0.9 s/GB)."""
        return cls(IndexStore(path, verify=verify))

    # ----- identity
    @cached_property
    def release(self) -> ReleaseInfo:
        """The edition, version, modules and build facts of the release (from the manifest)."""
        m = self.store.manifest
        r = m["release"]
        return ReleaseInfo(
            edition_module=int(r["edition_module"]),
            version=r["version"],
            uri=r["uri"],
            modules=r["modules"],
            dependencies=r["dependencies"],
            sources=r.get("sources", []),
            built_at=m.get("built_at", ""),
            counts=m.get("counts", {}),
            language_refsets=self.language_refsets,
        )

    def index_of(self, sctid: int) -> int | None:
        """The internal row of a concept, or None when the release does not hold it."""
        i = int(self.ids.searchsorted(sctid))
        if i < len(self.ids) and int(self.ids[i]) == sctid:
            return i
        return None

    def row_of(self, sctid: int) -> int:
        """The internal row of a concept; ConceptNotFoundError when the release does not hold it."""
        i = self.index_of(sctid)
        if i is None:
            raise ConceptNotFoundError(sctid)
        return i

    def has_concept(self, sctid: int) -> bool:
        """True when the release holds the concept (active or not)."""
        return self.index_of(sctid) is not None

    def is_active(self, sctid: int) -> bool:
        """True when the concept is active (ConceptNotFoundError when the release lacks it)."""
        return bool(self._active[self.row_of(sctid)])

    def concept(self, sctid: int) -> Concept:
        """The concept's own row: status, module, definition status, effective time."""
        i = self.row_of(sctid)
        defined = bool(self.store.concept_defined[i])
        return Concept(
            id=sctid,
            active=bool(self._active[i]),
            module_id=int(self.store.concept_module[i]),
            definition_status="fully-defined" if defined else "primitive",
            definition_status_id=snomed.FULLY_DEFINED if defined else snomed.PRIMITIVE,
            effective_time=str(int(self.store.concept_effective[i])),
        )

    @property
    def active_mask(self) -> np.ndarray:
        """Per concept row: True when the concept is active (a read-only bool array)."""
        return self._active

    def active_concept_ids(self) -> np.ndarray:
        """Every active concept, as sorted SCTIDs (a numpy array)."""
        return self.ids[self._active]

    # ----- descriptions and terms
    def description_term(self, d: int) -> str:
        """The term of description row `d`."""
        ptr = self.store.term_ptr
        return bytes(self.store.term_blob[ptr[d] : ptr[d + 1]]).decode("utf-8")

    def refset_columns(self, lang: str | None) -> list[int]:
        """Columns of the per-refset arrays (pt, fsn, acceptability) in `lang`'s dialect order."""
        order = language_refset_order(lang, self.language_refsets)
        return [self.language_refsets.index(r) for r in order]

    def dialect_refset(self, lang: str | None = None) -> int | None:
        """The language refset consulted first for `lang` (None when the release has none)."""
        cols = self.refset_columns(lang)
        return self.language_refsets[cols[0]] if cols else None

    def preferred_term(self, sctid: int, lang: str | None = None) -> str | None:
        """The preferred synonym in the first language refset (of `lang`'s order) that has one."""
        return self.preferred_term_of_row(self.row_of(sctid), self.refset_columns(lang))

    def preferred_description_row(self, i: int, cols: Sequence[int]) -> int:
        """The description row of concept row `i`'s preferred term in refset columns `cols` (first that has
        one), else any preferred synonym, else any FSN; -1 when the concept has none."""
        pt = self.store.pt
        for c in cols:
            d = int(pt[c, i])
            if d >= 0:
                return d
        d = int(self.store.pt_any[i])
        return d if d >= 0 else int(self.store.fsn_any[i])

    def preferred_term_of_row(self, i: int, cols: Sequence[int]) -> str | None:
        """`preferred_term` of concept row `i` with refset columns `cols` (see `refset_columns`)."""
        d = self.preferred_description_row(i, cols)
        return self.description_term(d) if d >= 0 else None

    def preferred_terms(self, sctids: Iterable[int], lang: str | None = None) -> dict[int, str | None]:
        """`preferred_term` of many concepts, by SCTID."""
        cols = self.refset_columns(lang)
        return {s: self.preferred_term_of_row(self.row_of(s), cols) for s in sctids}

    def fsn(self, sctid: int, lang: str | None = None) -> str | None:
        """The fully specified name in the first language refset (of `lang`'s order) that has one."""
        i = self.row_of(sctid)
        fsn = self.store.fsn
        for c in self.refset_columns(lang):
            d = int(fsn[c, i])
            if d >= 0:
                return self.description_term(d)
        d = int(self.store.fsn_any[i])
        return self.description_term(d) if d >= 0 else None

    def _description(self, d: int) -> Description:
        s = self.store
        acc: dict[int, Acceptability] = {}
        row = s.acceptability[d]
        for c, refset in enumerate(self.language_refsets):
            if row[c]:
                acc[refset] = "preferred" if row[c] == fmt.PREFERRED_CODE else "acceptable"
        lang_code = int(s.desc_lang[d])
        return Description(
            id=int(s.desc_id[d]),
            concept_id=int(self.ids[s.desc_concept[d]]),
            active=bool(s.desc_active[d]),
            type=_TYPE_NAMES[int(s.desc_type[d])],  # type: ignore[arg-type]
            type_id=int(s.desc_type_id[d]),
            term=self.description_term(d),
            language_code=self._languages[lang_code] if 0 <= lang_code < len(self._languages) else "",
            case_significance_id=fmt.CASE_IDS.get(int(s.desc_case[d]), snomed.CASE_INSENSITIVE),
            module_id=int(s.desc_module[d]),
            effective_time=str(int(s.desc_effective[d])),
            acceptability=acc,
        )

    def descriptions(self, sctid: int, active_only: bool = False) -> list[Description]:
        """The concept's descriptions (FSNs, synonyms, definitions), with their acceptability per refset."""
        i = self.row_of(sctid)
        ptr = self.store.desc_by_concept_ptr
        out = [self._description(d) for d in range(int(ptr[i]), int(ptr[i + 1]))]
        return [d for d in out if d.active] if active_only else out

    def synonyms(self, sctid: int, lang: str | None = None) -> list[Description]:
        """Active synonyms acceptable or preferred in the chosen dialect (preferred first)."""
        cols = self.refset_columns(lang)
        refset = self.language_refsets[cols[0]] if cols else None
        syns = [d for d in self.descriptions(sctid, active_only=True) if d.type == "synonym"]
        if refset is not None:
            in_dialect = [d for d in syns if refset in d.acceptability]
            syns = in_dialect or syns
            syns.sort(key=lambda d: (d.acceptability.get(refset) != "preferred", d.term.lower()))
        return syns

    def description(self, description_id: int) -> Description:
        """One description by its id (ConceptNotFoundError, kind "description", when absent)."""
        s = self.store
        k = int(s.desc_sorted_id.searchsorted(description_id))
        if k >= len(s.desc_sorted_id) or int(s.desc_sorted_id[k]) != description_id:
            raise ConceptNotFoundError(description_id, "description")
        return self._description(int(s.desc_sorted_pos[k]))

    # ----- hierarchy
    def _row(self, ptr_name: str, name: str, i: int) -> np.ndarray:
        ptr = self.store.array(ptr_name)
        return self.store.array(name)[ptr[i] : ptr[i + 1]]

    def ancestor_rows(self, i: int) -> np.ndarray:
        """Concept rows of every active supertype of concept row `i` (sorted, excluding `i`)."""
        return self._row("ancestors_ptr", "ancestors", i)

    def parents(self, sctid: int) -> list[int]:
        """Direct active supertypes (inferred is-a), as a list of SCTIDs."""
        return self.ids[self._row("parents_ptr", "parents", self.row_of(sctid))].tolist()

    def children(self, sctid: int) -> list[int]:
        """Direct active subtypes (inferred is-a), as a list of SCTIDs."""
        return self.ids[self._row("children_ptr", "children", self.row_of(sctid))].tolist()

    def child_count(self, sctid: int) -> int:
        """How many direct subtypes the concept has."""
        i = self.row_of(sctid)
        ptr = self.store.children_ptr
        return int(ptr[i + 1] - ptr[i])

    def ancestors(self, sctid: int) -> np.ndarray:
        """Every active supertype (transitive, excluding the concept), as sorted SCTIDs."""
        return self.ids[self._row("ancestors_ptr", "ancestors", self.row_of(sctid))]

    def descendants(self, sctid: int) -> np.ndarray:
        """Every active subtype (transitive, excluding the concept), as sorted SCTIDs."""
        return self.ids[self._row("descendants_ptr", "descendants", self.row_of(sctid))]

    def descendant_count(self, sctid: int) -> int:
        """How many (transitive) subtypes the concept has."""
        i = self.row_of(sctid)
        ptr = self.store.descendants_ptr
        return int(ptr[i + 1] - ptr[i])

    def subsumes(self, a: int, b: int) -> bool:
        """True when `a` subsumes `b`: b is a or b is a (transitive) subtype of a."""
        ia, ib = self.row_of(a), self.row_of(b)
        if ia == ib:
            return True
        ptr = self.store.ancestors_ptr
        row = self.store.ancestors[ptr[ib] : ptr[ib + 1]]
        k = int(row.searchsorted(np.int32(ia)))  # same dtype as the row: no conversion of the row
        return k < len(row) and int(row[k]) == ia

    def subsumption(self, a: int, b: int) -> SubsumptionOutcome:
        """The FHIR $subsumes outcome of A against B."""
        if a == b:
            self.row_of(a)
            return "equivalent"
        if self.subsumes(a, b):
            return "subsumes"
        if self.subsumes(b, a):
            return "subsumed-by"
        return "not-subsumed"

    def ancestor_distances(self, sctid: int) -> dict[int, int]:
        """Fewest is-a steps from the concept to each ancestor-or-self (BFS over parents)."""
        return self.ancestor_tree(sctid)[0]

    def ancestor_tree(self, sctid: int) -> tuple[dict[int, int], dict[int, int | None]]:
        """One BFS over parents: fewest is-a steps to each ancestor-or-self, and the concept it was
        first reached from (parents in SCTID order), so a shortest chain to any ancestor can be
        read back without walking the hierarchy again."""
        start = self.row_of(sctid)
        dist = {start: 0}
        prev: dict[int, int | None] = {start: None}
        queue = deque([start])
        pptr, parents = self.store.parents_ptr, self.store.parents
        while queue:
            v = queue.popleft()
            for p in parents[pptr[v] : pptr[v + 1]].tolist():
                if p not in dist:
                    dist[p] = dist[v] + 1
                    prev[p] = v
                    queue.append(p)
        ids = self.ids
        return (
            {int(ids[k]): d for k, d in dist.items()},
            {int(ids[k]): None if v is None else int(ids[v]) for k, v in prev.items()},
        )

    def isa_paths(self, sctid: int, ancestor: int, limit: int = 5) -> list[list[int]]:
        """Is-a paths from `sctid` up to `ancestor`, shortest first (empty when not subsumed)."""
        if not self.subsumes(ancestor, sctid):
            return []
        if sctid == ancestor:
            return [[sctid]]
        g = self._path_graph(sctid, ancestor)
        paths = []
        for path in nx.shortest_simple_paths(g, sctid, ancestor):
            paths.append(path)
            if len(paths) >= limit:
                break
        return paths

    def _path_graph(self, sctid: int, ancestor: int) -> nx.DiGraph:
        """The small graph of concepts between `sctid` and `ancestor` (both on some is-a path)."""
        ia = self.row_of(ancestor)
        nodes = {self.row_of(sctid)}
        for a in self._row("ancestors_ptr", "ancestors", self.row_of(sctid)).tolist():
            if a == ia or ia in set(self._row("ancestors_ptr", "ancestors", a).tolist()):
                nodes.add(a)
        nodes.add(ia)
        g = nx.DiGraph()
        for v in nodes:
            for p in self._row("parents_ptr", "parents", v).tolist():
                if p in nodes:
                    g.add_edge(int(self.ids[v]), int(self.ids[p]))
        return g

    def proximal_primitive_parents(self, sctid: int) -> list[int]:
        """The most specific primitive supertypes: primitive ancestors not subsuming another such."""
        i = self.row_of(sctid)
        anc = self._row("ancestors_ptr", "ancestors", i)
        primitive = anc[~self.store.concept_defined[anc]]
        if len(primitive) == 0:
            return []
        covered = np.unique(np.concatenate([self._row("ancestors_ptr", "ancestors", int(p)) for p in primitive]))
        return self.ids[np.setdiff1d(primitive, covered)].tolist()

    def lowest_common_ancestors(self, sctids: Sequence[int]) -> list[int]:
        """The most specific concepts subsuming every one of `sctids`."""
        if not sctids:
            return []
        common: np.ndarray | None = None
        for s in sctids:
            i = self.row_of(s)
            row = np.append(self._row("ancestors_ptr", "ancestors", i), i)
            common = row if common is None else np.intersect1d(common, row)
        assert common is not None
        if len(common) == 0:
            return []
        covered = np.unique(np.concatenate([self._row("ancestors_ptr", "ancestors", int(c)) for c in common]))
        return self.ids[np.setdiff1d(common, covered)].tolist()

    @cached_property
    def isa_graph(self) -> nx.DiGraph:
        """The active inferred is-a hierarchy as a networkx DiGraph (child -> parent edges).

        Built on first use for analysis and tests; queries use the precomputed closure instead.
        """
        g = nx.DiGraph()
        g.add_nodes_from(self.active_concept_ids().tolist())
        ptr = self.store.parents_ptr
        child = np.repeat(np.arange(len(self.ids)), np.diff(ptr))
        g.add_edges_from(zip(self.ids[child].tolist(), self.ids[self.store.parents].tolist(), strict=True))
        return g

    # ----- defining attributes
    def relationships(self, sctid: int) -> list[Relationship]:
        """The concept's active inferred defining relationships (other than is-a), in role-group order."""
        i = self.row_of(sctid)
        s = self.store
        lo, hi = int(s.rel_ptr[i]), int(s.rel_ptr[i + 1])
        return [
            Relationship(int(g), int(self.ids[t]), int(self.ids[d]))
            for g, t, d in zip(
                s.rel_group[lo:hi].tolist(), s.rel_type[lo:hi].tolist(), s.rel_dest[lo:hi].tolist(), strict=True
            )
        ]

    def concrete_values(self, sctid: int) -> list[ConcreteValue]:
        """The concept's active inferred concrete-value attributes (numbers, strings, booleans)."""
        i = self.row_of(sctid)
        s = self.store
        lo, hi = int(s.cv_ptr[i]), int(s.cv_ptr[i + 1])
        out = []
        for k in range(lo, hi):
            kind = int(s.cv_kind[k])
            tp = s.cv_text_ptr
            text = bytes(s.cv_text_blob[tp[k] : tp[k + 1]]).decode()
            value: int | float | str | bool
            if kind == fmt.CV_INTEGER:
                value = int(float(s.cv_number[k]))
            elif kind == fmt.CV_DECIMAL:
                value = float(s.cv_number[k])
            elif kind == fmt.CV_STRING:
                value = text
            else:
                value = text == "true"
            out.append(ConcreteValue(int(s.cv_group[k]), int(self.ids[s.cv_type[k]]), value))
        return out

    def role_groups(self, sctid: int) -> dict[int, list[Relationship | ConcreteValue]]:
        """Defining attributes by role group (0 = ungrouped), in group order."""
        groups: dict[int, list[Relationship | ConcreteValue]] = {}
        rows: list[Relationship | ConcreteValue] = [*self.relationships(sctid), *self.concrete_values(sctid)]
        for r in rows:
            groups.setdefault(r.group, []).append(r)
        return dict(sorted(groups.items()))

    # ----- refsets
    def refset_memberships(self, sctid: int) -> list[int]:
        """The refsets (other than language refsets) that have the concept as an active member."""
        i = self.row_of(sctid)
        s = self.store
        key = np.int32(i)  # a Python int would make numpy convert the whole int32 array per call
        lo, hi = s.member_concept.searchsorted(key), s.member_concept.searchsorted(key, side="right")
        return sorted(set(s.member_refset_by_concept[lo:hi].tolist()))

    def refset_members(self, refset_id: int) -> np.ndarray:
        """The active members of a (non-language) refset, as sorted SCTIDs (a numpy array)."""
        s = self.store
        lo, hi = s.member_refset.searchsorted(refset_id), s.member_refset.searchsorted(refset_id, side="right")
        return np.unique(self.ids[s.member_concept_by_refset[lo:hi]])

    def refsets(self) -> list[int]:
        """Every refset (other than language refsets) with an active member, as sorted SCTIDs."""
        return sorted(set(np.unique(self.store.member_refset).tolist()))

    def _table(self, kind: str) -> str | None:
        table = fmt.REFSET_TABLES[kind]
        return table if table in self._tables else None

    @cached_property
    def _tables(self) -> set[str]:
        return {r[0] for r in self.sql("SELECT name FROM sqlite_master WHERE type='table'")}

    def _map_rows(self, where: str, params: tuple, refset_id: int | None) -> list[MapTarget]:
        """Rows of every map refset table matching `where` (simple, complex and extended maps)."""
        out: list[MapTarget] = []
        for kind, extra in (
            ("ExtendedMap", ', "mapGroup", "mapPriority", "mapRule", "mapAdvice", "correlationId", "mapCategoryId"'),
            ("ComplexMap", ', "mapGroup", "mapPriority", "mapRule", "mapAdvice", "correlationId", NULL'),
            ("SimpleMap", ""),
        ):
            table = self._table(kind)
            if not table:
                continue
            sql = f'SELECT "refsetId", "referencedComponentId", "mapTarget"{extra} FROM {table} WHERE {where}'
            args = params
            if refset_id is not None:
                sql += ' AND "refsetId" = ?'
                args += (refset_id,)
            for row in self.sql(sql, args):
                if extra:
                    out.append(
                        MapTarget(
                            row[0], row[1], row[2] or "", row[3], row[4], row[5] or "", row[6] or "", row[7], row[8]
                        )
                    )
                else:
                    out.append(MapTarget(row[0], row[1], row[2] or ""))
        return out

    def map_targets(self, sctid: int, refset_id: int | None = None) -> list[MapTarget]:
        """Map refset rows (simple, complex and extended maps) for a concept."""
        rows = self._map_rows('"referencedComponentId" = ?', (sctid,), refset_id)
        return sorted(rows, key=lambda m: (m.refset_id, m.map_group, m.map_priority))

    def concepts_for_map_target(self, target: str, refset_id: int | None = None) -> list[MapTarget]:
        """Reverse map lookup: map rows whose target is `target` (e.g. ICD-10 C79.5; C795 finds it too)."""
        code = target.strip().upper()
        plain = code.replace(".", "")
        variants = {target.strip(), code, plain}
        if len(plain) > 3 and "." not in code:
            variants.add(f"{plain[:3]}.{plain[3:]}")
        marks = ",".join("?" * len(variants))
        rows = self._map_rows(f'"mapTarget" IN ({marks})', tuple(sorted(variants)), refset_id)
        return sorted(set(rows), key=lambda m: (m.refset_id, m.concept_id, m.map_group, m.map_priority))

    def map_refsets(self) -> list[int]:
        """The simple, complex and extended map refsets of the release, as sorted SCTIDs."""
        out: set[int] = set()
        for kind in ("ExtendedMap", "ComplexMap", "SimpleMap"):
            table = self._table(kind)
            if table:
                out.update(r[0] for r in self.sql(f'SELECT DISTINCT "refsetId" FROM {table}'))
        return sorted(out)

    # ----- history
    def associations(self, sctid: int) -> list[Association]:
        """Historical associations from the concept (it is the inactive source)."""
        table = self._table("Association")
        if not table:
            return []
        rows = self.sql(
            f'SELECT "refsetId", "targetComponentId" FROM {table} WHERE "referencedComponentId" = ? ORDER BY 1, 2',
            (sctid,),
        )
        return [Association(r, snomed.HISTORICAL_ASSOCIATIONS.get(r, str(r)), sctid, t) for r, t in rows]

    def associations_to(self, sctid: int) -> list[Association]:
        """Historical associations pointing at the concept (it is the target)."""
        table = self._table("Association")
        if not table:
            return []
        rows = self.sql(
            f'SELECT "refsetId", "referencedComponentId" FROM {table} WHERE "targetComponentId" = ? ORDER BY 1, 2',
            (sctid,),
        )
        return [Association(r, snomed.HISTORICAL_ASSOCIATIONS.get(r, str(r)), s, sctid) for r, s in rows]

    def inactivation_reason(self, sctid: int) -> tuple[int, str] | None:
        """The concept inactivation indicator (value id and name) of an inactive concept."""
        table = self._table("AttributeValue")
        if not table:
            return None
        row = self.store.db.execute(
            f'SELECT "valueId" FROM {table} WHERE "referencedComponentId" = ? AND "refsetId" = ?',
            (sctid, snomed.CONCEPT_INACTIVATION_REFSET),
        ).fetchone()
        if not row:
            return None
        return int(row[0]), snomed.INACTIVATION_REASONS.get(int(row[0]), str(row[0]))

    def resolve(self, sctid: int, max_depth: int = 10) -> list[Replacement]:
        """Active concepts an id stands for: itself when active, else through historical associations.

        Chains (inactive -> inactive -> active) are followed; the strongest association kind
        available at each step is used (SAME AS before REPLACED BY before POSSIBLY EQUIVALENT TO, ...).
        """
        if self.index_of(sctid) is None:
            raise ConceptNotFoundError(sctid)
        if self.is_active(sctid):
            return [Replacement(sctid, "direct", (sctid,))]
        found: dict[int, Replacement] = {}
        frontier: list[tuple[int, tuple[int, ...], tuple[str, ...]]] = [(sctid, (sctid,), ())]
        for _ in range(max_depth):
            nxt = []
            for cid, chain, names in frontier:
                assocs = self.associations(cid)
                ranked = [a for a in assocs if a.refset_id in RESOLVING_ASSOCIATIONS]
                if not ranked:
                    continue
                best = min(RESOLVING_ASSOCIATIONS.index(a.refset_id) for a in ranked)
                for a in ranked:
                    if RESOLVING_ASSOCIATIONS.index(a.refset_id) != best or a.target_id in chain:
                        continue
                    if self.index_of(a.target_id) is None:
                        continue
                    step = (*names, a.name)
                    if self.is_active(a.target_id):
                        found.setdefault(a.target_id, Replacement(a.target_id, " > ".join(step), (*chain, a.target_id)))
                    else:
                        nxt.append((a.target_id, (*chain, a.target_id), step))
            frontier = nxt
            if not frontier:
                break
        return sorted(found.values(), key=lambda r: (len(r.chain), r.concept_id))
