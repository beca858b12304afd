"""Tests of guideline authoring: the SQL store on SQLite and PostgreSQL, validation, the release check."""
