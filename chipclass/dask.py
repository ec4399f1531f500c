"""Scoring beyond one machine: a Dask DataFrame, partition by partition, with the same engine.

>>> import dask.dataframe as dd                                  # doctest: +SKIP
>>> import chipclass.dask
>>> chipclass.dask.score(dd.read_parquet("catalogue/*.parquet"), as_of="2025-06-01")  # doctest: +SKIP

Each partition goes through :func:`chipclass.catalogue.from_frame` and
:func:`chipclass.classify.classify` exactly as the pandas path does; text results come back
as Arrow strings rather than categoricals so every partition has the same schema. Names are
checked for uniqueness within each partition. Needs ``pip install 'chipclass[dask]'``.
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile

import pandas as pd
import pyarrow as pa

from chipclass.core.catalogue import from_frame
from chipclass.classification.engine import classify
from chipclass.core.errors import InputError
from chipclass.rules.instruments import rules_in_force

__all__ = ["score", "score_files"]

_STRING = pd.ArrowDtype(pa.string())


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    for col in frame.columns:
        if isinstance(frame[col].dtype, pd.CategoricalDtype) or frame[col].dtype == object:
            frame[col] = frame[col].astype(object).astype(_STRING)
    return frame


def score(ddf, as_of=None, *, bit_lengths: dict[str, int] | None = None, rules_dir: str | None = None):
    """A lazy Dask DataFrame of results, one partition per input partition."""
    rules = rules_in_force(as_of, rules_dir)

    def part(df: pd.DataFrame) -> pd.DataFrame:
        return _plain(classify(from_frame(df, source="<dask partition>"), rules, bit_lengths).to_frame())

    return ddf.map_partitions(part, meta=part(ddf._meta))


def score_files(pattern: str, fmt: str, output: str | None, *, as_of=None, bit_lengths=None,
                fail_on=(), rules_dir=None) -> bool:
    """CLI helper: score the files matching ``pattern`` with Dask; True if ``fail_on`` matched."""
    import dask.dataframe as dd

    from chipclass.classification.result import matches

    paths = sorted(glob.glob(pattern))
    if not paths:
        raise InputError("no files match", source=pattern)
    if all(p.lower().endswith((".parquet", ".pq")) for p in paths):
        ddf = dd.read_parquet(paths)
    else:
        ddf = dd.read_csv(paths, dtype=str, keep_default_na=False, na_values=[""])
    result = score(ddf, as_of, bit_lengths=bit_lengths, rules_dir=rules_dir)
    hit = bool(result.map_partitions(lambda f: pd.Series([bool(matches(f, fail_on).any())]),
                                     meta=(None, bool)).any().compute()) if fail_on else False
    if output in (None, "-"):
        frame = result.compute()
        from chipclass.outputs.write import write_frame
        write_frame(frame, fmt if fmt != "table" else "csv", None)
        return hit
    parent = os.path.dirname(os.path.abspath(output)) or "."
    tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(output)}.", dir=parent)
    try:
        if fmt == "parquet":
            result.to_parquet(tmp, write_index=False)
            if os.path.isdir(output):
                shutil.rmtree(output)
            os.replace(tmp, output)
        else:
            target = os.path.join(tmp, "out")
            if fmt == "csv":
                result.to_csv(target, single_file=True, index=False)
            else:
                result.to_json(target, orient="records", lines=True, compute=True)
                parts = sorted(glob.glob(os.path.join(target, "*")))
                with open(target + ".all", "wb") as out:
                    for p in parts:
                        with open(p, "rb") as fh:
                            shutil.copyfileobj(fh, out)
                target += ".all"
            os.replace(target, output)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return hit
