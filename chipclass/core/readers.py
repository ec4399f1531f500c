"""Reading catalogues: a file (CSV or Parquet, :mod:`chipclass.core.textfiles`), ``-`` for
stdin, a DataFrame or a pyarrow Table, whole or in record batches; normalised by
:func:`~chipclass.core.catalogue.from_table`, system rows resolved against the whole input
(:mod:`chipclass.core.systemlinks`).
"""

from __future__ import annotations

import os
import sys
from typing import Iterator

import pyarrow as pa
import pyarrow.csv as pacsv

from chipclass.core.catalogue import FLAGS, Catalogue, NameIndex, vocabulary, check_headers, from_frame, from_table
from chipclass.core.errors import InputError
from chipclass.core.systemlinks import Links, links_for_table, resolve, scan_links
from chipclass.core.textfiles import (DELIMITERS, MAX_ROW_BYTES, csv_options, empty_table, is_parquet,  # noqa: F401
                                      open_input, peek_header, read_table, structure_error)

__all__ = ["load", "spec_catalogue", "read_table", "read_catalogue", "iter_catalogue", "read_ahead", "DELIMITERS",
           "MAX_ROW_BYTES", "resolve"]


def read_catalogue(path, systems=None) -> Catalogue:
    """Read and normalise a catalogue file (CSV, Parquet by extension, or ``-`` for stdin), its
    system rows resolved against the whole file (or ``systems``, links made over several files)."""
    table, source = read_table(path)
    return from_table(table, source=source, systems=systems or links_for_table(table, source))


def iter_catalogue(path, batch_rows: int = 1 << 20) -> Iterator[Catalogue]:
    """Stream a catalogue file in record batches of about ``batch_rows`` rows.

    Memory is bounded by the batch size (plus 16 bytes per row for the name check); row
    numbers in messages count from the start of the file, and the first error reported is
    the one :func:`read_catalogue` reports: the header is checked before any row (even when
    there is none), names are unique across batches (:class:`~chipclass.core.catalogue.NameIndex`),
    and a structural fault is reported after any bad cell in an earlier row.
    """
    seen: NameIndex
    if is_parquet(path):
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
        src, source = open_input(path)
        header, delim, has_rows = peek_header(src, source)
        if not header:
            raise InputError("empty file: expected a header row", source=source)
        vocabulary(header, source)
        batches = None
    links = scan_links([(path if src is None else src, source, header, delim)], batch_rows)
    seen = NameIndex(source)
    offset = 0
    try:
        if batches is None:
            read_opts, parse_opts, convert_opts = csv_options(header, delim)
            batches = (pacsv.open_csv(src, read_options=read_opts, parse_options=parse_opts,
                                      convert_options=convert_opts) if has_rows else iter(()))
        for batch in batches:
            for start in range(0, batch.num_rows, batch_rows):
                table = pa.Table.from_batches([batch.slice(start, batch_rows)])
                yield from_table(table, source=source, offset=offset, seen=seen, systems=links)
                offset += table.num_rows
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        if src is None:
            raise InputError(f"cannot read Parquet: {' '.join(str(exc).split())}", source=source) from None
        raise (structure_error(src, header, delim, source, start=offset, seen=seen)
               or InputError(f"cannot read CSV: {' '.join(str(exc).split())}", source=source)) from None
    if offset == 0:
        yield from_table(empty_table(header), source=source, systems=Links())


def read_ahead(items: Iterator) -> Iterator:
    """The items of ``items``, the next one made on a thread while the caller works on the
    current one (streaming: the next batch is read and its cells checked while this one is
    scored and written). Items and errors come in the same order as from ``items`` itself: an
    error is raised where its item would have come. One item is made ahead, no more."""
    import queue
    import threading

    box: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()
    done = object()

    def make():
        try:
            for item in items:
                box.put((item, None))
                if stop.is_set():
                    return
            box.put((done, None))
        except BaseException as exc:  # noqa: BLE001 (raised in the caller, in order)
            box.put((None, exc))

    thread = threading.Thread(target=make, name="chipclass-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item, exc = box.get()
            if exc is not None:
                raise exc
            if item is done:
                return
            yield item
    finally:  # stopped early (an error, Ctrl-C): the maker ends after its current item, unwaited
        stop.set()
        try:
            box.get_nowait()  # free the slot its next put may be waiting on
        except queue.Empty:
            pass


def load(data) -> Catalogue:
    """A :class:`~chipclass.catalogue.Catalogue` from a path, ``-``, DataFrame or Catalogue."""
    if isinstance(data, Catalogue):
        return resolve(data)
    pd = sys.modules.get("pandas")  # a DataFrame means pandas is imported already: never import it here
    if pd is not None and isinstance(data, pd.DataFrame):
        return resolve(from_frame(data))
    if isinstance(data, pa.Table):
        return from_table(data, systems=links_for_table(data, "<table>"))
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
    return from_table(table, source="<spec>", systems=links_for_table(table, "<spec>"))
