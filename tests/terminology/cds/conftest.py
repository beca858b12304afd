"""CDS fixtures: the authoring store matrix (SQLite and PostgreSQL, see tests/terminology/authoring/databases.py)."""

from __future__ import annotations

from tests.terminology.authoring.databases import backend, postgres_database, repo, store_url  # noqa: F401
