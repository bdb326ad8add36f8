"""Errors the app shows to its users, with their French message."""

from __future__ import annotations

from dataclasses import dataclass


class LivretError(Exception):
    """A refusal with a message written for the user (in French)."""


class PermissionDenied(LivretError):
    pass


class NotFound(LivretError):
    pass


class ValidationError(LivretError):
    pass


@dataclass(frozen=True)
class FileProblem:
    """One rejected line of a file: where it is and why, in French."""

    file: str
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}, ligne {self.line}"
        if self.column:
            where += f", colonne « {self.column} »"
        return f"{where} : {self.reason}"


class FileRejected(LivretError):
    """A file refused as a whole; nothing was written."""

    def __init__(self, problems: list[FileProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
