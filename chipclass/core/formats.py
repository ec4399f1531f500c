"""Numeric formats and their bit lengths, read from ``data/formats.toml``."""

from __future__ import annotations

import tomllib
from importlib import resources

with resources.files("chipclass").joinpath("data/formats.toml").open("rb") as _fh:
    _DATA = tomllib.load(_fh)["formats"]

#: Format name -> bit length of the operation (3A090 Technical Note).
BIT_LENGTH: dict[str, int] = {name: int(rec["bits"]) for name, rec in _DATA.items()}
#: Format names, in tie-break order.
FORMATS: tuple[str, ...] = tuple(BIT_LENGTH)
#: Notes on ambiguous formats (tf32).
NOTES: dict[str, str] = {name: " ".join(rec["note"].split()) for name, rec in _DATA.items() if "note" in rec}
