"""Catalogue validation (``chipclass check``): beyond what loading already enforces.

Loading checks the vocabulary, units, dimensions, numbers and unique names. This adds what a
shipped, traceable catalogue needs:

- every row has a ``source`` (a datasheet or whitepaper URL, else press with ``source_note``);
- where a row gives both a dense and a "with sparsity" figure for a format, sparse is twice
  dense within 2 % (a sparse figure in a dense column is the common datasheet mix-up).
"""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc

from chipclass.core.catalogue import Catalogue
from chipclass.core.errors import InputError
from chipclass.core.formats import FORMATS

__all__ = ["validate", "SPARSE_RATIO", "SPARSE_TOLERANCE"]

#: 2:4 structured sparsity doubles the quoted rate.
SPARSE_RATIO = 2.0
#: Relative tolerance on sparse / dense (datasheets round: 989.4 vs 1,979).
SPARSE_TOLERANCE = 0.02


def validate(cat: Catalogue, require_source: bool = True) -> list[InputError]:
    """Every problem found, in row order within each check (empty when the catalogue is clean)."""
    problems: list[InputError] = []
    if require_source:
        if "source" not in cat.extra.column_names:
            problems.append(InputError("no 'source' column: every figure needs its origin "
                                       "(datasheet or whitepaper URL)", source=cat.source))
        else:
            col = cat.extra.column("source")
            text = pc.utf8_trim_whitespace(col.cast("string"))
            empty = np.asarray(pc.or_(pc.is_null(text), pc.equal(text, "")).fill_null(True))
            for i in np.flatnonzero(empty):
                problems.append(InputError("no source given for this device", source=cat.source,
                                           row=int(i) + 1, column="source", value=str(cat.names.iloc[i])))
    for f in FORMATS:
        dense, sparse = cat.values[f], cat.values[f"{f}_sparse"]
        both = ~np.isnan(dense) & ~np.isnan(sparse) & (dense > 0)
        if not both.any():
            continue
        ratio = np.divide(sparse, dense, out=np.full(len(cat), np.nan), where=both)
        bad = both & (np.abs(ratio - SPARSE_RATIO) > SPARSE_TOLERANCE * SPARSE_RATIO)
        for i in np.flatnonzero(bad):
            problems.append(InputError(
                f"sparse figure is {ratio[i]:.3g} x the dense {f} figure {dense[i]:g}, expected "
                f"{SPARSE_RATIO:g} x (is one of them in the wrong column?)", source=cat.source,
                row=int(i) + 1, column=cat.headers.get(f"{f}_sparse", f"{f}_sparse"),
                value=f"{sparse[i]:g}"))
    return problems
