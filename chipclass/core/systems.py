"""System resolution: a ``device_type = system`` row takes the figures of the IC it contains.

One resolution for every command and engine (``score`` in memory, ``--stream``, ``--engine
dask``, ``explain``, ``headroom``, ``envelope``, ``sweep``, ``license``):

1. The ``ic`` of a system row is looked up by name in the **whole input** (every row of the
   file, or of every file of a Dask glob; not the current batch), then in the reference
   catalogue (the shipped ``chips.csv``, or ``--catalogue``).
2. Chains are followed: a system whose ``ic`` names another system takes that system's IC
   (RACK -> NODE -> H100 SXM). The device at the end of the chain is a row that is not a system
   or a system without ``ic`` (one that gives its IC's figures itself).
3. An ``ic`` found nowhere, and a chain that comes back on itself (a cycle, a system naming
   itself), are refused naming the system row, the ``ic`` column and its value.
4. ``ic_count``, where given, goes through the cell grammar and must be a whole number of one
   or more (``eight``, ``-3``, ``inf``, ``0`` and ``2.5`` are refused).

The IC's figures **replace** the system row's numeric columns (a system's memory or
interconnect figures are totals over its ICs, while 4A090/4A994.l ask whether one contained IC
meets 3A090/3A991.p).

This module decides from the ``name``, ``device_type``, ``ic`` and ``ic_count`` columns alone
(:func:`raw_columns`), so a streaming reader can link the whole input in a first pass over those
four columns, then read the full rows of the named ICs only (:class:`Links`). Work is
vectorised (Arrow ``index_in`` and numpy pointer jumps), one Python step per link of the longest
chain, never per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pyarrow as pa
from chipclass.core import arrowcompute as pc

from chipclass.core.cells import numeric_column, text_column
from chipclass.core.errors import InputError

__all__ = ["Links", "Raw", "raw_columns", "find_column", "link", "count_error", "apply", "text"]


def _key(header: str) -> str:
    return "_".join(str(header).strip().lower().replace("-", " ").split())


def find_column(headers, name: str) -> str | None:
    """The header that reads as ``name`` (case-insensitive; spaces and hyphens as ``_``), or None."""
    return next((h for h in headers if _key(h) == name), None)


@dataclass
class Raw:
    """The four columns system resolution reads, as written (before normalisation)."""

    names: pa.Array          # trimmed text, null where missing
    system: np.ndarray       # bool: device_type reads 'system'
    ic: pa.Array             # trimmed text, null where missing
    ic_count: pa.ChunkedArray | None
    ic_header: str | None
    count_header: str | None

    def __len__(self) -> int:
        return len(self.system)


def text(col) -> pa.Array:
    """A column as trimmed ``string`` text, missing spellings null (one Arrow array)."""
    out = text_column(col if isinstance(col, pa.ChunkedArray) else pa.chunked_array([col]))
    out = out.combine_chunks() if isinstance(out, pa.ChunkedArray) else out
    return out if out.type == pa.string() else pc.cast(out, pa.string())


def raw_columns(table: pa.Table, name_header: str | None = None) -> Raw:
    """:class:`Raw` from a table of text columns (any other column is ignored)."""
    headers = [str(h) for h in table.column_names]
    n = table.num_rows
    name_h = name_header or find_column(headers, "name")
    type_h, ic_h, count_h = (find_column(headers, k) for k in ("device_type", "ic", "ic_count"))
    names = text(table.column(name_h)) if name_h else pa.nulls(n, pa.string())
    if type_h is not None:
        kind = pc.utf8_lower(text(table.column(type_h)))
        system = np.asarray(pc.fill_null(pc.equal(kind, "system"), False))
    else:
        system = np.zeros(n, dtype=bool)
    ic = text(table.column(ic_h)) if ic_h else pa.nulls(n, pa.string())
    return Raw(names=names, system=system, ic=ic,
               ic_count=table.column(count_h) if count_h else None, ic_header=ic_h, count_header=count_h)


def count_error(raw: Raw, source: str, offset: int) -> InputError | None:
    """The first ``ic_count`` cell that is not a whole number of one or more, or None."""
    if raw.ic_count is None:
        return None
    col = raw.ic_count
    if not isinstance(col, pa.ChunkedArray):
        col = pa.chunked_array([col])
    try:
        values = numeric_column(col, "dimensionless", None, "", source=source, column=raw.count_header,
                                offset=offset)
    except InputError as exc:
        return exc
    with np.errstate(invalid="ignore"):
        bad = ~np.isnan(values) & ((values < 1) | (values != np.floor(values)))
    if not bad.any():
        return None
    i = int(np.flatnonzero(bad)[0])
    return InputError("is not a whole number of one or more (how many of the IC the system contains)",
                      source=source, row=offset + i + 1, column=raw.count_header, value=col[i].as_py())


@dataclass
class Links:
    """The systems of an input linked to the devices whose figures they take.

    ``rows[source]``: 0-based rows (sorted) of the system rows that name an IC; ``target[source]``
    the universe index of the device at the end of each one's chain. The universe is the input
    part (``part``: the rows of the input the chains reach; ``None`` for a table linked with
    itself) followed by the reference catalogue. ``errors``: the first fault of each source
    (unknown IC, cycle, bad ``ic_count``), reported by the reader in row order with the cell
    faults."""

    rows: dict = field(default_factory=dict)
    target: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    part: object = None
    part_len: int = 0
    reference: object = None

    def error_in(self, source: str, offset: int, n: int) -> InputError | None:
        """The fault of ``source`` that falls in rows ``offset+1 .. offset+n``, if any."""
        exc = self.errors.get(source)
        if exc is not None and (exc.row is None or offset < exc.row <= offset + n):
            return exc
        return None

    def for_rows(self, source: str, offset: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """(positions within the batch, universe indices) of the linked systems in the batch."""
        rows = self.rows.get(source)
        if rows is None or not len(rows):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        lo, hi = np.searchsorted(rows, [offset, offset + n])
        return rows[lo:hi] - offset, self.target[source][lo:hi]


def _universe(part: Raw, ref: Raw | None) -> tuple[pa.Array, np.ndarray, pa.Array]:
    if ref is None:
        return part.names, part.system, part.ic
    return (pa.concat_arrays([part.names, ref.names]), np.concatenate([part.system, ref.system]),
            pa.concat_arrays([part.ic, ref.ic]))


def _lookup(names: pa.Array, universe: pa.Array) -> np.ndarray:
    idx = pc.index_in(names, value_set=universe)
    return np.asarray(pc.fill_null(idx, -1), dtype=np.int64)


def link(part: Raw, sys_rows: np.ndarray, sys_ic: pa.Array, reference: Callable, *, source: str,
         ic_header: str, offset: int = 0) -> tuple[np.ndarray, InputError | None, object]:
    """Follow each system's chain: (universe index of its device, the first fault, the reference
    Catalogue or None if none was needed). ``sys_rows`` are the system rows (0-based, counted from
    ``offset``), ``sys_ic`` their ``ic`` names; ``reference()`` gives (the reference catalogue,
    its :class:`Raw`), called only when a name is not in ``part``."""
    ref = None
    names, system, ic = _universe(part, None)
    start = _lookup(sys_ic, names)
    chained = system & np.asarray(pc.is_valid(ic))
    nxt = _lookup(ic, names)
    if (start < 0).any() or (chained & (nxt < 0)).any():
        ref, ref_raw = reference()
        names, system, ic = _universe(part, ref_raw)
        start = _lookup(sys_ic, names)
        chained = system & np.asarray(pc.is_valid(ic))
        nxt = _lookup(ic, names)
    cur = start.copy()
    missing = start < 0
    missing_name = np.asarray(sys_ic.to_pylist(), dtype=object) if missing.any() else None
    active = ~missing
    active[active] = chained[cur[active]]
    for _ in range(int(chained.sum()) + 1):
        if not active.any():
            break
        k = np.flatnonzero(active)
        step = nxt[cur[k]]
        lost = step < 0
        if lost.any():  # the error path only
            if missing_name is None:
                missing_name = np.asarray(sys_ic.to_pylist(), dtype=object)
            for j in k[lost]:
                missing[j] = True
                missing_name[j] = ic[int(cur[j])].as_py()
            active[k[lost]] = False
        ok = k[~lost]
        cur[ok] = step[~lost]
        active[ok] = chained[cur[ok]]
    bad = missing | active
    error = None
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        value = sys_ic[j].as_py()
        if active[j]:
            why = "the chain of ICs comes back on itself (a cycle); a system must contain a device"
        elif missing_name[j] == value:
            where = f"nor {ref.source}" if ref is not None else "nor the reference catalogue"
            why = f"names an IC that is in neither this input {where}"
        else:
            why = f"its chain of ICs reaches {missing_name[j]!r}, which is in neither this input nor the reference catalogue"
        error = InputError(why, source=source, row=offset + int(sys_rows[j]) + 1, column=ic_header, value=value)
    return cur, error, ref


def apply(values: dict, headers: dict, pos: np.ndarray, target: np.ndarray, part_values: dict,
          part_len: int, reference, part_headers: dict | None = None) -> tuple[dict, dict]:
    """``values`` with the rows ``pos`` replaced by the figures of their universe devices
    ``target`` (input part ``part_values`` first, then ``reference``); new dicts, ``values``'
    arrays untouched (they may be read-only views)."""
    if not len(pos):
        return values, headers
    in_part = target < part_len
    p_idx = np.where(in_part, target, 0)
    r_idx = np.where(in_part, 0, target - part_len)
    out, headers = dict(values), dict(headers)
    for key, arr in values.items():
        take = part_values[key][p_idx] if part_len else np.full(len(pos), np.nan)
        if reference is not None and not in_part.all():
            take = np.where(in_part, take, reference.values[key][r_idx])
        if np.isnan(take).all() and np.isnan(np.asarray(arr)[pos]).all():
            continue
        new = np.array(arr, dtype=np.float64, copy=True)
        new[pos] = take
        out[key] = new
        if key not in headers and not np.isnan(take).all():
            headers[key] = (part_headers or {}).get(key) or (reference.headers.get(key) if reference is not None
                                                             else None) or key
    return out, headers
