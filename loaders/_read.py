"""Reading one RF2 file into a typed, validated DataFrame, vectorised (no Python loop per row)."""

from __future__ import annotations

import csv
import re

import numpy as np
import pandas as pd

from ._discover import ReleaseFile
from .errors import ReleaseError
from .rf2_format import REFSET_COMMON, FileKind
from .sctid import PARTITIONS, ComponentKind, partition_array, sctid_problem, verhoeff_ok_array

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_SCTID = r"[1-9][0-9]{5,17}"
_PARSER_LINE = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")

# Columns holding SCTIDs, by the component kind their partition must name (None: any kind).
_SCTID_COLUMNS: dict[str, ComponentKind | None] = {
    "moduleId": ComponentKind.CONCEPT,
    "definitionStatusId": ComponentKind.CONCEPT,
    "conceptId": ComponentKind.CONCEPT,
    "typeId": ComponentKind.CONCEPT,
    "caseSignificanceId": ComponentKind.CONCEPT,
    "sourceId": ComponentKind.CONCEPT,
    "destinationId": ComponentKind.CONCEPT,
    "characteristicTypeId": ComponentKind.CONCEPT,
    "modifierId": ComponentKind.CONCEPT,
    "refsetId": ComponentKind.CONCEPT,
    "referencedComponentId": None,
    "acceptabilityId": ComponentKind.CONCEPT,
    "valueId": ComponentKind.CONCEPT,
    "targetComponentId": None,
    "correlationId": ComponentKind.CONCEPT,
    "mapCategoryId": ComponentKind.CONCEPT,
    "domainId": ComponentKind.CONCEPT,
    "ruleStrengthId": ComponentKind.CONCEPT,
    "contentTypeId": ComponentKind.CONCEPT,
    "mrcmRuleRefsetId": ComponentKind.CONCEPT,
    "descriptionFormat": ComponentKind.CONCEPT,
    "attributeDescription": ComponentKind.CONCEPT,
    "attributeType": ComponentKind.CONCEPT,
}
_INT_COLUMNS = {
    "relationshipGroup",
    "mapGroup",
    "mapPriority",
    "grouped",
    "descriptionLength",
    "attributeOrder",
}
_PARTITION_CODES = {k: [int(p) for p, v in PARTITIONS.items() if v is k] for k in ComponentKind}


def expected_columns(file: ReleaseFile, header: list[str]) -> tuple[str, ...]:
    """The header a file must have: exact for known kinds, the refset pattern for other refsets."""
    kind = file.name.kind
    if kind is not None:
        return kind.columns
    pattern = file.name.pattern
    extra = header[len(REFSET_COMMON) :]
    if len(extra) != len(pattern):
        raise ReleaseError(
            f"a {pattern or 'simple'} refset needs {len(REFSET_COMMON) + len(pattern)} columns, the header has {len(header)}",
            file.display,
            1,
        )
    return (*REFSET_COMMON, *extra)


def read_rf2(file: ReleaseFile) -> pd.DataFrame:
    """Read and validate one RF2 file; raise ReleaseError naming file, line and problem."""
    with file.open() as fh:
        raw = fh.read()
    text_start = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    first_nl = raw.find(b"\n", text_start)
    header_bytes = raw[text_start : first_nl if first_nl >= 0 else len(raw)].rstrip(b"\r")
    try:
        header = header_bytes.decode("utf-8").split("\t")
    except UnicodeDecodeError as exc:
        raise ReleaseError(f"header is not valid UTF-8 ({exc.reason})", file.display, 1) from None
    expected = expected_columns(file, header)
    if tuple(header) != expected:
        raise ReleaseError(
            f"wrong header: expected {'|'.join(expected)}, found {'|'.join(header)}", file.display, 1
        )
    _check_utf8(raw, file)
    _check_field_counts(raw, len(expected), file)
    try:
        df = pd.read_csv(
            _BytesReader(raw[text_start:]),
            sep="\t",
            dtype=str,
            quoting=csv.QUOTE_NONE,
            na_filter=False,
            encoding="utf-8",
            engine="c",
            on_bad_lines="error",
        )
    except pd.errors.ParserError as exc:
        m = _PARSER_LINE.search(str(exc))
        if m:
            raise ReleaseError(
                f"wrong column count: expected {m[1]} fields, found {m[3]}", file.display, int(m[2])
            ) from None
        raise ReleaseError(f"cannot parse: {exc}", file.display) from None
    return _typed(df, file)


class _BytesReader:
    """A minimal file-like over bytes so pandas reads from memory we already hold."""

    def __init__(self, data: bytes):
        import io

        self._buf = io.BytesIO(data)

    def read(self, n: int = -1) -> bytes:
        return self._buf.read(n)

    def __iter__(self):  # pandas checks for this to accept a file-like
        return iter(self._buf)


def _check_field_counts(raw: bytes, expected: int, file: ReleaseFile) -> None:
    """Every line must have exactly `expected` tab-separated fields (counted vectorised)."""
    buf = np.frombuffer(raw, np.uint8)
    ends = np.flatnonzero(buf == 10)
    if len(buf) and buf[-1] != 10:
        ends = np.append(ends, len(buf))
    tabs = np.flatnonzero(buf == 9)
    per_line = np.diff(np.concatenate(([0], np.searchsorted(tabs, ends))))
    bad = np.flatnonzero(per_line != expected - 1)
    if len(bad):
        line = int(bad[0])
        raise ReleaseError(
            f"wrong column count: expected {expected} fields, found {int(per_line[line]) + 1}", file.display, line + 1
        )


def _check_utf8(raw: bytes, file: ReleaseFile) -> None:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ReleaseError(f"not valid UTF-8 at byte {exc.start} ({exc.reason})", file.display, line) from None


def _fail_at(df: pd.DataFrame, bad: np.ndarray, column: str, file: ReleaseFile, problem_of) -> None:
    rows = np.flatnonzero(bad)
    if len(rows):
        row = int(rows[0])
        value = df[column].iloc[row]
        raise ReleaseError(f"{problem_of(value)} ({len(rows)} such rows)" if len(rows) > 1 else problem_of(value),
                           file.display, row + 2, column)


def _sctid_column(df: pd.DataFrame, column: str, kind: ComponentKind | None, file: ReleaseFile) -> np.ndarray:
    s = df[column]
    uniques = pd.Series(s.unique(), dtype=str)
    ok_text = uniques.str.fullmatch(_SCTID).to_numpy(dtype=bool)
    ids = np.zeros(len(uniques), dtype=np.int64)
    ids[ok_text] = uniques[ok_text].astype(np.int64).to_numpy()
    ok = ok_text & verhoeff_ok_array(ids)
    parts = partition_array(ids)
    allowed = [int(p) for p in PARTITIONS] if kind is None else _PARTITION_CODES[kind]
    ok &= np.isin(parts, allowed)
    if not ok.all():
        bad_values = set(uniques[~ok])
        _fail_at(df, s.isin(bad_values).to_numpy(), column, file,
                 lambda v: f"invalid SCTID {v!r}: {sctid_problem(v, kind)}")
    return s.astype(np.int64).to_numpy() if len(s) else np.zeros(0, dtype=np.int64)


def _typed(df: pd.DataFrame, file: ReleaseFile) -> pd.DataFrame:
    kind: FileKind | None = file.name.kind
    out: dict[str, object] = {}
    id_kind = kind.id_kind if kind else "uuid"
    if id_kind == "uuid":
        bad = ~df["id"].str.fullmatch(_UUID).to_numpy(dtype=bool) if len(df) else np.zeros(0, bool)
        _fail_at(df, bad, "id", file, lambda v: f"invalid refset member id {v!r}: not a UUID")
        out["id"] = df["id"].str.lower()
    else:
        out["id"] = _sctid_column(df, "id", ComponentKind(id_kind), file)
    et = df["effectiveTime"]
    ok = et.str.fullmatch(r"\d{8}").to_numpy(dtype=bool) if len(df) else np.zeros(0, bool)
    if ok.all() and len(df):
        ok = pd.to_datetime(et, format="%Y%m%d", errors="coerce").notna().to_numpy()
    _fail_at(df, ~ok, "effectiveTime", file, lambda v: f"bad effectiveTime {v!r}: expected a date as YYYYMMDD")
    out["effectiveTime"] = et.astype(np.int32).to_numpy() if len(df) else np.zeros(0, np.int32)
    active = df["active"]
    _fail_at(df, ~active.isin(["0", "1"]).to_numpy(), "active", file, lambda v: f"bad active flag {v!r}: expected 0 or 1")
    out["active"] = (active == "1").to_numpy()
    pattern = kind.refset_pattern if kind else file.name.pattern
    columns = list(df.columns)
    for i, column in enumerate(columns[3:], start=3):
        letter = None
        if pattern is not None and i >= len(REFSET_COMMON):
            letter = pattern[i - len(REFSET_COMMON)] if i - len(REFSET_COMMON) < len(pattern) else None
        if column in _SCTID_COLUMNS and letter in (None, "c"):
            out[column] = _sctid_column(df, column, _SCTID_COLUMNS[column], file)
        elif column in _INT_COLUMNS or letter == "i":
            ok = df[column].str.fullmatch(r"-?\d+").to_numpy(dtype=bool) if len(df) else np.zeros(0, bool)
            _fail_at(df, ~ok, column, file, lambda v, c=column: f"bad {c} {v!r}: expected an integer")
            out[column] = df[column].astype(np.int64).to_numpy() if len(df) else np.zeros(0, np.int64)
        elif letter == "c":
            out[column] = _sctid_column(df, column, None, file)
        else:
            out[column] = df[column]
    typed = pd.DataFrame(out)
    typed["_line"] = np.arange(2, len(typed) + 2, dtype=np.int32)
    return typed
