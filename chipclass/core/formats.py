"""Numeric formats and their bit lengths, read from ``data/formats.toml`` through the schema."""

from __future__ import annotations

from importlib import resources

from chipclass.core import schema

_DATA = schema.load(resources.files("chipclass").joinpath("data/formats.toml"), schema.FormatsFile).formats

#: Format name -> bit length of the operation (3A090 Technical Note).
BIT_LENGTH: dict[str, int] = {name: rec.bits for name, rec in _DATA.items()}
#: Format names, in tie-break order.
FORMATS: tuple[str, ...] = tuple(BIT_LENGTH)
#: Notes on ambiguous formats (tf32).
NOTES: dict[str, str] = {name: " ".join(rec.note.split()) for name, rec in _DATA.items() if rec.note}
