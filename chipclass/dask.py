"""Scoring beyond one machine: a Dask DataFrame, partition by partition, with the same engine.

>>> import dask.dataframe as dd                                  # doctest: +SKIP
>>> import chipclass.dask
>>> chipclass.dask.score(dd.read_parquet("catalogue/*.parquet"), as_of="2025-06-01")  # doctest: +SKIP

:func:`score` maps each partition of a Dask DataFrame through the same normalisation and
engine as the pandas path; text results come back as Arrow strings rather than categoricals
so every partition has the same schema. :func:`score_files` (``chipclass score --engine
dask``) reads each file with the pandas engine's reader, one task per file, so the two engines
give the same rows, exit code and message (naming the file and row, never a partition).
Needs ``pip install 'chipclass[dask]'``.
"""

from __future__ import annotations

import glob

import pandas as pd
import pyarrow as pa

from chipclass.core.catalogue import from_frame
from chipclass.classification.engine import classify
from chipclass.core.errors import InputError
from chipclass.outputs.table import score_frame
from chipclass.rules.instruments import rules_in_force

__all__ = ["score", "score_files"]

_STRING = pd.ArrowDtype(pa.string())


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    for col in frame.columns:
        if isinstance(frame[col].dtype, pd.CategoricalDtype) or frame[col].dtype == object:
            frame[col] = frame[col].astype(object).astype(_STRING)
    return frame


def score(ddf, as_of=None, *, bit_lengths: dict[str, int] | None = None, rules_dir: str | None = None,
          source: str = "<dask DataFrame>"):
    """A lazy Dask DataFrame of results, one partition per input partition.

    Messages name ``source`` (there is no file) and count rows within a partition; names are
    checked within each partition. For files use :func:`score_files`, which names the file.
    """
    rules = rules_in_force(as_of, rules_dir)

    def part(df: pd.DataFrame) -> pd.DataFrame:
        return _plain(score_frame(classify(from_frame(df, source=source), rules, bit_lengths)))

    return ddf.map_partitions(part, meta=part(ddf._meta))


def _score_file(path: str, rules, bit_lengths):
    """One file through the same reader and engine as ``chipclass score``: (frame, None) or
    (None, the error as a dict), so errors cross process boundaries and the first in file
    order can be chosen."""
    from chipclass.core.readers import read_catalogue

    try:
        cat = read_catalogue(path)
        frame = _plain(score_frame(classify(cat, rules, bit_lengths)))
        return frame, pd.util.hash_pandas_object(cat.names.astype(object), index=False).to_numpy(), None
    except InputError as exc:
        return None, None, exc.to_dict()


def score_files(pattern: str, fmt: str, output: str | None, *, as_of=None, bit_lengths=None,
                fail_on=(), rules_dir=None) -> dict:
    """CLI helper: score the files matching ``pattern``, one Dask task per file.

    Each file is read and checked exactly as the pandas engine reads it (so the rows, the exit
    code and the message agree, and a message names the file and row, never a partition); of
    several bad files the first in sorted order is reported; names must be unique across the
    files too (64-bit hashes, as streaming does). The results are written by the same writer as
    the pandas engine (``-f json`` is JSON). Returns the ``--fail-on`` counts per selector.
    """
    import dask

    from chipclass.classification.result import matches
    from chipclass.outputs.write import write_frame

    paths = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
    if not paths:
        raise InputError("no files match", source=pattern)
    rules = rules_in_force(as_of, rules_dir)
    results = dask.compute(*[dask.delayed(_score_file)(p, rules, bit_lengths) for p in paths])
    for _, _, err in results:
        if err is not None:
            raise InputError(err["message"], source=err["file"], row=err["row"], column=err["column"],
                             value=err["value"])
    if len(paths) > 1:
        _unique_across(paths, results)
    frames = [f for f, _, _ in results]
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    write_frame(frame, fmt, output)
    return {s: int(matches(frame, [s]).sum()) for s in fail_on}


def _unique_across(paths, results) -> None:
    """A name given in two files: the second file's row is reported. (A dict of 64-bit hashes:
    across many files, names of one file are already unique.)"""
    import numpy as np

    first: dict[int, tuple[str, int]] = {}
    for path, (frame, hashes, _) in zip(paths, results):
        hit = np.flatnonzero(np.isin(hashes, np.fromiter(first, np.uint64, len(first))))
        if len(hit):
            i = int(hit[0])
            other, row = first[int(hashes[i])]
            raise InputError(f"duplicate name (also in {other}, row {row}); names must be unique",
                             source=path, row=i + 1, column="name", value=str(frame["name"].iloc[i]))
        for i, h in enumerate(hashes.tolist()):
            first.setdefault(h, (path, i + 1))
