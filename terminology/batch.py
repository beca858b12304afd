"""Bulk mapping: a column of texts and codes onto concepts, each distinct value once (pandas, Dask, Spark).

One item is a free text (the mapping engine, `map_phrase`), a code (SCTID, description id, inactive id,
through `resolve_code`), a post-coordinated expression (its closest precoordinated ancestors), a
``{system, code}`` pair (SNOMED CT, or ICD-10 / ICD-10-CM through the map refsets), or a FHIR
Condition (read by its codings, as a CDS client reads it). Every item gets its own result and its
own error, so one bad row never fails a batch.

`map_frame` is the building block: the CLI's worker processes and `map_dask`'s partitions run it
over their share of the rows. Workers open the index by path (`open_index`, cached per process)
and never receive a pickled Terminology: the index is memory-mapped, so every process on a node
shares its pages.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import threading
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

# The terminology functions one item goes through (one import line per module).
from .errors import TerminologyError
from .linking import guidelines_for_concept, resolve_code
from .linking.resolution import SNOMED_SYSTEMS
from .mapping import EngineResult, expression_ancestors, map_phrase
from .maps import canonical_system
from .terminology import Terminology

if TYPE_CHECKING:
    import dask.dataframe as dd

FLAGS = ("negated", "hypothetical", "historical", "family", "uncertain")  # context flags, once mapping reports them
BASE_COLUMNS = ("conceptId", "pt", "score", "matched", "how")
PUBLISHED = frozenset({"published"})
# Friendly names for the systems `resolve_code` reads (FHIR URIs and their short forms are accepted as they are).
SYSTEM_ALIASES = {
    "icd-10-cm": "http://hl7.org/fhir/sid/icd-10-cm",
    "icd10cm": "http://hl7.org/fhir/sid/icd-10-cm",
    "icd-10-uk": "http://hl7.org/fhir/sid/icd-10-uk",
    "snomed ct": "http://snomed.info/sct",
}
_DIGITS = re.compile(r"\d+")
_EXPRESSION = re.compile(r"\s*(?:===|<<<)?\s*\d{6,18}\s*(?:\||[:+{=])")


class InvalidItemError(TerminologyError):
    """An item that is neither a text, a code, an expression, a {system, code} pair nor a FHIR Condition."""

    status = 400

    def __init__(self, detail: str, field: str | None = None):
        self.field = field
        super().__init__(detail)


@dataclass(frozen=True)
class ItemMapping:
    """What one item stands for: active concepts (best first) and how they were reached, or its error."""

    concepts: tuple[int, ...] = ()
    score: float | None = None
    matched: bool = False
    how: str | None = None
    matched_term: str | None = None
    flags: dict[str, bool] | None = None  # the mapper's context flags, when it reports them
    error: Exception | None = None

    @property
    def concept_id(self) -> int | None:
        return self.concepts[0] if self.concepts else None


# ----- one item


def reports_context() -> bool:
    """Does the mapping engine report context flags (negated, hypothetical, ...)? Then batches carry them."""
    return any(f.name in ("context", "flags") for f in dataclasses.fields(EngineResult))


def classify(value: str) -> str:
    """'code' (an SCTID), 'expression' (compositional grammar) or 'text'."""
    s = value.strip()
    if _DIGITS.fullmatch(s):
        return "code"
    if _EXPRESSION.match(s):
        return "expression"
    return "text"


def as_text(value: Any) -> str:
    """A cell or JSON value as the string to map; InvalidItemError for what is no text or code."""
    if _missing(value):
        raise InvalidItemError("the value is empty (null)")
    if isinstance(value, bool):
        raise InvalidItemError(
            f"an item is a text, a code, {{system, code}} or a FHIR Condition, not {_json_name(value)}"
        )
    if isinstance(value, str):
        text = value
    elif isinstance(value, int) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iu"):
        text = str(int(value))
    elif isinstance(value, float):
        if not value.is_integer():
            raise InvalidItemError(f"{value!r} is neither a text nor a code")
        text = str(int(value))
    else:
        raise InvalidItemError(
            f"an item is a text, a code, {{system, code}} or a FHIR Condition, not {_json_name(value)}"
        )
    if not text.strip():
        raise InvalidItemError("the value is empty")
    if len(text) > 1000:
        raise InvalidItemError("a text is at most 1,000 characters")
    return text


def _missing(value: Any) -> bool:
    """None, NaN or pandas' NA (what an empty cell reads as, by reader and dtype)."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _json_name(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", list: "an array", dict: "an object", float: "a number"}.get(
        type(value), type(value).__name__
    )


def map_item(t: Terminology, value: Any, system: str | None = None, lang: str | None = None) -> ItemMapping:
    """Map one text or code (with its system, if any); errors are returned, never raised."""
    try:
        text = as_text(value)
        if _missing(system):
            system = None
        if system is not None and not isinstance(system, str):
            raise InvalidItemError("system must be a string URI")
        system = (system or "").strip() or None
        return _map_value(t, text, system, lang)
    except (TerminologyError, ValueError) as exc:
        return ItemMapping(error=exc if isinstance(exc, TerminologyError) else InvalidItemError(str(exc)))


def _map_value(t: Terminology, text: str, system: str | None, lang: str | None) -> ItemMapping:
    if system is not None or classify(text) != "text":
        return resolve_value(t, text, system)
    result = map_phrase(t, text, limit=1, lang=lang)
    best = result.candidates[0] if result.candidates else None
    flags = _flags(result)
    if best is None or not result.matched:
        return ItemMapping((), best.score if best else 0.0, False, "text", None, flags)
    return ItemMapping((best.concept_id,), best.score, True, "text", best.matched_term, flags)


def resolve_value(t: Terminology, code: str, system: str | None = None) -> ItemMapping:
    """The active concepts a code stands for: an SCTID, description id or inactive id, an expression, or
    a code of `system` (SNOMED CT, or ICD-10 / ICD-10-CM through the map refsets). Raises its error."""
    code = code.strip()
    if system is not None:
        system = SYSTEM_ALIASES.get(system.lower(), system)
        if system.lower() not in SNOMED_SYSTEMS:
            return _resolved(t, code, system)
    if classify(code) == "expression":
        anc = expression_ancestors(t, code)
        how = "expression (closest precoordinated ancestors)" if anc.refined else "expression"
        return ItemMapping(tuple(anc.closest), 1.0, True, how)
    return _resolved(t, code, None)


def _resolved(t: Terminology, code: str, system: str | None) -> ItemMapping:
    res = resolve_code(t, code, system)
    if res.error is not None:
        raise res.error
    return ItemMapping(tuple(res.concepts), 1.0, True, res.how)


def _flags(result: EngineResult) -> dict[str, bool] | None:
    context = getattr(result, "context", None) or getattr(result, "flags", None)
    if context is None:
        return None
    get = context.get if isinstance(context, dict) else lambda k, d=None: getattr(context, k, d)
    return {f: bool(get(f, False)) for f in FLAGS if get(f, None) is not None}


# ----- FHIR Conditions


_SNOMED_URI = "http://snomed.info/sct"


def condition_codings(resource: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(value, system) pairs to try for a FHIR Condition, in a CDS client's order.

    SNOMED CT codings first, then codings of the systems the release maps (ICD-10, ICD-10-CM),
    then ``code.text``; codings of other systems are not readable here and are passed over.
    """
    code = resource.get("code")
    if not isinstance(code, dict):
        raise InvalidItemError("a Condition needs a code (CodeableConcept)")
    codings = [c for c in code.get("coding") or [] if isinstance(c, dict) and isinstance(c.get("code"), str)]
    snomed: list[tuple[str, str | None]] = [
        (c["code"], _SNOMED_URI) for c in codings if str(c.get("system", "")).lower() in SNOMED_SYSTEMS
    ]
    mapped: list[tuple[str, str | None]] = [
        (c["code"], c["system"]) for c in codings if canonical_system(str(c.get("system", ""))) is not None
    ]
    text = code.get("text")
    texts: list[tuple[str, str | None]] = [(text, None)] if isinstance(text, str) and text.strip() else []
    if not snomed and not mapped and not texts:
        raise InvalidItemError("the Condition has no SNOMED CT or ICD-10 coding and no code.text")
    return snomed + mapped + texts


def map_condition(t: Terminology, resource: dict[str, Any], lang: str | None = None) -> ItemMapping:
    """The first coding of a FHIR Condition that resolves (see `condition_codings`), else the first error."""
    try:
        tries = condition_codings(resource)
    except InvalidItemError as exc:
        return ItemMapping(error=exc)
    fallback: ItemMapping | None = None
    for value, system in tries:
        found = map_item(t, value, system, lang)
        if found.error is None and found.concepts:
            label = (
                "code.text" if system is None else ("SNOMED CT coding" if system == _SNOMED_URI else f"{system} coding")
            )
            return dataclasses.replace(found, how=f"{label}: {found.how}")
        if fallback is None or (fallback.error is not None and found.error is None):
            fallback = found
    assert fallback is not None
    return fallback


def map_json_item(t: Terminology, item: Any, lang: str | None = None) -> ItemMapping:
    """One item of an API batch: a text or code, {system, code}, or a FHIR Condition resource."""
    if isinstance(item, dict):
        if item.get("resourceType") == "Condition":
            return map_condition(t, item, lang)
        if "resourceType" in item:
            return ItemMapping(error=InvalidItemError(f"a {item['resourceType']!r} resource is not a Condition"))
        code, system = item.get("code"), item.get("system")
        if not isinstance(code, str | int) or isinstance(code, bool):
            return ItemMapping(
                error=InvalidItemError("an object item is {system, code} with a string code, or a FHIR Condition")
            )
        if system is not None and not isinstance(system, str):
            return ItemMapping(error=InvalidItemError("system must be a string URI"))
        unknown = set(item) - {"code", "system", "display"}
        if unknown:
            return ItemMapping(
                error=InvalidItemError(f"unknown field(s) {', '.join(sorted(unknown))} in {{system, code}}")
            )
        return map_item(t, str(code), system, lang)
    return map_item(t, item, None, lang)


# ----- guidelines


def guideline_links(
    t: Terminology,
    repo: Any,
    concepts: Iterable[int],
    statuses: Collection[str] | None = PUBLISHED,
    lang: str | None = None,
) -> list[Any]:
    """The guidelines that apply to any of the concepts, each once (its closest link), most specific first."""
    best: dict[str, Any] = {}
    for c in concepts:
        for link in guidelines_for_concept(t, repo, c, lang, statuses=statuses).links:
            current = best.get(link.guideline.id)
            if current is None or link.distance < current.distance:
                best[link.guideline.id] = link
    return sorted(best.values(), key=lambda link: (link.distance, link.guideline.title.casefold(), link.guideline.id))


# ----- frames


def output_columns() -> list[str]:
    """The columns map_frame adds, in order (context flags only when the mapper reports them)."""
    flags = list(FLAGS) if reports_context() else []
    return [*BASE_COLUMNS, *flags, "guidelines", "error"]


def empty_output() -> pd.DataFrame:
    dtypes: dict[str, Any] = {"conceptId": object, "pt": object, "score": "float64", "matched": "bool", "how": object}
    dtypes.update(dict.fromkeys(FLAGS, "boolean"))
    dtypes.update({"guidelines": object, "error": object})
    return pd.DataFrame({c: pd.Series(dtype=dtypes[c]) for c in output_columns()})


def map_frame(
    df: pd.DataFrame,
    column: str,
    system_column: str | None = None,
    *,
    terminology: Terminology,
    guidelines: Any = None,
    lang: str | None = None,
    statuses: Collection[str] | None = PUBLISHED,
) -> pd.DataFrame:
    """`df` with the mapping of `column` added: one output row per input row, in the same order.

    Each distinct (value, system) is mapped once. Added columns: conceptId (string SCTID, None when
    nothing matched), pt, score, matched, how, the context flags when the mapper reports them,
    guidelines (the ids of the guidelines of `statuses` that apply, ';'-separated, most specific
    first; left empty without a `guidelines` repository) and error (None, or why the row failed).
    """
    taken = [c for c in output_columns() if c in df.columns]
    if taken:
        raise ValueError(f"the frame already has column(s) {', '.join(taken)}; rename them before mapping")
    if column not in df.columns or (system_column is not None and system_column not in df.columns):
        missing = column if column not in df.columns else system_column
        raise KeyError(f"no column {missing!r} (columns: {', '.join(map(str, df.columns))})")
    values = df[column]
    systems = df[system_column] if system_column is not None else None
    codes, first = distinct_rows(values.tolist(), None if systems is None else systems.tolist())
    out = map_distinct(
        t=terminology,
        values=[values.iat[i] for i in first],
        systems=[None if systems is None else systems.iat[i] for i in first],
        repo=guidelines,
        lang=lang,
        statuses=statuses,
    )
    expanded = out.iloc[codes]
    expanded.index = df.index
    return pd.concat([df, expanded], axis=1)


def distinct_rows(values: list[Any], systems: list[Any] | None) -> tuple[np.ndarray, list[int]]:
    """Per row the number of its distinct (value, system) pair, and the first row holding each pair."""
    seen: dict[tuple[Any, Any], int] = {}
    first: list[int] = []
    codes = np.empty(len(values), np.int64)
    skeys = [cell_key(s) for s in systems] if systems is not None else [None] * len(values)
    for i, key in enumerate(zip(map(cell_key, values), skeys, strict=True)):
        code = seen.get(key)
        if code is None:
            code = seen[key] = len(first)
            first.append(i)
        codes[i] = code
    return codes, first


def cell_key(value: Any) -> Any:
    """The dedupe key of a cell: missing values are one key, numbers and their digits another."""
    if _missing(value):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else repr(value)
    return value if isinstance(value, str) else repr(value)


def map_distinct(
    t: Terminology,
    values: list[Any],
    systems: list[Any],
    repo: Any = None,
    lang: str | None = None,
    statuses: Collection[str] | None = PUBLISHED,
) -> pd.DataFrame:
    """The output columns for each (value, system), one row each, in order (no dedupe here)."""
    cols = output_columns()
    flags = [f for f in FLAGS if f in cols]
    rows: list[dict[str, Any]] = []
    gl_cache: dict[tuple[int, ...], str] = {}
    results = [map_item(t, v, s, lang) for v, s in zip(values, systems, strict=True)]
    wanted = {r.concept_id for r in results if r.concept_id is not None}
    terms = t.preferred_terms(sorted(wanted), lang) if wanted else {}
    for r in results:
        cid = r.concept_id
        gids: str | None = ""
        if r.concepts and repo is not None:
            gids = gl_cache.get(r.concepts)
            if gids is None:
                gids = gl_cache[r.concepts] = ";".join(
                    link.guideline.id for link in guideline_links(t, repo, r.concepts, statuses, lang)
                )
        row: dict[str, Any] = {
            "conceptId": None if cid is None else str(cid),
            "pt": None if cid is None else terms.get(cid),
            "score": float("nan") if r.score is None else round(float(r.score), 4),
            "matched": r.matched,
            "how": r.how,
        }
        for f in flags:
            row[f] = None if r.flags is None else r.flags.get(f)
        row["guidelines"] = gids
        row["error"] = None if r.error is None else str(r.error)
        rows.append(row)
    if not rows:
        return empty_output()
    out = pd.DataFrame(rows, columns=cols)
    for c in ("conceptId", "pt", "how", "error"):
        out[c] = out[c].astype(object).where(out[c].notna(), None)
    for f in flags:
        out[f] = out[f].astype("boolean")
    return out


# ----- opening the index in worker processes


_OPEN: dict[tuple[str, ...], Any] = {}
_OPEN_LOCK = threading.Lock()


def open_index(path: str | Path) -> Terminology:
    """The Terminology of an index directory, opened once per process and reused by every task in it.

    A module-level cache keyed by the index's path (and its manifest's modification time, so an index
    rebuilt in place is reopened) rather than a Dask worker plugin: the same function serves the
    CLI's forked workers, Dask workers and Spark's Python workers, and needs no scheduler. The index
    files are immutable and memory-mapped, so every process on a node shares their pages.
    """
    return _cached(("index", str(path)), lambda: Terminology.open(path), Path(path) / "manifest.json")


def open_guidelines(spec: str | Path | None, statuses: Collection[str] | None = PUBLISHED) -> Any:
    """The guidelines of `statuses` from a Markdown directory, else the authoring store (a URL, None: the default).

    Read once per process into memory: a batch then sees one consistent set of guidelines, and a
    worker never holds a database connection (nor shares one across a fork).
    """
    from .linking import FileGuidelineRepository, InMemoryGuidelineRepository

    def snapshot() -> Any:
        if spec is not None and Path(spec).is_dir():
            repo: Any = FileGuidelineRepository(spec)
        else:
            from .authoring import open_repository

            repo = open_repository(None if spec is None else str(spec))
        return InMemoryGuidelineRepository(g for g in repo.list() if statuses is None or g.status in statuses)

    key = ("guidelines", f"{spec}|{sorted(statuses) if statuses is not None else '*'}")
    return _cached(key, snapshot, Path(spec) if spec is not None and Path(spec).is_dir() else None)


def _cached(key: tuple[str, ...], make: Any, stamp_file: Path | None) -> Any:
    try:
        stamp = str(stamp_file.stat().st_mtime_ns) if stamp_file is not None else ""
    except OSError:
        stamp = ""
    key = (*key, str(os.getpid()))  # a forked child opens its own (SQLite handles must not cross a fork)
    with _OPEN_LOCK:
        entry = _OPEN.get(key)
        if entry is None or entry[0] != stamp:
            entry = _OPEN[key] = (stamp, make())
        return entry[1]


def map_partition(
    df: pd.DataFrame,
    column: str,
    system_column: str | None,
    index_path: str,
    guidelines: str | None = None,
    lang: str | None = None,
    statuses: Collection[str] | None = PUBLISHED,
) -> pd.DataFrame:
    """map_frame over one partition, with the index (and guidelines) opened by path in this process.

    Only these small arguments travel to a worker; usable as a Dask `map_partitions` function or a
    Spark `mapInPandas` function (see the README).
    """
    repo = open_guidelines(guidelines, statuses) if guidelines is not None else None
    return map_frame(
        df, column, system_column, terminology=open_index(index_path), guidelines=repo, lang=lang, statuses=statuses
    )


def map_dask(
    ddf: dd.DataFrame,
    column: str,
    system_column: str | None = None,
    *,
    index_path: str | Path,
    guidelines: str | Path | None = None,
    lang: str | None = None,
    statuses: Collection[str] | None = PUBLISHED,
) -> dd.DataFrame:
    """map_frame per partition of a Dask DataFrame (lazy; compute it on a distributed cluster).

    Each worker process opens `index_path` (the same immutable index copied to every node) once,
    memory-mapped, through `open_index`; tasks carry only the path. Rows keep their partition and order.
    """
    meta = pd.concat([ddf._meta, empty_output()], axis=1)
    return ddf.map_partitions(  # type: ignore[no-untyped-call]  # dask ships no annotations for map_partitions
        map_partition,
        column,
        system_column,
        str(index_path),
        None if guidelines is None else str(guidelines),
        lang,
        None if statuses is None else sorted(statuses),
        meta=meta,
        align_dataframes=False,
    )


# ----- files


FORMATS = ("csv", "tsv", "jsonl", "parquet")


def file_format(path: str | Path, given: str | None = None) -> str:
    """The table format of a file: as given, else by extension (.csv, .tsv/.tab, .jsonl/.ndjson, .parquet/.pq)."""
    if given:
        if given not in FORMATS:
            raise ValueError(f"unknown format {given!r} (one of {', '.join(FORMATS)})")
        return given
    suffixes = [s.lower() for s in Path(path).suffixes]
    for s in reversed(suffixes):
        fmt = {
            ".csv": "csv",
            ".tsv": "tsv",
            ".tab": "tsv",
            ".jsonl": "jsonl",
            ".ndjson": "jsonl",
            ".parquet": "parquet",
            ".pq": "parquet",
        }.get(s)
        if fmt:
            return fmt
    raise ValueError(f"cannot tell the format of {path} from its extension; pass --format ({', '.join(FORMATS)})")


def read_table(path: str | Path, fmt: str | None = None) -> pd.DataFrame:
    """A table as written: CSV/TSV cells as strings (ids keep every digit), JSON values as typed."""
    fmt = file_format(path, fmt)
    if fmt in ("csv", "tsv"):
        return pd.read_csv(path, sep="," if fmt == "csv" else "\t", dtype=str, keep_default_na=False, na_filter=False)
    if fmt == "jsonl":
        return pd.read_json(path, lines=True, dtype=False, orient="records")
    return pd.read_parquet(path)


def write_table(df: pd.DataFrame, path: str | Path, fmt: str | None = None) -> None:
    """Write a table in one of FORMATS (missing values as empty cells in CSV/TSV, null in JSON)."""
    fmt = file_format(path, fmt)
    if fmt in ("csv", "tsv"):
        df.to_csv(path, sep="," if fmt == "csv" else "\t", index=False)
    elif fmt == "jsonl":
        df.to_json(path, orient="records", lines=True, force_ascii=False)
    else:
        df.to_parquet(path, index=False)
