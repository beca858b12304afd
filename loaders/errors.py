"""Errors raised while reading a release: each names the file, the line and the problem."""

from __future__ import annotations


class ReleaseError(ValueError):
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
