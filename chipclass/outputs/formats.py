"""Output formats: one enum for every command, and the format a file name asks for.

``-f`` takes a :class:`Format`; without it the suffix of ``-o`` decides (``out.parquet`` is
Parquet, ``out.json`` JSON, ``out.jsonl``/``.ndjson`` JSON Lines, ``out.csv`` CSV, ``.sarif``
SARIF, ``.xml`` JUnit, ``.png``/``.svg``/``.pdf`` a picture), else the human-readable table.
A binary format is never written to a terminal.
"""

from __future__ import annotations

import enum
import os

from chipclass.core.errors import UsageError

__all__ = ["Format", "BINARY", "SUFFIXES", "choose"]


class Format(str, enum.Enum):
    """Every output format chipclass writes."""

    TABLE = "table"
    CSV = "csv"
    JSON = "json"
    JSONL = "jsonl"
    PARQUET = "parquet"
    PNG = "png"
    SVG = "svg"
    PDF = "pdf"
    SARIF = "sarif"
    JUNIT = "junit"

    def __str__(self) -> str:
        return self.value


#: Formats that are bytes, not text: never sent to a terminal.
BINARY = frozenset({Format.PARQUET, Format.PNG, Format.PDF})
#: File suffix -> format.
SUFFIXES = {".csv": Format.CSV, ".tsv": Format.CSV, ".json": Format.JSON, ".jsonl": Format.JSONL,
            ".ndjson": Format.JSONL, ".parquet": Format.PARQUET, ".pq": Format.PARQUET,
            ".txt": Format.TABLE, ".png": Format.PNG, ".svg": Format.SVG, ".pdf": Format.PDF,
            ".sarif": Format.SARIF, ".xml": Format.JUNIT}


def choose(fmt, output: str | None, allowed, default: Format = Format.TABLE, *, stdout=None) -> Format:
    """The format to write: ``fmt`` if given, else the suffix of ``output``, else ``default``.

    Raises :class:`~chipclass.core.errors.UsageError` for a format the command does not write,
    or for a binary format bound for a terminal.
    """
    allowed = [Format(a) for a in allowed]
    if fmt is not None:
        chosen = Format(fmt)
    elif output not in (None, "-"):
        suffix = os.path.splitext(str(output))[1].lower()
        chosen = SUFFIXES.get(suffix, default)
        if chosen not in allowed:
            chosen = default
    else:
        chosen = default
    if chosen not in allowed:
        raise UsageError(f"this command writes {', '.join(map(str, allowed))}, not {chosen}")
    if chosen in BINARY and output in (None, "-"):
        import sys

        stream = stdout or sys.stdout
        if getattr(stream, "isatty", lambda: False)():
            raise UsageError(f"refusing to write {chosen} (binary) to a terminal: give -o FILE or pipe it")
    return chosen
