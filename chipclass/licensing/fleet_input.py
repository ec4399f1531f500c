"""Reading a deployment (fleet) table: every column through the catalogue's discipline.

Counts and years go through the cell grammar of :mod:`chipclass.core.cells` (so ``inf``,
``1 000`` or ``0x10`` are refused as in a catalogue); counts must be whole numbers of one or
more, years calendar years in :data:`YEARS`; countries are looked up once per distinct text.
Every error names the file, row, column and the text as written.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from chipclass.core.errors import InputError
from chipclass.rules.countries import country_code

__all__ = ["counts", "years", "countries", "YEARS"]

#: Years a deployment row may name (a sanity bound on input, not a regulatory figure).
YEARS = (1990, 2100)


def _column(values: pd.Series, source: str, column: str, kind: str = "dimensionless") -> np.ndarray:
    """A fleet column through the catalogue's cell grammar (:mod:`chipclass.core.cells`)."""
    from chipclass.core.cells import numeric_column

    arr = pa.array([None if v is None or (isinstance(v, float) and v != v) else str(v)
                    for v in values.astype(object).tolist()], pa.string())
    return numeric_column(pa.chunked_array([arr]), kind, None, "", source=source, column=column, offset=0)


def counts(values: pd.Series, source: str) -> np.ndarray:
    """Device counts: finite whole numbers of one or more, every row."""
    count = _column(values, source, "count")
    bad = np.isnan(count) | (count < 1) | (count != np.floor(count))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError("count must be a whole number of devices, one or more", source=source, row=i + 1,
                         column="count", value="" if values.iloc[i] is None else str(values.iloc[i]))
    return count


def years(values: pd.Series, source: str) -> pd.Series:
    """Calendar years (empty: not given); anything else is refused."""
    try:
        year = _column(values, source, "year")
    except InputError as exc:
        raise InputError(f"year must be a calendar year ({YEARS[0]} to {YEARS[1]})", source=source, row=exc.row,
                         column="year", value=exc.value) from None
    bad = ~np.isnan(year) & ((year != np.floor(year)) | (year < YEARS[0]) | (year > YEARS[1]))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"year must be a calendar year ({YEARS[0]} to {YEARS[1]})", source=source, row=i + 1,
                         column="year", value=str(values.iloc[i]))
    return pd.Series(pd.arrays.IntegerArray(np.where(np.isnan(year), 0, year).astype(np.int64), np.isnan(year)))


def countries(values: pd.Series, source: str, column: str, required: bool = False) -> list:
    """ISO codes, each distinct text looked up once; an unknown one names file, row and column."""
    codes: dict[str, str | None] = {}
    out = []
    for i, v in enumerate(values.tolist()):
        text = "" if v is None or (isinstance(v, float) and v != v) else str(v).strip()
        if text not in codes:
            if not text:
                if required:
                    raise InputError("every row needs a country", source=source, row=i + 1, column=column, value="")
                codes[text] = None
            elif len(text) > 100:
                raise InputError("is not a country (an ISO 3166 code or English name)", source=source,
                                 row=i + 1, column=column, value=text[:40] + "...")
            else:
                try:
                    codes[text] = country_code(text)
                except InputError as exc:
                    raise InputError(exc.message, source=source, row=i + 1, column=column, value=v) from None
        out.append(codes[text])
    return out
