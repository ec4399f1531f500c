"""The typed schema of the configuration file (:mod:`chipclass.cli.config`), in the style of
:mod:`chipclass.core.schema` (same base record: unknown keys refused, file and key named by
:func:`chipclass.core.schema.convert`); beside it only to keep that module under 400 lines."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from msgspec import Meta, field

from chipclass.core.schema import Text, Record

__all__ = ["ConfigFile"]


class ConfigFile(Record, kw_only=True):
    """A project's defaults for the command line: ``[tool.chipclass]`` in ``pyproject.toml`` or
    the top level of ``chipclass.toml`` (:mod:`chipclass.cli.config`). Flags win over these.

    ``columns`` maps a team's own header names to the catalogue vocabulary
    (``"FP8 Dense (TFLOPS)" = "fp8 [TFLOPS]"``)."""

    as_of: dt.date | None = None
    fail_on: list[Text] = field(default_factory=list)
    to: list[Text] = field(default_factory=list)
    tf32_bits: Annotated[int, Meta(ge=1, le=64)] | None = None
    columns: dict[str, Text] = field(default_factory=dict)
