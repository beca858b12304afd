"""The Terminology facade: every query over an opened index, by SCTID, with no web code."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import networkx as nx
import numpy as np

from loaders import rf2_format as rf2
from loaders.sctid import ComponentKind, sctid_problem

from . import _index_format as fmt
from ._store import IndexStore
from .dialects import language_refset_order
from .errors import ConceptNotFoundError, InvalidSctidError
from .model import (
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
    900000000000527005,  # SAME AS
    900000000000526001,  # REPLACED BY
    900000000000524003,  # MOVED TO
    1186921001,  # POSSIBLY REPLACED BY
    900000000000523009,  # POSSIBLY EQUIVALENT TO
    1186924009,  # PARTIALLY EQUIVALENT TO
    900000000000530003,  # ALTERNATIVE
    900000000000528000,  # WAS A
)


T = TypeVar("T")

# Factories whose derived state `Terminology.warm()` builds before a server forks. Registered by the
# subsystems themselves (ECL index, lexicon, concept model...): a list of functions, not state per index.
_WARM_FACTORIES: list[Callable[[Terminology], Any]] = []


def warmed(factory: Callable[[Terminology], T]) -> Callable[[Terminology], T]:
    """Register a derived-state factory so that `Terminology.warm()` builds it (decorator)."""
    _WARM_FACTORIES.append(factory)
    return factory


def parse_sctid(value: object, kind: ComponentKind | None = ComponentKind.CONCEPT, field: str | None = None) -> int:
    """An SCTID from user input, or InvalidSctidError saying what is wrong with it."""
    problem = sctid_problem(value if isinstance(value, str | int) else str(value), kind)
    if problem:
        raise InvalidSctidError(value, problem, field)
    return int(str(value).strip())


class Terminology:
    """A loaded release: concepts, descriptions, the is-a hierarchy, attributes, refsets and history."""

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
        """Build every registered derived state now (before a server forks, so workers share it)."""
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
        return self.store.has_array(name)

    def sql(self, query: str, params: Sequence[object] = ()) -> list[tuple]:
        """Rows of a read-only query over the index's SQLite tables (refsets, FTS)."""
        return self.store.db.execute(query, tuple(params)).fetchall()

    def has_table(self, table: str) -> bool:
        return self.store.has_table(table)

    @classmethod
    def open(cls, path: str | Path, verify: bool = False) -> Terminology:
        """Open an index; sizes and array headers are always checked, checksums with `verify` (~0.5-0.9 s/GB)."""
        return cls(IndexStore(path, verify=verify))

    # ----- identity
    @cached_property
    def release(self) -> ReleaseInfo:
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

    def _idx(self, sctid: int) -> int:
        i = self.index_of(sctid)
        if i is None:
            raise ConceptNotFoundError(sctid)
        return i

    def has_concept(self, sctid: int) -> bool:
        return self.index_of(sctid) is not None

    def is_active(self, sctid: int) -> bool:
        return bool(self._active[self._idx(sctid)])

    def concept(self, sctid: int) -> Concept:
        i = self._idx(sctid)
        defined = bool(self.store.concept_defined[i])
        return Concept(
            id=sctid,
            active=bool(self._active[i]),
            module_id=int(self.store.concept_module[i]),
            definition_status="fully-defined" if defined else "primitive",
            definition_status_id=rf2.FULLY_DEFINED if defined else rf2.PRIMITIVE,
            effective_time=str(int(self.store.concept_effective[i])),
        )

    def active_concept_ids(self) -> np.ndarray:
        return self.ids[self._active]

    # ----- descriptions and terms
    def _term(self, d: int) -> str:
        ptr = self.store.term_ptr
        return bytes(self.store.term_blob[ptr[d] : ptr[d + 1]]).decode("utf-8")

    def _refset_columns(self, lang: str | None) -> list[int]:
        order = language_refset_order(lang, self.language_refsets)
        return [self.language_refsets.index(r) for r in order]

    def dialect_refset(self, lang: str | None = None) -> int | None:
        """The language refset consulted first for `lang` (None when the release has none)."""
        cols = self._refset_columns(lang)
        return self.language_refsets[cols[0]] if cols else None

    def preferred_term(self, sctid: int, lang: str | None = None) -> str | None:
        """The preferred synonym in the first language refset (of `lang`'s order) that has one."""
        return self._pt(self._idx(sctid), self._refset_columns(lang))

    def _pt(self, i: int, cols: Sequence[int]) -> str | None:
        pt = self.store.pt
        for c in cols:
            d = int(pt[c, i])
            if d >= 0:
                return self._term(d)
        d = int(self.store.pt_any[i])
        if d < 0:
            d = int(self.store.fsn_any[i])
        return self._term(d) if d >= 0 else None

    def preferred_terms(self, sctids: Iterable[int], lang: str | None = None) -> dict[int, str | None]:
        cols = self._refset_columns(lang)
        return {s: self._pt(self._idx(s), cols) for s in sctids}

    def fsn(self, sctid: int, lang: str | None = None) -> str | None:
        i = self._idx(sctid)
        fsn = self.store.fsn
        for c in self._refset_columns(lang):
            d = int(fsn[c, i])
            if d >= 0:
                return self._term(d)
        d = int(self.store.fsn_any[i])
        return self._term(d) if d >= 0 else None

    def _description(self, d: int) -> Description:
        s = self.store
        acc = {}
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
            term=self._term(d),
            language_code=self._languages[lang_code] if 0 <= lang_code < len(self._languages) else "",
            case_significance_id=fmt.CASE_IDS.get(int(s.desc_case[d]), rf2.CASE_INSENSITIVE),
            module_id=int(s.desc_module[d]),
            effective_time=str(int(s.desc_effective[d])),
            acceptability=acc,
        )

    def descriptions(self, sctid: int, active_only: bool = False) -> list[Description]:
        i = self._idx(sctid)
        ptr = self.store.desc_by_concept_ptr
        out = [self._description(d) for d in range(int(ptr[i]), int(ptr[i + 1]))]
        return [d for d in out if d.active] if active_only else out

    def synonyms(self, sctid: int, lang: str | None = None) -> list[Description]:
        """Active synonyms acceptable or preferred in the chosen dialect (preferred first)."""
        cols = self._refset_columns(lang)
        refset = self.language_refsets[cols[0]] if cols else None
        syns = [d for d in self.descriptions(sctid, active_only=True) if d.type == "synonym"]
        if refset is not None:
            in_dialect = [d for d in syns if refset in d.acceptability]
            syns = in_dialect or syns
            syns.sort(key=lambda d: (d.acceptability.get(refset) != "preferred", d.term.lower()))
        return syns

    def description(self, description_id: int) -> Description:
        s = self.store
        k = int(s.desc_sorted_id.searchsorted(description_id))
        if k >= len(s.desc_sorted_id) or int(s.desc_sorted_id[k]) != description_id:
            raise ConceptNotFoundError(description_id, "description")
        return self._description(int(s.desc_sorted_pos[k]))

    # ----- hierarchy
    def _row(self, ptr_name: str, name: str, i: int) -> np.ndarray:
        ptr = self.store.array(ptr_name)
        return self.store.array(name)[ptr[i] : ptr[i + 1]]

    def parents(self, sctid: int) -> list[int]:
        return self.ids[self._row("parents_ptr", "parents", self._idx(sctid))].tolist()

    def children(self, sctid: int) -> list[int]:
        return self.ids[self._row("children_ptr", "children", self._idx(sctid))].tolist()

    def child_count(self, sctid: int) -> int:
        i = self._idx(sctid)
        ptr = self.store.children_ptr
        return int(ptr[i + 1] - ptr[i])

    def ancestors(self, sctid: int) -> np.ndarray:
        """Every active supertype (transitive, excluding the concept), as sorted SCTIDs."""
        return self.ids[self._row("ancestors_ptr", "ancestors", self._idx(sctid))]

    def descendants(self, sctid: int) -> np.ndarray:
        """Every active subtype (transitive, excluding the concept), as sorted SCTIDs."""
        return self.ids[self._row("descendants_ptr", "descendants", self._idx(sctid))]

    def descendant_count(self, sctid: int) -> int:
        i = self._idx(sctid)
        ptr = self.store.descendants_ptr
        return int(ptr[i + 1] - ptr[i])

    def subsumes(self, a: int, b: int) -> bool:
        """True when `a` subsumes `b`: b is a or b is a (transitive) subtype of a."""
        ia, ib = self._idx(a), self._idx(b)
        if ia == ib:
            return True
        ptr = self.store.ancestors_ptr
        row = self.store.ancestors[ptr[ib] : ptr[ib + 1]]
        k = int(row.searchsorted(np.int32(ia)))  # same dtype as the row: no conversion of the row
        return k < len(row) and int(row[k]) == ia

    def subsumption(self, a: int, b: int) -> SubsumptionOutcome:
        """The FHIR $subsumes outcome of A against B."""
        if a == b:
            self._idx(a)
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
        start = self._idx(sctid)
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
        ia = self._idx(ancestor)
        nodes = {self._idx(sctid)}
        for a in self._row("ancestors_ptr", "ancestors", self._idx(sctid)).tolist():
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
        i = self._idx(sctid)
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
            i = self._idx(s)
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
        i = self._idx(sctid)
        s = self.store
        lo, hi = int(s.rel_ptr[i]), int(s.rel_ptr[i + 1])
        return [
            Relationship(int(g), int(self.ids[t]), int(self.ids[d]))
            for g, t, d in zip(s.rel_group[lo:hi].tolist(), s.rel_type[lo:hi].tolist(), s.rel_dest[lo:hi].tolist(), strict=True)
        ]

    def concrete_values(self, sctid: int) -> list[ConcreteValue]:
        i = self._idx(sctid)
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
        for r in [*self.relationships(sctid), *self.concrete_values(sctid)]:
            groups.setdefault(r.group, []).append(r)
        return dict(sorted(groups.items()))

    # ----- refsets
    def refset_memberships(self, sctid: int) -> list[int]:
        """The refsets (other than language refsets) that have the concept as an active member."""
        i = self._idx(sctid)
        s = self.store
        key = np.int32(i)  # a Python int would make numpy convert the whole int32 array per call
        lo, hi = s.member_concept.searchsorted(key), s.member_concept.searchsorted(key, side="right")
        return sorted(set(s.member_refset_by_concept[lo:hi].tolist()))

    def refset_members(self, refset_id: int) -> np.ndarray:
        s = self.store
        lo, hi = s.member_refset.searchsorted(refset_id), s.member_refset.searchsorted(refset_id, side="right")
        return np.unique(self.ids[s.member_concept_by_refset[lo:hi]])

    def refsets(self) -> list[int]:
        return sorted(set(np.unique(self.store.member_refset).tolist()))

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self.store.db.execute(sql, params).fetchall()

    def _table(self, kind: str) -> str | None:
        table = fmt.REFSET_TABLES[kind]
        return table if table in self._tables else None

    @cached_property
    def _tables(self) -> set[str]:
        return {r[0] for r in self._query("SELECT name FROM sqlite_master WHERE type='table'")}

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
            for row in self._query(sql, args):
                if extra:
                    out.append(MapTarget(row[0], row[1], row[2] or "", row[3], row[4], row[5] or "", row[6] or "", row[7], row[8]))
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
        out: set[int] = set()
        for kind in ("ExtendedMap", "ComplexMap", "SimpleMap"):
            table = self._table(kind)
            if table:
                out.update(r[0] for r in self._query(f'SELECT DISTINCT "refsetId" FROM {table}'))
        return sorted(out)

    # ----- history
    def associations(self, sctid: int) -> list[Association]:
        """Historical associations from the concept (it is the inactive source)."""
        table = self._table("Association")
        if not table:
            return []
        rows = self._query(
            f'SELECT "refsetId", "targetComponentId" FROM {table} WHERE "referencedComponentId" = ? ORDER BY 1, 2',
            (sctid,),
        )
        return [Association(r, rf2.HISTORICAL_ASSOCIATIONS.get(r, str(r)), sctid, t) for r, t in rows]

    def associations_to(self, sctid: int) -> list[Association]:
        """Historical associations pointing at the concept (it is the target)."""
        table = self._table("Association")
        if not table:
            return []
        rows = self._query(
            f'SELECT "refsetId", "referencedComponentId" FROM {table} WHERE "targetComponentId" = ? ORDER BY 1, 2',
            (sctid,),
        )
        return [Association(r, rf2.HISTORICAL_ASSOCIATIONS.get(r, str(r)), s, sctid) for r, s in rows]

    def inactivation_reason(self, sctid: int) -> tuple[int, str] | None:
        """The concept inactivation indicator (value id and name) of an inactive concept."""
        table = self._table("AttributeValue")
        if not table:
            return None
        row = self.store.db.execute(
            f'SELECT "valueId" FROM {table} WHERE "referencedComponentId" = ? AND "refsetId" = ?',
            (sctid, rf2.CONCEPT_INACTIVATION_REFSET),
        ).fetchone()
        if not row:
            return None
        return int(row[0]), rf2.INACTIVATION_REASONS.get(int(row[0]), str(row[0]))

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
