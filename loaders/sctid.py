"""SCTID rules: Verhoeff check digit, partition identifier and namespace.

Kept here, with the rest of the release format, because loaders validate every
identifier they read; `terminology` re-exports these helpers for its callers.
"""

from __future__ import annotations

import re
from enum import StrEnum

import numpy as np

# Verhoeff dihedral-group tables (see the SNOMED CT Technical Implementation Guide, "Check-digit").
_D = np.array(
    [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
        [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
        [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
        [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
        [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
        [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
        [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
        [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ],
    dtype=np.int8,
)
_P = np.array(
    [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
        [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
        [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
        [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
        [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
        [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
        [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
    ],
    dtype=np.int8,
)
_INV = np.array([0, 4, 3, 2, 1, 5, 6, 7, 8, 9], dtype=np.int8)
_D_L = _D.tolist()
_P_L = _P.tolist()

SCTID_PATTERN = re.compile(r"[1-9][0-9]{5,17}")


class ComponentKind(StrEnum):
    """The component type an SCTID's partition identifier names."""

    CONCEPT = "concept"
    DESCRIPTION = "description"
    RELATIONSHIP = "relationship"


# Partition identifier (2nd and 3rd digits from the right) -> component kind.
PARTITIONS: dict[str, ComponentKind] = {
    "00": ComponentKind.CONCEPT,
    "01": ComponentKind.DESCRIPTION,
    "02": ComponentKind.RELATIONSHIP,
    "10": ComponentKind.CONCEPT,
    "11": ComponentKind.DESCRIPTION,
    "12": ComponentKind.RELATIONSHIP,
}


def verhoeff_ok(digits: str) -> bool:
    """True when the last digit is the Verhoeff check digit of the others."""
    c = 0
    for i, ch in enumerate(reversed(digits)):
        c = _D_L[c][_P_L[i % 8][ord(ch) - 48]]
    return c == 0


def check_digit(stem: str) -> int:
    """The Verhoeff check digit to append to `stem`."""
    c = 0
    for i, ch in enumerate(reversed(stem)):
        c = _D_L[c][_P_L[(i + 1) % 8][ord(ch) - 48]]
    return int(_INV[c])


def sctid_problem(value: str | int, kind: ComponentKind | None = ComponentKind.CONCEPT) -> str | None:
    """Why `value` is not a valid SCTID of `kind`, or None when it is."""
    text = str(value).strip()
    if not text.isdigit():
        return "not numeric"
    if not SCTID_PATTERN.fullmatch(text):
        return "must be 6 to 18 digits without a leading zero"
    if not verhoeff_ok(text):
        return "wrong check digit"
    found = PARTITIONS.get(text[-3:-1])
    if found is None:
        return f"unknown partition identifier {text[-3:-1]}"
    if kind is not None and found is not kind:
        return f"partition identifier {text[-3:-1]} is for a {found.value}, not a {kind.value}"
    return None


def is_valid_sctid(value: str | int, kind: ComponentKind | None = ComponentKind.CONCEPT) -> bool:
    return sctid_problem(value, kind) is None


def partition(sctid: int | str) -> str:
    """The two-digit partition identifier of an SCTID."""
    return str(sctid)[-3:-1]


def namespace(sctid: int | str) -> int | None:
    """The namespace identifier of an extension SCTID (long format), None for the International Edition."""
    text = str(sctid)
    if text[-3] != "1":
        return None
    return int(text[-10:-3])


def make_sctid(item: int, namespace_id: int | None, kind: ComponentKind) -> int:
    """Compose an SCTID from an item identifier, an optional namespace and a component kind."""
    code = {ComponentKind.CONCEPT: "0", ComponentKind.DESCRIPTION: "1", ComponentKind.RELATIONSHIP: "2"}[kind]
    stem = f"{item}0{code}" if namespace_id is None else f"{item}{namespace_id:07d}1{code}"
    return int(stem + str(check_digit(stem)))


def verhoeff_ok_array(ids: np.ndarray) -> np.ndarray:
    """Vectorised Verhoeff check over an int64 array of SCTIDs (no Python loop per id)."""
    ids = np.asarray(ids, dtype=np.int64)
    c: np.ndarray = np.zeros(ids.shape, dtype=np.int8)
    rest = ids.copy()
    for i in range(19):
        live = rest > 0
        if not live.any():
            break
        digit = (rest % 10).astype(np.int8)
        step = _D[c, _P[i % 8, digit]]
        c = np.where(live, step, c)
        rest //= 10
    valid: np.ndarray = c == 0
    return valid


def partition_array(ids: np.ndarray) -> np.ndarray:
    """Vectorised partition identifier (as an integer 0..99) of each SCTID."""
    return (np.asarray(ids, dtype=np.int64) // 10) % 100


def make_sctids(items: np.ndarray, namespace_id: int | None, kind: ComponentKind) -> np.ndarray:
    """Vectorised `make_sctid` over an int64 array of item identifiers (no Python loop per id).

    Bulk writers (e.g. the synthetic release) mint millions of ids; this computes every Verhoeff
    check digit at once, one pass per digit position.
    """
    items = np.asarray(items, dtype=np.int64)
    code = {ComponentKind.CONCEPT: 0, ComponentKind.DESCRIPTION: 1, ComponentKind.RELATIONSHIP: 2}[kind]
    if items.size and int(items.min()) < 1:
        raise ValueError("item identifiers must be positive")
    if namespace_id is None:
        stem = items * 100 + code
    else:
        if not 0 <= namespace_id <= 9_999_999:
            raise ValueError(f"namespace identifier {namespace_id} is not a 7-digit number")
        stem = items * 1_000_000_000 + namespace_id * 100 + 10 + code
    if stem.size and int(stem.max()) >= 10**17:
        raise ValueError("item identifier too large: an SCTID has at most 18 digits")
    c = np.zeros(stem.shape, dtype=np.int8)
    rest = stem.copy()
    for i in range(17):
        live = rest > 0
        if not live.any():
            break
        step = _D[c, _P[(i + 1) % 8, (rest % 10).astype(np.int8)]]
        c = np.where(live, step, c)
        rest //= 10
    return stem * 10 + _INV[c].astype(np.int64)
