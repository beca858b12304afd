"""Errors raised while reading a release: each names the file, the line and the problem."""

from __future__ import annotations


class SnomapError(Exception):
    """The root of every error snomap raises on purpose (release, terminology, ECL, authoring, FHIR).

    It lives in the lowest layer so that every package can derive from it; the service maps each
    subclass onto one HTTP answer (`service/problems.py`) and the CLI onto one line.
    """


class ReleaseError(SnomapError, ValueError):
    """An RF2 release that cannot be loaded; nothing is written when one is raised."""

    def __init__(self, problem: str, file: str | None = None, line: int | None = None, column: str | None = None):
        self.problem = problem
        self.file = file
        self.line = line
        self.column = column
        where = ""
        if file:
            where = file + (f":{line}" if line is not None else "")
            where += f" (column {column})" if column else ""
            where += ": "
        super().__init__(where + problem)
