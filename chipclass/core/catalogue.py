"""Catalogue loading: CSV/Parquet (or a DataFrame) in, float64 columns in canonical units out.

The header vocabulary
---------------------
Headers are matched case-insensitively, surrounding spaces ignored, inner spaces and
hyphens read as ``_`` (``Die Area`` is ``die_area``); an optional unit follows in brackets
(``fp8 [PFLOPS]``).

===============================  ===========================================  =============
column                           meaning                                      default unit
===============================  ===========================================  =============
``name``                         required, unique text
``int4`` ... ``fp64``            dense throughput per format (formats.toml)   TOPS / TFLOPS
``<format>_sparse``              vendor "with sparsity" figure, counted at    TOPS / TFLOPS
                                 half; a dense figure wins when both given
``die_area``                     applicable die area (logic dies, FinFET+)    mm**2
``package_area``                 package or HBM stack area (3A090.c)          mm**2
``memory``                       memory capacity                              GB
``memory_bandwidth``             memory bandwidth                             GB/s
``interconnect_bandwidth``       aggregate bidirectional transfer rate        GB/s
``datacenter``                   true/false/yes/no/1/0; **empty means true**
                                 (the conservative reading: 3A090 then
                                 applies in full)
``device_type``                  ``processor`` (default) or ``hbm``
===============================  ===========================================  =============

A cell may carry its own unit (``4 TB/s``, ``2375 TOPS``, ``8.14 cm**2``, ``2,375 TOPS``);
it wins over the header's. What a cell may hold (and what is refused, and the spellings of
"not given") is one grammar for every engine: :mod:`chipclass.core.cells`. Every other column passes through to the output untouched (CSV
pass-through columns are read as text, so ``007`` stays ``007``). Spec-sheet headers
(``FP8 Tensor (dense) [TFLOPS]``, ``Die size (mm²)``) are read through the synonym table, and a
header about compute, memory, bandwidth or area that is not recognised is refused
(:mod:`chipclass.core.headers`, docs/spec-sheets.md). CSV files may be comma-, semicolon-, tab- or pipe-separated: the
delimiter that splits the header line into most fields is used.

Each distinct unit string is parsed once (:func:`chipclass.units.unit_factor`); the
columns are converted with pyarrow compute kernels and numpy, never a Python loop per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
from chipclass.core import arrowcompute as pc

from chipclass.core.cells import (MAX_CELL_BYTES, MISSING, NameIndex, first_true, cell_hint, cell_shape,  # noqa: F401
                                  choice_column, numeric_column, text_column)
from chipclass.core.aliases import ALIASES, column_aliases  # noqa: F401
from chipclass.core.arrowtypes import normalise_types
from chipclass.core.headers import Column, resolve, vocabulary_name
from chipclass.core.cells import text_column as _text  # noqa: F401  (chipclass check reads cells one by one)
from chipclass.core.errors import InputError
from chipclass.core.lazy import arrow_backed_series
from chipclass.core.formats import FORMATS
from chipclass.core.metric_table import INPUTS
from chipclass.core.units import CANONICAL, UnitError, unit_factor

__all__ = ["Catalogue", "NUMERIC", "FLAGS", "TEXT", "MISSING", "MAX_CELL_BYTES", "NameIndex", "from_table",
           "from_frame", "column_aliases", "cell_hint"]

#: Numeric vocabulary: column -> (kind of quantity, default unit), from data/formats.toml and
#: data/metrics.toml (the inputs of chipclass.core.metric_table).
NUMERIC: dict[str, tuple[str, str]] = {
    **{f: ("throughput", CANONICAL["throughput"]) for f in FORMATS},
    **{f"{f}_sparse": ("throughput", CANONICAL["throughput"]) for f in FORMATS},
    **{name: (quantity, CANONICAL[quantity]) for name, quantity in INPUTS.items()},
}
#: Yes/no facts about a device; empty means unknown (NaN), unlike ``datacenter``.
FLAGS = ("non_planar", "has_hbm")
TEXT = ("name", "datacenter", "device_type") + FLAGS
DEVICE_TYPES = ("processor", "hbm", "system")
_TRUE = ("true", "yes", "1", "y", "t")
_FALSE = ("false", "no", "0", "n", "f")



@dataclass
class Catalogue:
    """A catalogue after unit normalisation: plain arrays in canonical units.

    Attributes
    ----------
    names : pandas.Series of str
        (Kept as Arrow strings until first asked for, so scoring to a file needs no pandas;
        :attr:`names_arrow` gives them without pandas.)
    values : dict of str -> float64 ndarray
        Every column of :data:`NUMERIC`, NaN where not given (a read-only all-NaN view for a
        column the catalogue does not have; ``headers`` lists those it has). [canonical units]
    datacenter : float64 ndarray
        1.0 designed or marketed for datacenters, 0.0 not.
    device_type : int8 ndarray
        Codes into :data:`DEVICE_TYPES` (0 processor, 1 hbm).
    extra : pyarrow.Table
        Pass-through columns, headers as given.
    source : str
        File name (or ``<stdin>``/``<DataFrame>``) for messages.
    headers : dict of str -> str
        Vocabulary name -> header as the user wrote it.
    columns : list of :class:`chipclass.core.headers.Column`
        How each header was read (shown by ``explain`` and ``check``).
    """

    names: pd.Series
    values: dict[str, np.ndarray]
    datacenter: np.ndarray
    device_type: np.ndarray
    extra: pa.Table
    source: str = "<catalogue>"
    headers: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)

    @property
    def text_headers(self) -> dict[str, str]:
        """Known pass-through name (``source``, ``vendor``, ``foundry_process``) -> header as
        written (``Source``, ``Manufacturer``, ``Process``)."""
        out: dict[str, str] = {}
        for c in self.columns:
            if c.name is not None and c.name not in self.headers and c.name not in NUMERIC and c.name not in TEXT:
                out.setdefault(c.name, c.header)
        for h in self.extra.column_names:
            out.setdefault(vocabulary_name(h), h)
        return out

    def extra_column(self, name: str):
        """The pass-through column read as ``name`` (any case, or mapped), or None."""
        header = self.text_headers.get(name)
        return None if header is None or header not in self.extra.column_names else self.extra.column(header)
    #: Data rows of the input before this one (streaming batches), for row numbers in messages.
    offset: int = 0
    #: System rows already carry their IC's figures (:mod:`chipclass.core.systems`).
    systems_resolved: bool = False

    def __len__(self) -> int:
        return len(self.datacenter)

    def index_of(self, name: str) -> int:
        """Row position of the device called ``name``; an error suggesting close names if none."""
        hits = np.flatnonzero(self.names.to_numpy() == name)
        if not len(hits):
            close = [str(n) for n in self.names if name.lower() in str(n).lower()][:5]
            hint = f"; did you mean: {', '.join(close)}" if close else ""
            raise InputError(f"no device named {name!r}{hint}", source=self.source, column="name")
        return int(hits[0])

    @property
    def names_arrow(self) -> pa.Array:
        """The names as an Arrow string array (no pandas; a sweep's dictionary-encoded names decoded)."""
        raw = self.__dict__["_names"]
        if isinstance(raw, (pa.Array, pa.ChunkedArray)):
            raw = raw.combine_chunks() if isinstance(raw, pa.ChunkedArray) else raw
            return raw.cast(raw.type.value_type) if pa.types.is_dictionary(raw.type) else raw
        return pa.array(raw.astype(object).to_numpy(), pa.string())

    def name_at(self, i: int) -> str:
        """The name of row ``i`` (no pandas, nothing decoded but that row)."""
        raw = self.__dict__["_names"]
        if isinstance(raw, (pa.Array, pa.ChunkedArray)):
            return str(raw[i].as_py())
        return str(raw.iloc[i])

    def slice(self, start: int, stop: int) -> "Catalogue":
        """Rows ``start:stop`` as views (no copies)."""
        raw = self.__dict__["_names"]
        return Catalogue(names=raw.slice(start, stop - start) if isinstance(raw, (pa.Array, pa.ChunkedArray))
                         else raw.iloc[start:stop], values={k: v[start:stop] for k, v in self.values.items()},
                         datacenter=self.datacenter[start:stop], device_type=self.device_type[start:stop],
                         extra=self.extra.slice(start, stop - start), source=self.source, headers=self.headers,
                         columns=self.columns, offset=self.offset + start, systems_resolved=self.systems_resolved)

    def take(self, rows) -> "Catalogue":
        """The catalogue restricted to the given row positions."""
        rows = np.asarray(rows)
        raw = self.__dict__["_names"]
        return Catalogue(names=raw.take(pa.array(rows)) if isinstance(raw, (pa.Array, pa.ChunkedArray))
                         else raw.iloc[rows].reset_index(drop=True),
                         values={k: v[rows] for k, v in self.values.items()},
                         datacenter=self.datacenter[rows], device_type=self.device_type[rows],
                         extra=self.extra.take(pa.array(rows)), source=self.source,
                         headers=self.headers, columns=self.columns, offset=self.offset,
                         systems_resolved=self.systems_resolved)


# ``names`` is given as a pandas Series or an Arrow string array; read, it is always a Series
# (converted on first use, so pandas is imported only when asked for).
Catalogue.names = arrow_backed_series("_names", "Device names, one per row, as a pandas Series of strings "
                                                "(kept as Arrow until first read).")


def parse_header(header: str, source: str) -> tuple[str, str | None]:
    """``'Die Area [cm**2]'`` -> ``('die_area', 'cm**2')`` (the vocabulary spelling and the unit in
    brackets or parentheses), in time linear in the header's length."""
    from chipclass.core.headers import parse_header as parse

    return parse(header)


def read_headers(headers: list[str], source: str) -> list[Column]:
    """How each header is read (:mod:`chipclass.core.headers`): vocabulary, synonym, configuration,
    known text or pass-through; an :class:`InputError` naming the first header that cannot be."""
    check_headers(headers, source)
    return resolve(headers, tuple(NUMERIC), TEXT, source)


def vocabulary(headers: list[str], source: str) -> dict[str, tuple[str, str | None]]:
    """Map each vocabulary header -> (vocabulary name, unit); others are pass-through.

    Refuses a header cell over :data:`MAX_CELL_BYTES`, two columns with the same header
    (pass-through ones too: the second would be lost), two headers for one vocabulary name, and
    a header about compute, area or bandwidth that is not recognised
    (:func:`chipclass.core.headers.resolve`).
    """
    found: dict[str, tuple[str, str | None]] = {}
    for col in read_headers(headers, source):
        h, name, unit = col.header, col.name, col.unit
        if name not in NUMERIC and name not in TEXT:
            continue
        if unit is not None and name in TEXT:
            raise InputError(f"column {name!r} takes no unit", source=source, column=h, value=unit)
        if unit is not None:
            try:
                unit_factor(unit or "", NUMERIC[name][0])
            except UnitError as exc:
                raise InputError(str(exc), source=source, column=h, value=unit) from None
        found[h] = (name, unit)
    if "name" not in {name for name, _ in found.values()}:
        shown = ", ".join(map(str, headers[:20])) + (f", ... ({len(headers)} in all)" if len(headers) > 20 else "")
        raise InputError(f"no 'name' column (columns are: {shown})", source=source)
    return found


def check_headers(headers: list[str], source: str) -> None:
    """Refuse a header cell over :data:`MAX_CELL_BYTES` or a header given twice (the second
    column would be lost), naming it."""
    exact: set[str] = set()
    for h in headers:
        if len(h.encode("utf-8", "surrogatepass")) > MAX_CELL_BYTES:
            raise InputError(f"a header cell is longer than the limit of {MAX_CELL_BYTES // 1024} KiB",
                             source=source, column=h[:40] + "...")
        if h in exact:
            raise InputError("two columns have this header; rename or drop one", source=source, column=h)
        exact.add(h)


#: Rows from which :func:`_errors_in_order` runs the column checks on threads (pyarrow's
#: kernels and numpy release the GIL); below it, threads cost more than they save.
THREADED_ROWS = 1 << 16


def _errors_in_order(checks, rows: int = 0) -> None:
    """Run ``checks`` (callables) and raise the error of the earliest row, ties by check order,
    so every engine and batch size reports the same first error for a file.

    An error without a row (a whole-column fault) is raised as soon as its check is reached in
    order, before any row error. From :data:`THREADED_ROWS` rows the checks run concurrently
    and their outcomes are then read in the same order, so the error raised is the same.
    """
    if rows >= THREADED_ROWS and len(checks) > 1:
        from concurrent.futures import ThreadPoolExecutor

        from chipclass.core.workers import worker_threads

        with ThreadPoolExecutor(worker_threads(min(len(checks), 4)), thread_name_prefix="chipclass-check") as pool:
            futures = [pool.submit(_outcome, check) for check in checks]
            _raise_first((f.result() for f in futures))  # other exceptions too, in check order
    else:
        _raise_first(_outcome(check) for check in checks)


def _raise_first(outcomes) -> None:
    """Raise from the outcomes (None or an InputError per check, taken in check order): the
    first error without a row as soon as it is reached, else the earliest row's."""
    found = []
    for k, exc in enumerate(outcomes):
        if exc is None:
            continue
        if exc.row is None:
            raise exc
        found.append((exc.row, k, exc))
    if found:
        raise min(found, key=lambda t: t[:2])[2]


def _outcome(check) -> InputError | None:
    try:
        check()
    except InputError as exc:
        return exc
    return None


def _may_repeat(names) -> bool:
    """Whether any name repeats: sorted 64-bit hashes first (a third less time than Arrow's
    ``unique`` on a million names); only where two hashes are equal are the strings compared."""
    h = np.sort(NameIndex.hashes(names))
    if not (h[1:] == h[:-1]).any():
        return False
    return len(pc.unique(names)) < len(names)


def from_table(table: pa.Table, source: str = "<table>", offset: int = 0,
               seen: NameIndex | None = None, systems=None) -> Catalogue:
    """Normalise a pyarrow Table (the shared path of every reader).

    ``offset`` is the number of data rows before this table (for streaming), so row
    numbers in messages count from the start of the file; ``seen`` carries the names of
    earlier batches (streaming, Dask). Of several bad cells the one in the earliest row is
    reported (ties: shape, name, numeric columns in vocabulary order, yes/no and type
    columns, systems), whatever the batch size. ``systems``
    (:class:`chipclass.core.systems.Links`, made by the reader from the whole input) resolves
    the system rows; without it they are resolved later (:func:`chipclass.core.systemlinks.resolve`).

    Length: one pass over the columns in the order that decides which bad cell is reported
    first; split, that order would be spread over several functions.
    """
    headers = [str(h) for h in table.column_names]
    vocab = vocabulary(headers, source)
    columns = read_headers(headers, source)  # cached per header: no second parse
    by_name = {name: h for h, (name, _) in vocab.items()}
    roles = {h: "numeric" if name in NUMERIC else "flag" if name in FLAGS or name == "datacenter" else "text"
             for h, (name, _) in vocab.items()}
    table, type_faults = normalise_types(table.rename_columns(headers), roles, source, offset)
    n = table.num_rows
    values: dict[str, np.ndarray] = {}
    out: dict[str, object] = {}

    def shape():
        cell_shape(table, source, offset)

    def name_check():
        column = table.column(by_name["name"])
        name_col = text_column(column)
        missing = np.asarray(pc.is_null(name_col))
        stop = first_true(missing) if missing.any() else n  # names before the first missing one
        names = name_col.combine_chunks() if isinstance(name_col, pa.ChunkedArray) else name_col
        out["names"] = names  # Arrow; the Catalogue makes pandas of them only when asked
        index = seen if seen is not None else NameIndex()
        if seen is not None or _may_repeat(names.slice(0, stop)):
            head = names.slice(0, stop)  # Arrow: hashed from its buffers, no Python strings
            hit = index.first_repeat(head, offset)
            if hit is not None:
                i, first_row = hit
                raise InputError(f"duplicate name (also at row {first_row}); names must be unique",
                                 source=source, row=offset + i + 1, column=by_name["name"], value=head[i].as_py())
        if stop < n:
            raise InputError("every row needs a name", source=source, row=offset + stop + 1,
                             column=by_name["name"], value=column[stop].as_py() or "")

    def numeric(name, kind, default):
        def run():
            h = by_name[name]
            values[name] = numeric_column(table.column(h), kind, vocab[h][1], default,
                                    source=source, column=h, offset=offset)
        return run

    def choices(name, options, what):
        def run():
            out[name] = choice_column(table.column(by_name[name]), options, source=source, column=by_name[name],
                                offset=offset, what=what)
        return run

    def typed():
        if type_faults:
            raise min(type_faults, key=lambda e: e.row)

    checks = [typed, shape, name_check]
    checks += [numeric(name, kind, default) for name, (kind, default) in NUMERIC.items() if name in by_name]
    checks += [choices(name, _TRUE + _FALSE, "a yes/no value") for name in ("datacenter",) + FLAGS
               if name in by_name]
    if "device_type" in by_name:
        checks.append(choices("device_type", DEVICE_TYPES, "a device type"))
    if systems is not None:
        def linked():
            exc = systems.error_in(source, offset, n)
            if exc is not None:
                raise exc
        checks.append(linked)
    _errors_in_order(checks, n)

    for name in NUMERIC:
        if name not in values:
            values[name] = np.broadcast_to(np.nan, n)  # no memory for absent columns
    if "datacenter" in out:
        datacenter = np.where(out["datacenter"] >= len(_TRUE), 0.0, 1.0)  # empty (-1) reads as true
    else:
        datacenter = np.ones(n)
    for flag in FLAGS:  # yes/no with unknown: 1.0, 0.0, NaN
        if flag in out:
            idx = out[flag]
            values[flag] = np.where(idx < 0, np.nan, np.where(idx >= len(_TRUE), 0.0, 1.0))
        else:
            values[flag] = np.broadcast_to(np.nan, n)
    device_type = (np.maximum(out["device_type"], 0).astype(np.int8) if "device_type" in out
                   else np.zeros(n, dtype=np.int8))

    extra = table.select([h for h in headers if h not in vocab])
    headers_out = by_name
    if systems is not None:
        from chipclass.core.systems import apply

        pos, target = systems.for_rows(source, offset, n)
        part = systems.part
        values, headers_out = apply(values, by_name, pos, target, values if part is None else part.values,
                                    n if part is None else systems.part_len, systems.reference,
                                    None if part is None else part.headers)
    return Catalogue(names=out["names"], values=values, datacenter=datacenter, device_type=device_type,
                     extra=extra, source=source, headers=headers_out, columns=columns, offset=offset,
                     systems_resolved=systems is not None)


def from_frame(frame, source: str = "<DataFrame>") -> Catalogue:
    """Normalise a pandas DataFrame with the catalogue vocabulary."""
    frame = frame.copy()
    frame.columns = [str(c) for c in frame.columns]
    for c in frame.columns:  # mixed Python objects (e.g. '4 TB/s' and 4.0) read as text
        if frame[c].dtype == object:
            frame[c] = frame[c].astype("string")
    return from_table(pa.Table.from_pandas(frame, preserve_index=False), source=source)
