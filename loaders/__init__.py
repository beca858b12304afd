"""Loaders: RF2 release files in, validated pandas tables out.

The public face of the package; the reading, discovery and format details live in
private modules. Nothing here knows about the index or the service.
"""

from .errors import ReleaseError, SnomapError
from .release import LoadReport, Release, load_release
from .sctid import ComponentKind, is_valid_sctid, make_sctid, namespace, partition, sctid_problem

__all__ = [
    "ComponentKind",
    "LoadReport",
    "Release",
    "ReleaseError",
    "SnomapError",
    "is_valid_sctid",
    "load_release",
    "make_sctid",
    "namespace",
    "partition",
    "sctid_problem",
]
