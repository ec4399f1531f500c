"""Catalogue validation (``chipclass check``): beyond what loading already enforces.

Loading checks the vocabulary, units, dimensions, numbers and unique names. This adds what a
shipped, traceable catalogue needs:

- every row has a ``source`` (a datasheet or whitepaper URL, else press with ``source_note``);
- where a row gives both a dense and a "with sparsity" figure for a format, sparse is twice
  dense within 2 % (a sparse figure in a dense column is the common datasheet mix-up).
"""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc

from chipclass.core.catalogue import Catalogue
from chipclass.core.errors import InputError
from chipclass.core.formats import FORMATS

__all__ = ["validate", "SPARSE_RATIO", "SPARSE_TOLERANCE"]

#: 2:4 structured sparsity doubles the quoted rate.
SPARSE_RATIO = 2.0
#: Relative tolerance on sparse / dense (datasheets round: 989.4 vs 1,979).
SPARSE_TOLERANCE = 0.02


def validate(cat: Catalogue, require_source: bool = True) -> list[InputError]:
    """Every problem found, in row order within each check (empty when the catalogue is clean)."""
    problems: list[InputError] = []
    if require_source:
        if "source" not in cat.extra.column_names:
            problems.append(InputError("no 'source' column: every figure needs its origin "
                                       "(datasheet or whitepaper URL)", source=cat.source))
        else:
            col = cat.extra.column("source")
            text = pc.utf8_trim_whitespace(col.cast("string"))
            empty = np.asarray(pc.or_(pc.is_null(text), pc.equal(text, "")).fill_null(True))
            for i in np.flatnonzero(empty):
                problems.append(InputError("no source given for this device", source=cat.source,
                                           row=int(i) + 1, column="source", value=str(cat.names.iloc[i])))
    for f in FORMATS:
        dense, sparse = cat.values[f], cat.values[f"{f}_sparse"]
        both = ~np.isnan(dense) & ~np.isnan(sparse) & (dense > 0)
        if not both.any():
            continue
        ratio = np.divide(sparse, dense, out=np.full(len(cat), np.nan), where=both)
        bad = both & (np.abs(ratio - SPARSE_RATIO) > SPARSE_TOLERANCE * SPARSE_RATIO)
        for i in np.flatnonzero(bad):
            problems.append(InputError(
                f"sparse figure is {ratio[i]:.3g} x the dense {f} figure {dense[i]:g}, expected "
                f"{SPARSE_RATIO:g} x (is one of them in the wrong column?)", source=cat.source,
                row=int(i) + 1, column=cat.headers.get(f"{f}_sparse", f"{f}_sparse"),
                value=f"{sparse[i]:g}"))
    return problems


#: At most this many problems are reported per column (a column of bad cells is one mistake).
MAX_PER_COLUMN = 100


def check_file(path) -> tuple[Catalogue | None, list[InputError]]:
    """Every problem in a catalogue file: loading problems (headers, each column parsed on its
    own, every bad cell up to :data:`MAX_PER_COLUMN` per column, every empty or repeated name)
    and then :func:`validate`'s, on the catalogue with the bad cells left out.

    Loading (:func:`chipclass.core.readers.read_catalogue`) stops at the first problem, which is
    right for scoring; ``chipclass check`` wants them all. Returns the catalogue (None when the
    file cannot be read at all) and the problems: file-wide ones first, then by row, and within
    a row by column.
    """
    import pyarrow as pa

    from chipclass.core.catalogue import NUMERIC, _text, _vocabulary, from_table
    from chipclass.core.readers import read_table

    try:
        table, source = read_table(path)
    except InputError as exc:
        return None, [exc]
    problems: list[InputError] = []
    headers = [str(h) for h in table.column_names]
    usable = list(headers)
    name_header = None
    while True:  # header problems: drop the offending header and look again
        try:
            vocab = _vocabulary(usable, source)
            break
        except InputError as exc:
            problems.append(exc)
            if exc.column in usable:
                usable.remove(exc.column)
                continue
            vocab = _vocabulary(usable + ["name"], source) if "name" not in usable else {}
            vocab.pop("name", None)
            break
    by_name = {name: h for h, (name, _) in vocab.items()}
    name_header = by_name.get("name")
    n = table.num_rows
    keep = {h: table.column(h) for h in usable}
    if name_header is not None:
        names = _text(table.column(name_header))
        empty = np.asarray(pc.is_null(names))
        for i in np.flatnonzero(empty):
            problems.append(InputError("every row needs a name", source=source, row=int(i) + 1,
                                       column=name_header, value=""))
        text = np.asarray(names.to_pylist(), dtype=object)
        first: dict = {}
        for i, v in enumerate(text):
            if v is None:
                continue
            if v in first:
                problems.append(InputError(f"duplicate name (also at row {first[v] + 1}); names must be unique",
                                           source=source, row=i + 1, column=name_header, value=v))
            else:
                first[v] = i
    synthetic = pa.array([f"<row {i + 1}>" for i in range(n)], pa.string())
    for h, (name, _) in vocab.items():
        if name == "name":
            continue
        col = table.column(h).combine_chunks() if n else table.column(h)
        for _ in range(MAX_PER_COLUMN):
            try:
                from_table(pa.table({"name": synthetic, h: col}), source=source)
                break
            except InputError as exc:
                problems.append(exc)
                if exc.row is None:
                    col = None
                    break
                mask = np.zeros(n, dtype=bool)
                mask[exc.row - 1] = True
                col = pc.if_else(pa.array(mask), pa.nulls(n, col.type), col)
        else:
            problems.append(InputError(f"more than {MAX_PER_COLUMN} problems in this column; the rest not listed",
                                       source=source, column=h))
            col = None
        if col is None:
            keep.pop(h, None)
        else:
            keep[h] = col
    if name_header is None:
        keep = {"name": synthetic, **{h: c for h, c in keep.items() if h not in ("name",)}}
    else:  # names as given, empty or repeated ones made unique so the other checks can run
        fixed = [v if v is not None and first.get(v) == i else f"<row {i + 1}>" for i, v in enumerate(text)]
        keep[name_header] = pa.array(fixed, pa.string())
    try:
        cat = from_table(pa.table(keep), source=source)
    except InputError as exc:  # a stand-in name that clashes with a real one: report what we have
        return None, _ordered(problems + [exc], headers)
    for p in validate(cat):
        if isinstance(p.value, str) and p.value.startswith("<row ") and p.row is not None:
            p.value = text[p.row - 1] if name_header is not None else None  # the name as written
        problems.append(p)
    return cat, _ordered(problems, headers)


def _ordered(problems: list[InputError], headers: list[str]) -> list[InputError]:
    """File-wide problems first, then by row, then by the column's position in the file."""
    place = {h: k for k, h in enumerate(headers)}
    return sorted(problems, key=lambda p: (p.row is not None, p.row or 0, place.get(p.column, -1)))
