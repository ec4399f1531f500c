"""System resolution over the whole input (the rules are in :mod:`chipclass.core.systems`): the
reference catalogue, links made for a table in memory or, for ``--stream`` and ``--engine
dask``, by a first pass over the ``name``, ``device_type``, ``ic`` and ``ic_count`` columns of
every file, and resolution of a Catalogue built in code."""

from __future__ import annotations

import contextvars
import os

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from chipclass.core.catalogue import DEVICE_TYPES, FLAGS, Catalogue, from_table
from chipclass.core.cells import text_column
from chipclass.core.errors import InputError
from chipclass.core.systems import Links, Raw, count_error, find_column, link, raw_columns, text
from chipclass.core.textfiles import csv_options, empty_table, is_parquet, open_input, peek_header, read_table

__all__ = ["REFERENCE", "reference_catalogue", "links_for_table", "resolve", "scan_links", "input_of",
           "figures_of", "Links"]

#: The catalogue a system's ``ic`` is looked up in after the input: a path (``--catalogue``), or
#: None for the shipped ``chips.csv``.
REFERENCE: contextvars.ContextVar = contextvars.ContextVar("chipclass_reference", default=None)
_REFERENCES: dict = {}


def reference_catalogue() -> Catalogue:
    """The reference catalogue (:data:`REFERENCE`), read once per path and modification time."""
    path, shown = REFERENCE.get(), None
    if path is None:
        from importlib import resources

        path, shown = str(resources.files("chipclass").joinpath("data/chips.csv")), "the shipped catalogue"
    key = (str(path), os.path.getmtime(path) if os.path.exists(str(path)) else None)
    if key not in _REFERENCES:
        table, source = read_table(path)
        _REFERENCES.clear()
        _REFERENCES[key] = from_table(table, source=shown or source, systems=Links())
    return _REFERENCES[key]


def reference_raw(cat) -> Raw:
    """:class:`Raw` of a normalised reference Catalogue (names, device types, ``ic``)."""
    ic_h = find_column(cat.extra.column_names, "ic")
    ic = text(cat.extra.column(ic_h)) if ic_h else pa.nulls(len(cat), pa.string())
    return Raw(names=text(cat.names_arrow), system=np.asarray(cat.device_type) == DEVICE_TYPES.index("system"),
               ic=ic, ic_count=None, ic_header=ic_h, count_header=None)


def _reference() -> tuple[Catalogue, Raw]:
    ref = reference_catalogue()
    return ref, reference_raw(ref)


def _link_raw(raw: Raw, source: str, part_raw: Raw | None = None) -> tuple[np.ndarray, np.ndarray, InputError | None, object]:
    """(system rows, their universe targets, first fault, reference or None) of one input."""
    from chipclass.core import arrowcompute as pc

    errors = [e for e in (count_error(raw, source, 0),) if e is not None]
    rows = np.flatnonzero(raw.system & np.asarray(pc.is_valid(raw.ic)))
    target, ref = np.zeros(0, np.int64), None
    if len(rows):
        target, exc, ref = link(raw if part_raw is None else part_raw, rows, raw.ic.take(pa.array(rows)), _reference,
                                source=source, ic_header=raw.ic_header)
        if exc is not None:
            errors.append(exc)
    return rows, target, min(errors, key=lambda e: e.row) if errors else None, ref


def links_for_table(table: pa.Table, source: str) -> Links:
    """The :class:`~chipclass.core.systems.Links` of a whole table linked with itself (None when
    its columns cannot be read as text: the reader then reports why)."""
    headers = [str(h) for h in table.column_names]
    if find_column(headers, "ic") is None and find_column(headers, "ic_count") is None:
        return Links()  # no system columns: nothing to link (and no text to make of the names)
    try:
        raw = raw_columns(table)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, InputError):
        return None
    if raw.ic_header is None and raw.count_header is None:
        return Links()
    rows, target, exc, ref = _link_raw(raw, source)
    return Links(rows={source: rows}, target={source: target}, errors={source: exc} if exc else {},
                 part=None, part_len=table.num_rows, reference=ref)


def resolve(cat: Catalogue) -> Catalogue:
    """``cat`` with its system rows resolved against itself and the reference catalogue (for a
    Catalogue made without a reader: a DataFrame, or built in code); faults raised at once."""
    from chipclass.core.systems import apply

    if cat.systems_resolved:
        return cat
    ic_h = find_column(cat.extra.column_names, "ic")
    count_h = find_column(cat.extra.column_names, "ic_count")
    if ic_h is None and count_h is None:
        return cat
    raw = reference_raw(cat)
    raw.ic_count, raw.count_header = (cat.extra.column(count_h) if count_h else None), count_h
    rows, target, exc, ref = _link_raw(raw, cat.source)
    if exc is not None:
        exc.row = exc.row + cat.offset
        raise InputError(exc.message, source=exc.source, row=exc.row, column=exc.column, value=exc.value)
    values, headers = apply(cat.values, cat.headers, rows, target, cat.values, len(cat), ref)
    return Catalogue(names=cat.__dict__["_names"], values=values, datacenter=cat.datacenter,
                     device_type=cat.device_type, extra=cat.extra, source=cat.source, headers=headers,
                     warnings=cat.warnings, offset=cat.offset, systems_resolved=True)


def _column_batches(src, source: str, header: list[str], delim: str | None, columns: list[str] | None,
                    batch_rows: int = 1 << 20):
    """Record batches of ``columns`` (all if None) of a CSV or Parquet input, as text for CSV."""
    if delim is None:  # Parquet
        import pyarrow.parquet as pq

        yield from pq.ParquetFile(src).iter_batches(batch_size=batch_rows, columns=columns)
        return
    if isinstance(src, pa.BufferReader):
        src.seek(0)
    read_opts, parse_opts, convert_opts = csv_options(header, delim)
    if columns is not None:
        convert_opts.include_columns = columns
    yield from pacsv.open_csv(src, read_options=read_opts, parse_options=parse_opts, convert_options=convert_opts)
    if isinstance(src, pa.BufferReader):
        src.seek(0)


def scan_links(inputs, batch_rows: int = 1 << 20) -> Links | None:
    """Link the systems of a whole input read in batches (``--stream``, ``--engine dask``).

    ``inputs``: (src, source, header, delimiter or None for Parquet) per file. A first pass
    reads the ``name``, ``device_type``, ``ic`` and ``ic_count`` columns only; when some system
    names an IC, a second pass keeps the full rows of the devices named (the universe's input
    part). None when the input cannot be read this way (the main pass then reports why)."""
    from chipclass.core import arrowcompute as pc

    raws, wanted = [], set()
    try:
        for src, source, header, delim in inputs:
            cols = [h for h in (find_column(header, k) for k in ("name", "device_type", "ic", "ic_count")) if h]
            if find_column(header, "ic") is None and find_column(header, "ic_count") is None:
                raws.append(None)
                continue
            tables = [pa.Table.from_batches([b]) for b in _column_batches(src, source, header, delim, cols, batch_rows)]
            table = pa.concat_tables(tables) if tables else empty_table(cols)
            raw = raw_columns(table)
            raws.append(raw)
            wanted.update(raw.ic.filter(pc.and_(pa.array(raw.system), pc.is_valid(raw.ic))).to_pylist())
        part = _referenced(inputs, wanted, batch_rows) if wanted else None
    except (pa.ArrowInvalid, UnicodeDecodeError, OSError):
        return None
    links = Links(part=part[0] if part else None, part_len=len(part[1]) if part else 0)
    part_raw = part[1] if part else raw_columns(empty_table(["name"]))
    for (_src, source, _h, _d), raw in zip(inputs, raws):
        if raw is None:
            continue
        rows, target, exc, ref = _link_raw(raw, source, part_raw)
        links.rows[source], links.target[source] = rows, target
        if ref is not None:
            links.reference = ref
        if exc is not None:
            links.errors[source] = exc
    if links.part is None:
        links.part = _nan_part(0)
    return links


def _nan_part(n: int) -> Catalogue:
    from chipclass.core.catalogue import NUMERIC

    return Catalogue(names=pa.nulls(n, pa.string()), values={k: np.full(n, np.nan) for k in (*NUMERIC, *FLAGS)},
                     datacenter=np.ones(n), device_type=np.zeros(n, np.int8), extra=pa.table({}))


def _referenced(inputs, wanted: set, batch_rows: int) -> tuple[Catalogue, Raw]:
    """The full rows of the devices named by some system's ``ic`` (normalised), and their
    :class:`Raw` columns. A bad cell among them leaves their figures unknown: the main pass
    reports it at its row (or an earlier fault) before any result is kept."""
    from chipclass.core import arrowcompute as pc

    value_set = pa.array(sorted(wanted), pa.string())
    parts = []
    for src, source, header, delim in inputs:
        name_h = find_column(header, "name")
        if name_h is None:
            continue
        for batch in _column_batches(src, source, header, delim, None, batch_rows):
            table = pa.Table.from_batches([batch])
            view = getattr(pa.types, "is_string_view", lambda t: False)
            table = pa.table([c.cast(pa.large_string()) if view(c.type) else c for c in table.columns],
                             names=table.column_names)  # no filter kernel takes string views
            keep = pc.is_in(text_column(table.column(name_h)), value_set=value_set)
            if pc.any(keep).as_py():
                parts.append(table.filter(keep).rename_columns([str(h) for h in table.column_names]))
    if not parts:
        return _nan_part(0), raw_columns(empty_table(["name"]))
    sub = [raw_columns(t) for t in parts]
    raw = Raw(names=pa.concat_arrays([r.names for r in sub]), system=np.concatenate([r.system for r in sub]),
              ic=pa.concat_arrays([r.ic for r in sub]), ic_count=None, ic_header="ic", count_header=None)
    cats = []
    try:
        for t in parts:
            cats.append(from_table(t, source="<referenced>", systems=Links()))
        values = {k: np.concatenate([np.asarray(c.values[k]) for c in cats]) for k in cats[0].values}
        headers = {k: v for c in cats for k, v in c.headers.items()}
        part = Catalogue(names=raw.names, values=values, datacenter=np.ones(len(raw)),
                         device_type=np.zeros(len(raw), np.int8), extra=pa.table({}), headers=headers)
    except InputError:
        part = _nan_part(len(raw))
    return part, raw


def input_of(path) -> tuple:
    """(src, source, header, delimiter or None for Parquet) of a file, for :func:`scan_links`."""
    if is_parquet(path):
        import pyarrow.parquet as pq

        if not os.path.exists(path):
            raise InputError("no such file", source=str(path))
        try:
            return str(path), str(path), list(pq.ParquetFile(path).schema_arrow.names), None
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"cannot read Parquet: {' '.join(str(exc).split())}", source=str(path)) from None
    src, source = open_input(path)
    header, delim, _rows = peek_header(src, source)
    return src, source, header, delim


def figures_of(cat: Catalogue) -> list[str | None]:
    """Per row, the name of the device whose figures the row carries: the IC at the end of a
    system's chain (:mod:`chipclass.core.systems`), else None (its own). For reports that must say
    that a system's specs are its IC's (headroom)."""
    from chipclass.core import arrowcompute as pc

    out: list[str | None] = [None] * len(cat)
    if find_column(cat.extra.column_names, "ic") is None:
        return out
    raw = reference_raw(cat)
    rows = np.flatnonzero(raw.system & np.asarray(pc.is_valid(raw.ic)))
    if not len(rows):
        return out
    target, exc, ref = link(raw, rows, raw.ic.take(pa.array(rows)), _reference, source=cat.source,
                            ic_header=raw.ic_header)
    if exc is not None:
        return out
    names = raw.names if ref is None else pa.concat_arrays([raw.names, reference_raw(ref).names])
    for r, t in zip(rows.tolist(), names.take(pa.array(target)).to_pylist()):
        out[r] = t
    return out
