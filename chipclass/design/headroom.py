"""Headroom: how far each spec can move, alone, before a device changes class.

For one spec varied alone (the others fixed), every metric a rule reads is a simple monotone
function of it:

=======================  =========================================================
spec                     metrics it moves
=======================  =========================================================
format throughput T_f    TPP = max(T_f x b_f, TPP of the other formats); PD = TPP / A
die_area A               PD = TPP / A (and, for HBM without a package area, MBD); die_area
memory_bandwidth B       MBD = B / A_package; memory_bandwidth
package_area             MBD = B / A_package
interconnect_bandwidth   itself
=======================  =========================================================

so each threshold of each condition (clauses and exclusions, read from the rule set) maps to
one *critical value* of the spec, solved in closed form (TPP >= 2400 with b = 8 gives T = 300).
Between consecutive critical values nothing a rule reads crosses a threshold, so the class can
only change at a critical value or just past it. The class is never inferred: the engine is
evaluated **at** each critical value and **inside** the open interval beyond it (its midpoint,
or twice / half the last value), walking outwards from the current value in rounds; each round
is one vectorised call over every (device, spec, direction) still undecided, so the work is
linear in rows.

The first critical value where the class differs is the ``limit``: ``limit_inclusive`` is
``True`` when the limit itself still keeps the class (the change is just past it), ``False``
when the class changes *at* the limit ("can rise to just under"). A device sitting on a line
(its current value is a critical value and any move changes the class) has ``on_line`` set:
"on the tpp 4800 line: any decrease makes it 3A090.a.2".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from chipclass.classification.engine import classify, compute_metrics
from chipclass.core.catalogue import DEVICE_TYPES, Catalogue
from chipclass.core.formats import BIT_LENGTH, FORMATS, label
from chipclass.core.systemlinks import figures_of
from chipclass.rules.instruments import RuleSet

__all__ = ["headroom", "headroom_batches", "SPECS", "UNITS", "conditions", "COLUMNS", "BATCH_ROWS"]

#: Catalogue rows per batch of :func:`headroom_batches` (about 20 result rows each).
BATCH_ROWS = 1 << 16

SPECS_OTHER = ("die_area", "memory_bandwidth", "package_area", "interconnect_bandwidth")
SPECS = FORMATS + SPECS_OTHER
#: Unit label of each spec (TFLOPS for floating-point formats, TOPS for integer ones; data/metrics.toml).
UNITS = {s: label(s) for s in SPECS}
COLUMNS = ["name", "spec", "direction", "current", "limit", "limit_inclusive", "on_line", "becomes",
           "binding", "line", "current_class", "unit", "figures_of"]
#: Relative distance under which two critical values (or a critical value and the current
#: value) are the same point; above float rounding, below any step a user could mean.
SAME = 1e-11


def conditions(rules: RuleSet) -> list[tuple[str, object]]:
    """(clause or exclusion id, condition) of every numeric condition of the rule set."""
    out = [(c.id, cond) for c in rules.clauses for cond in c.conditions]
    out += [(e.id, cond) for e in rules.exclusions for cond in e.conditions]
    return [(cid, cond) for cid, cond in out if cond.metric != "datacenter"]


def _thresholds(conds) -> list[tuple[str, float]]:
    """Distinct (metric, threshold) of the conditions: one critical value each."""
    return list(dict.fromkeys((cond.metric, cond.value) for _cid, cond in conds))


def _critical(spec: str, m: dict, cat: Catalogue, thresholds, bits: dict) -> np.ndarray:
    """(n, T) critical values of ``spec`` for each distinct threshold (NaN: it cannot be crossed)."""
    n = len(cat)
    v = cat.values
    out = np.full((n, len(thresholds)), np.nan)
    area, tpp = v["die_area"], m["tpp"]
    hbm_no_pkg = (cat.device_type == DEVICE_TYPES.index("hbm")) & np.isnan(v["package_area"])
    if spec in FORMATS:
        others = [m[f"tpp_{f}"] for f in FORMATS if f != spec and f"tpp_{f}" in m]
        floor = np.fmax.reduce(others) if others else np.zeros(n)
        floor = np.nan_to_num(floor, nan=0.0)
        b = bits[spec]
    with np.errstate(divide="ignore", invalid="ignore"):
        for k, (metric, t) in enumerate(thresholds):
            col = None
            if spec in FORMATS:
                if metric == "tpp":
                    col = np.where(t > floor, t / b, np.nan)
                elif metric == "performance_density":
                    col = np.where(t * area > floor, t * area / b, np.nan)
            elif spec == "die_area":
                if metric == "performance_density" and t > 0:
                    col = tpp / t
                elif metric == "memory_bandwidth_density" and t > 0:
                    col = np.where(hbm_no_pkg, v["memory_bandwidth"] / t, np.nan)
                elif metric == "die_area":
                    col = np.full(n, t)
            elif spec == "memory_bandwidth":
                if metric == "memory_bandwidth_density":
                    col = t * m["package_area"]
                elif metric == "memory_bandwidth":
                    col = np.full(n, t)
            elif spec == "package_area":
                if metric == "memory_bandwidth_density" and t > 0:
                    col = v["memory_bandwidth"] / t
            elif spec == "interconnect_bandwidth" and metric == "interconnect_bandwidth":
                col = np.full(n, t)
            if col is not None:
                out[:, k] = np.where(col > 0, col, np.nan)
    return out


def _current(spec: str, m: dict, cat: Catalogue, bits: dict) -> np.ndarray:
    if spec in FORMATS:
        col = m.get(f"tpp_{spec}")
        return np.full(len(cat), np.nan) if col is None else col / bits[spec]
    return np.asarray(cat.values[spec], dtype=np.float64)


def _ordered(crit: np.ndarray, cur: np.ndarray, up: bool) -> np.ndarray:
    """Distinct critical values in the direction of travel from ``cur`` (one on it included),
    NaN-padded on the right; a value within :data:`SAME` of ``cur`` becomes ``cur`` itself."""
    c = crit.copy()
    near = np.abs(c - cur[:, None]) <= SAME * np.abs(cur[:, None])
    c = np.where(near, cur[:, None], c)
    keep = (c >= cur[:, None]) if up else (c <= cur[:, None])
    c = np.where(keep, c, np.nan)
    c = np.sort(c if up else -c, axis=1)   # NaN last either way
    c = c if up else -c
    if c.shape[1] > 1:  # drop repeats (then sort them to the end)
        dup = np.zeros_like(c, dtype=bool)
        dup[:, 1:] = np.abs(c[:, 1:] - c[:, :-1]) <= SAME * np.abs(c[:, :-1])
        if dup.any():
            c = np.where(dup, np.nan, c)
            c = np.sort(c if up else -c, axis=1)
            c = c if up else -c
    width = int((~np.isnan(c)).sum(axis=1).max()) if len(c) else 0
    return c[:, :width]


def light(cat: Catalogue, rows=None) -> Catalogue:
    """The numeric part of ``cat`` (rows ``rows``), no names or pass-through columns: what the
    engine needs to evaluate probe points. Columns the catalogue does not give stay one
    read-only NaN broadcast (no memory); :func:`set_spec` replaces a column, never writes into
    one, so a probe of 2 x 10^6 rows costs only the columns given."""
    idx = np.arange(len(cat)) if rows is None else np.asarray(rows)
    n = len(idx)
    nan = np.broadcast_to(np.nan, n)
    values = {k: (v[idx] if k in cat.headers else nan) for k, v in cat.values.items()}
    return Catalogue(names=pd.Series(pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), ["probe"])),
                     values=values,
                     datacenter=np.asarray(cat.datacenter)[idx], device_type=np.asarray(cat.device_type)[idx],
                     extra=pa.table({}), source=cat.source, headers={**cat.headers, **{s: s for s in SPECS}})


def class_codes(probe: Catalogue, rules: RuleSet, bit_lengths) -> np.ndarray:
    """Clause index where a clause decided, else ``len(clauses) + status``."""
    cl = classify(probe, rules, bit_lengths)
    return np.where(cl.clause >= 0, cl.clause, len(rules.clauses) + cl.status).astype(np.int32)


def class_names(rules: RuleSet) -> np.ndarray:
    """The text of each :func:`class_codes` code."""
    from chipclass.classification.result import STATUS

    return np.asarray([c.id for c in rules.clauses] + list(STATUS), dtype=object)


def set_spec(probe: Catalogue, spec: str, at: np.ndarray) -> Catalogue:
    """``probe`` with ``spec`` set to ``at`` (a format's sparse figure cleared): the column is
    replaced by a new array, never written into (columns may be shared or read-only)."""
    n = len(probe.datacenter)
    probe.values[spec] = np.array(np.broadcast_to(np.asarray(at, dtype=np.float64), n))
    if spec in FORMATS:
        probe.values[f"{spec}_sparse"] = np.broadcast_to(np.nan, n)
    return probe


def _walk(cat, rules, bit_lengths, spec, cand, base_code, up):
    """(found, limit, inclusive, becomes code) walking outwards through the candidates."""
    n, width = cand.shape
    found = np.zeros(n, dtype=bool)
    limit = np.full(n, np.nan)
    inclusive = np.zeros(n, dtype=bool)
    becomes = np.full(n, -1, dtype=np.int32)
    for k in range(width):
        active = np.flatnonzero(~found & ~np.isnan(cand[:, k]))
        if not len(active):
            continue
        v = cand[active, k]
        nxt = cand[active, k + 1] if k + 1 < width else np.full(len(active), np.nan)
        inside = np.where(np.isnan(nxt), v * 2.0 if up else v / 2.0, (v + nxt) / 2.0)
        probe = set_spec(light(cat, np.concatenate([active, active])), spec, np.concatenate([v, inside]))
        codes = class_codes(probe, rules, bit_lengths)
        at, past = codes[:len(active)], codes[len(active):]
        b = base_code[active]
        at_differs, past_differs = at != b, past != b
        hit = at_differs | past_differs
        rows = active[hit]
        found[rows] = True
        limit[rows] = v[hit]
        inclusive[rows] = ~at_differs[hit]
        becomes[rows] = np.where(at_differs, at, past)[hit]
    return found, limit, inclusive, becomes


def headroom(cat: Catalogue, rules: RuleSet, specs=None, bit_lengths: dict | None = None) -> pd.DataFrame:
    """One row per device x spec x direction (up, then down) for every spec the device gives.

    Columns :data:`COLUMNS`: ``limit`` is NaN when no change of that spec alone changes the
    class; ``becomes`` is the class just past the limit (or at it when ``limit_inclusive`` is
    false); ``binding`` names the conditions whose threshold the limit is; ``line`` the first
    of them as ``metric threshold``; ``on_line`` that the device sits on that line now;
    ``figures_of`` the IC whose figures (and so whose headroom) a system row has."""
    bits = {**BIT_LENGTH, **(bit_lengths or {})}
    m = compute_metrics(cat, bit_lengths)
    base_code = class_codes(cat, rules, bit_lengths) if len(cat) else np.zeros(0, np.int32)
    names = class_names(rules)
    conds = conditions(rules)
    thresholds = _thresholds(conds)
    specs = list(specs or SPECS)
    cols: dict[str, list] = {k: [] for k in ("row", "s", "d", "current", "limit", "found", "inclusive",
                                             "on_line", "becomes", "match")}
    for s_order, spec in enumerate(specs):
        cur = _current(spec, m, cat, bits)
        given = np.flatnonzero(~np.isnan(cur))
        if not len(given):
            continue
        sub = light(cat, given)
        sub_m = {k: v[given] for k, v in m.items() if k in ("tpp", "package_area") or k.startswith("tpp_")
                 and k != "tpp_format"}
        crit = _critical(spec, sub_m, sub, thresholds, bits)
        c = cur[given]
        for d_order, up in ((0, True), (1, False)):
            cand = _ordered(crit, c, up)
            found, limit, incl, becomes = _walk(sub, rules, bit_lengths, spec, cand, base_code[given], up)
            match = np.abs(crit - limit[:, None]) <= SAME * np.abs(limit[:, None])
            for k, x in (("row", given), ("s", np.full(len(given), s_order, np.int16)),
                         ("d", np.full(len(given), d_order, np.int8)), ("current", c), ("limit", limit),
                         ("found", found), ("inclusive", incl), ("on_line", found & incl & (limit == c)),
                         ("becomes", becomes), ("match", match & found[:, None])):
                cols[k].append(x)
    if not cols["row"]:
        return pd.DataFrame(columns=COLUMNS)
    a = {k: np.concatenate(v) for k, v in cols.items()}
    order = np.lexsort((a["d"], a["s"], a["row"]))
    a = {k: v[order] for k, v in a.items()}
    base = base_code[a["row"]]
    binding, line = _binding(a["match"], a["becomes"], base, conds, thresholds, names)
    units = list(dict.fromkeys(UNITS[s] for s in specs))
    name_codes, name_list = pd.factorize(cat.names.reset_index(drop=True), sort=False)
    return pd.DataFrame({
        "name": pd.Categorical.from_codes(name_codes[a["row"]], categories=pd.Index(name_list).astype(str)),
        "spec": pd.Categorical.from_codes(a["s"], categories=specs),
        "direction": pd.Categorical.from_codes(a["d"], categories=["up", "down"]),
        "current": a["current"],
        "limit": a["limit"],
        "limit_inclusive": np.array([False, True, None], dtype=object)[np.where(a["found"], a["inclusive"], 2)],
        "on_line": a["on_line"],
        "becomes": pd.Categorical.from_codes(np.where(a["found"], a["becomes"], -1), categories=list(names)),
        "binding": binding, "line": line,
        "current_class": pd.Categorical.from_codes(base, categories=list(names)),
        "unit": pd.Categorical.from_codes(
            np.asarray([units.index(UNITS[s]) for s in specs], dtype=np.int8)[a["s"]], categories=units),
        "figures_of": np.asarray(figures_of(cat), dtype=object)[a["row"]],
    })[COLUMNS]


def headroom_batches(cat: Catalogue, rules: RuleSet, specs=None, bit_lengths: dict | None = None,
                     batch_rows: int = BATCH_ROWS):
    """:func:`headroom` of ``batch_rows`` catalogue rows at a time, in order: the frames
    concatenated are :func:`headroom`'s rows (each device's rows depend on that device alone),
    and memory stays bounded by the batch (10^6 rows: one frame would be 10^7 result rows).
    ``limit_inclusive`` is a nullable boolean here, so every batch has the same column types."""
    wrote = False
    for start in range(0, max(len(cat), 1), batch_rows):
        frame = headroom(cat.slice(start, min(start + batch_rows, len(cat))), rules, specs, bit_lengths)
        if not len(frame):  # devices that give no spec: no rows (an empty batch would write a blank line)
            continue
        frame["limit_inclusive"] = frame["limit_inclusive"].astype("boolean")  # a type even when all unknown
        wrote = True
        yield frame
    if not wrote:  # no rows at all: one empty frame, so a CSV still gets its header
        yield headroom(cat.slice(0, 0), rules, specs, bit_lengths)


def _binding(match, becomes, base, conds, thresholds, names):
    """Text of the binding conditions per row (categoricals), built once per distinct
    (thresholds crossed, class it becomes, class it leaves)."""
    n, width = match.shape
    if width <= 40:  # the row's bits as one integer: packed 8 to a byte, read as little-endian int64
        packed = np.zeros((n, 8), dtype=np.uint8)
        packed[:, :(width + 7) // 8] = np.packbits(match, axis=1, bitorder="little")
        key = packed.view("<i8").reshape(-1)
    else:
        key = np.unique(np.packbits(match, axis=1), axis=0, return_inverse=True)[1].reshape(-1).astype(np.int64)
    key = (key * 256 + becomes.astype(np.int64) % 256) * 256 + base.astype(np.int64)
    uniq, first, inv = np.unique(key, return_index=True, return_inverse=True)
    b_text, l_text = [], []
    for j in first:
        hit = {thresholds[k] for k in np.flatnonzero(match[j])}
        same = [(cid, cond) for cid, cond in conds if (cond.metric, cond.value) in hit]
        own = [(cid, cond) for cid, cond in same if cid in (names[becomes[j]], names[base[j]])]
        chosen = own or same
        b_text.append("; ".join(dict.fromkeys(f"{cid}: {cond.describe()}" for cid, cond in chosen)) or None)
        l_text.append(f"{chosen[0][1].metric} {chosen[0][1].given}" if chosen else None)

    def cat(texts):
        cats = list(dict.fromkeys(t for t in texts if t is not None))
        lookup = np.array([cats.index(t) if t is not None else -1 for t in texts], dtype=np.int32)
        return pd.Categorical.from_codes(lookup[np.asarray(inv).reshape(-1)], categories=cats)
    return cat(b_text), cat(l_text)
