"""The Python API: what the CLI calls, and what a notebook uses.

>>> import chipclass
>>> from chipclass import ureg
>>> chipclass.tpp(fp8=296 * ureg.TFLOPS, fp16=148 * ureg.TFLOPS)   # NVIDIA H20
2368.0
>>> row = chipclass.classify_spec(fp8="1979 TFLOPS", die_area="814 mm**2", as_of="2024-01-01")
>>> row["clause"], row["status"]
('3A090.a.1', 'controlled')
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pyarrow as pa

from chipclass.core.catalogue import Catalogue, from_frame, from_table, read_catalogue
from chipclass.classification.engine import classify
from chipclass.rules.instruments import rules_in_force
from chipclass.core.units import ureg

__all__ = ["load", "score", "score_stream", "diff", "tpp", "spec_catalogue", "classify_spec",
           "explain"]


def load(data) -> Catalogue:
    """A :class:`~chipclass.catalogue.Catalogue` from a path, ``-``, DataFrame or Catalogue."""
    if isinstance(data, Catalogue):
        return data
    if isinstance(data, pd.DataFrame):
        return from_frame(data)
    if isinstance(data, pa.Table):
        return from_table(data)
    if isinstance(data, (str, os.PathLike)) or hasattr(data, "read"):
        return read_catalogue(data)
    raise TypeError(f"cannot read a catalogue from {type(data).__name__}")


def score(data, as_of=None, *, bit_lengths: dict[str, int] | None = None,
          rules_dir: str | None = None) -> pd.DataFrame:
    """Classify every device of a catalogue under the 3A090 rules in force on ``as_of``.

    Parameters
    ----------
    data : path, ``-``, pandas.DataFrame, pyarrow.Table or Catalogue
        The catalogue (see :mod:`chipclass.catalogue` for the column vocabulary).
    as_of : date or 'YYYY-MM-DD', optional
        The date whose rules apply (default: today). Before 2022-10-07 is an error.
    bit_lengths : dict, optional
        Override bit lengths per format, e.g. ``{'tf32': 19}``.

    Returns
    -------
    pandas.DataFrame
        One row per device: ``name, tpp, tpp_format, performance_density,
        memory_bandwidth_density, eccn, clause, status, missing, note, margin_*, rule_set``
        and the pass-through columns.
    """
    rules = rules_in_force(as_of, rules_dir)
    return classify(load(data), rules, bit_lengths).to_frame()


def score_stream(path, as_of=None, *, batch_rows: int = 1 << 20,
                 bit_lengths: dict[str, int] | None = None, rules_dir: str | None = None):
    """Score a catalogue file batch by batch: yields one result DataFrame per record batch.

    Memory is bounded by ``batch_rows``; the results, concatenated, equal :func:`score` on the
    whole file. Names are checked for uniqueness within each batch only.
    """
    from chipclass.core.catalogue import iter_catalogue

    rules = rules_in_force(as_of, rules_dir)
    for cat in iter_catalogue(path, batch_rows=batch_rows):
        yield classify(cat, rules, bit_lengths).to_frame()


def diff(data, from_date, to_date, *, rules_dir: str | None = None,
         bit_lengths: dict[str, int] | None = None) -> pd.DataFrame:
    """Devices whose paragraph, clause or status differs between the rules in force on two
    dates, with both results side by side (``from_*`` and ``to_*`` columns)."""
    cat = load(data)
    old = classify(cat, rules_in_force(from_date, rules_dir), bit_lengths)
    new = classify(cat, rules_in_force(to_date, rules_dir), bit_lengths)
    changed = (old.label() != new.label()) | (old.eccn_text() != new.eccn_text())
    rows = np.flatnonzero(changed)
    before, after = old.to_frame(), new.to_frame()
    keys = ["eccn", "clause", "status"]

    out = pd.DataFrame({"name": after["name"].iloc[rows].to_numpy()})
    for side, frame in (("from", before), ("to", after)):
        for k in keys:
            out[f"{side}_{k}"] = frame[k].iloc[rows].to_numpy()
    out["change"] = [f"{a} -> {b}" for a, b in zip(old.label()[rows], new.label()[rows])]
    for k in ("tpp", "performance_density", "memory_bandwidth_density", "interconnect_bandwidth"):
        if k in after:
            out[k] = after[k].iloc[rows].to_numpy()
    out["from_rule_set"] = before["rule_set"].iloc[0] if len(before) else None
    out["to_rule_set"] = after["rule_set"].iloc[0] if len(after) else None
    return out


def _scalar_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, ureg.Quantity):
        return f"{value.magnitude!r} {value.units}"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def spec_catalogue(name: str = "spec", **specs) -> Catalogue:
    """A one-row catalogue from keyword specs: Quantities, strings with units, or numbers in
    the default units (``fp8=296 * ureg.TFLOPS``, ``die_area="8.14 cm**2"``, ``fp8=296``)."""
    cols = {"name": [name]}
    cols.update({k: [_scalar_text(v)] for k, v in specs.items()})
    table = pa.table({k: pa.array(v, pa.string()) for k, v in cols.items()})
    return from_table(table, source="<spec>")


def tpp(bit_lengths: dict[str, int] | None = None, **throughputs) -> float:
    """TPP of one device from its per-format throughputs (Quantities, strings or TOPS).

    Keys are format names (``fp8``) or ``<format>_sparse`` (counted at half).

    >>> tpp(fp4_sparse=2375 * ureg.TOPS)   # RTX 5090 D "AI TOPS": sparse FP4
    4750.0
    """
    from chipclass.classification.engine import compute_metrics

    cat = spec_catalogue(**throughputs)
    return float(compute_metrics(cat, bit_lengths)["tpp"][0])


def classify_spec(as_of=None, name: str = "spec", **specs) -> dict:
    """Classify one device given as keyword specs; the result row as a dict."""
    frame = classify(spec_catalogue(name, **specs), rules_in_force(as_of)).to_frame()
    row = frame.iloc[0].to_dict()
    return {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}


def explain(data=None, name: str | None = None, as_of=None, rules_dir: str | None = None,
            bit_lengths: dict[str, int] | None = None, **specs):
    """Step-by-step explanation of one device: a catalogue row (``data`` and ``name``) or
    keyword specs. Returns an :class:`~chipclass.explain.Explanation`."""
    from chipclass.explain import explain_row

    if data is None:
        cat = spec_catalogue(name or "spec", **specs)
        index = 0
    else:
        cat = load(data)
        index = cat.index_of(name) if name is not None else 0
    return explain_row(cat, index, rules_in_force(as_of, rules_dir), bit_lengths)
