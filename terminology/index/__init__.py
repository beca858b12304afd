"""The persisted index: its format, building it from a release, and opening it read-only.

`build_index` writes an index directory (arrays, SQLite tables, manifest) and `IndexStore` opens
one; `format` names what is in it. The is-a closure used while building is private (`_closure`).
"""

from . import format
from ._verify import verify_index
from .build import build_index, edition_module
from .store import IndexStore

__all__ = ["IndexStore", "build_index", "edition_module", "format", "verify_index"]
