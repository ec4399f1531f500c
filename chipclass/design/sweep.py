"""Design-space sweeps: a base spec expanded over ranges, scored with the same engine.

A sweep builds the variants as float64 columns directly (a full grid by broadcasting, or a
random / Latin-hypercube sample) and hands them to :func:`chipclass.classify.classify` as one
catalogue: there is no Python loop per variant, and the result equals scoring the same
variants as a catalogue file.

Ranges (CLI ``--vary``): ``fp8=200:600:5`` is 5 values from 200 to 600 inclusive (like
``numpy.linspace``); ``fp8=200:600`` is the span a sampled sweep draws from (a grid needs the
count); ``fp8=200,250,300`` is a list; ``fp8=@values.txt`` reads values separated by newlines
or commas, each with its own unit if it has one (``0.2 PFLOPS``), from a file of at most
:data:`MAX_FILE_BYTES`; a unit may follow the range (``fp8=0.2:0.6:5 PFLOPS``). Values are in
the spec's default unit otherwise (TOPS, mm², GB/s).

The size of a sweep (the product of the grid's counts, or ``--samples``) is known before
anything is allocated, and a sweep over ``max_variants`` is refused with the count.
:func:`run` scores the variants a slice at a time (progress reported after each), decides the
licence per destination on the slice's codes (the records of the date in force, no second
classification and no text per row), and returns one Arrow table whose text columns are
dictionary-encoded (codes, not strings): that is what makes 10^7 variants to Parquet cheap.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from chipclass.core.catalogue import NUMERIC, Catalogue
from chipclass.classification.result import labels
from chipclass.core.errors import InputError
from chipclass.core.systems import find_column
from chipclass.design.ranges import count_of, split_setting
from chipclass.core.units import UnitError

__all__ = ["parse_range", "parse_vary", "expand", "summarise", "variant_count", "MAX_VARIANTS",
           "MAX_FILE_BYTES"]

#: Default refusal size of a sweep: 5e7 variants is about 10 GB of result columns.
MAX_VARIANTS = 50_000_000
#: Largest ``@file`` of values read (64 MiB).
MAX_FILE_BYTES = 64 << 20


def parse_range(text: str) -> tuple[str, np.ndarray]:
    """``'fp8=200:600:5'`` -> ('fp8', array of 5 values in canonical units)."""
    key, values, _span = parse_vary(text)
    return key, values


def _file_values(path: str, key: str) -> np.ndarray:
    """The values of an ``@file``: UTF-8 text, values separated by newlines or commas, each
    through the cell grammar (its own unit allowed; numbered from 1 in messages)."""
    import os

    from chipclass.design.ranges import figures

    try:
        size = os.path.getsize(path)
        if size > MAX_FILE_BYTES:
            raise InputError(f"a file of values may hold at most {MAX_FILE_BYTES >> 20} MiB (this one: "
                             f"{size / (1 << 20):,.0f} MiB)", source=path)
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read values for {key}: {exc.strerror}", source=path) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at position {exc.start + 1}); "
                         "save the file as UTF-8", source=path, column=key) from None
    cells = [c.strip() for line in text.splitlines() for c in line.split(",") if c.strip()]
    return _given(figures(cells, key, None, source=path, rows=True), key, f"@{path}")


def _given(values: np.ndarray, key: str, spec: str) -> np.ndarray:
    if not len(values) or np.isnan(values).any():
        raise InputError(f"a range needs a value in every place for {key} (no empty or 'n/a' values)",
                         column=key, value=spec)
    return values


def parse_vary(text: str, max_count: int | None = None) -> tuple[str, np.ndarray, bool]:
    """``'fp8=200:600:5'`` -> ('fp8', values in canonical units, span); ``span`` is true for
    a plain ``LOW:HIGH`` (two values: the bounds a sampled sweep draws from). Every value goes
    through the cell grammar with a catalogue cell's bounds; a COUNT over ``max_count``
    (default :data:`MAX_VARIANTS`) is refused before anything is allocated."""
    from chipclass.design.ranges import figures

    key, spec = split_setting(text, NUMERIC, "vary", "RANGE", "fp8=200:600:5")
    if spec.startswith("@"):
        return key, _file_values(spec[1:], key), False
    numbers, _, unit = spec.partition(" ")
    unit = unit.strip() or None
    parts = numbers.split(":")
    if len(parts) > 3:
        raise InputError(f"bad range for {key}: use LOW:HIGH:COUNT (grid) or LOW:HIGH (sampled)", value=spec)
    count = count_of(parts[2], key, max_count or MAX_VARIANTS) if len(parts) == 3 else None
    try:
        values = _given(figures(parts[:2] if ":" in numbers else numbers.split(","), key, unit,
                                source=f"--vary {key}"), key, spec)
    except UnitError as exc:
        raise InputError(str(exc), column=key, value=unit) from None
    if count is not None:
        values = np.linspace(values[0], values[1], count)
    return key, values, len(parts) == 2


def variant_count(vary: dict, method: str = "grid", samples: int | None = None) -> int:
    """How many variants a sweep makes (computed before anything is allocated)."""
    if method != "grid":
        return int(samples or 0)
    n = 1
    for v in vary.values():
        n *= len(v)
    return n


def expand(base: Catalogue, vary: dict[str, np.ndarray], method: str = "grid",
           samples: int | None = None, seed: int = 0, max_variants: int = MAX_VARIANTS) -> Catalogue:
    """The variants of a one-row ``base`` catalogue as one catalogue (grid or sampled).

    Raises :class:`InputError` before allocating anything when the sweep would have more than
    ``max_variants`` variants."""
    if len(base) != 1:
        raise InputError("a sweep expands exactly one base device")
    count = variant_count(vary, method, samples)
    if count > max_variants:
        raise InputError(f"this sweep has {count:,} variants, more than the limit of {max_variants:,}; "
                         "narrow the ranges or raise the limit").about("max_variants")
    keys = list(vary)
    if method == "grid":
        sizes = [len(vary[k]) for k in keys]
        n = int(np.prod(sizes))
        cols = {}
        for i, k in enumerate(keys):  # broadcasting builds the grid: no loop per variant
            shape = [1] * len(keys)
            shape[i] = sizes[i]
            cols[k] = np.broadcast_to(vary[k].reshape(shape), sizes).reshape(n)
    else:
        if not samples:
            raise InputError(f"a {method} sweep needs a sample count").about("samples")
        rng = np.random.default_rng(seed)
        n = int(samples)
        cols = {}
        for k in keys:
            lo, hi = float(np.min(vary[k])), float(np.max(vary[k]))
            if method == "random":
                u = rng.random(n)
            elif method == "lhs":  # one point per stratum, strata shuffled per dimension
                u = (rng.permutation(n) + rng.random(n)) / n
            else:
                raise InputError(f"unknown sweep method {method!r} (grid, random, lhs)")
            cols[k] = lo + u * (hi - lo)
    values = {}
    for k, v in base.values.items():
        if k in cols:
            values[k] = np.ascontiguousarray(cols[k], dtype=np.float64)
        elif k.endswith("_sparse") and k[:-7] in cols:
            values[k] = np.broadcast_to(np.nan, n)  # a varied dense figure replaces the sparse one
        else:
            values[k] = np.broadcast_to(v[0], n)
    headers = dict(base.headers)
    headers.update({k: k for k in keys})
    name = base.name_at(0)
    extra = {"variant": pa.array(np.arange(n)), **{k: pa.array(values[k]) for k in keys}}
    kept = find_column(base.extra.column_names, "base_eccn")  # the ladder reads it (.z, base entry)
    if kept is not None and kept not in extra:
        first = base.extra.column(kept).combine_chunks().cast(pa.string())
        extra[kept] = pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int8)), first.slice(0, 1))
    names = pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, dtype=np.int8)), pa.array([name], pa.string()))
    return Catalogue(names=names,
                     values=values, datacenter=np.broadcast_to(base.datacenter[0], n),
                     device_type=np.broadcast_to(base.device_type[0], n), extra=pa.table(extra),
                     source=f"sweep of {name}", headers=headers, systems_resolved=True)


def summarise(frame: pd.DataFrame) -> pd.DataFrame:
    """How many variants land in each paragraph / clause / status."""
    import pandas as pd

    counts = pd.Series(labels(frame)).value_counts(sort=False)
    out = counts.rename_axis("result").reset_index(name="count")
    out["share"] = out["count"] / len(frame)
    return out.sort_values("count", ascending=False, ignore_index=True)


