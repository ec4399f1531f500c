"""Column aliases: a team's own header names read as the catalogue vocabulary, for a block of
code (the CLI's ``columns`` configuration, :mod:`chipclass.cli.config`)."""

from __future__ import annotations

import contextlib
import contextvars

__all__ = ["column_aliases", "ALIASES"]

#: A team's own header names -> vocabulary header (``'FP8 Dense' -> 'fp8 [TFLOPS]'``), keyed
#: case-insensitively; set for a block with :func:`column_aliases` (the CLI's configuration).
ALIASES: contextvars.ContextVar[dict[str, str]] = contextvars.ContextVar("chipclass_column_aliases", default={})


@contextlib.contextmanager
def column_aliases(aliases: dict[str, str]):
    """Read headers named in ``aliases`` as the vocabulary header they map to, inside the block.

    >>> import pyarrow as pa
    >>> from chipclass.core.catalogue import from_table
    >>> with column_aliases({"Chip": "name", "FP8 Dense": "fp8 [PFLOPS]"}):
    ...     cat = from_table(pa.table({"Chip": ["X"], "FP8 Dense": [2.0]}))
    >>> float(cat.values["fp8"][0]), cat.headers["fp8"]
    (2000.0, 'FP8 Dense')
    """
    token = ALIASES.set({" ".join(str(k).split()).casefold(): v for k, v in aliases.items()})
    try:
        yield
    finally:
        ALIASES.reset(token)
