"""Set algebra over sorted, duplicate-free int32 arrays of concept rows.

The evaluator's sets are rows of the concept table (``0 <= row < n``), so besides the
usual sort-based merges a boolean mask of ``n`` bytes is always available.  Each
operation picks by size (measured in ``bench/bench_ecl.py --sets``):

* one side much smaller: binary search of the small side in the large one
  (``O(small * log large)``), which is what most refinements hit;
* both large: a scratch mask of ``n`` bytes (``O(n)``, no sort);
* otherwise: concatenate, quicksort, compare neighbours.

``np.unique``/``np.union1d`` are avoided on purpose: with numpy 2.4 they are 30-60x
slower than ``np.sort`` plus a neighbour comparison on this machine.  pyroaring was
measured too; its operations are fast but converting from and to numpy (every leaf
here is a numpy slice of the memory-mapped closure) costs more than the operation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

EMPTY = np.zeros(0, np.int32)
# Ratio from which binary search of the small side beats a merge or a mask.
_SEARCH_RATIO = 16


def rows(a: np.ndarray) -> np.ndarray:
    """``a`` as an int32 ndarray of its own (memory-mapped slices are copied)."""
    return np.array(a, dtype=np.int32)


def unique(a: np.ndarray, n: int | None = None) -> np.ndarray:
    """Sorted distinct values of ``a``; with ``n`` (values are rows below n) large inputs take the mask path."""
    if len(a) <= 1:
        return np.array(a)
    if n is not None and len(a) > n // 8:
        m = np.zeros(n, bool)
        m[a] = True
        return np.flatnonzero(m).astype(np.int32)
    s = np.sort(a)
    keep = np.empty(len(s), bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


def unique_counts(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and how often each occurs (any integer dtype)."""
    if len(a) == 0:
        return a[:0], np.zeros(0, np.int64)
    s = np.sort(a)
    starts = np.flatnonzero(np.concatenate(([True], s[1:] != s[:-1])))
    counts = np.diff(np.append(starts, len(s)))
    return s[starts], counts


def contains(sorted_set: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Boolean array: which ``values`` are in ``sorted_set`` (binary search)."""
    if len(sorted_set) == 0:
        return np.zeros(len(values), bool)
    pos = np.searchsorted(sorted_set, values)
    pos[pos == len(sorted_set)] = 0
    return sorted_set[pos] == values


def mask(rows: np.ndarray, n: int) -> np.ndarray:
    """A boolean array of length ``n`` that is True at ``rows``."""
    m = np.zeros(n, bool)
    m[rows] = True
    return m


def intersect(a: np.ndarray, b: np.ndarray, n: int | None) -> np.ndarray:
    """``a`` and ``b``; ``n`` None for values that are not rows (group units), which rules out the mask."""
    if len(a) > len(b):
        a, b = b, a
    if len(a) == 0:
        return a[:0]
    if len(a) * _SEARCH_RATIO <= len(b) or len(b) < 64:
        return a[contains(b, a)]
    if n is not None and len(a) + len(b) > n // 8:
        return a[mask(b, n)[a]]
    c = np.sort(np.concatenate((a, b)))
    return c[:-1][c[1:] == c[:-1]]


def difference(a: np.ndarray, b: np.ndarray, n: int | None) -> np.ndarray:
    """``a`` minus ``b``."""
    if len(a) == 0 or len(b) == 0:
        return a
    if n is None or len(b) * _SEARCH_RATIO <= len(a) or len(a) * _SEARCH_RATIO <= len(b) or len(a) + len(b) < 4096:
        return a[~contains(b, a)]
    return a[~mask(b, n)[a]]


def union(parts: Sequence[np.ndarray], n: int | None) -> np.ndarray:
    """Union of any number of sorted sets."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return EMPTY
    if len(parts) == 1:
        return parts[0]
    total = sum(len(p) for p in parts)
    if n is not None and total > n // 8:
        m = np.zeros(n, bool)
        for p in parts:
            m[p] = True
        return np.flatnonzero(m).astype(np.int32)
    return unique(np.concatenate(parts))


def gather(ptr: np.ndarray, data: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Concatenation of the CSR rows ``data[ptr[r]:ptr[r+1]]`` for every r in ``rows``, without a Python loop."""
    if len(rows) == 0:
        return data[:0]
    if len(rows) == 1:
        r = int(rows[0])
        return data[int(ptr[r]) : int(ptr[r + 1])]
    return data[positions(ptr[rows], ptr[rows + 1])]


def positions(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """All indices of the half-open ranges ``[starts[i], ends[i])``, concatenated."""
    lens = (ends - starts).astype(np.int64)
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    keep = lens > 0
    starts, lens = starts[keep].astype(np.int64), lens[keep]
    offsets = np.cumsum(lens) - lens
    return np.repeat(starts - offsets, lens) + np.arange(total, dtype=np.int64)


def segment_lengths(ptr: np.ndarray, rows: np.ndarray) -> int:
    """Total length of the CSR rows of ``rows`` (to choose a strategy before gathering)."""
    if len(rows) == 0:
        return 0
    return int((ptr[rows + 1] - ptr[rows]).sum())
