"""Outputs: table, CSV, JSON, JSON Lines and Parquet, written atomically.

A file output is written to a temporary file beside the target and renamed over it only
when complete, so a failed or interrupted run never leaves a half-written file.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
from typing import Callable, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

__all__ = ["FORMATS", "atomic_path", "write_frame", "to_records", "to_arrow", "render_table",
           "StreamWriter"]

FORMATS = ("table", "csv", "json", "jsonl", "parquet")

#: Columns the table view shows (others are in csv/json).
TABLE_COLUMNS = ("name", "tpp", "tpp_format", "performance_density", "memory_bandwidth_density",
                 "eccn", "clause", "status", "missing")


@contextlib.contextmanager
def atomic_path(path: str):
    """Yield a temporary path beside ``path``; rename it over ``path`` on success only."""
    directory = os.path.dirname(os.path.abspath(path)) or "."
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def to_arrow(frame: pd.DataFrame) -> pa.Table:
    """Arrow table with categorical and object columns as plain strings."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    cols = []
    for name, col in zip(table.column_names, table.columns):
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        if pa.types.is_null(col.type) or pa.types.is_large_string(col.type):
            col = col.cast(pa.string())  # one schema whatever a batch holds
        cols.append(col)
    return pa.table(cols, names=table.column_names)


def to_records(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts: NaN -> None, numpy scalars -> Python."""
    return json.loads(frame.to_json(orient="records", double_precision=15, force_ascii=False))


def _fmt_cell(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return "—"
    if isinstance(v, (float, np.floating)):
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"
    return str(v)


def render_table(frame: pd.DataFrame, columns: Iterable[str] = TABLE_COLUMNS) -> str:
    """A readable fixed-width table of the main columns."""
    cols = [c for c in columns if c in frame.columns]
    header = {"performance_density": "PD", "memory_bandwidth_density": "MBD", "tpp_format": "fmt"}
    cells = [[header.get(c, c) for c in cols]]
    data = frame[cols]
    for row in data.itertuples(index=False):  # display only: a person reads these rows
        cells.append([_fmt_cell(v) for v in row])
    widths = [max(len(r[i]) for r in cells) for i in range(len(cols))]
    numeric = [pd.api.types.is_numeric_dtype(data[c]) for c in cols]
    lines = []
    for k, r in enumerate(cells):
        lines.append("  ".join(v.rjust(w) if numeric[i] and k else v.ljust(w)
                               for i, (v, w) in enumerate(zip(r, widths))).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def _write_to(stream_or_path, fmt: str, frame: pd.DataFrame, table_text: Callable[[pd.DataFrame], str]):
    if fmt == "csv":
        pacsv.write_csv(to_arrow(frame), stream_or_path)
    elif fmt == "parquet":
        pq.write_table(to_arrow(frame), stream_or_path)
    else:
        if fmt == "json":
            text = frame.to_json(orient="records", double_precision=15, force_ascii=False, indent=1)
        elif fmt == "jsonl":
            text = frame.to_json(orient="records", lines=True, double_precision=15, force_ascii=False)
        else:
            text = table_text(frame)
        if isinstance(stream_or_path, str):
            with open(stream_or_path, "w", encoding="utf-8") as fh:
                fh.write(text if text.endswith("\n") else text + "\n")
        else:
            stream_or_path.write((text if text.endswith("\n") else text + "\n").encode("utf-8"))


def write_frame(frame: pd.DataFrame, fmt: str = "table", output: str | None = None,
                table_text: Callable[[pd.DataFrame], str] = render_table) -> None:
    """Write ``frame`` as ``fmt`` to ``output`` (a path, atomically) or stdout (None or '-')."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (one of: {', '.join(FORMATS)})")
    if output in (None, "-"):
        if fmt == "parquet":
            buf = io.BytesIO()
            _write_to(buf, fmt, frame, table_text)
            sys.stdout.buffer.write(buf.getvalue())
        else:
            _write_to(sys.stdout.buffer, fmt, frame, table_text)
        sys.stdout.flush()
        return
    with atomic_path(output) as tmp:
        _write_to(tmp, fmt, frame, table_text)


class StreamWriter:
    """Write result batches incrementally (CSV, JSON Lines, Parquet) to a file, atomically."""

    def __init__(self, fmt: str, output: str | None):
        if fmt not in ("csv", "jsonl", "parquet"):
            raise ValueError(f"streaming output supports csv, jsonl and parquet, not {fmt!r}")
        self.fmt, self.output = fmt, output
        self._ctx = atomic_path(output) if output not in (None, "-") else None
        self._path = self._ctx.__enter__() if self._ctx else None
        self._sink = None
        self._writer = None
        self._schema = None

    def write(self, frame: pd.DataFrame) -> None:
        if self.fmt == "jsonl":
            text = frame.to_json(orient="records", lines=True, double_precision=15, force_ascii=False)
            data = (text if text.endswith("\n") else text + "\n").encode("utf-8")
            if self._sink is None:
                self._sink = open(self._path, "wb") if self._path else sys.stdout.buffer
            self._sink.write(data)
            return
        table = to_arrow(frame)
        if self._writer is None:
            self._schema = table.schema
            target = self._path if self._path else sys.stdout.buffer
            self._writer = (pacsv.CSVWriter(target, self._schema) if self.fmt == "csv"
                            else pq.ParquetWriter(target, self._schema))
        elif table.schema != self._schema:
            table = table.cast(self._schema)
        self._writer.write_table(table)

    def close(self, ok: bool = True) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._sink is not None and self._sink is not sys.stdout.buffer:
            self._sink.close()
        if self._ctx is not None:
            if ok:
                self._ctx.__exit__(None, None, None)
            else:
                with contextlib.suppress(BaseException):
                    self._ctx.__exit__(RuntimeError, RuntimeError("aborted"), None)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close(ok=exc_type is None)
        return False
