"""The map's numbers: the rule set's regions in (TPP, PD), the TPP-only strip, which device goes
where, the envelope's pieces, and the paragraphs the rule files define (the order that gives
each its colour). Nothing here draws: the renderer is :mod:`chipclass.outputs.map`.

The regions are not drawn from thresholds written here: a log-spaced grid of (TPP, PD) points
is classified by the same engine (as a datacenter processor with fast interconnect), so a new
rule file redraws the map by itself. Where a part *not* designed for datacenters would be
classified differently, the region is hatched (the non-datacenter note). A point is labelled
by the paragraph of the clause that decided (``Clause.eccn`` in the rule data, e.g. 3A090.b),
else by the engine's status (not controlled, indeterminate).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from chipclass.classification.logic import STATUS
from chipclass.core.catalogue import DEVICE_TYPES, Catalogue
from chipclass.classification.engine import classify
from chipclass.rules.instruments import rules_in_force

__all__ = ["region_grid", "placement", "panel_dates", "strip_grid", "envelope_polygons", "read_envelope", "read_sweep_points",
           "paragraphs", "paragraph_or_status", "device_columns", "rows", "pin_to_axes", "TPP_RANGE", "PD_RANGE"]

#: The axes' extent (where the thresholds are); :func:`pin_to_axes` places parts beyond it.
TPP_RANGE = (100.0, 100_000.0)
PD_RANGE = (0.5, 50.0)


def pin_to_axes(cols: dict, ranges=(TPP_RANGE, PD_RANGE)) -> dict:
    """Devices beyond the axes drawn on the frame's edge (a tenth of a decade inside), their
    name followed by the true figure: "WSE-3 (TPP 1,000,000 →)". The axes keep the extent
    where the thresholds are; a part far beyond them still has its place and its label.
    ``cols`` are :func:`device_columns`; a new dict is returned."""
    out = dict(cols)
    out["name"] = np.array(cols["name"], dtype=object)
    for col, (lo, hi), short in (("tpp", ranges[0], "TPP"), ("performance_density", ranges[1], "PD")):
        v = np.asarray(cols[col], dtype=float)
        out[col] = v.copy()
        high, low = v > hi, (v > 0) & (v < lo)
        for mask, edge, arrow in ((high, hi / 10 ** 0.1, "→" if col == "tpp" else "↑"),
                                  (low, lo * 10 ** 0.1, "←" if col == "tpp" else "↓")):
            for i in np.flatnonzero(mask):
                x = v[i]
                figure = f"{x:,.0f}" if x >= 100 else f"{x:.3g}"
                out["name"][i] = f"{out['name'][i]} ({short} {figure} {arrow})"
            out[col][mask] = edge
    return out


def rows(cols: dict, which) -> dict:
    """The rows ``which`` (a mask or positions) of every column of ``cols``."""
    return {k: v[which] for k, v in cols.items()}


def _grid_catalogue(tpp: np.ndarray, pd_: np.ndarray, datacenter: float) -> Catalogue:
    n = len(tpp)
    nan = np.broadcast_to(np.nan, n)
    from chipclass.core.catalogue import NUMERIC
    values = {k: nan for k in NUMERIC}
    values["fp8"] = tpp / 8.0
    values["die_area"] = tpp / pd_
    values["interconnect_bandwidth"] = np.broadcast_to(1e6, n)
    names = pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, dtype=np.int8)), pa.array(["grid"]))
    return Catalogue(names=names,
                     values=values, datacenter=np.broadcast_to(datacenter, n),
                     device_type=np.zeros(n, dtype=np.int8), extra=pa.table({}),
                     source="<grid>", headers={"fp8": "fp8", "die_area": "die_area"})


def paragraphs(rules_dir: str | None = None) -> list[str]:
    """Every paragraph (``Clause.eccn``) the rule files define, in order of first appearance
    (instruments by effective date, clauses in priority order): the map gives colours in this
    order, so a paragraph keeps its colour whichever rule set a panel shows."""
    from chipclass.rules.instruments import load_instruments

    return list(dict.fromkeys(c.eccn for i in load_instruments(rules_dir) for c in i.clauses))


def paragraph_or_status(cl) -> np.ndarray:
    """Each row of a Classification: the paragraph of the clause that decided (the rule data's
    ``eccn`` of that clause, not the final ECCN), else its status, as text."""
    status = np.asarray(STATUS, dtype=object)[cl.status]
    return np.where(cl.clause >= 0, cl.eccn_text().astype(object), status)


def device_columns(cl) -> dict[str, np.ndarray]:
    """What the map draws of each device, as equal-length arrays (no pandas): name, device_type,
    datacenter, tpp, performance_density, label."""
    cat = cl.catalogue
    return {"name": np.array(cat.names_arrow.to_pylist(), dtype=object),
            "device_type": np.asarray(DEVICE_TYPES, dtype=object)[cat.device_type],
            "datacenter": np.asarray(cat.datacenter).astype(bool), "tpp": np.asarray(cl.tpp, dtype=float),
            "performance_density": np.asarray(cl.performance_density, dtype=float),
            "label": paragraph_or_status(cl)}


def region_grid(rules, size: int = 300, ranges=(TPP_RANGE, PD_RANGE)):
    """(tpp axis, pd axis, eccn labels for datacenter parts, same for non-datacenter parts)."""
    t = np.geomspace(*ranges[0], size)
    p = np.geomspace(*ranges[1], size)
    T, P = np.meshgrid(t, p)
    out = []
    for dc in (1.0, 0.0):
        out.append(paragraph_or_status(classify(_grid_catalogue(T.ravel(), P.ravel(), dc), rules)).reshape(T.shape))
    return t, p, out[0], out[1]


def strip_grid(rules, t: np.ndarray) -> np.ndarray:
    """Labels along the TPP axis for a datacenter processor whose die area is unknown."""
    return paragraph_or_status(classify(_grid_catalogue(t, np.full(len(t), np.nan), 1.0), rules))


def envelope_polygons(env: dict, bit_lengths=None) -> list[np.ndarray]:
    """Each piece of an envelope (the JSON of ``chipclass envelope``) as a polygon in (TPP, PD):
    its edges sampled and mapped through the metrics (PD = TPP / area is not linear)."""
    from chipclass.core.readers import spec_catalogue
    from chipclass.classification.engine import compute_metrics

    free = env["free"]
    base = dict(env.get("base_specs") or env["base"])
    records = env["vertices"]
    pieces = np.array([r["piece"] for r in records])
    table = np.array([[r[s] for s in free] for r in records], dtype=float).reshape(len(records), len(free))
    out = []
    for piece in np.unique(pieces):
        v = table[pieces == piece]
        if len(v) < 2:
            continue
        scale = np.array([env["base"][s] for s in free])
        u = v / scale
        ctr = u.mean(axis=0)
        if len(free) >= 2:  # order the vertices around the centre in the first two free specs
            ang = np.arctan2(u[:, 1] - ctr[1], u[:, 0] - ctr[0])
            v = v[np.argsort(ang)]
        ring = np.concatenate([v, v[:1]])
        pts = np.concatenate([np.linspace(a, b, 30, endpoint=False) for a, b in zip(ring[:-1], ring[1:])])
        cat = spec_catalogue("piece", **{k: x for k, x in base.items() if k not in free})
        from chipclass.design.headroom import light, set_spec
        probe = light(cat, np.zeros(len(pts), dtype=np.int64))
        for k, s_ in enumerate(free):
            set_spec(probe, s_, pts[:, k])
        m = compute_metrics(probe, bit_lengths)
        out.append(np.column_stack([m["tpp"], m["performance_density"]]))
    return out


def read_envelope(path: str) -> dict:
    """The JSON of ``chipclass envelope -f json`` read from ``path``, checked for its keys."""
    import json

    from chipclass.core.errors import InputError

    try:
        with open(path, encoding="utf-8") as fh:
            env = json.load(fh)
    except OSError as exc:
        raise InputError(f"cannot read the envelope: {exc.strerror}", source=path) from None
    except ValueError as exc:
        raise InputError(f"not the JSON of chipclass envelope: {exc}", source=path) from None
    if not isinstance(env, dict) or not {"free", "vertices", "base", "target"} <= set(env):
        raise InputError("not the JSON of chipclass envelope (-f json): free, vertices, base, target missing",
                         source=path)
    return env


def read_sweep_points(path: str) -> dict[str, np.ndarray]:
    """TPP and PD of every variant of a sweep result (csv or parquet of ``chipclass sweep``), as
    float64 arrays; a file without those columns, or with a cell that is not a plain number, is
    refused with its file, row and column."""
    from chipclass.core.cells import numeric_column
    from chipclass.core.errors import InputError
    from chipclass.core.textfiles import read_table

    table, source = read_table(path)
    out = {}
    for col in ("tpp", "performance_density"):
        if col not in table.column_names:
            raise InputError(f"not a result of chipclass sweep: no {col} column", source=source)
        out[col] = numeric_column(table.column(col), "dimensionless", None, "dimensionless", source=source,
                                  column=col, offset=0)
    return out


def panel_dates(as_of, compare=None) -> list:
    """The panels' dates, left to right: older first."""
    from chipclass.rules.instruments import as_date

    return sorted({as_date(as_of)} | ({as_date(compare)} if compare else set()))


def placement(frame) -> tuple[np.ndarray, np.ndarray]:
    """(on the map, on the TPP-only strip) masks of a result table (a DataFrame or
    :func:`device_columns`); the rest is named in the caption."""
    proc = np.asarray(frame["device_type"], dtype=object) == "processor"
    has_tpp = np.asarray(frame["tpp"], dtype=float) > 0
    has_pd = np.asarray(frame["performance_density"], dtype=float) > 0
    return has_tpp & has_pd & proc, has_tpp & ~has_pd & proc
