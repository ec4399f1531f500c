"""The cell grammar, shared by every engine and every file chipclass reads.

A vocabulary cell is a number (optional sign; ``1,234.5`` thousands commas only in that exact
form; an exponent of at most three digits), optionally followed by a unit that starts with a
letter and passes :func:`chipclass.core.units.check_unit_text`. A cell whose trimmed text is
one of :data:`MISSING` (case-insensitive) is "not given". Everything else is refused with the
file, row, column and the original text: digits grouped by spaces (``1 000 TOPS``), decimal
commas (``1,5``), text after the unit (``600 TOPS 2``), hexadecimal (``0x10``), ``inf`` and
``nan``, values that overflow once converted (``1e308 PFLOPS``), negative values, areas of zero.
Every check is a vectorised pyarrow/numpy kernel; Python runs once per distinct unit string and
once more, for the message, on the first bad cell.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
from chipclass.core import arrowcompute as pc

from chipclass.core.errors import InputError
from chipclass.core.units import BarePrefixError, UnitError, unit_factor

__all__ = ["MISSING", "MAX_CELL_BYTES", "NameIndex", "string_hashes", "cell_hint", "numeric_column", "choice_column",
           "text_column", "cell_shape"]

#: Cell texts read as "not given" in every vocabulary column, by every engine (compared
#: case-insensitively after trimming spaces). ``nan`` and ``inf`` are not among them: they are
#: refused, since a figure that is not a number is more likely a broken export than a gap.
MISSING = ("", "na", "n/a", "n.a.", "-", "--", "\u2013", "\u2014", "?", "null", "none", "unknown", "tbd")
#: Largest value accepted in a canonical unit (and, for areas, the reciprocal is the smallest):
#: far beyond any chip, and small enough that products and ratios (TPP, densities) stay finite.
MAX_MAGNITUDE = 1e100
#: Longest cell accepted (bytes of UTF-8), header cells included.
MAX_CELL_BYTES = 64 * 1024

# The cell grammar: a number (optional sign; thousands commas only as in 1,234.5), then
# optionally a unit that starts with a letter (checked by units.check_unit_text).
_NUMBER = r"[-+]?(?:\d{1,3}(?:,\d{3})+(?:\.\d*)?|\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_PLAIN = f"^{_NUMBER}$"
_CELL = f"^(?P<num>{_NUMBER})(?:\\s*(?P<unit>[A-Za-z\u00b5\u03bc\u00b0%].*))?$"
#: (pattern, explanation) for the usual ways a cell breaks the grammar, first match wins.
_HINTS = (
    (re.compile(r"^[-+]?\d{1,3}(?:[ \u00a0\u202f\u2009']\d{3})+(?:[.,]\d+)?(?:\s|$)"),
     "digits grouped with spaces or apostrophes; write 1000 or 1,000"),
    (re.compile(r"^[-+]?\d*,\d+(?:\s|$|[A-Za-z])"),
     "a decimal comma? write 1.5 (a comma may only separate thousands, as in 1,234.5)"),
    (re.compile(r"^[-+]?\d+(?:[.,]\d+)*\.\d{3},\d"),
     "a decimal comma with dots between thousands? write 1234.5"),
    (re.compile(r"^[-+]?0[xXoObB][0-9A-Fa-f]"), "hexadecimal, octal or binary numbers are not read; write it in decimal"),
    (re.compile(r"^[-+]?(?:inf|infinity|nan)\b", re.IGNORECASE), "not a finite number"),
    (re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*[A-Za-z\u00b5\u03bc%][^\d]*\s[-+]?\d"),
     "text after the unit; one number and one unit per cell"),
)


def first_true(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def cell_hint(text: str) -> str | None:
    """Why ``text`` breaks the cell grammar, for the usual cases (None otherwise).

    >>> cell_hint("1 000 TOPS"), cell_hint("0x10")
    ('digits grouped with spaces or apostrophes; write 1000 or 1,000', 'hexadecimal, octal or binary numbers are not read; write it in decimal')
    """
    for pattern, hint in _HINTS:
        if pattern.search(text):
            return hint
    return None


_GRAMMAR = "a number, optionally followed by a unit, such as '296', '1,234.5' or '296 TFLOPS'"


def _refuse_cell(text, *, source, row, column, why: str | None = None) -> InputError:
    hint = cell_hint(str(text).strip())
    message = f"is not {_GRAMMAR}" if hint is None and why is None else (hint or why)
    return InputError(message, source=source, row=row, column=column, value=text)


def numeric_column(arr: pa.ChunkedArray, kind: str, unit: str | None, default: str, *,
             source: str, column: str, offset: int) -> np.ndarray:
    """One column to float64 in the canonical unit of ``kind``.

    Refuses (with the first offending row) cells outside the grammar, values that are not
    finite after conversion (``1e308 PFLOPS``), negative values, and areas of zero.
    """
    header_factor = unit_factor(unit or default, kind)
    if not (pa.types.is_string(arr.type) or pa.types.is_floating(arr.type)):  # a typed column (Parquet)
        from chipclass.core.arrowtypes import normalise_types

        table, faults = normalise_types(pa.table({column: arr}), {column: "numeric"}, source, offset)
        if faults:
            raise faults[0]
        arr = table.column(0)
    t = arr.type
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_null(t) or pa.types.is_decimal(t):
        with np.errstate(over="ignore"):
            values = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False) * header_factor
        shown = lambda i: str(arr[i].as_py())  # noqa: E731
    else:
        values, grammar_error = _plain_cast(arr, header_factor), None
        if values is None:  # not every cell a plain number: the full grammar, with its messages
            raw = text_column(arr)
            values, grammar_error = _cells(raw, arr, kind, header_factor, source=source, column=column,
                                           offset=offset)
        shown = lambda i: arr[i].as_py()  # noqa: E731
    if not pa.types.is_string(t) and not pa.types.is_large_string(t):
        grammar_error = None
    with np.errstate(invalid="ignore"):
        given = ~np.isnan(values)
        infinite = given & ~np.isfinite(values)
        negative = given & (values < 0)
        zero_area = given & (values == 0) if kind == "area" else np.zeros(len(values), bool)
        out_of_range = given & ((values > MAX_MAGNITUDE) | ((values < 1 / MAX_MAGNITUDE) & (values > 0) & (kind == "area")))
    bad = infinite | negative | zero_area | out_of_range
    if grammar_error is not None and (not bad.any() or grammar_error.row <= offset + first_true(bad) + 1):
        raise grammar_error  # the earliest bad cell of the column, whatever the kind of fault
    if bad.any():
        i = first_true(bad)
        why = ("is too large: it overflows a 64-bit float once converted to the canonical unit"
               if infinite[i] else
               "an area must be more than zero (leave the cell empty if unknown)" if kind == "area" and (
                   negative[i] or zero_area[i]) else
               "must be zero or more" if negative[i] else
               f"is outside the magnitudes accepted (up to {MAX_MAGNITUDE:g} in the canonical unit; areas from "
               f"{1 / MAX_MAGNITUDE:g}), where derived metrics could overflow")
        if infinite[i] and cell_hint(str(shown(i))):
            why = cell_hint(str(shown(i)))
        raise InputError(why, source=source, row=offset + i + 1, column=column, value=shown(i))
    return values


def _plain_cast(arr, header_factor: float) -> np.ndarray | None:
    """The fast path: every given cell a plain finite number, cast by Arrow's parser in one pass.

    None when any cell is something else (a unit, spaces, a missing-value word, ``nan``/``inf``
    text, anything the parser refuses): then :func:`_cells` applies the whole grammar. A null
    (empty) cell is NaN; a NaN that is not a null came from text such as ``nan`` and goes to the
    grammar, which refuses it.
    """
    try:
        values = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    nan = np.isnan(values)
    if int(nan.sum()) != arr.null_count or np.isinf(values).any():
        return None
    with np.errstate(over="ignore"):
        return values * header_factor


_UNIT_START = re.compile("^[A-Za-z\u00b5\u03bc\u00b0%]")


def _split_number_unit(raw):
    """'4 TB/s' -> (values [float64], units [trimmed text], distinct units) by splitting at the
    first space, or None when any cell needs the grammar's regular expression (no space before
    the unit, thousands commas, a unit not starting with a letter, text that is not a finite
    plain number). When it succeeds it agrees with the grammar cell for cell.

    Every cell gets a space appended first, so each splits in two (number, unit or nothing):
    no per-row choice between lists."""
    empty, space = pa.scalar("", raw.type), pa.scalar(" ", raw.type)
    tokens = pc.split_pattern(pc.binary_join_element_wise(raw, empty, space), " ", max_splits=1)
    number = pc.list_element(tokens, 0)
    try:
        values = pc.cast(number, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if np.isinf(values).any() or int(np.isnan(values).sum()) != number.null_count:
        return None
    unit = pc.utf8_trim_whitespace(pc.list_element(tokens, 1))
    distinct = pc.unique(unit).to_pylist()
    if any(u and not _UNIT_START.match(u) for u in distinct if u is not None):
        return None
    return values, unit, distinct


def _cells(raw, original, kind: str, header_factor: float, *, source: str, column: str,
           offset: int) -> tuple[np.ndarray, InputError | None]:
    """Text cells ('296', '4 TB/s', '2,375 TOPS') to float64 in the canonical unit of ``kind``,
    NaN where a cell is refused, and the error of the first refused cell (outside the grammar
    or with a bad unit), or None.

    Three vectorised paths, each the grammar's answer where it answers: every cell a plain
    number (one cast), every cell a number, a space and maybe a unit (a split), else the full
    grammar by ``extract_regex``.
    """
    plain = _plain_cast(raw, 1.0)
    if plain is not None:
        with np.errstate(over="ignore"):
            return plain * header_factor, None
    errors: list[tuple[int, InputError]] = []
    split = _split_number_unit(raw)
    if split is not None:
        values, units, distinct = split
    else:
        parts = pc.extract_regex(raw, _CELL)
        unmatched = np.asarray(pc.and_(pc.is_valid(raw), pc.is_null(parts)))
        if unmatched.any():
            i = first_true(unmatched)
            errors.append((i, _refuse_cell(original[i].as_py(), source=source, row=offset + i + 1, column=column)))
        numbers = pc.replace_substring(pc.struct_field(parts, "num"), ",", "")
        values = pc.cast(numbers, pa.float64()).to_numpy(zero_copy_only=False)
        units = pc.utf8_trim_whitespace(pc.struct_field(parts, "unit"))
        distinct = pc.unique(units).to_pylist()
    factors = np.empty(len(distinct))
    for j, u in enumerate(distinct):  # once per distinct unit string, not per row
        if not u:
            factors[j] = header_factor
            continue
        try:
            factors[j] = unit_factor(u, kind)
        except UnitError as exc:
            factors[j] = np.nan
            i = first_true(np.asarray(pc.fill_null(pc.equal(units, u), False)))
            why = str(exc)
            if isinstance(exc, BarePrefixError):  # '1.2k': say the number to write
                why = f"{u!r} is an SI prefix written alone, not a unit: write {values[i] * exc.factor:g}"
            errors.append((i, _refuse_cell(original[i].as_py(), source=source, row=offset + i + 1,
                                           column=column, why=why)))
    idx = 0 if len(distinct) == 1 else np.asarray(
        pc.fill_null(pc.index_in(units, value_set=pa.array(distinct, pa.string())), 0))
    with np.errstate(over="ignore", invalid="ignore"):
        return values * factors[idx], (min(errors, key=lambda e: e[0])[1] if errors else None)


def text_column(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    """Trimmed text with every spelling in :data:`MISSING` as null."""
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = pc.cast(arr, pa.string())
    arr = pc.utf8_trim_whitespace(arr)
    missing = pc.is_in(pc.utf8_lower(arr), value_set=pa.array(MISSING, pa.string()))
    return pc.if_else(missing, pa.scalar(None, arr.type), arr)


def choice_column(arr: pa.ChunkedArray, choices: tuple[str, ...], *, source: str, column: str,
            offset: int, what: str) -> np.ndarray:
    """Index of each cell's value in ``choices`` (case-insensitive); -1 where empty."""
    text = pc.utf8_lower(text_column(arr))
    idx = pc.index_in(text, value_set=pa.array(choices, pa.string()))
    unknown = np.asarray(pc.and_(pc.is_valid(text), pc.is_null(idx)))
    if unknown.any():
        i = first_true(unknown)
        raise InputError(f"is not {what} (one of: {', '.join(choices)})", source=source,
                         row=offset + i + 1, column=column, value=arr[i].as_py())
    return np.asarray(pc.fill_null(idx, -1), dtype=np.int64)


def _scan(col) -> tuple[bool, bool]:
    """(some cell is over the size limit, some cell holds a line break), read straight from the
    string buffers (offset differences and one byte scan), without building per-row masks."""
    too_long = has_break = False
    wide = pa.types.is_large_string(col.type)
    for chunk in col.chunks:
        if len(chunk) == 0:
            continue
        _, offsets_buf, data_buf = chunk.buffers()
        offsets = np.frombuffer(offsets_buf, dtype=np.int64 if wide else np.int32)[
            chunk.offset:chunk.offset + len(chunk) + 1]
        too_long = too_long or bool((np.diff(offsets) > MAX_CELL_BYTES).any())
        if data_buf is not None and offsets[-1] > offsets[0]:
            data = np.frombuffer(data_buf, dtype=np.uint8)[offsets[0]:offsets[-1]]
            has_break = has_break or bool(((data == 10) | (data == 13)).any())
    return too_long, has_break


def cell_shape(table: pa.Table, source: str, offset: int) -> None:
    """Refuse, at the first row, a text cell over :data:`MAX_CELL_BYTES` or one holding a line
    break (values may not span lines: that is how an unbalanced quote swallows later rows)."""
    first: tuple[int, int, str] | None = None
    for j, h in enumerate(table.column_names):
        col = table.column(j)
        if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            continue
        too_long, has_break = _scan(col)
        if not (too_long or has_break):
            continue
        long = np.asarray(pc.fill_null(pc.greater(pc.binary_length(col), MAX_CELL_BYTES), False))
        broken = np.asarray(pc.fill_null(pc.match_substring_regex(col, "[\r\n]"), False))
        for kind, mask in ((0, long), (1, broken)):
            if mask.any():
                i = first_true(mask)
                if first is None or (i, j) < first[:2]:
                    first = (i, j, kind)
    if first is not None:
        i, j, kind = first
        h = table.column_names[j]
        text = table.column(j)[i].as_py()
        if kind == 0:
            raise InputError(f"the cell is longer than the limit of {MAX_CELL_BYTES // 1024} KiB",
                             source=source, row=offset + i + 1, column=h, value=text[:40] + "...")
        raise InputError("a quoted value runs past the end of its line (an unbalanced quote? values "
                         "may not span lines)", source=source, row=offset + i + 1, column=h,
                         value=text.splitlines()[0][:80] if text.strip() else text)


#: Base of the polynomial string hash (odd, so it has an inverse modulo 2**64) and its inverse.
_BASE = 0x100000001B3
_BASE_INV = pow(_BASE, -1, 2**64)


def string_hashes(arr, chunk: int = 1 << 16) -> np.ndarray:
    """64-bit hashes of an Arrow string array, vectorised over its buffers (no Python objects).

    Per string of bytes b_0..b_{k-1}: h = sum b_j * B**j (mod 2**64, odd base B), computed for
    all strings at once from prefix sums S and the inverse powers of B (h = (S[end] - S[start])
    * B**-start); then the length is mixed in and the bits spread by splitmix64. Equal strings
    always hash equal; a collision of different names is reported as a duplicate (a refusal,
    never a silent pass). Rows go ``chunk`` strings at a time, so temporaries stay small.
    """
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_large_string(arr.type):
        otype = np.int64
    else:
        arr = pc.cast(arr, pa.string()) if not pa.types.is_string(arr.type) else arr
        otype = np.int32
    n = len(arr)
    if n == 0:
        return np.empty(0, np.uint64)
    _, obuf, dbuf = arr.buffers()[:3]
    offs = np.frombuffer(obuf, dtype=otype, count=n + 1, offset=arr.offset * np.dtype(otype).itemsize).astype(np.int64)
    data = np.frombuffer(dbuf, dtype=np.uint8) if dbuf is not None else np.empty(0, np.uint8)
    out = np.empty(n, np.uint64)
    with np.errstate(over="ignore"):
        for a in range(0, n, chunk):
            o = offs[a:min(a + chunk, n) + 1]
            lo, m = int(o[0]), int(o[-1] - o[0])
            pw, ipw = _powers(m + 1)
            pref = np.zeros(m + 1, np.uint64)
            np.cumsum(data[lo:lo + m].astype(np.uint64) * pw[:m], out=pref[1:])
            start, end = o[:-1] - lo, o[1:] - lo
            h = (pref[end] - pref[start]) * ipw[start]
            h ^= (end - start).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
            out[a:a + len(h)] = _splitmix64(h)
    return out


_POWERS: list = [np.ones(1, np.uint64), np.ones(1, np.uint64)]


def _powers(k: int) -> tuple[np.ndarray, np.ndarray]:
    """(B**j, B**-j mod 2**64) for j < k, from a cache grown by doubling (the chunks of one
    file have similar byte lengths: computed once, not once per chunk)."""
    if len(_POWERS[0]) < k:
        size = max(k, 2 * len(_POWERS[0]))
        with np.errstate(over="ignore"):
            for i, base in enumerate((_BASE, _BASE_INV)):
                p = np.empty(size, np.uint64)
                p[0] = 1
                p[1:] = np.cumprod(np.full(size - 1, base, np.uint64))
                _POWERS[i] = p
    return _POWERS[0][:k], _POWERS[1][:k]


def _splitmix64(x: np.ndarray) -> np.ndarray:
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


#: splitmix64's finaliser over a uint64 array (also what headroom hashes its devices' inputs with).
splitmix64 = _splitmix64


class NameIndex:
    """Names seen so far, as 64-bit hashes with the row each first appeared at.

    Streaming and the Dask engine check uniqueness across batches with it in bounded memory:
    16 bytes per row (hash and row), in sorted runs merged like a binary counter (so the
    total work is O(n log n)), never the names themselves. A duplicate is always reported;
    two different names with the same 64-bit hash (probability about n**2 / 2**65, 3e-8 for a
    million rows) would be reported as a duplicate too: a false refusal, never a silent pass.
    """

    def __init__(self, source: str | None = None):
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []
        self.source = source

    @staticmethod
    def hashes(names) -> np.ndarray:
        """64-bit hashes of the names (an Arrow string array, or a pandas Series of text), from
        the Arrow buffers: see :func:`string_hashes`."""
        if not isinstance(names, (pa.Array, pa.ChunkedArray)):
            names = pa.array(np.asarray(names, dtype=object), type=pa.string())
        return string_hashes(names)

    def first_repeat(self, names, offset: int) -> tuple[int, int] | None:
        """(position in ``names``, row of its first appearance) of the first name seen before
        (in an earlier batch or earlier in this one); None if all are new."""
        h = self.hashes(names)
        n = len(h)
        if not n:
            return None
        order = np.argsort(h, kind="stable")
        hs = h[order]
        same = np.concatenate([[False], hs[1:] == hs[:-1]])
        # position of the first occurrence of each sorted element's hash
        start = np.maximum.accumulate(np.where(~same, np.arange(n), 0))
        repeat_in_batch = np.zeros(n, bool)
        repeat_in_batch[order[same]] = True
        first_pos = np.empty(n, np.int64)
        first_pos[order] = order[start]
        prior_sorted = np.full(n, -1, np.int64)
        for run_h, run_rows in self.runs:  # sorted queries: searchsorted walks the run in order
            k = np.minimum(np.searchsorted(run_h, hs), len(run_h) - 1)
            hit = run_h[k] == hs
            prior_sorted = np.where(hit & ((prior_sorted < 0) | (run_rows[k] < prior_sorted)), run_rows[k],
                                    prior_sorted)
        prior_row = np.empty(n, np.int64)
        prior_row[order] = prior_sorted
        bad = repeat_in_batch | (prior_row >= 0)
        if bad.any():
            i = first_true(bad)
            row = prior_row[i] if prior_row[i] >= 0 else offset + first_pos[i] + 1
            return i, int(row)
        self._add(hs, (offset + order + 1).astype(np.int64))
        return None

    def _add(self, h: np.ndarray, rows: np.ndarray) -> None:
        self.runs.append((h, rows))
        while len(self.runs) > 1 and len(self.runs[-2][0]) <= len(self.runs[-1][0]):
            (h1, r1), (h2, r2) = self.runs.pop(-2), self.runs.pop()
            hh = np.concatenate([h1, h2])
            rr = np.concatenate([r1, r2])
            o = np.argsort(hh, kind="stable")
            self.runs.append((hh[o], rr[o]))
