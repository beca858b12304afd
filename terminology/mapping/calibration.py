"""Calibrated scores: a raw mapping score onto the share of right first answers at that score.

The lexical mapper's score (IDF-weighted coverage) and the composition's score (share of the text
its parts explain, times their match strength) are on different scales: 0.85 from one is not 0.85
from the other. Each path's raw score is therefore mapped through its own monotone step function,
fitted by isotonic regression (pool adjacent violators) of "the first answer was right" on the raw
score over a calibration set (`bench/calibrate_mapping.py`: cases generated from the sample release
and a synthetic release, never the held-out cases of bench/mapping_cases). The fitted steps live in
``data/calibration.json`` with the reliability table they came from (docs/mapping.md shows it).

Between fitted points the calibrated score is interpolated linearly, so it keeps the raw order
within a path. Outside the raw scores a path was observed at (the composition was only seen at 1.0),
and for a path with too few observations, the *pooled* curve (every path's observations together)
is used: an unobserved score borrows what scores like it meant elsewhere, never its neighbour's 1.0.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import numpy as np

SLACK = 0.02  # a raw score this far outside a path's observed range still uses the path's curve
CALIBRATION_FILE = Path(__file__).parent / "data" / "calibration.json"


@functools.cache
def calibration() -> dict[str, Any]:
    """The fitted calibration (empty when none was fitted)."""
    if not CALIBRATION_FILE.exists():
        return {}
    return json.loads(CALIBRATION_FILE.read_text(encoding="utf-8"))


@functools.cache
def _curve(source: str) -> tuple[np.ndarray, np.ndarray] | None:
    fit = calibration().get("curves", {}).get(source)
    if not fit:
        return None
    return np.asarray(fit["raw"], float), np.asarray(fit["calibrated"], float)


def calibrated(source: str, raw: float) -> float:
    """The calibrated score of a raw score from `source` ("lexical", "exact composition", "closest ancestor")."""
    curve = _curve(source)
    if curve is None or not (curve[0][0] - SLACK <= raw <= curve[0][-1] + SLACK):
        curve = _curve("pooled")
    if curve is None:
        return float(raw)
    xs, ys = curve
    # A tiny share of the raw score keeps distinct raw scores distinct within one fitted step.
    return float(min(1.0, max(0.0, np.interp(raw, xs, ys) + 0.001 * (raw - 0.5))))


def isotonic(raw: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pool adjacent violators: the non-decreasing step function of `right` (0/1) on `raw`.

    Returns the blocks' mean raw score and their share right (points for `np.interp`).
    """
    order = np.argsort(raw, kind="stable")
    x, y = np.asarray(raw, float)[order], np.asarray(right, float)[order]
    blocks: list[list[float]] = []  # [sum x, sum y, n]
    for xi, yi in zip(x.tolist(), y.tolist(), strict=True):
        blocks.append([xi, yi, 1.0])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][2] >= blocks[-1][1] / blocks[-1][2]:
            sx, sy, n = blocks.pop()
            blocks[-1][0] += sx
            blocks[-1][1] += sy
            blocks[-1][2] += n
    xs = np.array([b[0] / b[2] for b in blocks])
    ys = np.array([b[1] / b[2] for b in blocks])
    return xs, ys
