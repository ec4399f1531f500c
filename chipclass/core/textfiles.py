"""Reading tables of text: CSV (comma, semicolon, tab or pipe separated, UTF-8, rows checked
for shape) and Parquet by suffix, or ``-`` for stdin, into pyarrow Tables; the structure faults
of a CSV file found row by row. :mod:`chipclass.core.readers` makes catalogues of them."""

from __future__ import annotations

import csv
import io
import os
import sys
import pyarrow as pa
import pyarrow.csv as pacsv

from chipclass.core.catalogue import NameIndex, check_headers, from_table
from chipclass.core.errors import InputError

__all__ = ["read_table", "csv_options", "open_input", "peek_header", "is_parquet", "empty_table",
           "structure_error", "DELIMITERS", "MAX_ROW_BYTES", "BLOCK_BYTES"]


#: Bytes pyarrow reads per block; a row longer than this cannot be read (see MAX_ROW_BYTES).
BLOCK_BYTES = 1 << 22
#: Longest row (and header line) accepted: a refused row is named with this limit.
MAX_ROW_BYTES = BLOCK_BYTES // 2


def csv_options(header: list[str], delimiter: str = ","
                 ) -> tuple[pacsv.ReadOptions, pacsv.ParseOptions, pacsv.ConvertOptions]:
    """Every column as text, only an empty cell null: the cell grammar
    (:mod:`chipclass.core.cells`) reads the numbers, the same way in every engine."""
    return (pacsv.ReadOptions(block_size=BLOCK_BYTES), pacsv.ParseOptions(delimiter=delimiter),
            pacsv.ConvertOptions(column_types={h: pa.string() for h in header}, strings_can_be_null=True,
                                 null_values=[""], quoted_strings_can_be_null=True))


def open_input(path) -> tuple[object, str]:
    """What to read and its name for messages: a pyarrow buffer for ``-`` (stdin), bytes or a
    readable object, else the path itself.

    Raises
    ------
    InputError
        If the path does not exist or is a directory.
    """
    if isinstance(path, (str, os.PathLike)) and str(path) == "-":
        return pa.BufferReader(sys.stdin.buffer.read()), "<stdin>"
    if isinstance(path, (bytes, bytearray)):
        return pa.BufferReader(bytes(path)), "<bytes>"
    if hasattr(path, "read"):
        data = path.read()
        return pa.BufferReader(data.encode() if isinstance(data, str) else data), getattr(path, "name", "<stream>")
    if not os.path.exists(path):
        raise InputError("no such file", source=str(path))
    if os.path.isdir(path):
        raise InputError("is a directory, not a file", source=str(path))
    return str(path), str(path)


csv.field_size_limit(max(csv.field_size_limit(), MAX_ROW_BYTES + 1))  # our own limits apply first

#: Delimiters recognised from the header line (the one that splits it into most fields wins).
DELIMITERS = (",", ";", "\t", "|")


def _head_bytes(src) -> bytes:
    if isinstance(src, pa.BufferReader):
        data = src.read(MAX_ROW_BYTES + 1)
        src.seek(0)
        return data
    with open(src, "rb") as fh:
        return fh.read(MAX_ROW_BYTES + 1)


def _split_line(line: str, delim: str) -> list[str] | None:
    try:
        return next(csv.reader([line], delimiter=delim, strict=True))
    except (csv.Error, StopIteration):
        return None


def peek_header(src, source: str = "<csv>") -> tuple[list[str], str, bool]:
    """The header fields, the delimiter, and whether any data follows the header line.

    The header line must be UTF-8 (a BOM is dropped) and at most :data:`MAX_ROW_BYTES`.
    """
    data = _head_bytes(src)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    end = data.find(b"\n")
    if end < 0 and len(data) > MAX_ROW_BYTES:
        raise InputError(f"the header row is longer than the limit of {MAX_ROW_BYTES // 2**20} MiB", source=source)
    line = data if end < 0 else data[:end]
    rest = b"" if end < 0 else data[end + 1:]
    try:
        text = line.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError as exc:
        raise InputError(f"the header row is not UTF-8 text (byte 0x{line[exc.start]:02x} at position "
                         f"{exc.start + 1}); save the file as UTF-8", source=source) from None
    if not text.strip():
        return [], ",", False
    delim = max(DELIMITERS, key=lambda d: len(_split_line(text, d) or [text]))
    header = _split_line(text, delim)
    if header is None:
        raise InputError("the header row has an unbalanced quote", source=source)
    check_headers(header, source)
    return header, delim, bool(rest.strip())


def is_parquet(path) -> bool:
    """Whether ``path`` is a path whose name ends in ``.parquet`` or ``.pq`` (case ignored)."""
    return isinstance(path, (str, os.PathLike)) and str(path).lower().endswith((".parquet", ".pq"))


def _lines(src):
    """Physical lines of the file as bytes (without the line end), BOM dropped."""
    if isinstance(src, pa.BufferReader):
        src.seek(0)
        fh = io.BytesIO(src.read())
        src.seek(0)
    else:
        fh = open(src, "rb")
    with fh:
        first = True
        for line in fh:
            if first and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            first = False
            yield line.rstrip(b"\n").rstrip(b"\r")


def structure_error(src, header: list[str], delim: str, source: str, start: int = 0,
                     seen: NameIndex | None = None) -> InputError | None:
    """After pyarrow refused the file: the first bad row, found line by line (the error path
    only). A row that is not UTF-8, has more or fewer fields than the header, an unbalanced
    quote, or is longer than :data:`MAX_ROW_BYTES`. Rows ``start+1`` to the bad one are also
    normalised, so a bad cell before it is reported first, as streaming would."""
    rows: list[list[str]] = []
    bad: InputError | None = None
    row = 0
    lines = _lines(src)
    next(lines, None)  # the header
    for raw in lines:
        if not raw:
            continue  # empty lines are skipped, as pyarrow does
        row += 1
        if len(raw) > MAX_ROW_BYTES:
            bad = InputError(f"the row is longer than the limit of {MAX_ROW_BYTES // 2**20} MiB", source=source, row=row)
            break
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad = InputError(f"is not UTF-8 text (byte 0x{raw[exc.start]:02x} at position {exc.start + 1}); "
                             "save the file as UTF-8", source=source, row=row)
            break
        fields = _split_line(text, delim)
        if fields is None:
            loose = next(csv.reader([text], delimiter=delim))
            j = min(len(loose), len(header)) - 1
            bad = InputError("a quoted value runs past the end of its line (an unbalanced quote? values "
                             "may not span lines)", source=source, row=row, column=header[j],
                             value=loose[-1][:80])
            break
        if len(fields) != len(header):
            bad = InputError(f"has {len(fields)} fields but the header has {len(header)}", source=source,
                             row=row, value=text[:80] + ("..." if len(text) > 80 else ""))
            break
        if row > start:
            rows.append(fields)
    if bad is None:
        return None
    if rows:
        table = pa.table({h: pa.array([r[j] or None for r in rows], pa.string()) for j, h in enumerate(header)})
        from_table(table, source=source, offset=start, seen=seen)  # raises an earlier error, if any
    return bad


def empty_table(header: list[str]) -> pa.Table:
    """A table with no rows and a text column for each name of ``header``."""
    return pa.table({h: pa.array([], pa.string()) for h in header})


def read_table(path, source: str | None = None) -> tuple[pa.Table, str]:
    """Read a CSV (or Parquet, by extension) file, ``-`` for stdin, into a pyarrow Table of text.

    Ragged rows, unbalanced quotes, text that is not UTF-8 and over-long rows are refused with
    the row number; a BOM is dropped; a header-only file (with or without a final newline) is
    an empty table; duplicate headers are refused by name.
    """
    if is_parquet(path):
        if not os.path.exists(path):
            raise InputError("no such file", source=str(path))
        import pyarrow.parquet as pq

        try:
            return pq.read_table(path), str(path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"cannot read Parquet: {' '.join(str(exc).split())}", source=str(path)) from None
    src, name = open_input(path)
    source = source or name
    header, delim, has_rows = peek_header(src, source)
    if not header:
        raise InputError("empty file: expected a header row", source=source)
    if not has_rows:
        return empty_table(header), source
    read_opts, parse_opts, convert_opts = csv_options(header, delim)
    try:
        return pacsv.read_csv(src, read_options=read_opts, parse_options=parse_opts,
                              convert_options=convert_opts), source
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise (structure_error(src, header, delim, source)
               or InputError(f"cannot read CSV: {' '.join(str(exc).split())}", source=source)) from None
