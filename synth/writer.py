"""Writing RF2 tables: one file per `FileKind`, laid out as `loaders.rf2_format` says; UUIDs; progress."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from loaders import rf2_format as rf
from loaders.rf2_format import FileKind

from .ids import EFFECTIVE_TIME, NAMESPACE_TAG


class Writer:
    """Writes RF2 tables by their `FileKind` (columns, file name and folder from rf2_format)."""

    def __init__(self, out: Path) -> None:
        self.root = out / "Snapshot"
        self.files: list[Path] = []

    def write(self, kind: FileKind, columns: dict[str, Any], language: str | None = None) -> int:
        if set(columns) != set(kind.columns):
            raise ValueError(f"{kind.name}: columns {sorted(columns)} != {kind.columns}")
        folder = self.root / rf.folder_for(kind)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / rf.file_name(kind, "Snapshot", NAMESPACE_TAG, EFFECTIVE_TIME, language)
        n = next((len(v) for v in columns.values() if not np.isscalar(v)), 0)
        frame = pd.DataFrame({c: columns[c] for c in kind.columns}, index=pd.RangeIndex(n))
        # QUOTE_NONE with quote/escape characters that never occur: terms are written verbatim.
        frame.to_csv(
            path,
            sep="\t",
            index=False,
            lineterminator="\n",
            quoting=csv.QUOTE_NONE,
            quotechar="\x1f",
            escapechar="\x1e",
            encoding="utf-8",
        )
        self.files.append(path)
        return n


def common_columns(ids: Any, active: Any, module: Any) -> dict[str, Any]:
    return {"id": ids, "effectiveTime": EFFECTIVE_TIME, "active": active, "moduleId": module}


def progress_ticker(enabled: bool, total: int) -> Any:
    if not enabled:
        return lambda _stage: None
    from tqdm import tqdm

    bar = tqdm(total=total, desc="synthetic release", unit="step")

    def tick(stage: str) -> None:
        bar.set_postfix_str(stage)
        bar.update(1)
        if bar.n >= total:
            bar.close()

    return tick


def uuids(rng: np.random.Generator, n: int) -> pd.api.extensions.ExtensionArray:
    """Random version-4 UUID strings, built as one byte buffer (no per-row Python)."""
    b = np.frombuffer(rng.bytes(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    b[:, 6] = (b[:, 6] & 0x0F) | 0x40
    b[:, 8] = (b[:, 8] & 0x3F) | 0x80
    nib = np.empty((n, 32), dtype=np.uint8)
    nib[:, 0::2] = b >> 4
    nib[:, 1::2] = b & 0x0F
    hexed = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)[nib]
    out = np.full((n, 36), ord("-"), dtype=np.uint8)
    for lo, hi, src in ((0, 8, 0), (9, 13, 8), (14, 18, 12), (19, 23, 16), (24, 36, 20)):
        out[:, lo:hi] = hexed[:, src : src + hi - lo]
    offsets = np.arange(0, 36 * (n + 1), 36, dtype=np.int32)
    return pd.arrays.ArrowExtensionArray(pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(out)))
