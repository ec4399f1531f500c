"""Fixed-width tables for people (rendered by `tabulate`_), with terminal-safe cells.

Control characters in cells (escape sequences in a device name) are replaced, so nothing a
catalogue holds can drive the terminal.

.. _tabulate: https://github.com/astanin/python-tabulate
"""

from __future__ import annotations

import re
import sys
from typing import Iterable

import numpy as np

__all__ = ["render_table", "fmt_cell", "safe", "TABLE_COLUMNS"]

#: Columns the table view of scores shows (all of them are in csv/json).
TABLE_COLUMNS = ("name", "tpp", "tpp_format", "performance_density", "memory_bandwidth_density",
                 "eccn", "clause", "status", "missing")
HEADERS = {"performance_density": "PD", "memory_bandwidth_density": "MBD", "tpp_format": "fmt"}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe(text) -> str:
    """``text`` with control characters shown as ``?`` (no escape sequence reaches a terminal)."""
    return _CONTROL.sub("?", str(text))


def fmt_cell(v) -> str:
    """One table cell as text: missing as an em dash, large floats with thousands separators, text
    made safe for a terminal.

    >>> fmt_cell(15832.0), fmt_cell(2.909), fmt_cell(None)
    ('15,832', '2.91', '—')
    """
    pd = sys.modules.get("pandas")  # not imported for the one-line messages (safe)
    if v is None or (pd is not None and v is pd.NA) or (isinstance(v, float) and np.isnan(v)):
        return "—"
    if isinstance(v, (float, np.floating)):
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return f"{v:,}"
    return safe(v)


def render_table(frame: "pd.DataFrame", columns: Iterable[str] = TABLE_COLUMNS) -> str:
    """A readable fixed-width table of the given columns (numbers right-aligned)."""
    import pandas as pd
    from tabulate import tabulate

    cols = [c for c in columns if c in frame.columns]
    data = frame[cols]
    numeric = [pd.api.types.is_numeric_dtype(data[c]) and not pd.api.types.is_bool_dtype(data[c]) for c in cols]
    rows = [[fmt_cell(v) for v in row] for row in data.itertuples(index=False)]  # display only
    return tabulate(rows, headers=[safe(HEADERS.get(c, c)) for c in cols], tablefmt="simple",
                    disable_numparse=True, colalign=["right" if n else "left" for n in numeric]) + "\n"
