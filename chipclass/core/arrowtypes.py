"""Typed columns (Parquet, Arrow tables, DataFrames) before the cell grammar reads them.

Every column of every Arrow type is read right or refused, naming the column and its type:

=================================  ==============================================================
Arrow type                         read as
=================================  ==============================================================
string, large_string, string_view  text: the cell grammar (:mod:`chipclass.core.cells`)
binary, large_binary, binary_view  text when every cell is UTF-8 (else refused at the first row
                                   that is not)
dictionary (pandas ``category``)   its values' type, as above
decimal                            text (``1.50``), then the grammar: exact, no float rounding
integers                           numbers, exactly: a figure above 2**53 in magnitude (where
                                   float64 stops holding every integer) is refused at its row
floats                             numbers (NaN: not given; inf: refused by the grammar's bounds)
null                               not given
bool                               yes/no columns (``datacenter``, ``non_planar``, ``has_hbm``)
                                   and text only; refused in a numeric column (1/0 is no figure)
timestamp, date, time, duration,   refused in any vocabulary column (a figure or a name is not a
interval                           moment); passed through unchanged elsewhere
list, struct, map, union, ...      refused in every column (no writer can hold them in a row)
=================================  ==============================================================
"""

from __future__ import annotations

import pyarrow as pa

from chipclass.core.errors import InputError

__all__ = ["normalise_types", "EXACT_INTEGER"]

#: Largest integer magnitude float64 holds exactly (every integer up to it): 2**53.
EXACT_INTEGER = 2 ** 53

_TEXT_KINDS = (pa.types.is_string, pa.types.is_large_string, getattr(pa.types, "is_string_view", lambda t: False))
_BINARY_KINDS = (pa.types.is_binary, pa.types.is_large_binary, pa.types.is_fixed_size_binary,
                 getattr(pa.types, "is_binary_view", lambda t: False))
_TEMPORAL = (pa.types.is_timestamp, pa.types.is_date, pa.types.is_time, pa.types.is_duration,
             pa.types.is_interval)


def _is(t, kinds) -> bool:
    return any(k(t) for k in kinds)


def _refuse(header: str, t, why: str, source: str) -> InputError:
    return InputError(f"has Arrow type {t}: {why}", source=source, column=header)


def _first_invalid_utf8(col: pa.ChunkedArray) -> int:
    """Row (0-based) of the first cell that is not UTF-8 (the error path only)."""
    for i, v in enumerate(col.to_pylist()):
        if v is not None:
            try:
                bytes(v).decode("utf-8")
            except UnicodeDecodeError:
                return i
    return 0


def _as_text(col: pa.ChunkedArray, header: str, source: str, offset: int) -> pa.ChunkedArray:
    t = col.type
    if pa.types.is_dictionary(t):
        col = col.cast(t.value_type)
        t = col.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return col
    if _is(t, _TEXT_KINDS):
        return col.cast(pa.large_string())
    if _is(t, _BINARY_KINDS):
        try:
            return col.cast(pa.large_binary()).cast(pa.large_string())
        except pa.ArrowInvalid:
            i = _first_invalid_utf8(col)
            raise InputError("is not UTF-8 text; save the column as UTF-8 strings", source=source,
                             row=offset + i + 1, column=header, value=repr(col[i].as_py())[:60]) from None
    return col


def _exact_integers(col: pa.ChunkedArray, header: str, source: str, offset: int) -> None:
    import numpy as np
    from chipclass.core import arrowcompute as pc

    if pa.types.is_unsigned_integer(col.type):
        big = pc.greater(col, pa.scalar(EXACT_INTEGER, col.type)) if col.type.bit_width == 64 else None
    elif col.type.bit_width == 64:
        big = pc.or_(pc.greater(col, EXACT_INTEGER), pc.less(col, -EXACT_INTEGER))
    else:
        big = None
    if big is not None and pc.any(big).as_py():
        i = int(np.flatnonzero(np.asarray(big.fill_null(False)))[0])
        raise InputError("is an integer above 2**53 in magnitude, which a float64 figure cannot hold exactly",
                         source=source, row=offset + i + 1, column=header, value=col[i].as_py())


def normalise_types(table: pa.Table, roles: dict[str, str], source: str, offset: int = 0
                    ) -> tuple[pa.Table, list[InputError]]:
    """``table`` with every column of a type the cell grammar reads, and the faults found at a
    row (a cell that is not UTF-8, an integer beyond 2**53; that column is then read as empty, so
    the reader can report the earliest fault of any kind). A column of a type refused outright
    raises at once, naming the column and its type. ``roles``: header -> ``numeric``, ``flag``
    or ``text`` for vocabulary columns (others are pass-through). Plain string and number
    columns are returned as they are (no copy): the common case costs one type test per column."""
    cols, changed, faults = [], False, []
    for header, col in zip(table.column_names, table.columns):
        role, t = roles.get(header), col.type
        if pa.types.is_nested(t) or pa.types.is_union(t) or (
                pa.types.is_dictionary(t) and pa.types.is_nested(t.value_type)):
            raise _refuse(header, t, "a catalogue cell cannot hold it (one value per cell); flatten it "
                                     "or drop the column", source)
        if role is None:  # pass-through: as it is, but string views as plain strings (every kernel takes them)
            view = getattr(pa.types, "is_string_view", lambda t: False)
            new = col.cast(pa.large_string()) if view(t) else col
            if _is(t, _BINARY_KINDS):  # UTF-8 bytes pass through as the text they are
                try:
                    new = col.cast(pa.large_binary()).cast(pa.large_string())
                except pa.ArrowInvalid:
                    new = col
            changed |= new is not col
            cols.append(new)
            continue
        value_t = t.value_type if pa.types.is_dictionary(t) else t
        if _is(value_t, _TEMPORAL):
            raise _refuse(header, t, f"a date or time, not {'a figure' if role == 'numeric' else 'text'}; "
                                     "store the column as numbers or text", source)
        if role == "numeric" and pa.types.is_boolean(value_t):
            raise _refuse(header, t, "true/false is not a figure; store the column as numbers", source)
        new = col
        try:
            if pa.types.is_dictionary(t) or _is(value_t, _TEXT_KINDS) or _is(value_t, _BINARY_KINDS):
                new = _as_text(col, header, source, offset)
            elif pa.types.is_decimal(t) or (role != "numeric" and not pa.types.is_string(t)):
                new = col.cast(pa.string())  # decimals read as written; numbers or booleans as text
            elif pa.types.is_integer(t):
                _exact_integers(col, header, source, offset)
            elif not (pa.types.is_floating(t) or pa.types.is_null(t) or pa.types.is_string(t)):
                raise _refuse(header, t, "chipclass does not read it; store the column as numbers or text",
                              source)
        except InputError as exc:
            if exc.row is None:
                raise
            faults.append(exc)
            new = pa.nulls(len(col), pa.string())
        changed |= new is not col
        cols.append(new)
    return (pa.table(cols, names=table.column_names) if changed else table), faults
