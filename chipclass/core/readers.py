"""Reading catalogue files: CSV (comma, semicolon, tab or pipe separated), Parquet by suffix,
or ``-`` for stdin, whole or in record batches; :func:`~chipclass.core.catalogue.from_table`
normalises what is read.
"""

from __future__ import annotations

import csv
import io
import os
import sys
from typing import Iterator

import pyarrow as pa
import pyarrow.csv as pacsv

from chipclass.core.catalogue import FLAGS, Catalogue, NameIndex, vocabulary, check_headers, from_frame, from_table
from chipclass.core.errors import InputError

__all__ = ["load", "spec_catalogue", "read_table", "read_catalogue", "iter_catalogue", "DELIMITERS",
           "MAX_ROW_BYTES"]


#: Bytes pyarrow reads per block; a row longer than this cannot be read (see MAX_ROW_BYTES).
BLOCK_BYTES = 1 << 22
#: Longest row (and header line) accepted: a refused row is named with this limit.
MAX_ROW_BYTES = BLOCK_BYTES // 2


def _csv_options(header: list[str], delimiter: str = ","
                 ) -> tuple[pacsv.ReadOptions, pacsv.ParseOptions, pacsv.ConvertOptions]:
    """Every column as text, only an empty cell null: the cell grammar
    (:mod:`chipclass.core.cells`) reads the numbers, the same way in every engine."""
    return (pacsv.ReadOptions(block_size=BLOCK_BYTES), pacsv.ParseOptions(delimiter=delimiter),
            pacsv.ConvertOptions(column_types={h: pa.string() for h in header}, strings_can_be_null=True,
                                 null_values=[""], quoted_strings_can_be_null=True))


def _open(path) -> tuple[object, str]:
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


def _peek_header(src, source: str = "<csv>") -> tuple[list[str], str, bool]:
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


def _is_parquet(path) -> bool:
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


def _structure_error(src, header: list[str], delim: str, source: str, start: int = 0,
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


def _empty(header: list[str]) -> pa.Table:
    return pa.table({h: pa.array([], pa.string()) for h in header})


def read_table(path, source: str | None = None) -> tuple[pa.Table, str]:
    """Read a CSV (or Parquet, by extension) file, ``-`` for stdin, into a pyarrow Table of text.

    Ragged rows, unbalanced quotes, text that is not UTF-8 and over-long rows are refused with
    the row number; a BOM is dropped; a header-only file (with or without a final newline) is
    an empty table; duplicate headers are refused by name.
    """
    if _is_parquet(path):
        if not os.path.exists(path):
            raise InputError("no such file", source=str(path))
        import pyarrow.parquet as pq

        try:
            return pq.read_table(path), str(path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"cannot read Parquet: {' '.join(str(exc).split())}", source=str(path)) from None
    src, name = _open(path)
    source = source or name
    header, delim, has_rows = _peek_header(src, source)
    if not header:
        raise InputError("empty file: expected a header row", source=source)
    if not has_rows:
        return _empty(header), source
    read_opts, parse_opts, convert_opts = _csv_options(header, delim)
    try:
        return pacsv.read_csv(src, read_options=read_opts, parse_options=parse_opts,
                              convert_options=convert_opts), source
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise (_structure_error(src, header, delim, source)
               or InputError(f"cannot read CSV: {' '.join(str(exc).split())}", source=source)) from None


def read_catalogue(path) -> Catalogue:
    """Read and normalise a catalogue file (CSV, Parquet by extension, or ``-`` for stdin)."""
    table, source = read_table(path)
    return from_table(table, source=source)


def iter_catalogue(path, batch_rows: int = 1 << 20) -> Iterator[Catalogue]:
    """Stream a catalogue file in record batches of about ``batch_rows`` rows.

    Memory is bounded by the batch size (plus 16 bytes per row for the name check); row
    numbers in messages count from the start of the file, and the first error reported is
    the one :func:`read_catalogue` reports: the header is checked before any row (even when
    there is none), names are unique across batches (:class:`~chipclass.core.catalogue.NameIndex`),
    and a structural fault is reported after any bad cell in an earlier row.
    """
    seen: NameIndex
    if _is_parquet(path):
        if not os.path.exists(path):
            raise InputError("no such file", source=str(path))
        source = str(path)
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"cannot read Parquet: {' '.join(str(exc).split())}", source=source) from None
        header = list(pf.schema_arrow.names)
        check_headers(header, source)
        vocabulary(header, source)
        batches, src, delim = pf.iter_batches(batch_size=batch_rows), None, None
    else:
        src, source = _open(path)
        header, delim, has_rows = _peek_header(src, source)
        if not header:
            raise InputError("empty file: expected a header row", source=source)
        vocabulary(header, source)
        batches = None
    seen = NameIndex(source)
    offset = 0
    try:
        if batches is None:
            read_opts, parse_opts, convert_opts = _csv_options(header, delim)
            batches = (pacsv.open_csv(src, read_options=read_opts, parse_options=parse_opts,
                                      convert_options=convert_opts) if has_rows else iter(()))
        for batch in batches:
            for start in range(0, batch.num_rows, batch_rows):
                table = pa.Table.from_batches([batch.slice(start, batch_rows)])
                yield from_table(table, source=source, offset=offset, seen=seen)
                offset += table.num_rows
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        if src is None:
            raise InputError(f"cannot read Parquet: {' '.join(str(exc).split())}", source=source) from None
        raise (_structure_error(src, header, delim, source, start=offset, seen=seen)
               or InputError(f"cannot read CSV: {' '.join(str(exc).split())}", source=source)) from None
    if offset == 0:
        yield from_table(_empty(header), source=source)


def load(data) -> Catalogue:
    """A :class:`~chipclass.catalogue.Catalogue` from a path, ``-``, DataFrame or Catalogue."""
    if isinstance(data, Catalogue):
        return data
    pd = sys.modules.get("pandas")  # a DataFrame means pandas is imported already: never import it here
    if pd is not None and isinstance(data, pd.DataFrame):
        return from_frame(data)
    if isinstance(data, pa.Table):
        return from_table(data)
    if isinstance(data, (str, os.PathLike)) or hasattr(data, "read"):
        return read_catalogue(data)
    raise TypeError(f"cannot read a catalogue from {type(data).__name__}")


def _scalar_text(value, yes_no: bool = False) -> str | None:
    """A spec value as the text a catalogue cell would hold; a yes/no column takes booleans and
    the numbers 1/0 (how a Catalogue stores them), NaN meaning unknown."""
    import math

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if type(value).__module__.startswith("pint"):
        return f"{value.magnitude!r} {value.units}"
    if isinstance(value, bool) or (yes_no and isinstance(value, (int, float)) and value in (0, 1)):
        return str(bool(value)).lower()
    return str(value)


def spec_catalogue(name: str = "spec", **specs) -> Catalogue:
    """A one-row catalogue from keyword specs: Quantities, strings with units, or numbers in
    the default units (``fp8=296 * ureg.TFLOPS``, ``die_area="8.14 cm**2"``, ``fp8=296``)."""
    cols = {"name": [name]}
    yes_no = {"datacenter", *FLAGS}
    cols.update({k: [_scalar_text(v, k.lower() in yes_no)] for k, v in specs.items()})
    table = pa.table({k: pa.array(v, pa.string()) for k, v in cols.items()})
    return from_table(table, source="<spec>")
