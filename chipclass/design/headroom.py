"""Headroom: how far each spec can move before a device changes class, solved analytically.

For one spec varied alone (the others fixed), every metric a rule reads is a simple monotone
function of it:

=======================  =========================================================
spec                     metrics it moves
=======================  =========================================================
format throughput T_f    TPP = max(T_f x b_f, TPP of the other formats); PD = TPP / A
die_area A               PD = TPP / A (and, for HBM without a package area, MBD)
memory_bandwidth B       MBD = B / A_package
package_area             MBD = B / A_package
interconnect_bandwidth   itself
=======================  =========================================================

so each threshold of each condition (clauses and exclusions) maps to one critical value of the
spec, solved in closed form (e.g. TPP >= 2400 with b = 8 gives T = 300). The classification is
constant between consecutive critical values, so the boundary is the first critical value, in
the direction of travel, at or just past which the class (clause, or status) changes; the
engine is evaluated at those few candidate points only (one vectorised call for a whole
catalogue). ``limit_inclusive`` says whether the boundary value itself still keeps the class
(``False``: "can rise to just under").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chipclass.core.catalogue import DEVICE_TYPES, Catalogue
from chipclass.classification.engine import classify, compute_metrics
from chipclass.core.formats import BIT_LENGTH, FORMATS
from chipclass.rules.instruments import RuleSet

__all__ = ["headroom", "SPECS"]

SPECS_OTHER = ("die_area", "memory_bandwidth", "package_area", "interconnect_bandwidth")
SPECS = FORMATS + SPECS_OTHER
UNITS = {**{f: "TOPS" for f in FORMATS}, "die_area": "mm²", "memory_bandwidth": "GB/s",
         "package_area": "mm²", "interconnect_bandwidth": "GB/s"}
#: Relative step past a boundary to see what a device becomes (well above the 1e-12 tolerance).
NUDGE = 1e-9


def _conditions(rules: RuleSet):
    for c in rules.clauses:
        for cond in c.conditions:
            yield c.id, cond
    for e in rules.exclusions:
        for cond in e.conditions:
            yield e.id, cond


def _critical(spec: str, m: dict, i: int, cat: Catalogue, rules: RuleSet) -> list[tuple[float, str]]:
    """(critical value of ``spec``, binding condition) for device ``i``."""
    out = []
    tpp = m["tpp"][i]
    area = cat.values["die_area"][i]
    hbm = cat.device_type[i] == DEVICE_TYPES.index("hbm")
    pkg = m["package_area"][i]
    bw = cat.values["memory_bandwidth"][i]
    if spec in FORMATS:
        others = [m[f"tpp_{f}"][i] for f in FORMATS if f != spec and f"tpp_{f}" in m]
        floor = max([x for x in others if x == x], default=0.0)
        b = m["_bits"][spec]
    for cid, cond in _conditions(rules):
        t, metric, v = cond.value, cond.metric, None
        if spec in FORMATS:
            if metric == "tpp":
                v = t / b if t > floor else None
            elif metric == "performance_density" and area == area:
                v = t * area / b if t * area > floor else None
        elif spec == "die_area":
            if metric == "performance_density" and tpp == tpp and t > 0:
                v = tpp / t
            elif metric == "memory_bandwidth_density" and hbm and np.isnan(cat.values["package_area"][i]) and t > 0:
                v = bw / t
        elif spec == "memory_bandwidth":
            if metric == "memory_bandwidth_density" and pkg == pkg:
                v = t * pkg
            elif metric == "memory_bandwidth":
                v = t
        elif spec == "package_area":
            if metric == "memory_bandwidth_density" and bw == bw and t > 0:
                v = bw / t
        elif spec == "interconnect_bandwidth" and metric == "interconnect_bandwidth":
            v = t
        if v is not None and v > 0:
            out.append((float(v), f"{cid}: {cond.describe()}"))
    return out


def headroom(cat: Catalogue, rules: RuleSet, specs=None, bit_lengths: dict | None = None) -> pd.DataFrame:
    """One row per device x spec x direction: ``name spec direction current limit
    limit_inclusive becomes binding current_class unit``; ``limit`` is null when no change of
    that spec alone changes the class."""
    bits = {**BIT_LENGTH, **(bit_lengths or {})}
    m = compute_metrics(cat, bit_lengths)
    m["_bits"] = bits
    base = classify(cat, rules, bit_lengths, metrics=m).label()
    plan = []  # (device, spec, direction, current, candidate, binding)
    for i in range(len(cat)):  # per device: a handful of closed-form critical values each
        for spec in specs or SPECS:
            if spec in FORMATS:
                cur = m.get(f"tpp_{spec}")
                if cur is None or cur[i] != cur[i]:
                    continue
                current = cur[i] / bits[spec]
            else:
                current = cat.values[spec][i]
                if current != current:
                    continue
            crit = sorted(set(_critical(spec, m, i, cat, rules)))
            for direction in ("up", "down"):
                cands = [(v, b) for v, b in crit if (v > current if direction == "up" else v < current)]
                if direction == "down":
                    cands = cands[::-1]
                if not cands:
                    plan.append((i, spec, direction, current, None, None))
                for v, b in cands:
                    plan.append((i, spec, direction, current, v, b))
    if not plan:
        return pd.DataFrame(columns=["name", "spec", "direction", "current", "limit", "limit_inclusive",
                                     "becomes", "binding", "current_class", "unit"])
    rows = np.array([p[0] for p in plan])
    points = np.array([np.nan if p[4] is None else p[4] for p in plan])
    sign = np.array([1.0 if p[2] == "up" else -1.0 for p in plan])
    # Evaluate every candidate at the boundary and just past it, in one vectorised call.
    probe = cat.take(np.concatenate([rows, rows]))
    probe.values = {k: np.array(v, dtype=np.float64, copy=True) for k, v in probe.values.items()}
    for j, p in enumerate(plan):
        spec = p[1]
        for k, at in ((j, points[j]), (j + len(plan), points[j] * (1 + NUDGE * sign[j]))):
            if at != at:
                continue
            if spec in FORMATS:
                probe.values[spec][k] = at
                probe.values[f"{spec}_sparse"][k] = np.nan
            else:
                probe.values[spec][k] = at
    probe.headers = {**probe.headers, **{s: s for s in SPECS}}
    labels = classify(probe, rules, bit_lengths).label()
    at_edge, past = labels[:len(plan)], labels[len(plan):]
    def record(i, spec, direction, current, **found):
        return {"name": str(cat.names.iloc[i]), "spec": spec, "direction": direction,
                "current": float(current), "limit": None, "limit_inclusive": None, "becomes": None,
                "binding": None, "current_class": base[i], "unit": UNITS[spec], **found}

    out, done = [], set()
    for j, (i, spec, direction, current, v, binding) in enumerate(plan):
        key = (i, spec, direction)
        if key in done or v is None or (at_edge[j] == base[i] and past[j] == base[i]):
            continue
        becomes = at_edge[j] if at_edge[j] != base[i] else past[j]
        same = [p[5] for p in plan if p[0] == i and p[1] == spec and p[2] == direction and p[4] == v]
        # name the condition of the clause the device becomes (or leaves), else all at v
        own = [b for b in same if b.split(":")[0] in (becomes, base[i])]
        out.append(record(i, spec, direction, current, limit=v, limit_inclusive=bool(at_edge[j] == base[i]),
                          becomes=becomes, binding="; ".join(own or same)))
        done.add(key)
    for i, spec, direction, current, _v, _b in plan:  # no candidate changes the class
        if (i, spec, direction) not in done:
            out.append(record(i, spec, direction, current))
            done.add((i, spec, direction))
    frame = pd.DataFrame(out)
    order = {s: k for k, s in enumerate(SPECS)}
    frame["_o"] = frame["spec"].map(order)
    frame["_n"] = frame["name"].map({str(n): k for k, n in enumerate(cat.names)})
    return frame.sort_values(["_n", "_o", "direction"], ascending=[True, True, False]).drop(
        columns=["_o", "_n"]).reset_index(drop=True)
