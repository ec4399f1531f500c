"""Strict JSON for every command and engine: one encoder, one float format, one ``meta`` block.

* **Strict** (RFC 8259): NaN, infinities and missing values are ``null``; never ``NaN`` or
  ``Infinity``, which most JSON parsers refuse.
* **One float format**: the shortest text that reads back as the same float64 (Python's
  ``repr``, as msgspec writes it): ``1.234567891e-08``, never ``0.000000012345679`` (pandas'
  ``double_precision`` fixed decimals lose digits and differ between engines).
* **One envelope**: JSON is ``{"meta": {...}, "rows": [...]}`` when audit fields are given,
  JSON Lines a first line ``{"_meta": {...}}`` (:mod:`chipclass.outputs.audit`).

Tables (Arrow or pandas) are encoded row by row by msgspec's C encoder from Arrow's Python
values, so the in-memory, ``--stream`` and ``--engine dask`` outputs of the same rows are the
same bytes.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pyarrow as pa

from chipclass.core.arrowcompute import cast

__all__ = ["strict", "json_text", "table_json", "meta_line", "to_records", "json_default", "to_arrow"]


def strict(obj):
    """``obj`` made strict JSON: NaN, infinities and missing values (``pd.NA``, ``NaT``) as None,
    numpy scalars as Python numbers, containers walked."""
    if isinstance(obj, dict):
        return {str(k): strict(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [strict(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [strict(v) for v in obj.tolist()]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float):
        return obj if np.isfinite(obj) else None
    if obj is None or isinstance(obj, (str, bool, int)):
        return obj
    pd = sys.modules.get("pandas")
    if pd is not None:
        if isinstance(obj, pd.DataFrame):
            return to_records(obj)
        if obj is pd.NA or obj is pd.NaT:
            return None
    return obj


def json_default(o):
    """What :func:`json.dumps` cannot encode itself: dates as ISO text, anything else as text."""
    if hasattr(o, "isoformat"):
        return o.isoformat()
    return str(o)


def json_text(obj, lines: bool = False) -> str:
    """Strict JSON (indented) or JSON Lines text of a dict or a list of dicts (:func:`strict`)."""
    if lines:
        rows = obj if isinstance(obj, list) else [obj]
        return "".join(json.dumps(strict(r), ensure_ascii=False, default=json_default, allow_nan=False) + "\n"
                       for r in rows)
    return json.dumps(strict(obj), indent=1, ensure_ascii=False, default=json_default, allow_nan=False) + "\n"


def to_arrow(frame: "pd.DataFrame") -> pa.Table:
    """Arrow table with categorical and object columns as plain strings."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    cols = []
    for name, col in zip(table.column_names, table.columns):
        if pa.types.is_dictionary(col.type):
            col = cast(col, col.type.value_type)
        if pa.types.is_null(col.type) or pa.types.is_large_string(col.type):
            col = cast(col, pa.string())  # one schema whatever a batch holds
        cols.append(col)
    return pa.table(cols, names=table.column_names)


def _arrow(frame) -> pa.Table | None:
    if isinstance(frame, pa.Table):
        return frame
    try:
        return to_arrow(frame)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None  # mixed Python objects: walked by strict() instead


def to_records(frame) -> list[dict]:
    """Rows of a pandas DataFrame or Arrow table as JSON-ready dicts (NaN/inf -> None)."""
    table = _arrow(frame)
    if table is None:
        return [strict(r) for r in frame.to_dict(orient="records")]
    return [strict(r) for r in table.to_pylist()]


def _encoder():
    import msgspec  # its C encoder: a tenth of json's indented pure-Python one; NaN/inf -> null

    return msgspec.json.Encoder(enc_hook=json_default)


def table_json(frame, meta: dict | None = None, lines: bool = False):
    """The bytes of a table (Arrow or pandas) as JSON or JSON Lines, chunk by chunk (an iterator
    of bytes), with the ``meta`` block when given."""
    enc = _encoder()
    table = _arrow(frame)
    rows = table.to_pylist() if table is not None else [strict(r) for r in frame.to_dict(orient="records")]
    if lines:
        if meta is not None:
            yield meta_line(meta)
        for row in rows:
            yield enc.encode(row) + b"\n"
        return
    import msgspec

    yield msgspec.json.format(enc.encode(rows if meta is None else {"meta": meta, "rows": rows}), indent=1) + b"\n"


def meta_line(meta: dict) -> bytes:
    """The first line of a JSON Lines output: ``{"_meta": {...}}``."""
    return _encoder().encode({"_meta": strict(meta)}) + b"\n"
