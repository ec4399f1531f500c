"""Column aliases: a team's own header names read as the catalogue vocabulary, or passed through,
for a block of code (the CLI's ``columns`` configuration and ``--pass-through``,
:mod:`chipclass.cli.config`)."""

from __future__ import annotations

import contextlib
import contextvars

__all__ = ["column_aliases", "current_aliases", "PASS_THROUGH", "alias_key", "ALIASES"]

#: The target that passes a column through untouched (``[columns] "TDP (W)" = "-"``).
PASS_THROUGH = "-"

#: A team's own header names -> vocabulary header (``'FP8 Dense' -> 'fp8 [TFLOPS]'``) or
#: :data:`PASS_THROUGH`, keyed by :func:`alias_key`; set for a block with :func:`column_aliases`.
ALIASES: contextvars.ContextVar[dict[str, str]] = contextvars.ContextVar("chipclass_column_aliases", default={})


def alias_key(header: str) -> str:
    """How headers are matched against aliases: case-folded, spaces collapsed."""
    return " ".join(str(header).split()).casefold()


def current_aliases() -> dict[str, str]:
    """The aliases in force (empty outside :func:`column_aliases`)."""
    return ALIASES.get()


@contextlib.contextmanager
def column_aliases(aliases: dict[str, str]):
    """Read headers named in ``aliases`` as the vocabulary header they map to (``"-"``: pass the
    column through), inside the block; nested blocks add to the outer ones.

    >>> import pyarrow as pa
    >>> from chipclass.core.catalogue import from_table
    >>> with column_aliases({"Chip": "name", "FP8 Dense": "fp8 [PFLOPS]"}):
    ...     cat = from_table(pa.table({"Chip": ["X"], "FP8 Dense": [2.0]}))
    >>> float(cat.values["fp8"][0]), cat.headers["fp8"]
    (2000.0, 'FP8 Dense')
    """
    token = ALIASES.set({**ALIASES.get(), **{alias_key(k): v for k, v in aliases.items()}})
    try:
        yield
    finally:
        ALIASES.reset(token)
