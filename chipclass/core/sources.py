"""Figure-level provenance: a catalogue's ``sources.csv`` and the checks ``chipclass check`` runs on it.

A sources file has one row per (device, column, source)::

    device,column,source,quote,kind,derivation,value,file

``device``
    the catalogue row's ``name``, as written;
``column``
    the figure's vocabulary name (``fp16_sparse``, ``die_area``, ``ic_count``...; see
    :data:`FIGURE_COLUMNS`);
``source``
    a URL or a document id (``TSMC 2023 annual report p. 12``);
``quote``
    the words or the table cell read, as printed (required unless ``kind`` is ``derived``);
``kind``
    one of :data:`KINDS`;
``derivation``
    for ``kind=derived`` (required there): the formula from other figures, e.g.
    ``fp16 = fp16_sparse / 2``;
``value`` (optional column, optional cell)
    the figure as this source states it, in the column's canonical unit (TFLOPS/TOPS, mm**2,
    GB, GB/s, billion, nm; ``yes``/``no`` for flags), so that disagreements can be found;
``file`` (optional column)
    the catalogue file name (``chips.csv``, ``systems.csv``) the device is in, when one sources
    file serves several catalogues in one directory. Rows for another file are skipped when
    checking this one. Without the column every row belongs to the catalogue being checked.

A figure may have several sources. The checks (:func:`check_sources`) refuse a figure with no
source, and a source row that names no figure: an unknown device, a column that is not a
figure, or a figure the row leaves empty. The report (:func:`weak_figures`) lists, per row,
the figures resting on one source only and those whose sources disagree beyond
:data:`DISAGREE_TOLERANCE`; it is advice for a reviewer, not a failure.

The kinds and the tolerance are choices of this project (not rule figures), so they live here.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from chipclass.core.catalogue import FLAGS, NUMERIC, Catalogue
from chipclass.core.errors import InputError

__all__ = ["KINDS", "REQUIRED", "FIGURE_COLUMNS", "DISAGREE_TOLERANCE", "SOURCES_FILE", "SourceRow",
           "WeakRow", "read_sources", "find_sources", "figure_matrix", "check_sources", "weak_figures"]

#: What a source is. ``derived`` is a figure computed from other figures (``derivation`` says how).
KINDS = ("vendor-datasheet", "vendor-page", "vendor-blog", "paper", "press", "third-party-dataset", "derived")
#: Headers every sources file has (``derivation``, ``value`` and ``file`` are optional columns).
REQUIRED = ("device", "column", "source", "quote", "kind")
#: Columns that hold figures: the numeric vocabulary, the yes/no facts, and a system's ``ic_count``.
FIGURE_COLUMNS = tuple(NUMERIC) + FLAGS + ("ic_count",)
#: Two sources (or a source and the catalogue) further apart than this, relative, disagree.
DISAGREE_TOLERANCE = 0.01
#: The sources file looked for beside a catalogue.
SOURCES_FILE = "sources.csv"
_FLAG_TEXT = {"yes": 1.0, "true": 1.0, "no": 0.0, "false": 0.0}


@dataclass
class SourceRow:
    """One row of a sources file (``row`` counts data rows from 1)."""

    row: int
    device: str
    column: str
    source: str
    quote: str
    kind: str
    derivation: str = ""
    value: str = ""
    file: str = ""


@dataclass
class WeakRow:
    """Report for one catalogue row: figures with one source only, and figures whose sources
    disagree (column -> the values stated, the catalogue's own figure first)."""

    row: int
    device: str
    single: list[str] = field(default_factory=list)
    disagree: dict[str, list[float]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"row": self.row, "device": self.device, "single_source": self.single,
                "disagree": {k: v for k, v in self.disagree.items()}}


def find_sources(catalogue_path: str | None) -> Path | None:
    """The ``sources.csv`` beside a catalogue file, or None (stdin, or no such file)."""
    if not catalogue_path or catalogue_path == "-":
        return None
    p = Path(catalogue_path).resolve().parent / SOURCES_FILE
    return p if p.is_file() else None


def read_sources(path) -> tuple[list[SourceRow], list[InputError]]:
    """Every row of a sources file, and the problems that need no catalogue to find (headers,
    empty required cells, unknown kinds, a derived figure without its derivation)."""
    name = str(path)
    problems: list[InputError] = []
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            body = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        return [], [InputError(f"cannot read the sources file: {exc}", source=name)]
    if header is None:
        return [], [InputError("the sources file is empty (it needs the headers "
                               f"{', '.join(REQUIRED)})", source=name)]
    keys = [h.strip().lower() for h in header]
    missing = [h for h in REQUIRED if h not in keys]
    if missing:
        return [], [InputError(f"the sources file lacks the column(s) {', '.join(missing)}", source=name)]
    rows = []
    for i, cells in enumerate(body, start=1):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(keys):
            problems.append(InputError(f"{len(cells)} cells where the header has {len(keys)}", source=name, row=i))
            continue
        d = {k: c.strip() for k, c in zip(keys, cells)}
        rows.append(SourceRow(i, d["device"], d["column"], d["source"], d["quote"], d["kind"],
                              d.get("derivation", ""), d.get("value", ""), d.get("file", "")))
    problems += _row_problems(rows, name)
    return rows, problems


def _row_problems(rows: list[SourceRow], name: str) -> list[InputError]:
    problems = []
    for r in rows:
        for col in ("device", "column", "source", "kind"):
            if not getattr(r, col):
                problems.append(InputError(f"no {col} given for this source", source=name, row=r.row, column=col,
                                           value=""))
        if r.kind and r.kind not in KINDS:
            problems.append(InputError(f"is not a kind of source (one of: {', '.join(KINDS)})", source=name,
                                       row=r.row, column="kind", value=r.kind))
        if r.kind == "derived" and not r.derivation:
            problems.append(InputError("a derived figure needs its derivation (the formula from other figures)",
                                       source=name, row=r.row, column="derivation", value=""))
        if r.kind and r.kind != "derived" and not r.quote:
            problems.append(InputError("no quote given: the words or table cell the figure was read from",
                                       source=name, row=r.row, column="quote", value=""))
        if r.value and _number(r.value) is None:
            problems.append(InputError("is not a number (the figure in the column's canonical unit) or yes/no",
                                       source=name, row=r.row, column="value", value=r.value))
    return problems


def _number(text: str) -> float | None:
    t = text.strip().lower().replace(",", "")
    if t in _FLAG_TEXT:
        return _FLAG_TEXT[t]
    try:
        v = float(t)
    except ValueError:
        return None
    return v if np.isfinite(v) else None


def figure_matrix(cat: Catalogue) -> dict[str, np.ndarray]:
    """Column -> float64 array of the figures a catalogue gives (NaN where empty), for the
    figure columns it has (``ic_count`` read from its pass-through text)."""
    out = {}
    for col in FIGURE_COLUMNS:
        if col in cat.headers:
            out[col] = np.asarray(cat.values[col], dtype=float)
        elif col in cat.extra.column_names:
            text = cat.extra.column(col).to_pylist()
            out[col] = np.array([np.nan if t is None or not str(t).strip() else (_number(str(t)) or np.nan)
                                 for t in text], dtype=float)
    return out


def _rows_for(rows: list[SourceRow], catalogue_file: str | None) -> list[SourceRow]:
    if catalogue_file is None:
        return rows
    return [r for r in rows if not r.file or r.file == catalogue_file]


def check_sources(cat: Catalogue, rows: list[SourceRow], sources_name: str,
                  catalogue_file: str | None = None) -> list[InputError]:
    """Refusals: a figure of ``cat`` with no source row; a source row naming an unknown device, a
    column that is not a figure of the catalogue, or an empty figure."""
    rows = _rows_for(rows, catalogue_file)
    figures = figure_matrix(cat)
    names = [str(n) for n in cat.names]
    index = {n: i for i, n in enumerate(names)}
    header_of = {**{c: cat.headers.get(c, c) for c in figures}}
    problems: list[InputError] = []
    cited: set[tuple[int, str]] = set()
    for r in rows:
        if not r.device or not r.column:
            continue
        i = index.get(r.device)
        if i is None:
            problems.append(InputError(f"names no device of {cat.source}", source=sources_name, row=r.row,
                                       column="device", value=r.device))
            continue
        col = r.column.strip().lower()
        if col not in figures:
            what = "is not a figure column" if col not in FIGURE_COLUMNS else f"is not a column of {cat.source}"
            problems.append(InputError(f"{what} (device {r.device!r})", source=sources_name, row=r.row,
                                       column="column", value=r.column))
            continue
        if np.isnan(figures[col][i]):
            problems.append(InputError(f"cites an empty figure: {r.device!r} gives no {col}", source=sources_name,
                                       row=r.row, column="column", value=r.column))
            continue
        cited.add((i, col))
    for col, v in figures.items():
        for i in np.flatnonzero(~np.isnan(v)):
            if (int(i), col) not in cited:
                problems.append(InputError(f"figure {v[i]:g} has no source in {sources_name}", source=cat.source,
                                           row=int(i) + 1, column=header_of[col], value=names[i]))
    return problems


def weak_figures(cat: Catalogue, rows: list[SourceRow], catalogue_file: str | None = None,
                 tolerance: float = DISAGREE_TOLERANCE) -> list[WeakRow]:
    """Per catalogue row (in row order, only rows with something to report): the figures that
    rest on one source only, and those where a source's ``value`` is more than ``tolerance``
    (relative) from the catalogue's figure or from another source's value."""
    rows = _rows_for(rows, catalogue_file)
    figures = figure_matrix(cat)
    index = {str(n): i for i, n in enumerate(cat.names)}
    count: dict[tuple[int, str], int] = {}
    stated: dict[tuple[int, str], list[float]] = {}
    for r in rows:
        i, col = index.get(r.device), r.column.strip().lower()
        if i is None or col not in figures or np.isnan(figures[col][i]):
            continue
        count[(i, col)] = count.get((i, col), 0) + 1
        v = _number(r.value) if r.value else None
        if v is not None:
            stated.setdefault((i, col), []).append(v)
    report: dict[int, WeakRow] = {}
    for (i, col), n in sorted(count.items(), key=lambda kv: (kv[0][0], FIGURE_COLUMNS.index(kv[0][1]))):
        own = float(figures[col][i])
        values = [own] + stated.get((i, col), [])
        lo, hi = min(values), max(values)
        spread = (hi - lo) / max(abs(hi), abs(lo)) if hi != lo else 0.0
        if n == 1 or spread > tolerance:
            w = report.setdefault(i, WeakRow(i + 1, str(cat.names.iloc[i])))
            if n == 1:
                w.single.append(col)
            if spread > tolerance:
                w.disagree[col] = values
    return [report[i] for i in sorted(report)]
