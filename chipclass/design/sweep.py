"""Design-space sweeps: a base spec expanded over ranges, scored with the same engine.

A sweep builds the variants as float64 columns directly (a full grid by broadcasting, or a
random / Latin-hypercube sample) and hands them to :func:`chipclass.classify.classify` as one
catalogue: there is no Python loop per variant, and the result equals scoring the same
variants as a catalogue file.

Ranges (CLI ``--vary``): ``fp8=200:600:5`` is 5 values from 200 to 600 inclusive (like
``numpy.linspace``); ``fp8=200,250,300`` is a list; ``fp8=@values.txt`` reads one value per
line; a unit may follow (``fp8=0.2:0.6:5 PFLOPS``). Values are in the spec's default unit
otherwise (TOPS, mm², GB/s).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from chipclass.core.catalogue import NUMERIC, Catalogue
from chipclass.classification.engine import classify
from chipclass.classification.result import labels
from chipclass.core.errors import InputError
from chipclass.rules.instruments import rules_in_force
from chipclass.core.units import UnitError, unit_factor

__all__ = ["parse_range", "expand", "sweep", "summarise"]


def parse_range(text: str) -> tuple[str, np.ndarray]:
    """``'fp8=200:600:5'`` -> ('fp8', array of 5 values in canonical units)."""
    if "=" not in text:
        raise InputError(f"{text!r} is not SPEC=RANGE (e.g. fp8=200:600:5)")
    key, spec = (t.strip() for t in text.split("=", 1))
    key = key.lower()
    if key not in NUMERIC:
        raise InputError(f"cannot vary {key!r} (one of: {', '.join(NUMERIC)})")
    body, _, unit = spec.partition(" ")
    kind = NUMERIC[key][0]
    try:
        factor = unit_factor(unit.strip() or NUMERIC[key][1], kind)
    except UnitError as exc:
        raise InputError(str(exc), column=key, value=unit) from None
    try:
        if body.startswith("@"):
            with open(body[1:], encoding="utf-8") as fh:
                values = np.array([float(x) for x in fh.read().split()])
        elif ":" in body:
            start, stop, num = body.split(":")
            values = np.linspace(float(start), float(stop), int(num))
        else:
            values = np.array([float(x) for x in body.split(",")])
    except (ValueError, OSError) as exc:
        raise InputError(f"bad range for {key}: {exc}", value=spec) from None
    if (values < 0).any() or not len(values):
        raise InputError(f"a range needs values of zero or more for {key}", value=spec)
    return key, values * factor


def expand(base: Catalogue, vary: dict[str, np.ndarray], method: str = "grid",
           samples: int | None = None, seed: int = 0) -> Catalogue:
    """The variants of a one-row ``base`` catalogue as one catalogue (grid or sampled)."""
    if len(base) != 1:
        raise InputError("a sweep expands exactly one base device")
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
            raise InputError(f"--method {method} needs --samples N")
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
    name = str(base.names.iloc[0])
    extra = pa.table({"variant": pa.array(np.arange(n)), **{k: pa.array(values[k]) for k in keys}})
    return Catalogue(names=pd.Series(pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), [name])),
                     values=values, datacenter=np.broadcast_to(base.datacenter[0], n),
                     device_type=np.broadcast_to(base.device_type[0], n), extra=extra,
                     source=f"sweep of {name}", headers=headers)


def summarise(frame: pd.DataFrame) -> pd.DataFrame:
    """How many variants land in each paragraph / clause / status."""
    counts = pd.Series(labels(frame)).value_counts(sort=False)
    out = counts.rename_axis("result").reset_index(name="count")
    out["share"] = out["count"] / len(frame)
    return out.sort_values("count", ascending=False, ignore_index=True)


def sweep(base, vary: dict, as_of=None, *, method: str = "grid", samples: int | None = None,
          seed: int = 0, summary_only: bool = False, rules_dir: str | None = None) -> pd.DataFrame:
    """Score every variant of ``base`` (a one-row catalogue or a dict of specs).

    ``vary`` maps spec names to arrays (canonical units) or range strings ('200:600:5').
    Returns one row per variant (the ``variant`` index and the varied specs as columns), or
    with ``summary_only`` the counts per result.
    """
    from chipclass.core.readers import load, spec_catalogue

    if isinstance(base, dict):
        base = spec_catalogue(str(base.get("name", "base")), **{k: v for k, v in base.items() if k != "name"})
    else:
        base = load(base)
    ranges = {}
    for k, v in vary.items():
        if isinstance(v, str):
            k, v = parse_range(f"{k}={v}")
        ranges[k] = np.asarray(v, dtype=np.float64)
    variants = expand(base, ranges, method, samples, seed)
    result = classify(variants, rules_in_force(as_of, rules_dir))
    return result.summary() if summary_only else result.to_frame()
