"""The map's data: regions from the rules in force on a date, the devices placed as
``chipclass plot`` places them, and a sweep's variants as a density grid.

As in :mod:`chipclass.serve.data`, nothing is decided here: the regions are the engine's answers
on a grid (:func:`chipclass.design.regions.region_grid`) and the devices' classes come from
:func:`chipclass.api.classify`.
"""

from __future__ import annotations

import numpy as np

from chipclass import api
from chipclass.core.catalogue import Catalogue
from chipclass.core.errors import InputError
from chipclass.rules.instruments import (
    first_effective,
    load_instruments,
    rules_in_force,
)
from chipclass.serve.data import Dataset

__all__ = ["density", "map_payload", "slider_dates", "sweep_overlay"]


def _label(frame) -> np.ndarray:
    """The map's colour key of each result row: the 3A090 paragraph, else the status (as the
    map of ``chipclass plot`` colours its points)."""
    para = frame["clause"].astype(object).str.slice(0, 7)
    return para.where(para.notna(), frame["status"].astype(object)).to_numpy()


_REGIONS: dict = {}


def _regions(rules, size: int, rules_dir: str | None = None) -> dict:
    """The map's regions for a rule set (cached by rule-set id: they change only with the rules)."""
    from chipclass.design.regions import region_grid
    from chipclass.outputs.map import colours

    key = (rules.id, size, rules_dir)
    if key not in _REGIONS:
        t, p, dc, ndc = region_grid(rules, size)
        palette = colours(rules_dir)
        names = list(palette)
        code = {n: k for k, n in enumerate(names)}
        _REGIONS[key] = {"x": t.tolist(), "y": p.tolist(), "names": names, "colours": [palette[n] for n in names],
                         "z": np.vectorize(code.get)(dc).tolist(),
                         "differs": (dc != ndc).astype(int).tolist()}
    return _REGIONS[key]


def _points(frame, mask) -> dict:
    sel = frame[mask]
    return {"name": sel["name"].astype(str).tolist(), "tpp": sel["tpp"].tolist(),
            "pd": sel["performance_density"].tolist(), "mbd": sel["memory_bandwidth_density"].tolist(),
            "label": _label(sel).tolist(), "eccn": sel["eccn"].astype(object).where(sel["eccn"].notna(), None).tolist(),
            "datacenter": sel["datacenter"].astype(bool).tolist()}


def map_payload(cat: Catalogue, as_of, size: int = 160, rules_dir: str | None = None) -> dict:
    """The map of a catalogue on a date: regions from the rule set in force, the devices placed
    as ``chipclass plot`` places them (map, TPP-only strip), and the HBM stacks on the memory
    bandwidth density axis with the rule set's threshold."""
    from chipclass.design.regions import PD_RANGE, TPP_RANGE, placement, strip_grid

    rules = rules_in_force(as_of, rules_dir)
    from chipclass.outputs.table import score_frame

    frame = score_frame(api.classify(cat, rules.as_of, rules_dir=rules_dir))
    on_map, only_tpp = placement(frame)
    hbm = (frame["device_type"].astype(str) == "hbm") & frame["memory_bandwidth_density"].gt(0)
    strip_x = np.geomspace(*TPP_RANGE, 200)
    names = _regions(rules, size, rules_dir)["names"]
    strip = [names.index(x) for x in strip_grid(rules, strip_x)]
    mbd = [v for m, v, _g in rules.thresholds() if m == "memory_bandwidth_density"]
    rest = frame[~(on_map | only_tpp | hbm)]["name"].astype(str).tolist()
    return {"as_of": rules.as_of.isoformat(), "rule_set": rules.id, "citation": rules.citation,
            "regions": _regions(rules, size, rules_dir), "tpp_range": TPP_RANGE, "pd_range": PD_RANGE,
            "strip": {"x": strip_x.tolist(), "z": strip},
            "devices": _points(frame, on_map), "tpp_only": _points(frame, only_tpp),
            "hbm": _points(frame, hbm),
            "hbm_thresholds": mbd, "not_placed": rest,
            "devices_total": len(frame)}


def sweep_overlay(ds: Dataset, base: str, vary: list[str], as_of, max_points: int,
                  rules_dir: str | None = None) -> dict:
    """Where the variants of a sweep (``chipclass sweep BASE --vary ...``) fall on the map, as
    :func:`density`."""
    from chipclass.classification.engine import compute_metrics
    from chipclass.design.sweep import expand, parse_vary, variant_count

    cat = ds.catalogue
    one = cat.take([cat.index_of(base)])
    ranges = {}
    for text in vary:
        key, values, span = parse_vary(text)
        if span:
            raise InputError(f"{text!r}: give a count (LOW:HIGH:N) for the map's sweep", source="sweep")
        ranges[key] = values
    n = variant_count(ranges)
    if n > max_points:
        raise InputError(f"{n:,} variants: the map draws at most {max_points:,}", source="sweep")
    m = compute_metrics(expand(one, ranges, "grid", None, 0, max_points))
    return density(m["tpp"], m["performance_density"], n)


def density(tpp: np.ndarray, pd_: np.ndarray, n: int, bins: int = 120) -> dict:
    """Variants per cell of a log-spaced grid over the map's axes (as the density layer of
    ``chipclass plot --sweep``): a few kilobytes whatever the sweep's size, drawn as a heatmap."""
    from chipclass.design.regions import PD_RANGE, TPP_RANGE

    xe, ye = np.geomspace(*TPP_RANGE, bins + 1), np.geomspace(*PD_RANGE, bins + 1)
    counts, _, _ = np.histogram2d(pd_, tpp, bins=[ye, xe])
    z = np.where(counts > 0, counts, np.nan)
    return {"n": int(n), "placed": int(counts.sum()), "x": np.sqrt(xe[1:] * xe[:-1]).tolist(),
            "y": np.sqrt(ye[1:] * ye[:-1]).tolist(), "z": z.tolist()}


def slider_dates(rules_dir: str | None = None) -> list[str]:
    """Dates on which the rule data changes something (effective, compliance, end), in order."""
    days = set()
    for inst in load_instruments(rules_dir):
        days.update(d for d in (inst.effective, inst.compliance, inst.ends) if d is not None)
    first = first_effective(rules_dir)
    return sorted(d.isoformat() for d in days if d >= first)
