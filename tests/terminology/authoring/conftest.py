"""Authoring fixtures: the SQLite/PostgreSQL store matrix (see databases.py) and the two sample releases."""

from __future__ import annotations

from tests.terminology.authoring.databases import backend, delta, delta_index, postgres_database, repo, store_url  # noqa: F401
