"""Writers: every output goes through here, to stdout or, atomically, to a file.

:func:`atomic_output` is the one atomic-write helper: a regular file is written to a
temporary file beside it and renamed over it only when complete (a failed or interrupted run
never leaves a half-written or replaced file; the temporary file is removed on errors and on
SIGINT/SIGTERM, which the CLI turns into exceptions). ``-o`` through a symbolic link writes
the link's target and keeps the link; a FIFO or a device (``/dev/null``) is written to
directly, never replaced. A new file gets the mode the umask gives; a replaced one keeps its
mode.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import stat
import sys
from typing import Callable

import numpy as np
import pyarrow as pa

from chipclass.core.arrowcompute import cast as pc_cast
from chipclass.core.interrupt import release, seen, temporary_file
from chipclass.outputs.formats import Format
from chipclass.outputs.jsonout import json_text, meta_line, strict, table_json, to_arrow, to_records  # noqa: F401

__all__ = ["atomic_output", "atomic_path", "write_frame", "write_text", "write_json", "to_records",
           "to_arrow", "StreamWriter", "frame_bytes", "guard_csv", "CSV_GUARD"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _named(exc: OSError, path: str) -> OSError:
    """The OSError with the output path as its file name (pyarrow's carry none), so the one-line
    message names what could not be written (``-o /dev/full``: no space left on device)."""
    if getattr(exc, "filename", None):
        return exc
    text = " ".join(str(exc).split())
    return OSError(exc.errno or 0, f"cannot write: {exc.strerror or text}", path)


@contextlib.contextmanager
def atomic_path(path: str):
    """Yield a path to write (a temporary file of this run's own); it becomes ``path`` only if
    the block completes.

    A FIFO, a device or another non-regular file at ``path`` is yielded as an open binary file
    object, never as a path: it is written in place and never replaced or removed (pyarrow
    removes a *path* it failed to write: as root that once removed ``/dev/full``). A symbolic
    link is followed to its target.
    """
    target = os.path.realpath(path)
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        try:
            with open(target, "wb") as fh:  # FIFO, character device ...: in place, never replaced
                yield fh
        except OSError as exc:
            raise _named(exc, path) from None
        return
    directory = os.path.dirname(target) or "."
    if not os.path.isdir(directory):
        from chipclass.core.errors import InputError

        raise InputError("cannot write: the directory does not exist", source=path)
    tmp = temporary_file(directory, os.path.basename(target))
    try:
        os.chmod(tmp, stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~_umask())
        yield tmp
        if seen():  # Ctrl-C swallowed on the way (chipclass.core.interrupt): never made final
            raise KeyboardInterrupt
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise _named(exc, path) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    finally:
        release(tmp)



@contextlib.contextmanager
def atomic_output(output: str | None):
    """A binary stream: stdout for ``None``/``-``, else a file written atomically."""
    if output in (None, "-"):
        yield sys.stdout.buffer
        sys.stdout.flush()
        return
    with atomic_path(output) as tmp, opened(tmp) as fh:
        yield fh


def opened(target):
    """A binary file for what :func:`atomic_path` yielded: the temporary path opened, or the file
    object of a FIFO or device as it is (closed by :func:`atomic_path`)."""
    return open(target, "wb") if isinstance(target, str) else contextlib.nullcontext(target)


def with_meta(table: pa.Table, meta: dict | None) -> pa.Table:
    """``table`` with the audit fields as the JSON value of schema metadata key ``chipclass``."""
    if not meta:
        return table
    from chipclass.outputs.audit import META_KEY

    return table.replace_schema_metadata({**(table.schema.metadata or {}),
                                          META_KEY.encode(): json.dumps(meta).encode("utf-8")})


def frame_bytes(frame: "pd.DataFrame", fmt: Format, table_text: Callable | None = None,
                meta: dict | None = None) -> bytes:
    """The bytes of ``frame`` in ``fmt``; ``meta`` (audit fields) goes into JSON, JSON Lines and
    Parquet output (see :mod:`chipclass.outputs.audit`)."""
    fmt = Format(fmt)
    if fmt in (Format.CSV, Format.PARQUET):
        buf = io.BytesIO()
        if fmt is Format.CSV:
            from chipclass.outputs.csvbytes import write_csv

            write_csv(_csv_table(frame), buf)
        else:
            import pyarrow.parquet as pq

            pq.write_table(with_meta(to_arrow(frame), meta), buf)
        return buf.getvalue()
    if fmt in (Format.JSON, Format.JSONL):
        return b"".join(table_json(frame, meta, lines=fmt is Format.JSONL))
    else:
        from chipclass.outputs.tables import render_table

        text = (table_text or render_table)(frame)
        if "knowledge horizon" not in text:  # every table names the horizon in its footer
            text = text.rstrip("\n") + "\n\n" + horizon_line() + "\n"
    return (text if text.endswith("\n") or not text else text + "\n").encode("utf-8")


def horizon_line(rules_dir: str | None = None) -> str:
    """The table footer naming the rule data's knowledge horizon."""
    from chipclass.rules.horizon import horizon

    return f"Rule data reviewed through {horizon(rules_dir).reviewed_through.isoformat()} (knowledge horizon)."


def write_frame(frame: "pd.DataFrame", fmt: Format = Format.TABLE, output: str | None = None,
                table_text: Callable | None = None, meta: dict | None = None) -> None:
    """Write ``frame`` as ``fmt`` to ``output`` (a path, atomically) or stdout (None or '-');
    ``meta``: the audit fields for JSON, JSON Lines and Parquet."""
    fmt = Format(fmt)
    if fmt in (Format.CSV, Format.PARQUET) and output not in (None, "-"):
        with atomic_path(output) as tmp:  # large tables: write straight to the file
            if fmt is Format.CSV:
                from chipclass.outputs.csvbytes import write_csv

                write_csv(_csv_table(frame), tmp)
            else:
                import pyarrow.parquet as pq

                pq.write_table(with_meta(to_arrow(frame), meta), tmp)
        return
    data = frame_bytes(frame, fmt, table_text, meta)
    with atomic_output(output) as fh:
        fh.write(data)


def write_table(table: pa.Table, fmt: Format, output: str | None = None, meta: dict | None = None) -> None:
    """Write an Arrow result table as CSV, JSON, JSON Lines or Parquet without pandas (the
    ``score`` path: :meth:`Classification.to_arrow`); ``meta`` as for :func:`write_frame`."""
    fmt = Format(fmt)
    if fmt in (Format.CSV, Format.PARQUET):
        table = _plain(table)
        if fmt is Format.CSV and CSV_GUARD:
            table = guard_csv(table)
        if fmt is Format.PARQUET:
            table = with_meta(table, meta)
        with atomic_output(output) if output in (None, "-") else atomic_path(output) as target:
            if fmt is Format.CSV:
                from chipclass.outputs.csvbytes import write_csv

                write_csv(table, target)
            else:
                import pyarrow.parquet as pq

                pq.write_table(table, target)
        return
    if fmt not in (Format.JSON, Format.JSONL):
        raise ValueError(f"write_table writes csv, json, jsonl or parquet, not {fmt}")
    with atomic_output(output) as fh:
        for chunk in table_json(table, meta, lines=fmt is Format.JSONL):
            fh.write(chunk)


def _plain(table: pa.Table) -> pa.Table:
    """Dictionary, null and large-string columns as plain strings (one schema for every batch)."""
    cols = []
    for col in table.columns:
        if pa.types.is_dictionary(col.type):
            col = pc_cast(col, col.type.value_type)
        if pa.types.is_null(col.type) or pa.types.is_large_string(col.type):
            col = pc_cast(col, pa.string())
        cols.append(col)
    return pa.table(cols, names=table.column_names)


def write_text(text: str, output: str | None = None, *, terminal_safe: bool = True) -> None:
    """Write text (a newline added if missing) to ``output`` or stdout; control characters other
    than tab and newline are shown as ``?`` (:func:`chipclass.outputs.tables.safe`) unless
    ``terminal_safe`` is false (JSON, which escapes them itself)."""
    if terminal_safe:
        from chipclass.outputs.tables import safe

        text = safe(text)
    with atomic_output(output) as fh:
        fh.write((text if text.endswith("\n") else text + "\n").encode("utf-8"))


def write_json(obj, output: str | None = None, lines: bool = False) -> None:
    """Write a dict or list of dicts as JSON (or JSON Lines) to ``output`` or stdout."""
    write_text(json_text(obj, lines), output, terminal_safe=False)


#: Neutralise spreadsheet formulas in CSV output (``--no-csv-guard`` turns it off).
CSV_GUARD = True
#: First characters that make a spreadsheet evaluate a cell (OWASP, "CSV Injection").
_FORMULA_START = "=+-@\t\r"
_PLAIN_NUMBER = r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$"


_RISKY_FIRST = np.frombuffer(b"=+-@\t\r", dtype=np.uint8)


def _may_be_risky(col) -> bool:
    """Whether any cell of a string column starts with a character :func:`guard_csv` looks at,
    read from the first byte of each cell in the string buffers (no per-row masks)."""
    wide = pa.types.is_large_string(col.type)
    for chunk in col.chunks:
        if len(chunk) == 0:
            continue
        _, offsets_buf, data_buf = chunk.buffers()
        if data_buf is None:
            continue
        offsets = np.frombuffer(offsets_buf, dtype=np.int64 if wide else np.int32)[
            chunk.offset:chunk.offset + len(chunk) + 1]
        starts = offsets[:-1][np.diff(offsets) > 0]
        if len(starts) and np.isin(np.frombuffer(data_buf, dtype=np.uint8)[starts], _RISKY_FIRST).any():
            return True
    return False


def guard_csv(table: pa.Table) -> pa.Table:
    """Text cells a spreadsheet would evaluate, prefixed with ``'`` (OWASP CSV injection guidance).

    A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading single quote, so Excel, LibreOffice and Google Sheets show it as text; numeric
    columns, and text cells that are plain numbers (``-5``, ``+1.5e3``), are left as they are.

    >>> guard_csv(pa.table({"a": ["=1+1", "-5", "ok", "@SUM(A1)"]})).column(0).to_pylist()
    ["'=1+1", '-5', 'ok', "'@SUM(A1)"]
    """
    from chipclass.core import arrowcompute as pc

    cols = []
    for col in table.columns:
        if (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)) and _may_be_risky(col):
            risky = pc.and_(pc.match_substring_regex(col, "^[=+\\-@\t\r]"),
                            pc.invert(pc.match_substring_regex(col, _PLAIN_NUMBER)))
            if pc.any(risky).as_py():
                col = pc.if_else(risky, pc.binary_join_element_wise("'", col, ""), col)
        cols.append(col)
    return pa.table(cols, names=table.column_names)


def _csv_table(frame: pd.DataFrame) -> pa.Table:
    table = to_arrow(frame)
    return guard_csv(table) if CSV_GUARD else table


class StreamWriter:
    """Write result batches incrementally (CSV, JSON Lines, Parquet) to a file, atomically."""

    def __init__(self, fmt: Format, output: str | None, meta: dict | None = None):
        fmt = Format(fmt)
        if fmt not in (Format.CSV, Format.JSONL, Format.PARQUET):
            raise ValueError(f"streaming output supports csv, jsonl and parquet, not {fmt}")
        self.fmt, self.output, self.meta = fmt, output, meta
        self._ctx = atomic_path(output) if output not in (None, "-") else None
        self._path = self._ctx.__enter__() if self._ctx else None
        self._sink = None
        self._writer = None
        self._schema = None

    def write(self, frame: "pd.DataFrame") -> None:
        """Append one batch of result rows (the first batch opens the writer and, for JSON Lines, writes the meta line)."""
        if self.fmt is Format.JSONL:
            self._open_jsonl()
            self._sink.write(b"".join(table_json(frame, lines=True)))
            return
        self._append(_csv_table(frame) if self.fmt is Format.CSV else to_arrow(frame))

    def write_table(self, table: pa.Table) -> None:
        """Append one batch of result rows given as an Arrow table (the ``score`` path: no
        pandas), written as :func:`write_table` writes a whole one."""
        if self.fmt is Format.JSONL:
            self._open_jsonl()
            for chunk in table_json(table, lines=True):
                self._sink.write(chunk)
            return
        table = _plain(table)
        self._append(guard_csv(table) if self.fmt is Format.CSV and CSV_GUARD else table)

    def _append(self, table: pa.Table) -> None:
        first = self._schema is None
        if first:
            if self.fmt is Format.PARQUET:
                table = with_meta(table, self.meta)
            self._schema = table.schema
        elif table.schema != self._schema:
            table = table.cast(self._schema)
        if self.fmt is Format.CSV:  # the threaded encoder; the header with the first batch only
            from chipclass.outputs.csvbytes import write_csv

            self._open_sink()
            write_csv(table, self._sink, header=first)
            return
        if self._writer is None:
            import pyarrow.parquet as pq

            self._writer = pq.ParquetWriter(self._path if self._path is not None else sys.stdout.buffer,
                                            self._schema)
        self._writer.write_table(table)

    def _open_sink(self) -> None:
        if self._sink is None:
            self._sink = (open(self._path, "wb") if isinstance(self._path, str) else
                          self._path if self._path is not None else sys.stdout.buffer)

    def _open_jsonl(self) -> None:
        """Open the JSON Lines sink on the first batch, writing the meta line first."""
        if self._sink is None:
            self._open_sink()
            if self.meta is not None:
                self._sink.write(meta_line(self.meta))

    def close(self, ok: bool = True) -> None:
        """Finish the output: on ``ok`` the temporary file replaces the target, else it is removed."""
        if self._writer is not None:
            self._writer.close()
        if self._sink is not None:
            self._sink.close() if isinstance(self._path, str) else self._sink.flush()
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
