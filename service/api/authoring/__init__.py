"""Guideline authoring: writes, tags, revisions, coverage, the new-release check and the audit log.

Reads of guidelines stay in `service.api.guidelines`; this blueprint adds the writes under the same
`/api/v1/guidelines` paths, one module per resource. Every change to an existing guideline needs
`If-Match` with its current ETag (428 without, 412 when stale): two authors editing the same guideline
can never silently overwrite each other. Every refused write leaves an audit row (`audit`); accepted
writes are audited inside their own transaction by the store.
"""

from . import audit, coverage, guidelines, revisions, tags  # noqa: E402,F401  (routes register on bp)
from ._blueprint import bp

__all__ = ["bp"]
