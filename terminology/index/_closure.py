"""Transitive closure of the is-a hierarchy, computed level by level with numpy.

Ancestors of a concept are the union of its parents and their ancestors; processing the
hierarchy in topological levels makes every parent's closure complete before its children
need it, so each level is one vectorised gather + sort + unique over the level's edges.
"""

from __future__ import annotations

import numpy as np


class CycleError(ValueError):
    """The is-a relationships contain a cycle (the hierarchy must be a DAG)."""

    def __init__(self, nodes: np.ndarray):
        self.nodes = nodes
        super().__init__(f"is-a cycle through {len(nodes)} concepts")


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values; sort + neighbour compare beats np.unique's hashing on large int arrays."""
    if len(values) == 0:
        return values
    out = np.sort(values)
    keep = np.empty(len(out), bool)
    keep[0] = True
    np.not_equal(out[1:], out[:-1], out=keep[1:])
    return out[keep]


def csr(rows: np.ndarray, cols: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Compressed rows (ptr, sorted indices) of the pairs (rows[i], cols[i]), duplicates removed."""
    if len(rows) == 0:
        return np.zeros(n + 1, np.int64), np.zeros(0, np.int32)
    key = sorted_unique(rows.astype(np.int64) * n + cols.astype(np.int64))
    r = (key // n).astype(np.int64)
    c = (key % n).astype(np.int32)
    ptr = np.zeros(n + 1, np.int64)
    np.add.at(ptr, r + 1, 1)
    return np.cumsum(ptr), c


def levels(child: np.ndarray, parent: np.ndarray, n: int) -> np.ndarray:
    """Length of the longest is-a path from a root to each node; raises CycleError on a cycle."""
    level = np.zeros(n, np.int32)
    for _ in range(n + 1):
        cand = np.zeros(n, np.int32)
        np.maximum.at(cand, child, level[parent] + 1)
        new = np.maximum(level, cand)
        if np.array_equal(new, level):
            return level
        level = new
        if level.max() > n:
            break
    raise CycleError(np.flatnonzero(level >= level.max() - 1))


def ancestor_closure(child: np.ndarray, parent: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ptr, indices, depth): each node's ancestors (excluding itself) as CSR rows, sorted."""
    level = levels(child, parent, n)
    start = np.zeros(n, np.int64)
    length = np.zeros(n, np.int64)
    chunks: list[np.ndarray] = []
    filled = 0
    order = np.argsort(level[child], kind="stable")
    child_sorted, parent_sorted = child[order], parent[order]
    bounds = np.searchsorted(level[child_sorted], np.arange(level.max() + 2))
    buffer = np.zeros(0, np.int32)
    for lv in range(1, level.max() + 1):
        lo, hi = bounds[lv], bounds[lv + 1]
        if lo == hi:
            continue
        c, p = child_sorted[lo:hi], parent_sorted[lo:hi]
        lens = length[p]
        total = int(lens.sum())
        if total:
            offs = np.repeat(start[p] - np.concatenate(([0], np.cumsum(lens)[:-1])), lens) + np.arange(total)
            inherited = buffer[offs]
            rows = np.concatenate((c, np.repeat(c, lens)))
            cols = np.concatenate((p, inherited))
        else:
            rows, cols = c, p
        key = sorted_unique(rows.astype(np.int64) * n + cols)
        r = (key // n).astype(np.int64)
        cc = (key % n).astype(np.int32)
        first = np.flatnonzero(np.concatenate(([True], r[1:] != r[:-1])))
        nodes = r[first]
        counts = np.diff(np.append(first, len(r)))
        start[nodes] = filled + first
        length[nodes] = counts
        chunks.append(cc)
        filled += len(cc)
        buffer = np.concatenate((buffer, cc)) if len(buffer) else cc
    # Re-pack in node order.
    ptr = np.zeros(n + 1, np.int64)
    ptr[1:] = np.cumsum(length)
    total = int(ptr[-1])
    offs = np.repeat(start - ptr[:-1], length) + np.arange(total)
    indices = buffer[offs] if total else np.zeros(0, np.int32)
    return ptr, indices.astype(np.int32), level
