"""Writing tiny RF2 packages for loader tests, by the same format description the loaders read."""

from __future__ import annotations

from pathlib import Path

from loaders import rf2_format as rf2


def write_rf2(
    root: Path,
    kind: rf2.FileKind,
    rows: list[list[object]],
    release: str = "Snapshot",
    header: list[str] | None = None,
    date: str = "20250101",
    newline: str = "\n",
    bom: bool = False,
    language: str | None = None,
) -> Path:
    """Write one RF2 file of `kind` in the standard layout below `root`; returns its path."""
    folder = root / release / rf2.folder_for(kind)
    folder.mkdir(parents=True, exist_ok=True)
    lang = (
        language
        if language is not None
        else ("en" if kind in (rf2.DESCRIPTION, rf2.TEXT_DEFINITION, rf2.LANGUAGE) else None)
    )
    path = folder / rf2.file_name(kind, release, "TEST", date, lang)  # type: ignore[arg-type]
    lines = ["\t".join(header or kind.columns)] + ["\t".join(str(v) for v in row) for row in rows]
    data = newline.join(lines) + newline
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data.encode("utf-8"))
    return path
