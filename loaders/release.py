"""Loading a whole release: Snapshot, Full as at a date, Deltas over it, several packages at once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from ._discover import ReleaseFile, discover
from ._read import read_rf2
from .errors import ReleaseError
from .rf2_format import KINDS, ReleaseType
from .sctid import ComponentKind, partition_array


@dataclass
class LoadReport:
    """What a load read, kept and skipped (lenient mode skips rows pointing at unknown components)."""

    files: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    skipped_examples: dict[str, str] = field(default_factory=dict)
    # Refset members kept although a value column (a target, a value) names a component the release lacks.
    unknown_targets: dict[str, int] = field(default_factory=dict)
    unknown_target_examples: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "files": list(self.files),
            "rows": dict(self.rows),
            "skipped": dict(self.skipped),
            "skipped_examples": dict(self.skipped_examples),
            "unknown_targets": dict(self.unknown_targets),
            "unknown_target_examples": dict(self.unknown_target_examples),
        }


@dataclass
class Release:
    """The tables of a loaded release, one DataFrame per RF2 file kind (all packages merged)."""

    frames: dict[str, pd.DataFrame]
    report: LoadReport
    sources: list[str]

    def get(self, kind: str) -> pd.DataFrame:
        """The table of `kind` (e.g. "Concept", "Language"); an empty, correctly-shaped one when absent."""
        if kind in self.frames:
            return self.frames[kind]
        columns = KINDS[kind].columns if kind in KINDS else ()
        return pd.DataFrame({c: pd.Series(dtype=object) for c in (*columns, "_line", "_file")})

    @property
    def other_refsets(self) -> dict[str, pd.DataFrame]:
        """Refsets of patterns snomap has no dedicated kind for, keyed by their content name."""
        return {k: v for k, v in self.frames.items() if k not in KINDS}


def load_release(
    sources: str | Path | Sequence[str | Path],
    release_type: ReleaseType = "Snapshot",
    as_at: int | None = None,
    deltas: Iterable[str | Path] = (),
    strict: bool = False,
    progress: bool = False,
) -> Release:
    """Load one or more packages (an edition plus extensions) into one snapshot.

    `release_type` picks the files read from each source; a Full release is reduced to the
    latest row per id with effectiveTime <= `as_at`; each of `deltas` (Delta files) is then
    applied over the result. Rows of several packages with the same id keep the latest.
    """
    if isinstance(sources, str | Path):
        sources = [sources]
    chosen: list[tuple[int, ReleaseFile]] = []
    for order, source in enumerate(sources):
        files = discover(source)
        picked = [f for f in files if f.name.release == release_type]
        if not picked:
            kinds = sorted({f.name.release for f in files})
            raise ReleaseError(f"no {release_type} files (found {', '.join(kinds)})", str(source))
        chosen.extend((order, f) for f in picked)
    base = len(chosen)
    for order, source in enumerate(deltas, start=len(sources)):
        picked = [f for f in discover(source) if f.name.release == "Delta"]
        if not picked:
            raise ReleaseError("no Delta files", str(source))
        chosen.extend((order, f) for f in picked)

    report = LoadReport()
    parts: dict[str, list[pd.DataFrame]] = {}
    bar = tqdm(chosen, desc="reading RF2", unit="file", disable=not progress)
    for i, (order, f) in enumerate(bar):
        bar.set_postfix_str(f.member.rsplit("/", 1)[-1][:40])
        df = read_rf2(f)
        df["_file"] = pd.Categorical.from_codes(np.zeros(len(df), np.int8), categories=pd.Index([f.display]))
        df["_order"] = np.int16(order)
        df["_delta"] = i >= base
        key = f.name.kind.name if f.name.kind else f"{f.name.content}"
        parts.setdefault(key, []).append(df)
        report.files.append(f.display)

    multi = len(sources) > 1 or base < len(chosen) or release_type == "Full"
    frames: dict[str, pd.DataFrame] = {}
    for key, dfs in parts.items():
        df = pd.concat(dfs, ignore_index=True) if len(dfs) > 1 else dfs[0]
        if "_file" in df and not isinstance(df["_file"].dtype, pd.CategoricalDtype):
            df["_file"] = df["_file"].astype("category")
        if release_type == "Full" and as_at is not None:
            df = df[(df["effectiveTime"] <= as_at) | df["_delta"]]
        if multi:
            df = df.sort_values(["id", "effectiveTime", "_order"], kind="stable").drop_duplicates("id", keep="last")
        else:
            dup = df["id"].duplicated().to_numpy()
            if dup.any():
                row = int(np.flatnonzero(dup)[0])
                raise ReleaseError(
                    f"duplicate id {df['id'].iloc[row]} in a Snapshot",
                    str(df["_file"].iloc[row]),
                    int(df["_line"].iloc[row]),
                    "id",
                )
        frames[key] = df.drop(columns=["_order", "_delta"]).reset_index(drop=True)
        report.rows[key] = len(frames[key])

    _check_references(frames, strict, report)
    return Release(frames, report, [str(s) for s in sources] + [str(d) for d in deltas])


# Metadata refsets describe modules and rules, not content: their rows may name concepts of other editions.
_METADATA_KINDS = {
    "ModuleDependency",
    "MRCMDomain",
    "MRCMAttributeDomain",
    "MRCMAttributeRange",
    "MRCMModuleScope",
    "DescriptionType",
    "RefsetDescriptor",
}


def _check_references(frames: dict[str, pd.DataFrame], strict: bool, report: LoadReport) -> None:
    """Rows that point at components the release does not have: an error, or skipped and counted.

    A refset member is a member because of its referenced component: only a missing referenced
    component (or refset) skips it. A value column naming a missing component (an association's
    target, an attribute value) is kept as data, and counted and named in the report; ``strict``
    still refuses it, since strict means every reference resolves.
    """
    concept = frames.get("Concept")
    if concept is None:
        raise ReleaseError("the release has no Concept file")
    if len(concept) == 0:
        raise ReleaseError("the release has no concepts (with --as-at: none as at that date)")
    concepts = np.sort(concept["id"].to_numpy())
    desc_ids = [frames[k]["id"].to_numpy() for k in ("Description", "TextDefinition") if k in frames]
    descriptions = np.sort(np.concatenate(desc_ids)) if desc_ids else np.zeros(0, np.int64)

    def member(values: np.ndarray, pool: np.ndarray) -> np.ndarray:
        # A hash lookup: binary search over millions of random probes is cache-bound and slower.
        return pd.Series(values).isin(pool).to_numpy()

    for key, df in list(frames.items()):
        if key == "Concept" or key in _METADATA_KINDS or len(df) == 0:
            continue
        kind = KINDS.get(key)
        checks: list[tuple[str, np.ndarray]] = []
        columns = list(kind.concept_columns) if kind else []
        if "refsetId" in df.columns and "refsetId" not in columns:
            columns.append("refsetId")
        for column in columns:
            if column in ("referencedComponentId", "targetComponentId"):
                continue
            checks.append((column, member(df[column].to_numpy(), concepts)))
        for column in ("referencedComponentId", "targetComponentId"):
            if column not in df.columns or df[column].dtype != np.int64:
                continue
            values = df[column].to_numpy()
            if key == "Language":
                checks.append((column, member(values, descriptions)))
                continue
            parts = partition_array(values) % 10
            ok = np.ones(len(values), bool)
            is_concept = parts == 0
            is_desc = parts == 1
            ok[is_concept] = member(values[is_concept], concepts)
            ok[is_desc] = member(values[is_desc], descriptions)
            checks.append((column, ok))
        keep = np.ones(len(df), bool)
        is_refset = "refsetId" in df.columns
        for column, ok in checks:
            bad = ~ok & keep
            if not bad.any():
                continue
            row = int(np.flatnonzero(bad)[0])
            if is_refset and column not in ("referencedComponentId", "refsetId") and not strict:
                label = f"{key}.{column}"
                report.unknown_targets[label] = report.unknown_targets.get(label, 0) + int(bad.sum())
                report.unknown_target_examples.setdefault(
                    label,
                    f"{df['_file'].iloc[row]}:{int(df['_line'].iloc[row])} ({column} {int(df[column].iloc[row])}: unknown target)",
                )
                continue
            what = "description" if key == "Language" else "component"
            if column in ("sourceId", "destinationId", "typeId", "conceptId", "refsetId", "valueId"):
                what = "concept"
            where = f"{df['_file'].iloc[row]}:{int(df['_line'].iloc[row])}"
            if strict:
                raise ReleaseError(
                    f"{column} {int(df[column].iloc[row])} is not a {what} in the release",
                    str(df["_file"].iloc[row]),
                    int(df["_line"].iloc[row]),
                    column,
                )
            label = f"{key}.{column}: unknown {what}"
            report.skipped[label] = report.skipped.get(label, 0) + int(bad.sum())
            report.skipped_examples.setdefault(label, where)
            keep &= ok
        if not keep.all():
            frames[key] = df[keep].reset_index(drop=True)
            report.rows[key] = len(frames[key])


__all__ = ["ComponentKind", "LoadReport", "Release", "load_release"]
