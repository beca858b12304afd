"""Alembic revision scripts (a package only so that installs ship them; Alembic skips this file)."""
