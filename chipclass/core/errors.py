"""Errors chipclass reports to users, and the CLI's exit codes.

One hierarchy: :class:`ChipclassError` and its subclasses for bad usage (:class:`UsageError`),
bad input (:class:`InputError`, with :class:`AsOfError` and
:class:`~chipclass.core.units.UnitError` under it), bad rule data (:class:`RuleDataError`) and
bad configuration (:class:`ConfigError`). Every error a user can cause carries where it
happened (file, row, column, value) so the CLI prints one line and exits :data:`EXIT_ERROR`,
never a traceback. No library message names a command-line flag: an error about a parameter
says which in ``option`` (the library's parameter name) and the CLI names its flag.
"""

from __future__ import annotations

#: Scored; nothing matched ``--fail-on``.
EXIT_OK = 0
#: Scored; at least one row matched ``--fail-on``.
EXIT_FINDINGS = 1
#: Bad usage, bad input or bad rule data; nothing was written.
EXIT_ERROR = 2


class ChipclassError(Exception):
    """Base class of the errors chipclass reports to users; ``option`` names the parameter an
    error is about (``max_variants``, ``precision``), for the CLI to name its flag."""

    option: str | None = None

    def about(self, option: str) -> "ChipclassError":
        """This error, marked as being about the parameter ``option``."""
        self.option = option
        return self


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


class AsOfError(InputError):
    """An as-of date outside what the rule data covers."""


class UsageError(ChipclassError, ValueError):
    """A command used in a way it cannot honour (an option combination, a format)."""


class ConfigError(ChipclassError, ValueError):
    """A bad configuration file (``chipclass.toml``, ``[tool.chipclass]`` of ``pyproject.toml``)."""
