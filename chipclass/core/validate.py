"""Catalogue validation (``chipclass check``): beyond what loading already enforces.

Loading checks the vocabulary, units, dimensions, numbers, yes/no flags and unique names. This
adds what a shipped, traceable catalogue needs:

- every row has a ``source`` (a datasheet or whitepaper URL, else press with ``source_note``);
- where a row gives both a dense and a "with sparsity" figure for a format, sparse is twice
  dense within 5 % (a sparse figure in a dense column is the common datasheet mix-up);
- the provenance columns, where the catalogue has them, are filled on every row and use their
  vocabulary: ``market`` one of :data:`MARKETS`, ``status`` one of :data:`STATUSES`, ``vendor``
  not empty, ``launch_year`` a whole year in :data:`LAUNCH_YEARS`. A user's own catalogue need
  not have these columns at all (only ``source`` is required), but a column given for some rows
  and not others is reported;
- ``transistor_count`` [billion] and ``process_node`` [nm] lie in :data:`TRANSISTOR_RANGE` and
  :data:`NODE_RANGE`: outside them the figure is a unit slip (a raw count such as 80000000000
  read as billions, a node in metres or micrometres written without a unit);
- where ``tpp_published`` (a TPP a vendor or a named dataset states) is given, the TPP
  chipclass computes from the throughput columns agrees with it within 1 % (:data:`TPP_TOLERANCE`).

The vocabularies are choices of this project, not rule figures, so they live here.

``market`` says who a part is sold to: ``datacenter`` (servers, including PCIe cards and
boards for them), ``workstation`` (professional desktop cards and desktop AI boxes such as
DGX Spark), ``gaming`` (consumer discrete graphics cards), ``client`` (PC and laptop SoCs
with an NPU/GPU), ``memory`` (HBM stacks and other memory sold to chip makers) and ``system``
(embedded and edge computer-on-modules sold as a complete module rather than as a chip or
card, such as NVIDIA Jetson). ``status``: ``released`` (shipping, including internal
deployment by a hyperscaler), ``announced`` (vendor-announced, not shipping) or ``reported``
(known only from press or leaks).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from chipclass.core import arrowcompute as pc

from chipclass.core.catalogue import Catalogue
from chipclass.core.errors import InputError
from chipclass.core.formats import BIT_LENGTH, FORMATS
from chipclass.core.metrics import best_format, dense_throughput

__all__ = ["validate", "SPARSE_RATIO", "SPARSE_TOLERANCE", "TPP_TOLERANCE", "MARKETS", "STATUSES",
           "LAUNCH_YEARS", "TRANSISTOR_RANGE", "NODE_RANGE"]

#: 2:4 structured sparsity doubles the quoted rate.
SPARSE_RATIO = 2.0
#: Relative tolerance on sparse / dense. Datasheets round to two or three significant figures
#: (989.4 | 1,979; the Blackwell Ultra datasheet's 2.2 | 4.5 PF is 2.045 x), which 5 % covers;
#: the mix-ups it exists to catch give 1 x or 4 x.
SPARSE_TOLERANCE = 0.05
#: Relative tolerance between computed TPP and a published TPP.
TPP_TOLERANCE = 0.01
#: Who a part is sold to (see the module docstring).
MARKETS = ("datacenter", "workstation", "gaming", "client", "memory", "system")
#: How far a part has got: shipping, vendor-announced, or known only from press.
STATUSES = ("released", "announced", "reported")
#: Plausible launch years, inclusive: before the first GPU compute parts, or beyond the
#: furthest vendor roadmap in the catalogue (Ascend 970, 2028) by several years, is a typo.
LAUNCH_YEARS = (1990, 2035)
#: Plausible transistor counts [billion]: 1 million up to 10 x a wafer-scale engine (WSE-3: 4,000).
TRANSISTOR_RANGE = (0.001, 40_000.0)
#: Plausible process nodes [nm]: the node numbers in use, 1 nm to 1 um.
NODE_RANGE = (1.0, 1000.0)


def _text(cat: Catalogue, column: str) -> pa.ChunkedArray | None:
    """A pass-through column (any case, or mapped in the configuration) as trimmed text with empty
    cells as null, or None if absent."""
    raw = cat.extra_column(column)
    if raw is None:
        return None
    col = pc.utf8_trim_whitespace(raw.cast(pa.string()))
    return pc.if_else(pc.equal(col, ""), pa.scalar(None, pa.string()), col)


def _rows(mask) -> np.ndarray:
    return np.flatnonzero(np.asarray(mask))


def _required_text(cat: Catalogue, name: str, choices: tuple[str, ...] | None,
                   problems: list[InputError]) -> None:
    """Every cell of ``name`` (if the catalogue has it) filled and, with ``choices``, one of them."""
    col = _text(cat, name)
    if col is None:
        return
    column = cat.text_headers.get(name, name)
    empty = np.asarray(pc.is_null(col))
    for i in _rows(empty):
        problems.append(InputError(f"no {name} given for this device", source=cat.source, row=int(i) + 1,
                                   column=column, value=str(cat.names.iloc[i])))
    if choices is None:
        return
    bad = ~empty & ~np.asarray(pc.is_in(col, value_set=pa.array(choices, pa.string())).fill_null(False))
    for i in _rows(bad):
        problems.append(InputError(f"is not a {name} (one of: {', '.join(choices)})", source=cat.source,
                                   row=int(i) + 1, column=column, value=col[int(i)].as_py()))


def _launch_year(cat: Catalogue, problems: list[InputError]) -> None:
    col = _text(cat, "launch_year")
    if col is None:
        return
    lo, hi = LAUNCH_YEARS
    empty = np.asarray(pc.is_null(col))
    for i in _rows(empty):
        problems.append(InputError("no launch_year given for this device", source=cat.source, row=int(i) + 1,
                                   column="launch_year", value=str(cat.names.iloc[i])))
    digits = pc.match_substring_regex(col, r"^[0-9]{1,5}$").fill_null(False)
    year = np.asarray(pc.cast(pc.if_else(digits, col, pa.scalar("0")), pa.int64()))
    bad = ~empty & ((year < lo) | (year > hi))
    for i in _rows(bad):
        problems.append(InputError(f"is not a launch year (a whole year from {lo} to {hi})", source=cat.source,
                                   row=int(i) + 1, column="launch_year", value=col[int(i)].as_py()))


def _ranges(cat: Catalogue, problems: list[InputError]) -> None:
    for column, (lo, hi), unit, hint in (
            ("transistor_count", TRANSISTOR_RANGE, "billion", "give it in billions (80 for 80 billion)"),
            ("process_node", NODE_RANGE, "nm", "give the node number in nm (4 for TSMC N4)")):
        if column not in cat.headers:
            continue
        v = cat.values[column]
        bad = ~np.isnan(v) & ((v < lo) | (v > hi))
        for i in _rows(bad):
            problems.append(InputError(
                f"{v[i]:g} {unit} is outside {lo:g} to {hi:g} {unit}: a unit slip? {hint}", source=cat.source,
                row=int(i) + 1, column=cat.headers[column], value=f"{v[i]:g}"))


def _sparse(cat: Catalogue, problems: list[InputError]) -> None:
    for f in FORMATS:
        dense, sparse = cat.values[f], cat.values[f"{f}_sparse"]
        both = ~np.isnan(dense) & ~np.isnan(sparse) & (dense > 0)
        if not both.any():
            continue
        ratio = np.divide(sparse, dense, out=np.full(len(cat), np.nan), where=both)
        bad = both & (np.abs(ratio - SPARSE_RATIO) > SPARSE_TOLERANCE * SPARSE_RATIO)
        for i in _rows(bad):
            problems.append(InputError(
                f"sparse figure is {ratio[i]:.3g} x the dense {f} figure {dense[i]:g}, expected "
                f"{SPARSE_RATIO:g} x (is one of them in the wrong column?)", source=cat.source,
                row=int(i) + 1, column=cat.headers.get(f"{f}_sparse", f"{f}_sparse"),
                value=f"{sparse[i]:g}"))


def _tpp(cat: Catalogue, problems: list[InputError]) -> None:
    """Computed TPP (default bit lengths, as ``chipclass score``) against ``tpp_published``."""
    if "tpp_published" not in cat.headers:
        return
    published = cat.values["tpp_published"]
    given = {f: dense_throughput(cat.values[f], cat.values[f"{f}_sparse"]) for f in FORMATS}
    tpp, _, _ = best_format(given, BIT_LENGTH)
    has = ~np.isnan(published)
    for i in _rows(has & np.isnan(tpp)):
        problems.append(InputError("a published TPP is given but no throughput figure to check it against",
                                   source=cat.source, row=int(i) + 1, column=cat.headers["tpp_published"],
                                   value=f"{published[i]:g}"))
    both = has & ~np.isnan(tpp)
    rel = np.divide(np.abs(tpp - published), published, out=np.full(len(cat), np.inf), where=both & (published > 0))
    bad = both & ~(rel <= TPP_TOLERANCE) & (tpp != published)
    for i in _rows(bad):
        problems.append(InputError(
            f"TPP computed from the throughput columns is {tpp[i]:,.6g}, {rel[i]:.2%} away from the published "
            f"{published[i]:,.6g} (more than {TPP_TOLERANCE:.0%}: a figure in the wrong column or format?)",
            source=cat.source, row=int(i) + 1, column=cat.headers["tpp_published"], value=f"{published[i]:g}"))


def validate(cat: Catalogue, require_source: bool = True) -> list[InputError]:
    """Every problem found, check by check, in row order within each (empty when clean)."""
    problems: list[InputError] = []
    if require_source:
        if cat.extra_column("source") is None:
            problems.append(InputError("no 'source' column: every figure needs its origin "
                                       "(datasheet or whitepaper URL)", source=cat.source))
        else:
            _required_text(cat, "source", None, problems)
    _required_text(cat, "vendor", None, problems)
    _required_text(cat, "market", MARKETS, problems)
    _required_text(cat, "status", STATUSES, problems)
    _launch_year(cat, problems)
    _ranges(cat, problems)
    _sparse(cat, problems)
    _tpp(cat, problems)
    return problems


#: At most this many problems are reported per column (a column of bad cells is one mistake).
MAX_PER_COLUMN = 100


def check_file(path) -> tuple[Catalogue | None, list[InputError]]:
    """Length: the loading steps of :func:`chipclass.core.readers.read_catalogue`, each kept
    going past its first problem, in the reader's order (the catalogue work is reshaping it).

    Every problem in a catalogue file: loading problems (headers, each column parsed on its
    own, every bad cell up to :data:`MAX_PER_COLUMN` per column, every empty or repeated name)
    and then :func:`validate`'s, on the catalogue with the bad cells left out.

    Loading (:func:`chipclass.core.readers.read_catalogue`) stops at the first problem, which is
    right for scoring; ``chipclass check`` wants them all. Returns the catalogue (None when the
    file cannot be read at all) and the problems: file-wide ones first, then by row, and within
    a row by column.
    """
    import pyarrow as pa

    from chipclass.core.catalogue import from_table, vocabulary
    from chipclass.core.cells import text_column as _text
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
            vocab = vocabulary(usable, source)
            break
        except InputError as exc:
            problems.append(exc)
            if exc.column in usable:
                usable.remove(exc.column)
                continue
            vocab = vocabulary(usable + ["name"], source) if "name" not in usable else {}
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


def check_provenance(cat: Catalogue, catalogue_path: str | None, sources_path=None):
    """Figure-level provenance of a checked catalogue (:mod:`chipclass.core.sources`).

    ``sources_path`` given, or else a ``sources.csv`` beside the catalogue: every figure needs a
    source row there and every source row a figure (the problems), and the per-row report of
    figures on one source only or whose sources disagree. Without a sources file, returns
    ``(None, [], [])``: the row-level ``source`` column of :func:`validate` is then all a user
    catalogue needs. Returns (the sources file's name, problems, :class:`WeakRow` report).
    """
    import os

    from chipclass.core.sources import check_sources, find_sources, read_sources, weak_figures

    path = sources_path if sources_path is not None else find_sources(catalogue_path)
    if path is None:
        return None, [], []
    name = str(sources_path) if sources_path is not None else os.path.join(
        os.path.dirname(str(catalogue_path)), os.path.basename(str(path)))
    rows, problems = read_sources(path)
    problems = [_renamed(p, name) for p in problems]
    if cat is None:
        return name, problems, []
    own = os.path.basename(str(catalogue_path)) if catalogue_path and catalogue_path != "-" else None
    problems += check_sources(cat, rows, name, own)
    return name, problems, weak_figures(cat, rows, own)


def _renamed(problem: InputError, name: str) -> InputError:
    problem.source = name
    return problem
