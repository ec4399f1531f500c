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

from chipclass.core.catalogue import FLAGS, NUMERIC, Catalogue, _parse_header, from_frame, from_table
from chipclass.core.errors import InputError

__all__ = ["load", "spec_catalogue", "read_table", "read_catalogue", "iter_catalogue", "DELIMITERS"]


def _csv_options(header: list[str], delimiter: str = ","
                 ) -> tuple[pacsv.ReadOptions, pacsv.ParseOptions, pacsv.ConvertOptions]:
    """Read pass-through and text columns as text; let pyarrow infer the numeric ones."""
    text_cols = {h: pa.string() for h in header if _parse_header(h, "")[0] not in NUMERIC}
    return (pacsv.ReadOptions(block_size=1 << 22), pacsv.ParseOptions(delimiter=delimiter),
            pacsv.ConvertOptions(column_types=text_cols, strings_can_be_null=True))


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
    return str(path), str(path)


#: Delimiters recognised from the header line (the one that splits it into most fields wins).
DELIMITERS = (",", ";", "\t", "|")


def _peek_header(src) -> tuple[list[str], str]:
    """The header fields and the delimiter, from the first line."""
    if isinstance(src, pa.BufferReader):
        data = src.read(1 << 16)
        src.seek(0)
        first = data.decode("utf-8-sig", errors="replace").splitlines()[:1]
    else:
        with open(src, encoding="utf-8-sig", errors="replace", newline="") as fh:
            first = [fh.readline()]
    if not first or not first[0].strip():
        return [], ","
    delim = max(DELIMITERS, key=lambda d: len(next(csv.reader(io.StringIO(first[0]), delimiter=d))))
    return next(csv.reader(io.StringIO(first[0]), delimiter=delim)), delim


def _is_parquet(path) -> bool:
    return isinstance(path, (str, os.PathLike)) and str(path).lower().endswith((".parquet", ".pq"))


def read_table(path) -> tuple[pa.Table, str]:
    """Read a CSV (or Parquet, by extension) file, ``-`` for stdin, into a pyarrow Table."""
    if _is_parquet(path):
        if not os.path.exists(path):
            raise InputError("no such file", source=str(path))
        import pyarrow.parquet as pq

        try:
            return pq.read_table(path), str(path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"cannot read Parquet: {exc}", source=str(path)) from None
    src, source = _open(path)
    header, delim = _peek_header(src)
    if not header:
        raise InputError("empty file: expected a header row with a 'name' column", source=source)
    read_opts, parse_opts, convert_opts = _csv_options(header, delim)
    try:
        return pacsv.read_csv(src, read_options=read_opts, parse_options=parse_opts,
                              convert_options=convert_opts), source
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read CSV: {exc}", source=source) from None


def read_catalogue(path) -> Catalogue:
    """Read and normalise a catalogue file (CSV, Parquet by extension, or ``-`` for stdin)."""
    table, source = read_table(path)
    return from_table(table, source=source)


def iter_catalogue(path, batch_rows: int = 1 << 20) -> Iterator[Catalogue]:
    """Stream a catalogue file in record batches of about ``batch_rows`` rows.

    Memory is bounded by the batch size; row numbers in messages still count from the start
    of the file. Names are checked for uniqueness within each batch only.
    """
    if _is_parquet(path):
        if not os.path.exists(path):
            raise InputError("no such file", source=str(path))
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        batches = pf.iter_batches(batch_size=batch_rows)
        source = str(path)
    else:
        src, source = _open(path)
        header, delim = _peek_header(src)
        if not header:
            raise InputError("empty file: expected a header row with a 'name' column", source=source)
        read_opts, parse_opts, convert_opts = _csv_options(header, delim)
        # Streaming infers types from the first block; read every vocabulary numeric column
        # as text so a later block cannot disagree, and parse it ourselves.
        convert_opts.column_types = {h: pa.string() for h in header}
        read_opts.block_size = max(1 << 16, min(batch_rows * 64, 1 << 26))
        batches = pacsv.open_csv(src, read_options=read_opts, parse_options=parse_opts,
                                 convert_options=convert_opts)
    offset = 0
    try:
        for batch in batches:
            for start in range(0, batch.num_rows, batch_rows):
                table = pa.Table.from_batches([batch.slice(start, batch_rows)])
                yield from_table(table, source=source, offset=offset)
                offset += table.num_rows
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", source=source) from None


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
