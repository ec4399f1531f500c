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
it wins over the header's. Every other column passes through to the output untouched (CSV
pass-through columns are read as text, so ``007`` stays ``007``); one that looks like a
throughput but is not in the vocabulary (``fp8 tensor [TFLOPS]``) is reported in
:attr:`Catalogue.warnings`. CSV files may be comma-, semicolon-, tab- or pipe-separated: the
delimiter that splits the header line into most fields is used.

Each distinct unit string is parsed once (:func:`chipclass.units.unit_factor`); the
columns are converted with pyarrow compute kernels and numpy, never a Python loop per row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chipclass.core.aliases import _ALIASES, column_aliases
from chipclass.core.errors import InputError
from chipclass.core.lazy import arrow_backed_series
from chipclass.core.formats import FORMATS
from chipclass.core.units import UnitError, unit_factor

__all__ = ["Catalogue", "NUMERIC", "FLAGS", "TEXT", "from_table", "from_frame", "column_aliases"]

#: Numeric vocabulary: column -> (kind of quantity, default unit).
NUMERIC: dict[str, tuple[str, str]] = {
    **{f: ("throughput", "TOPS") for f in FORMATS},
    **{f"{f}_sparse": ("throughput", "TOPS") for f in FORMATS},
    "die_area": ("area", "mm**2"),
    "package_area": ("area", "mm**2"),
    "memory": ("memory", "GB"),
    "memory_bandwidth": ("bandwidth", "GB/s"),
    "interconnect_bandwidth": ("bandwidth", "GB/s"),
    "transistor_count": ("count", "billion"),
    "process_node": ("length", "nm"),
    "tpp_published": ("dimensionless", ""),
}
#: Yes/no facts about a device; empty means unknown (NaN), unlike ``datacenter``.
FLAGS = ("non_planar", "has_hbm")
TEXT = ("name", "datacenter", "device_type") + FLAGS
DEVICE_TYPES = ("processor", "hbm", "system")
_TRUE = ("true", "yes", "1", "y", "t")
_FALSE = ("false", "no", "0", "n", "f")

_HEADER = re.compile(r"^\s*(?P<name>[^\[\]]*?)\s*(?:\[(?P<unit>[^\]]*)\])?\s*$")
_CELL = (r"^(?P<num>[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?(?:[eE][-+]?\d+)?"
         r"|[-+]?\.\d+(?:[eE][-+]?\d+)?)\s*(?P<unit>.*)$")


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
    """

    names: pd.Series
    values: dict[str, np.ndarray]
    datacenter: np.ndarray
    device_type: np.ndarray
    extra: pa.Table
    source: str = "<catalogue>"
    headers: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

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
        """The names as an Arrow string array (no pandas)."""
        raw = self.__dict__["_names"]
        if isinstance(raw, (pa.Array, pa.ChunkedArray)):
            return raw.combine_chunks() if isinstance(raw, pa.ChunkedArray) else raw
        return pa.array(raw.astype(object).to_numpy(), pa.string())

    def slice(self, start: int, stop: int) -> "Catalogue":
        """Rows ``start:stop`` as views (no copies)."""
        raw = self.__dict__["_names"]
        return Catalogue(names=raw.slice(start, stop - start) if isinstance(raw, (pa.Array, pa.ChunkedArray))
                         else raw.iloc[start:stop], values={k: v[start:stop] for k, v in self.values.items()},
                         datacenter=self.datacenter[start:stop], device_type=self.device_type[start:stop],
                         extra=self.extra.slice(start, stop - start), source=self.source, headers=self.headers)

    def take(self, rows) -> "Catalogue":
        """The catalogue restricted to the given row positions."""
        rows = np.asarray(rows)
        raw = self.__dict__["_names"]
        return Catalogue(names=raw.take(pa.array(rows)) if isinstance(raw, (pa.Array, pa.ChunkedArray))
                         else raw.iloc[rows].reset_index(drop=True),
                         values={k: v[rows] for k, v in self.values.items()},
                         datacenter=self.datacenter[rows], device_type=self.device_type[rows],
                         extra=self.extra.take(pa.array(rows)), source=self.source,
                         headers=self.headers)


# ``names`` is given as a pandas Series or an Arrow string array; read, it is always a Series
# (converted on first use, so pandas is imported only when asked for).
Catalogue.names = arrow_backed_series("_names")


def _parse_header(header: str, source: str) -> tuple[str, str | None]:
    aliases = _ALIASES.get()
    if aliases:
        header = aliases.get(" ".join(str(header).split()).casefold(), header)
    m = _HEADER.match(str(header))
    if not m:
        return str(header), None
    name = re.sub(r"[\s\-]+", "_", m.group("name").strip().lower())
    return name, (m.group("unit").strip() if m.group("unit") is not None else None)


def _vocabulary(headers: list[str], source: str) -> dict[str, tuple[str, str | None]]:
    """Map each vocabulary header -> (vocabulary name, unit); others are pass-through."""
    found: dict[str, tuple[str, str | None]] = {}
    seen: dict[str, str] = {}
    for h in headers:
        name, unit = _parse_header(h, source)
        if name not in NUMERIC and name not in TEXT:
            continue
        if name in seen:
            raise InputError(f"columns {seen[name]!r} and {h!r} both give {name!r}; keep one",
                             source=source, column=h)
        if unit is not None and name in TEXT:
            raise InputError(f"column {name!r} takes no unit", source=source, column=h, value=unit)
        if unit is not None:
            try:
                unit_factor(unit or "", NUMERIC[name][0])
            except UnitError as exc:
                raise InputError(str(exc), source=source, column=h, value=unit) from None
        seen[name] = h
        found[h] = (name, unit)
    if "name" not in seen:
        raise InputError(f"no 'name' column (columns are: {', '.join(map(str, headers))})",
                         source=source)
    return found


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _numeric(arr: pa.ChunkedArray, kind: str, unit: str | None, default: str, *,
             source: str, column: str, offset: int) -> np.ndarray:
    """One column to float64 in the canonical unit of ``kind``."""
    header_factor = unit_factor(unit or default, kind)
    t = arr.type
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_null(t) or pa.types.is_decimal(t):
        values = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False) * header_factor
        shown = lambda i: str(arr[i].as_py())  # noqa: E731
    else:
        raw = _text(arr)
        values = _cells(raw, kind, header_factor, source=source, column=column, offset=offset)
        shown = lambda i: raw[i].as_py()  # noqa: E731
    bad = ~np.isnan(values) & ((values < 0) | ~np.isfinite(values))
    if bad.any():
        i = _first(bad)
        raise InputError("must be a finite number, zero or more", source=source,
                         row=offset + i + 1, column=column, value=shown(i))
    return values


def _cells(raw, kind: str, header_factor: float, *, source: str, column: str, offset: int) -> np.ndarray:
    """Text cells ('296', '4 TB/s', '2,375 TOPS') to float64 in the canonical unit of ``kind``.

    Three paths, fastest first: plain numbers cast directly; 'number unit' split at the first
    space; otherwise a regular expression, which also finds the first bad cell for the message.
    """
    try:
        return pc.cast(raw, pa.float64()).to_numpy(zero_copy_only=False) * header_factor
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    split = _split_number_unit(raw)
    if split is None:
        parts = pc.extract_regex(raw, _CELL)
        unmatched = np.asarray(pc.and_(pc.is_valid(raw), pc.is_null(parts)))
        if unmatched.any():
            i = _first(unmatched)
            raise InputError("is not a number (a number, optionally followed by a unit, "
                             "such as '296' or '296 TFLOPS')", source=source, row=offset + i + 1,
                             column=column, value=raw[i].as_py())
        numbers = pc.replace_substring(pc.struct_field(parts, "num"), ",", "")
        values = pc.cast(numbers, pa.float64()).to_numpy(zero_copy_only=False)
        units = pc.struct_field(parts, "unit")
    else:
        values, units = split
    distinct = pc.unique(units).to_pylist()
    if any(u is not None and u != u.strip() for u in distinct):  # trim only when needed (a copy)
        units = pc.utf8_trim_whitespace(units)
        distinct = pc.unique(units).to_pylist()
    factors = np.empty(len(distinct))
    for j, u in enumerate(distinct):  # once per distinct unit string, not per row
        if not u:
            factors[j] = header_factor
            continue
        try:
            factors[j] = unit_factor(u, kind)
        except UnitError as exc:
            i = _first(np.asarray(pc.equal(units, u).fill_null(False)))
            raise InputError(str(exc), source=source, row=offset + i + 1, column=column,
                             value=raw[i].as_py()) from None
    if len(distinct) == 1:
        return values * factors[0]
    idx = pc.index_in(units, value_set=pa.array(distinct, pa.string())).fill_null(0)
    return values * factors[np.asarray(idx)]


def _split_number_unit(raw) -> tuple[np.ndarray, pa.Array] | None:
    """Fast path for cells like '296' or '4 TB/s': split at the first space and cast.

    Returns (numbers as float64, unit text: '' where none), or None when any cell needs the
    regex (no space before the unit, thousands separators, text): then the regex path parses
    and reports the offending cell precisely.
    """
    tokens = pc.split_pattern(raw, " ", max_splits=1)
    if isinstance(tokens, pa.ChunkedArray):
        tokens = tokens.combine_chunks()
    values, offsets = tokens.values, np.asarray(tokens.offsets)
    starts, lengths = offsets[:-1], np.diff(offsets)  # list_element is slow: index the tokens directly
    number = values.take(pa.array(starts, mask=lengths == 0))
    try:
        numbers = pc.cast(number, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    second = np.minimum(starts + 1, max(len(values) - 1, 0))
    unit = values.take(pa.array(second, mask=lengths < 2)).fill_null("") if len(values) else number.fill_null("")
    return numbers, unit


def _text(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = pc.cast(arr, pa.string())
    arr = pc.utf8_trim_whitespace(arr)
    empty = pc.equal(arr, "")
    if not pc.any(empty).as_py():  # the CSV reader made empty cells null already: no copy
        return arr
    return pc.if_else(empty, pa.scalar(None, arr.type), arr)


def _choice(arr: pa.ChunkedArray, choices: tuple[str, ...], *, source: str, column: str,
            offset: int, what: str) -> np.ndarray:
    """Index of each cell's value in ``choices`` (case-insensitive); -1 where empty."""
    text = pc.utf8_lower(_text(arr))
    idx = pc.index_in(text, value_set=pa.array(choices, pa.string()))
    unknown = np.asarray(pc.and_(pc.is_valid(text), pc.is_null(idx)))
    if unknown.any():
        i = _first(unknown)
        raise InputError(f"is not {what} (one of: {', '.join(choices)})", source=source,
                         row=offset + i + 1, column=column, value=arr[i].as_py())
    return np.asarray(idx.fill_null(-1), dtype=np.int64)


def from_table(table: pa.Table, source: str = "<table>", offset: int = 0) -> Catalogue:
    """Normalise a pyarrow Table (the shared path of every reader).

    ``offset`` is the number of data rows before this table (for streaming), so row
    numbers in messages count from the start of the file.
    """
    headers = [str(h) for h in table.column_names]
    vocab = _vocabulary(headers, source)
    by_name = {name: h for h, (name, _) in vocab.items()}
    n = table.num_rows

    name_col = _text(table.column(by_name["name"]))
    missing = np.asarray(pc.is_null(name_col))
    if missing.any():
        i = _first(missing)
        raise InputError("every row needs a name", source=source, row=offset + i + 1,
                         column=by_name["name"], value="")
    names = name_col.combine_chunks() if isinstance(name_col, pa.ChunkedArray) else name_col
    if len(pc.unique(names)) < n:  # fast uniqueness test
        seen: dict = {}
        for i, v in enumerate(names.to_pylist()):  # only on the error path
            if v in seen:
                raise InputError(f"duplicate name (also at row {offset + seen[v] + 1}); names must be unique",
                                 source=source, row=offset + i + 1, column=by_name["name"], value=v)
            seen[v] = i

    values: dict[str, np.ndarray] = {}
    for name, (kind, default) in NUMERIC.items():
        if name in by_name:
            h = by_name[name]
            values[name] = _numeric(table.column(h), kind, vocab[h][1], default,
                                    source=source, column=h, offset=offset)
        else:
            values[name] = np.broadcast_to(np.nan, n)  # no memory for absent columns

    if "datacenter" in by_name:
        idx = _choice(table.column(by_name["datacenter"]), _TRUE + _FALSE, source=source,
                      column=by_name["datacenter"], offset=offset, what="a yes/no value")
        datacenter = np.where(idx >= len(_TRUE), 0.0, 1.0)  # empty (-1) reads as true
    else:
        datacenter = np.ones(n)
    for flag in FLAGS:  # yes/no with unknown: 1.0, 0.0, NaN
        if flag in by_name:
            idx = _choice(table.column(by_name[flag]), _TRUE + _FALSE, source=source, column=by_name[flag],
                          offset=offset, what="a yes/no value")
            values[flag] = np.where(idx < 0, np.nan, np.where(idx >= len(_TRUE), 0.0, 1.0))
        else:
            values[flag] = np.broadcast_to(np.nan, n)
    if "device_type" in by_name:
        idx = _choice(table.column(by_name["device_type"]), DEVICE_TYPES, source=source,
                      column=by_name["device_type"], offset=offset, what="a device type")
        device_type = np.maximum(idx, 0).astype(np.int8)
    else:
        device_type = np.zeros(n, dtype=np.int8)

    extra = table.select([h for h in headers if h not in vocab])
    return Catalogue(names=names, values=values, datacenter=datacenter, device_type=device_type,
                     extra=extra, source=source, headers=by_name,
                     warnings=_near_misses([h for h in headers if h not in vocab], source))


def _near_misses(passthrough: list[str], source: str) -> list[str]:
    """Pass-through columns that look like throughput figures the vocabulary did not take."""
    out = []
    for h in passthrough:
        name, unit = _parse_header(h, source)
        token = re.split(r"[_\s]+", name)[0]
        looks = token in FORMATS
        if unit and not looks:
            try:
                unit_factor(unit, "throughput")
                looks = True
            except UnitError:
                pass
        if looks:
            out.append(f"{source}: column {h!r} looks like a throughput but is not in the vocabulary "
                       f"({', '.join(FORMATS)} or <format>_sparse); it was passed through, not scored")
    return out


def from_frame(frame, source: str = "<DataFrame>") -> Catalogue:
    """Normalise a pandas DataFrame with the catalogue vocabulary."""
    frame = frame.copy()
    frame.columns = [str(c) for c in frame.columns]
    for c in frame.columns:  # mixed Python objects (e.g. '4 TB/s' and 4.0) read as text
        if frame[c].dtype == object:
            frame[c] = frame[c].astype("string")
    return from_table(pa.Table.from_pandas(frame, preserve_index=False), source=source)
