"""Alembic environment and versions of the guideline store (run in code by `database.migrate`, no alembic.ini)."""
