"""Building the persisted index from a loaded release (the `snomap index` command)."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from loaders import Release, snomed

from ..errors import IndexFormatError
from . import format as fmt
from ._closure import CycleError, ancestor_closure, csr
from ._install import abandon_build, build_id, publish, start_build
from ._verify import describe_files


class _Steps:
    """A progress bar over the named build steps."""

    def __init__(self, names: list[str], progress: bool):
        self.bar = tqdm(total=len(names), desc="building index", unit="step", disable=not progress)
        self.seconds: dict[str, float] = {}
        self._name = ""
        self._started = time.perf_counter()

    def __call__(self, name: str) -> None:
        self.bar.set_postfix_str(name)
        self._name = name
        self._started = time.perf_counter()

    def done(self) -> None:
        self.seconds[self._name] = round(time.perf_counter() - self._started, 2)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def build_index(release: Release, out: str | Path, progress: bool = False, consume: bool = False) -> dict:
    """Write the index for `release` and make it the one at `out` in one atomic step (see terminology.index._install).

    A half-built index is never left behind, and a crash at any point leaves `out` naming a complete
    index. With `consume`, each table is dropped from `release` once indexed, which lowers the peak memory
    of a full-size build by the size of the tables (the CLI does this; the release is not reused).
    """
    out = Path(out)
    building = start_build(out)
    try:
        (building / fmt.ARRAYS).mkdir()
        manifest = _build(release, building, progress, consume)
        manifest["build_id"] = build_id(building)
        manifest["files"] = describe_files(building)  # sizes and checksums, checked on open and serve
        with open(building / fmt.MANIFEST, "w") as fh:
            json.dump(manifest, fh, indent=1)
        publish(building, out)
    except BaseException:
        abandon_build(building)
        raise
    return manifest


def _save(dir_: Path, name: str, array: np.ndarray) -> None:
    if name not in fmt.ARRAY_NAMES:
        raise ValueError(f"index array {name!r} is not declared in terminology.index.format.ARRAY_NAMES")
    np.save(dir_ / fmt.ARRAYS / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)


def _build(release: Release, dir_: Path, progress: bool, consume: bool = False) -> dict:
    steps = _Steps(["concepts", "hierarchy", "descriptions", "relationships", "refsets", "search"], progress)
    started = time.time()
    info = release_info(release)

    def done_with(*kinds: str) -> None:
        if consume:
            for kind in kinds:
                release.frames.pop(kind, None)

    # --- concepts
    steps("concepts")
    concepts = release.get("Concept").sort_values("id")
    ids = concepts["id"].to_numpy(np.int64)
    n = len(ids)
    active = concepts["active"].to_numpy(bool)
    _save(dir_, "concept_id", ids)
    _save(dir_, "concept_active", active)
    _save(dir_, "concept_module", concepts["moduleId"].to_numpy(np.int64))
    _save(dir_, "concept_defined", (concepts["definitionStatusId"] == snomed.FULLY_DEFINED).to_numpy(bool))
    _save(dir_, "concept_effective", concepts["effectiveTime"].to_numpy(np.int32))

    def idx(values: np.ndarray) -> np.ndarray:
        return np.searchsorted(ids, values).astype(np.int32)

    steps.done()
    # --- hierarchy
    steps("hierarchy")
    rels = release.get("Relationship")
    rels = rels[rels["active"] & (rels["characteristicTypeId"] != snomed.ADDITIONAL)]
    isa = rels[rels["typeId"] == snomed.IS_A]
    child, parent = idx(isa["sourceId"].to_numpy(np.int64)), idx(isa["destinationId"].to_numpy(np.int64))
    live = active[child] & active[parent]
    child, parent = child[live], parent[live]
    p_ptr, p_idx = csr(child, parent, n)
    c_ptr, c_idx = csr(parent, child, n)
    try:
        a_ptr, a_idx, depth = ancestor_closure(child, parent, n)
    except CycleError as exc:
        sample = ", ".join(str(ids[i]) for i in exc.nodes[:10])
        raise IndexFormatError(f"the is-a hierarchy has a cycle (concepts include {sample})") from None
    rows = np.repeat(np.arange(n, dtype=np.int32), np.diff(a_ptr))
    order = np.lexsort((rows, a_idx))
    d_idx = rows[order]
    d_ptr = np.zeros(n + 1, np.int64)
    np.add.at(d_ptr, a_idx.astype(np.int64) + 1, 1)
    d_ptr = np.cumsum(d_ptr)
    for name, arr in {
        "parents_ptr": p_ptr,
        "parents": p_idx,
        "children_ptr": c_ptr,
        "children": c_idx,
        "ancestors_ptr": a_ptr,
        "ancestors": a_idx,
        "descendants_ptr": d_ptr,
        "descendants": d_idx,
        "depth": depth.astype(np.int16),
    }.items():
        _save(dir_, name, arr)
    steps.done()
    # --- descriptions
    steps("descriptions")
    desc = pd.concat([release.get("Description"), release.get("TextDefinition")], ignore_index=True)
    desc = desc.assign(_c=idx(desc["conceptId"].to_numpy(np.int64)) if len(desc) else np.zeros(0, np.int32))
    type_code = np.full(len(desc), fmt.OTHER_TYPE, np.int8)
    type_ids = desc["typeId"].to_numpy(np.int64) if len(desc) else np.zeros(0, np.int64)
    type_code[type_ids == snomed.FSN_TYPE] = fmt.FSN
    type_code[type_ids == snomed.SYNONYM_TYPE] = fmt.SYNONYM
    type_code[type_ids == snomed.DEFINITION_TYPE] = fmt.DEFINITION
    desc = desc.assign(_t=type_code)
    desc = desc.sort_values(["_c", "_t", "id"], kind="stable").reset_index(drop=True)
    nd = len(desc)
    d_ids = desc["id"].to_numpy(np.int64)
    d_concept = desc["_c"].to_numpy(np.int32)
    languages = sorted(desc["languageCode"].unique().tolist()) if nd else []
    lang_code = pd.Categorical(desc["languageCode"], categories=languages).codes.astype(np.int8)
    case = desc["caseSignificanceId"].map(fmt.CASE_CODES).fillna(0).to_numpy(np.int8) if nd else np.zeros(0, np.int8)
    encoded = desc["term"].str.encode("utf-8") if nd else pd.Series([], dtype=object)
    lengths = encoded.str.len().to_numpy(np.int64) if nd else np.zeros(0, np.int64)  # type: ignore[misc]  # pandas-stubs type .str.len() for str Series only; these are bytes
    t_ptr = np.zeros(nd + 1, np.int64)
    t_ptr[1:] = np.cumsum(lengths)
    blob = np.frombuffer(b"".join(encoded.tolist()), dtype=np.uint8) if nd else np.zeros(0, np.uint8)  # type: ignore[arg-type]  # encoded holds bytes; the stubs cannot tell str from bytes here
    by_concept = np.zeros(n + 1, np.int64)
    np.add.at(by_concept, d_concept.astype(np.int64) + 1, 1)
    sorted_pos = np.argsort(d_ids, kind="stable").astype(np.int32)
    for name, arr in {
        "desc_id": d_ids,
        "desc_concept": d_concept,
        "desc_active": desc["active"].to_numpy(bool),
        "desc_type": type_code[desc.index.to_numpy()] if nd else type_code,
        "desc_type_id": desc["typeId"].to_numpy(np.int64),
        "desc_lang": lang_code,
        "desc_case": case,
        "desc_module": desc["moduleId"].to_numpy(np.int64),
        "desc_effective": desc["effectiveTime"].to_numpy(np.int32),
        "desc_by_concept_ptr": np.cumsum(by_concept),
        "desc_sorted_pos": sorted_pos,
        "desc_sorted_id": d_ids[sorted_pos],
        "term_ptr": t_ptr,
        "term_blob": blob,
    }.items():
        _save(dir_, name, arr)
    desc_type_sorted = desc["_t"].to_numpy(np.int8)
    _save(dir_, "desc_type", desc_type_sorted)
    # Acceptability per language refset, and preferred terms per refset.
    lang = release.get("Language")
    lang = lang[lang["active"]] if len(lang) else lang
    refsets = sorted(lang["refsetId"].unique().tolist()) if len(lang) else []
    preferred_order = [r for r in snomed.DIALECTS.values() if r in refsets] + [
        r for r in refsets if r not in snomed.DIALECTS.values()
    ]
    refsets = preferred_order
    accept = np.zeros((nd, max(len(refsets), 1)), np.int8)
    if len(lang):
        pos = np.searchsorted(d_ids[sorted_pos], lang["referencedComponentId"].to_numpy(np.int64))
        pos = sorted_pos[pos.clip(0, nd - 1)]
        col = pd.Categorical(lang["refsetId"], categories=refsets).codes
        val = np.where(
            lang["acceptabilityId"].to_numpy(np.int64) == snomed.PREFERRED, fmt.PREFERRED_CODE, fmt.ACCEPTABLE_CODE
        )
        accept[pos, col] = val
    _save(dir_, "acceptability", accept)
    d_active = desc["active"].to_numpy(bool)
    pt = np.full((max(len(refsets), 1), n), -1, np.int32)
    fsn = np.full((max(len(refsets), 1), n), -1, np.int32)
    for r in range(len(refsets)):
        for code, by_lang in ((fmt.SYNONYM, pt), (fmt.FSN, fsn)):
            hit = np.flatnonzero(d_active & (desc_type_sorted == code) & (accept[:, r] == fmt.PREFERRED_CODE))
            by_lang[r, d_concept[hit][::-1]] = hit[::-1]
    any_fsn = np.full(n, -1, np.int32)
    hit = np.flatnonzero(d_active & (desc_type_sorted == fmt.FSN))
    any_fsn[d_concept[hit][::-1]] = hit[::-1]
    any_syn = np.full(n, -1, np.int32)
    hit = np.flatnonzero(d_active & (desc_type_sorted == fmt.SYNONYM))
    any_syn[d_concept[hit][::-1]] = hit[::-1]
    _save(dir_, "pt", pt)
    _save(dir_, "fsn", fsn)
    _save(dir_, "fsn_any", any_fsn)
    _save(dir_, "pt_any", any_syn)
    done_with("Description", "TextDefinition", "Language")
    del lang
    steps.done()
    # --- defining relationships (attributes) and concrete values
    steps("relationships")
    attrs = rels[rels["typeId"] != snomed.IS_A]
    a_src = idx(attrs["sourceId"].to_numpy(np.int64))
    a_type = idx(attrs["typeId"].to_numpy(np.int64))
    a_dest = idx(attrs["destinationId"].to_numpy(np.int64))
    a_group = attrs["relationshipGroup"].to_numpy(np.int16)
    order = np.lexsort((a_dest, a_type, a_group, a_src))
    a_src, a_type, a_dest, a_group = a_src[order], a_type[order], a_dest[order], a_group[order]
    rel_ptr = np.zeros(n + 1, np.int64)
    np.add.at(rel_ptr, a_src.astype(np.int64) + 1, 1)
    for name, arr in {
        "rel_src": a_src,
        "rel_type": a_type,
        "rel_dest": a_dest,
        "rel_group": a_group,
        "rel_ptr": np.cumsum(rel_ptr),
        "rel_id": attrs["id"].to_numpy(np.int64)[order],
    }.items():
        _save(dir_, name, arr)
    cv = release.get("RelationshipConcreteValues")
    cv = cv[cv["active"]] if len(cv) else cv
    cv_src = idx(cv["sourceId"].to_numpy(np.int64)) if len(cv) else np.zeros(0, np.int32)
    order = np.argsort(cv_src, kind="stable")
    cv = cv.iloc[order] if len(cv) else cv
    values = cv["value"].astype(str).tolist() if len(cv) else []
    kinds, nums, texts = _concrete(values)
    cv_ptr = np.zeros(n + 1, np.int64)
    np.add.at(cv_ptr, cv_src[order].astype(np.int64) + 1, 1)
    enc = [t.encode() for t in texts]
    tp = np.zeros(len(enc) + 1, np.int64)
    tp[1:] = np.cumsum([len(e) for e in enc]) if enc else []
    for name, arr in {
        "cv_src": cv_src[order],
        "cv_type": idx(cv["typeId"].to_numpy(np.int64)) if len(cv) else np.zeros(0, np.int32),
        "cv_group": cv["relationshipGroup"].to_numpy(np.int16) if len(cv) else np.zeros(0, np.int16),
        "cv_kind": np.array(kinds, np.int8),
        "cv_number": np.array(nums, np.float64),
        "cv_ptr": np.cumsum(cv_ptr),
        "cv_text_ptr": tp,
        "cv_text_blob": np.frombuffer(b"".join(enc), np.uint8) if enc else np.zeros(0, np.uint8),
    }.items():
        _save(dir_, name, arr)
    done_with("Relationship", "StatedRelationship", "RelationshipConcreteValues", "Concept")
    del rels, isa, attrs, cv
    steps.done()
    # --- refsets
    steps("refsets")
    db = sqlite3.connect(dir_ / fmt.SQLITE)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    member_refset: list[np.ndarray] = []
    member_concept: list[np.ndarray] = []
    refset_tables: dict[str, str] = {}
    kinds_tables = dict(fmt.REFSET_TABLES)
    for key in release.other_refsets:
        kinds_tables[key] = "rf2_other_" + re.sub(r"[^a-z0-9]+", "_", key.lower())
    for key, table in kinds_tables.items():
        df = release.frames.get(key)
        if df is None or not len(df):
            continue
        df = df[df["active"]].drop(columns=["_line", "_file", "active"], errors="ignore")
        df.to_sql(table, db, index=False, chunksize=100_000)
        if "referencedComponentId" in df.columns:
            db.execute(f'CREATE INDEX {table}_component ON {table}("referencedComponentId")')
            db.execute(f'CREATE INDEX {table}_refset ON {table}("refsetId")')
            for refset in df["refsetId"].unique().tolist():
                refset_tables[str(int(refset))] = table
            if key not in ("OWLExpression", "ModuleDependency") and not key.startswith("MRCM"):
                comp = df["referencedComponentId"].to_numpy(np.int64)
                in_release = np.isin(comp, ids)
                member_refset.append(df["refsetId"].to_numpy(np.int64)[in_release])
                member_concept.append(idx(comp[in_release]))
        if key == "ExtendedMap" or key == "SimpleMap" or key == "ComplexMap":
            db.execute(f'CREATE INDEX {table}_target ON {table}("mapTarget")')
        if key == "Association":
            db.execute(f'CREATE INDEX {table}_target ON {table}("targetComponentId")')
    mr = np.concatenate(member_refset) if member_refset else np.zeros(0, np.int64)
    mc = np.concatenate(member_concept) if member_concept else np.zeros(0, np.int32)
    key_order = np.lexsort((mr, mc))
    _save(dir_, "member_concept", mc[key_order])
    _save(dir_, "member_refset_by_concept", mr[key_order])
    key_order = np.lexsort((mc, mr))
    _save(dir_, "member_refset", mr[key_order])
    _save(dir_, "member_concept_by_refset", mc[key_order])
    _build_ecl_arrays(dir_, release)  # ECL engine indexes (terminology/ecl/_index.py)
    done_with(*list(release.frames))
    steps.done()
    # --- full-text search over active descriptions
    steps("search")
    db.execute(
        "CREATE VIRTUAL TABLE description_fts USING fts5(term, content='', "
        "tokenize='unicode61 remove_diacritics 2', prefix='2 3 4', detail='column')"
    )
    live = np.flatnonzero(d_active & (desc_type_sorted != fmt.DEFINITION))
    all_terms = desc["term"].tolist()
    del desc
    if len(live):
        terms = np.asarray(all_terms, dtype=object)
        db.executemany(
            "INSERT INTO description_fts(rowid, term) VALUES (?, ?)",
            zip(live.tolist(), terms[live].tolist(), strict=True),
        )
    # --- word -> description postings for ECL term filters (terminology/text/postings.py)
    from ..text.postings import build_postings

    build_postings(all_terms, blob, t_ptr, lambda name, arr: _save(dir_, name, arr))
    # --- lexical search and mapping tables (terminology/text/lexicon.py; used by search and mapping)
    from ..text.lexicon import build_lexical_index

    build_lexical_index(
        db,
        lambda name, arr: _save(dir_, name, arr),
        all_terms,
        live,
        is_fsn=desc_type_sorted == fmt.FSN,
        concept_active=active[d_concept],
        desc_concept=d_concept,
    )
    # --- end of lexical tables
    db.commit()
    db.execute("PRAGMA journal_mode=DELETE")
    db.close()
    steps.done()
    steps.close()
    return {
        "format": fmt.FORMAT_NAME,
        "format_version": fmt.FORMAT_VERSION,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "build_seconds": round(time.time() - started, 2),
        "build_step_seconds": steps.seconds,
        "release": info,
        "language_refsets": [int(r) for r in refsets],
        "languages": languages,
        "refset_tables": refset_tables,
        "counts": {
            "concepts": int(n),
            "active_concepts": int(active.sum()),
            "descriptions": int(nd),
            "active_descriptions": int(d_active.sum()),
            "isa_relationships": int(len(child)),
            "attribute_relationships": int(len(a_src)),
            "concrete_values": int(len(cv_src)),
            "closure_pairs": int(len(a_idx)),
        },
        "load_report": release.report.as_dict(),
    }


# --- ECL engine indexes: relationships by (type, destination), group units, historical associations.
def _build_ecl_arrays(dir_: Path, release: Release) -> None:
    """Persist the ECL evaluator's arrays (``ecl_*.npy``) so workers map them instead of each computing them.

    Optional: an index without them still evaluates ECL (the engine then builds them in memory).
    """
    from ..ecl import build_engine_arrays as build_arrays

    def load(name: str) -> np.ndarray:
        return np.load(dir_ / fmt.ARRAYS / f"{name}.npy", mmap_mode="r", allow_pickle=False)

    for name, arr in build_arrays(load, release.frames.get("Association")).items():
        _save(dir_, name, arr)


# --- end of ECL engine indexes


_NUMBER = re.compile(r"^#-?\d+(\.\d+)?([eE][-+]?\d+)?$")


def _concrete(values: list[str]) -> tuple[list[int], list[float], list[str]]:
    """Classify RF2 concrete values: #number, "string" or a boolean."""
    kinds, nums, texts = [], [], []
    for v in values:
        if _NUMBER.match(v):
            kinds.append(fmt.CV_DECIMAL if "." in v or "e" in v.lower() else fmt.CV_INTEGER)
            nums.append(float(v[1:]))
            texts.append(v[1:])
        elif v.startswith('"') and v.endswith('"') and len(v) >= 2:
            kinds.append(fmt.CV_STRING)
            nums.append(float("nan"))
            texts.append(v[1:-1])
        else:
            kinds.append(fmt.CV_BOOLEAN)
            nums.append(1.0 if v.lower() == "true" else 0.0)
            texts.append(v.lower())
    return kinds, nums, texts


def edition_module(concepts: pd.DataFrame, dependencies: list[dict], modules: dict[str, int]) -> str:
    """The edition's module: the top of the dependency graph among the modules that own concepts.

    Only concept-owning modules count because an edition also ships modules that hold
    nothing but refset members and depend on the edition module (the International
    Edition's 449080006 ICD-10 map module, a national edition's map modules); the top of
    the whole graph would be one of those.
    """
    counts = concepts["moduleId"].value_counts() if len(concepts) else pd.Series(dtype="int64")
    owners = {str(int(m)): int(n) for m, n in counts.items()}  # type: ignore[call-overload]  # index labels are ids; the stubs type them Hashable
    if not owners:
        return str(snomed.CORE_MODULE)
    needs: dict[str, set[str]] = {}
    for d in dependencies:
        if d["module"] != d["depends_on"]:
            needs.setdefault(d["module"], set()).add(d["depends_on"])
    depended = {dep for m, deps in needs.items() if m in owners for dep in deps}
    tops = [m for m in owners if m not in depended] or list(owners)

    def reach(m: str) -> int:
        return len(_depends_on(needs, m))

    chosen = max(tops, key=lambda m: (reach(m), owners[m], modules.get(m, 0), m))
    # A published edition's module may own no concepts itself (it gathers the extension's
    # modules): when one depends, directly or not, on the module chosen above, it is the edition.
    above = [m for m in needs if int(m) in snomed.EDITION_MODULES and m != chosen and chosen in _depends_on(needs, m)]
    return max(above, key=lambda m: (reach(m), m)) if above else chosen


def _depends_on(needs: dict[str, set[str]], module: str) -> set[str]:
    """The module and every module it depends on, directly or not."""
    seen, todo = {module}, [module]
    while todo:
        for dep in needs.get(todo.pop(), ()):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


def release_info(release: Release) -> dict:
    """Edition, modules and versions, from the ModuleDependency refset and the files' effective times."""
    concepts = release.get("Concept")
    md = release.get("ModuleDependency")
    modules: dict[str, int] = {}
    for df in release.frames.values():
        if "moduleId" in df.columns and len(df):
            g = df.groupby("moduleId")["effectiveTime"].max()
            for m, t in g.items():
                modules[str(int(m))] = max(modules.get(str(int(m)), 0), int(t))  # type: ignore[call-overload]  # labels are module ids; stubs say Hashable
    dependencies = []
    if len(md):
        md = md[md["active"]]
        for row in md.itertuples(index=False):
            dependencies.append(
                {
                    "module": str(int(row.moduleId)),  # type: ignore[arg-type]  # itertuples cells are typed as any scalar; these are ids
                    "depends_on": str(int(row.referencedComponentId)),  # type: ignore[arg-type]  # itertuples cells are typed as any scalar; these are ids
                    "source_effective_time": str(row.sourceEffectiveTime),
                    "target_effective_time": str(row.targetEffectiveTime),
                }
            )
            modules[str(int(row.moduleId))] = max(modules.get(str(int(row.moduleId)), 0), int(row.sourceEffectiveTime))  # type: ignore[arg-type]  # itertuples cells are typed as any scalar; these are ids and dates
    edition = edition_module(concepts, dependencies, modules)
    version = str(max(modules.values())) if modules else "00000000"
    if edition in modules:
        version = str(modules[edition])
    return {
        "edition_module": edition,
        "version": version,
        "uri": f"http://snomed.info/sct/{edition}/version/{version}",
        "modules": {k: str(v) for k, v in sorted(modules.items())},
        "dependencies": dependencies,
        "sources": release.sources,
    }
