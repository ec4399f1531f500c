"""The walk of :mod:`chipclass.design.headroom`: critical values of each spec, ordered outwards
from the current value, and the engine evaluated at each one and inside the interval beyond it.

Work goes :data:`BLOCK` devices at a time (temporaries stay small and memory bounded). In a
block, each round is one evaluation of the rules over every (device, spec, direction) still
undecided: the probe points of all specs share one gather of the devices' columns, split into
:data:`PROBE_ROWS` rows, and the point at the critical value and the point past it are two
evaluations of the same gathered rows (only the moved spec's column is rewritten).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from chipclass.classification.engine import class_codes, compute_metrics
from chipclass.core.catalogue import DEVICE_TYPES, Catalogue
from chipclass.core.formats import FORMATS

__all__ = ["SPECS", "SAME", "room", "light", "set_spec"]

SPECS_OTHER = ("die_area", "memory_bandwidth", "package_area", "interconnect_bandwidth")
SPECS = FORMATS + SPECS_OTHER
#: Relative distance under which two critical values (or a critical value and the current
#: value) are the same point; above float rounding, below any step a user could mean.
SAME = 1e-11
#: Devices walked at a time.
BLOCK = 1 << 16
#: Probe points evaluated at a time: columns of this many rows stay in cache.
PROBE_ROWS = 1 << 15


def _critical(spec: str, m: dict, v: dict, device_type: np.ndarray, thresholds, bits: dict):
    """Critical values of ``spec`` (devices: ``m`` metrics and ``v`` values of those rows) for
    each threshold it can cross, as (threshold indices, (k, n) values, one row per threshold;
    NaN: that device cannot cross it). Thresholds ``spec`` never moves are left out: they hold
    no critical value."""
    n = len(device_type)
    cols, out = [], []
    area, tpp = v.get("die_area"), m.get("tpp")
    if spec in FORMATS:
        others = [m[f"tpp_{f}"] for f in FORMATS if f != spec and f"tpp_{f}" in m]
        floor = np.fmax.reduce(others) if others else np.zeros(n)
        floor = np.nan_to_num(floor, nan=0.0)
        b = bits[spec]
    elif spec == "die_area":
        hbm_no_pkg = (device_type == DEVICE_TYPES.index("hbm")) & np.isnan(v["package_area"])
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
                cols.append(k)
                out.append(np.where(col > 0, col, np.nan))
    return cols, (np.stack(out) if out else np.empty((0, n)))


#: What :func:`_critical` reads of a spec's metrics and values (the rest is not gathered).
_CRITICAL_READS = {"m": ("tpp", "package_area"), "v": ("die_area", "memory_bandwidth", "package_area")}


def _current(spec: str, m: dict, cat: Catalogue, bits: dict) -> np.ndarray:
    if spec in FORMATS:
        col = m.get(f"tpp_{spec}")
        return np.full(len(cat), np.nan) if col is None else col / bits[spec]
    return np.asarray(cat.values[spec], dtype=np.float64)


#: Devices whose critical values are ordered at a time (temporaries stay in cache).
ORDER_ROWS = 1 << 15


def _ordered(crit: np.ndarray, cur: np.ndarray, up: bool) -> np.ndarray:
    """Distinct critical values (``crit``: one row per threshold, one column per device) in the
    direction of travel from ``cur`` (one on it included), as (devices, candidates), NaN-padded
    on the right; a value within :data:`SAME` of ``cur`` becomes ``cur`` itself. Worked out
    per threshold row (whole columns of devices at a time, :data:`ORDER_ROWS` of them): the
    result is a view of a (candidates, devices) array, so each round reads one contiguous row."""
    out = np.empty_like(crit)
    used = np.zeros(len(crit), dtype=bool)  # candidate rows some device has (NaNs sort last)
    for a in range(0, crit.shape[1], ORDER_ROWS):
        part = out[:, a:a + ORDER_ROWS]
        _order_part(crit[:, a:a + ORDER_ROWS], cur[a:a + ORDER_ROWS], up, part)
        used |= ~np.isnan(part).all(axis=1)
    return out[:int(used.sum())].T


def _order_part(crit, cur, up, c):
    """:func:`_ordered` of some devices, into ``c`` (descending travel sorts the negated values:
    NaN last either way)."""
    np.copyto(c, crit)
    np.copyto(c, cur, where=np.abs(c - cur) <= SAME * np.abs(cur))
    np.copyto(c, np.nan, where=~((c >= cur) if up else (c <= cur)))
    if not up:
        np.negative(c, out=c)
    sort_columns(c)
    if len(c) > 1:  # drop repeats (then sort them to the end)
        dup = np.abs(c[1:] - c[:-1]) <= SAME * np.abs(c[:-1])
        if dup.any():
            np.copyto(c[1:], np.nan, where=dup)
            sort_columns(c)
    if not up:
        np.negative(c, out=c)


def network(k: int) -> list[tuple[int, int]]:
    """Compare-exchange pairs that sort ``k`` values (odd-even transposition: k rounds of
    neighbours; correct for any input, by the 0-1 principle)."""
    return [(i, i + 1) for r in range(k) for i in range(r % 2, k - 1, 2)]


def sort_columns(x: np.ndarray) -> None:
    """Sort each column of ``x`` (k rows) ascending in place, NaN last, as ``x.sort(axis=0)``
    does: by a sorting network of whole-row minima and maxima (a row is contiguous; numpy's
    sort of many short columns pays per column). NaN goes in as +inf and comes back out; a
    part holding a real infinity is sorted by numpy instead."""
    if len(x) < 2:
        return
    if len(x) > 8 or np.isinf(x).any():
        x.sort(axis=0)
        return
    np.copyto(x, np.inf, where=np.isnan(x))
    for i, j in network(len(x)):
        lo = np.minimum(x[i], x[j])
        np.maximum(x[i], x[j], out=x[j])
        x[i] = lo
    np.copyto(x, np.nan, where=np.isinf(x))


def light(cat: Catalogue, rows=None) -> Catalogue:
    """The numeric part of ``cat`` (rows ``rows``), no names or pass-through columns: what the
    engine needs to evaluate probe points. Columns the catalogue does not give stay one
    read-only NaN broadcast (no memory); :func:`set_spec` replaces a column, never writes into
    one, so a probe of 2 x 10^6 rows costs only the columns given."""
    idx = np.arange(len(cat)) if rows is None else np.asarray(rows)
    return _numeric(cat, idx, pd.Series(pd.Categorical.from_codes(np.zeros(len(idx), dtype=np.int8), ["probe"])))


def _numeric(cat: Catalogue, idx: np.ndarray, names) -> Catalogue:
    """:func:`light` with the given ``names`` (headroom's probes take an Arrow column of nulls:
    the engine reads no name, and a pandas column per probe would cost more than the probe)."""
    n = len(idx)
    nan = np.broadcast_to(np.nan, n)
    values = {k: (v[idx] if k in cat.headers else nan) for k, v in cat.values.items()}
    return Catalogue(names=names, values=values,
                     datacenter=np.asarray(cat.datacenter)[idx], device_type=np.asarray(cat.device_type)[idx],
                     extra=pa.table({}), source=cat.source, headers={**cat.headers, **{s: s for s in SPECS}})


def set_spec(probe: Catalogue, spec: str, at: np.ndarray) -> Catalogue:
    """``probe`` with ``spec`` set to ``at`` (a format's sparse figure cleared): the column is
    replaced by a new array, never written into (columns may be shared or read-only)."""
    n = len(probe.datacenter)
    probe.values[spec] = np.array(np.broadcast_to(np.asarray(at, dtype=np.float64), n))
    if spec in FORMATS:
        probe.values[f"{spec}_sparse"] = np.broadcast_to(np.nan, n)
    return probe


class _Walk:
    """One spec walked in one direction over the devices ``rows`` that give it: their candidates
    (``cand``, ordered outwards) and, as rounds go, what was found."""

    def __init__(self, spec, rows, cand, base):
        n = len(rows)
        self.spec, self.rows, self.cand, self.base = spec, rows, cand, base
        self.found = np.zeros(n, dtype=bool)
        self.limit = np.full(n, np.nan)
        self.inclusive = np.zeros(n, dtype=bool)
        self.becomes = np.full(n, -1, dtype=np.int32)

    def points(self, k: int, up: bool):
        """(rows still undecided with a k-th candidate, the candidate, a point inside the interval
        beyond it: the midpoint to the next, or twice / half the last)."""
        width = self.cand.shape[1]
        if k >= width:
            return None
        active = np.flatnonzero(~self.found & ~np.isnan(self.cand[:, k]))
        v = self.cand[active, k]
        nxt = self.cand[active, k + 1] if k + 1 < width else np.full(len(active), np.nan)
        return active, v, np.where(np.isnan(nxt), v * 2.0 if up else v / 2.0, (v + nxt) / 2.0)

    def record(self, active, v, at, past):
        """Rows whose class differs at ``v`` (``at``) or just past it (``past``) are decided."""
        b = self.base[active]
        at_differs, past_differs = at != b, past != b
        hit = at_differs | past_differs
        rows = active[hit]
        self.found[rows] = True
        self.limit[rows] = v[hit]
        self.inclusive[rows] = ~at_differs[hit]
        self.becomes[rows] = np.where(at_differs, at, past)[hit]


def _walk(dev: Catalogue, walks: list, ups: list, rules, bit_lengths) -> None:
    """Walk every (spec, direction) of ``walks`` outwards in rounds: round k evaluates each
    one's k-th candidate (and the point past it) for every row still undecided, all in one
    evaluation of the rules."""
    for k in range(max((w.cand.shape[1] for w in walks), default=0)):
        parts = [(w, p) for w, up in zip(walks, ups) if (p := w.points(k, up)) is not None and len(p[0])]
        if not parts:
            continue
        rows = np.concatenate([w.rows[p[0]] for w, p in parts])
        at = np.concatenate([p[1] for _w, p in parts])
        past = np.concatenate([p[2] for _w, p in parts])
        ends = np.cumsum([len(p[0]) for _w, p in parts])
        segments = [(w.spec, int(e - len(p[0])), int(e)) for (w, p), e in zip(parts, ends)]
        code_at, code_past = _probe_codes(dev, rows, segments, at, past, rules, bit_lengths)
        for (w, p), (_s, lo, hi) in zip(parts, segments):
            w.record(p[0], p[1], code_at[lo:hi], code_past[lo:hi])


def _probe_codes(dev: Catalogue, rows, segments, at, past, rules, bit_lengths):
    """Class codes of devices ``rows`` of ``dev`` with, on each segment ``(spec, lo, hi)``, that
    spec set to ``at`` and to ``past``: one gather of the columns per :data:`PROBE_ROWS` rows."""
    n = len(rows)
    code_at = np.empty(n, dtype=np.int32)
    code_past = np.empty(n, dtype=np.int32)
    for a in range(0, n, PROBE_ROWS):
        b = min(n, a + PROBE_ROWS)
        probe = _numeric(dev, rows[a:b], pa.nulls(b - a, pa.string()))
        pieces = [(spec, max(lo, a), min(hi, b)) for spec, lo, hi in segments if lo < b and hi > a]
        for x, out in ((at, code_at), (past, code_past)):
            for spec, lo, hi in pieces:
                _set_rows(probe, spec, slice(lo - a, hi - a), x[lo:hi])
            out[a:b] = class_codes(probe, rules, bit_lengths)
    return code_at, code_past


def _set_rows(probe: Catalogue, spec: str, rows: slice, x: np.ndarray) -> None:
    """:func:`set_spec` on some rows of a probe made by :func:`_numeric` (its gathered columns
    are its own; a column it does not give is a read-only NaN broadcast, replaced before a write)."""
    col = probe.values[spec]
    if not col.flags.writeable:
        col = probe.values[spec] = np.full(len(col), np.nan)
    col[rows] = x
    sparse = probe.values.get(f"{spec}_sparse") if spec in FORMATS else None
    if sparse is not None and sparse.flags.writeable:  # read-only: a NaN broadcast already
        sparse[rows] = np.nan


def room(dev: Catalogue, base: np.ndarray, rules, bit_lengths, specs, thresholds, bits) -> dict:
    """Headroom of each device of ``dev`` (current class codes ``base``), :data:`BLOCK` devices
    at a time, as arrays in output order (device, spec, up then down): ``pair_dev`` /
    ``pair_spec`` per (device, spec given) pair, and per output row ``current``, ``limit``,
    ``found``, ``inclusive``, ``becomes`` and ``key`` (the thresholds the limit is, as bits, or
    packed bytes past 40 thresholds). Blocks write into the whole arrays, made once."""
    m = {k: v for k, v in compute_metrics(dev, bit_lengths).items() if isinstance(v, np.ndarray)}
    currents = [_current(spec, m, dev, bits) for spec in specs]
    given = np.column_stack([~np.isnan(c) for c in currents]) if specs else np.zeros((len(dev), 0), bool)
    pair_dev, pair_spec = np.nonzero(given)
    del given
    n_out, width = 2 * len(pair_dev), len(thresholds)
    r = {"pair_dev": pair_dev, "pair_spec": pair_spec.astype(np.int8), "current": np.empty(n_out),
         "limit": np.full(n_out, np.nan), "found": np.zeros(n_out, bool), "inclusive": np.zeros(n_out, bool),
         "becomes": np.full(n_out, -1, np.int16),
         "key": np.zeros(n_out, np.int64) if width <= 40 else np.zeros((n_out, (width + 7) // 8), np.uint8)}
    for a in range(0, len(dev), BLOCK):
        b = min(len(dev), a + BLOCK)
        lo, hi = np.searchsorted(pair_dev, [a, b])
        out = {k: v[2 * lo:2 * hi] for k, v in r.items() if k not in ("pair_dev", "pair_spec")}
        _block(dev.slice(a, b), {k: v[a:b] for k, v in m.items()}, [c[a:b] for c in currents], base[a:b],
               pair_dev[lo:hi] - a, pair_spec[lo:hi], out, rules, bit_lengths, specs, thresholds, bits)
    return r


def _block(dev: Catalogue, m, currents, base, pair_dev, pair_spec, out, rules, bit_lengths, specs, thresholds,
           bits) -> None:
    """:func:`room` of one block of devices (``m`` their metrics, ``currents`` per spec), into
    ``out`` (its rows of :func:`room`'s arrays; ``pair_dev`` / ``pair_spec`` its pairs)."""
    walks, ups, keys = [], [], []
    for s_order, spec in enumerate(specs):
        pair = np.flatnonzero(pair_spec == s_order)
        if not len(pair):
            continue
        rows = pair_dev[pair]
        sub_m = {k: m[k][rows] for k in _CRITICAL_READS["m"]}
        if spec in FORMATS:
            sub_m.update({f"tpp_{f}": m[f"tpp_{f}"][rows] for f in FORMATS if f"tpp_{f}" in m})
        sub_v = {k: dev.values[k][rows] for k in _CRITICAL_READS["v"]}
        cols, crit = _critical(spec, sub_m, sub_v, dev.device_type[rows], thresholds, bits)
        c = currents[s_order][rows]
        for d, up in ((0, True), (1, False)):
            walks.append(_Walk(spec, rows, _ordered(crit, c, up), base[rows]))
            ups.append(up)
            keys.append((2 * pair + d, c, crit, cols))
    _walk(dev, walks, ups, rules, bit_lengths)
    for w, (at, c, crit, cols) in zip(walks, keys):
        out["current"][at] = c
        hit = np.flatnonzero(w.found)  # the rest keep no limit (NaN, False, -1, no key)
        where = at[hit]
        out["limit"][where], out["found"][where] = w.limit[hit], True
        out["inclusive"][where], out["becomes"][where] = w.inclusive[hit], w.becomes[hit]
        out["key"][where] = _match_key(crit[:, hit], cols, w.limit[hit], len(thresholds))


def _match_key(crit, cols, limit, width):
    """The thresholds (rows ``cols`` of ``width`` in ``crit``) whose critical value is the
    limit, per device with a limit: bit k for threshold k (up to 40), else the match rows
    packed to bytes."""
    tol = SAME * np.abs(limit)
    match = [np.abs(crit[j] - limit) <= tol for j in range(len(cols))]
    if width > 40:
        full = np.zeros((len(limit), width), dtype=bool)
        if match:
            full[:, cols] = np.stack(match, axis=1)
        return np.packbits(full, axis=1)
    key = np.zeros(len(limit), dtype=np.int64)
    for hit, k in zip(match, cols):
        key |= hit.astype(np.int64) << k
    return key
