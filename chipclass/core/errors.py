"""Errors chipclass reports to users, and the CLI's exit codes.

Every error a user can cause carries where it happened (file, row, column, value) so the
CLI prints one line and exits :data:`EXIT_ERROR`, never a traceback.
"""

from __future__ import annotations

#: Scored; nothing matched ``--fail-on``.
EXIT_OK = 0
#: Scored; at least one row matched ``--fail-on``.
EXIT_FINDINGS = 1
#: Bad usage, bad input or bad rule data; nothing was written.
EXIT_ERROR = 2


class ChipclassError(Exception):
    """Base class of the errors chipclass reports to users."""


class InputError(ChipclassError, ValueError):
    """A bad value in a catalogue or argument, with where it was found.

    ``row`` counts data rows from 1 (the header is not a row).
    """

    def __init__(self, message: str, *, source: str | None = None, row: int | None = None,
                 column: str | None = None, value: object = None):
        self.message = message
        self.source = source
        self.row = row
        self.column = column
        self.value = value
        super().__init__(str(self))

    def to_dict(self) -> dict:
        """The message and its place, for JSON reports."""
        return {"file": self.source, "row": self.row, "column": self.column,
                "value": None if self.value is None else str(self.value), "message": self.message}

    def __str__(self) -> str:
        where = []
        if self.source:
            where.append(str(self.source))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        prefix = ", ".join(where)
        value = f" value {self.value!r}:" if self.value is not None else ""
        return f"{prefix}:{value} {self.message}" if prefix else f"{value.strip()} {self.message}".strip()


class RuleDataError(ChipclassError, ValueError):
    """Malformed rule data (a TOML file under ``chipclass/rules``)."""


class AsOfError(ChipclassError, ValueError):
    """An as-of date outside what the rule data covers."""


class UsageError(ChipclassError, ValueError):
    """A command used in a way it cannot honour (an option combination, a format)."""
