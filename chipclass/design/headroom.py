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
is one vectorised evaluation over every (device, spec, direction) of a block of devices still
undecided, so the work is linear in rows (:mod:`chipclass.design.walk`). Rows equal in every
numeric input (and in current class) are one device, walked once: their result rows are
repeated, never inferred for a different device (:func:`_distinct` checks equality exactly).

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

from chipclass.classification.engine import class_codes
from chipclass.core.catalogue import Catalogue
from chipclass.core.formats import BIT_LENGTH, label
from chipclass.core.systemlinks import figures_of
from chipclass.design.walk import SPECS, SPECS_OTHER, light, room, set_spec  # noqa: F401  (light, set_spec: envelope, regions)
from chipclass.rules.instruments import RuleSet

__all__ = ["headroom", "headroom_batches", "SPECS", "UNITS", "conditions", "COLUMNS", "BATCH_ROWS"]

#: Catalogue rows per batch of :func:`headroom_batches` (about 20 result rows each).
BATCH_ROWS = 1 << 16

#: Unit label of each spec (TFLOPS for floating-point formats, TOPS for integer ones; data/metrics.toml).
UNITS = {s: label(s) for s in SPECS}
COLUMNS = ["name", "spec", "direction", "current", "limit", "limit_inclusive", "on_line", "becomes",
           "binding", "line", "current_class", "unit", "figures_of"]


def conditions(rules: RuleSet) -> list[tuple[str, object]]:
    """(clause or exclusion id, condition) of every numeric condition of the rule set."""
    out = [(c.id, cond) for c in rules.clauses for cond in c.conditions]
    out += [(e.id, cond) for e in rules.exclusions for cond in e.conditions]
    return [(cid, cond) for cid, cond in out if cond.metric != "datacenter"]


def _thresholds(conds) -> list[tuple[str, float]]:
    """Distinct (metric, threshold) of the conditions: one critical value each."""
    return list(dict.fromkeys((cond.metric, cond.value) for _cid, cond in conds))


def class_names(rules: RuleSet) -> np.ndarray:
    """The text of each :func:`class_codes` code."""
    from chipclass.classification.result import STATUS

    return np.asarray([c.id for c in rules.clauses] + list(STATUS), dtype=object)


def _distinct(cat: Catalogue, base_code: np.ndarray):
    """(one row of each distinct device, each row's device), or None when every row is its own:
    rows equal bit for bit in every numeric input (each column that varies, datacenter, device
    type) and in current class have the same headroom. Rows are grouped by a 64-bit hash of
    their inputs and each row is then compared with its group's first row, column by column: a
    row that differs (a hash collision) is a device of its own, so equal hashes never merge
    different devices."""
    from chipclass.core.cells import splitmix64

    cols = [np.asarray(v, dtype=np.float64).view(np.uint64) for v in cat.values.values() if v.strides != (0,)]
    cols += [np.asarray(cat.datacenter, dtype=np.float64).view(np.uint64),
             np.asarray(cat.device_type).astype(np.uint64), np.asarray(base_code).astype(np.uint64)]
    h = np.zeros(len(cat), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for c in cols:  # xor, then an odd multiplier (a bijection): rows differing in one column never collide
            h ^= c
            h *= np.uint64(0x9E3779B97F4A7C15)
    group, firsts = pd.factorize(splitmix64(h))  # groups numbered in order of first appearance
    if len(firsts) == len(cat):
        return None
    seen = np.maximum.accumulate(group)
    first = np.flatnonzero(np.concatenate([[True], group[1:] > seen[:-1]]))
    later = np.flatnonzero(first[group] != np.arange(len(cat)))  # rows that repeat an earlier one
    differs = np.zeros(len(later), dtype=bool)
    for c in cols:
        differs |= c[later] != c[first[group[later]]]
    if differs.any():  # a collision: those rows are devices of their own
        extra = later[differs]
        group[extra] = len(first) + np.arange(len(extra))
        first = np.concatenate([first, extra])
    return first, group


def _devices(cat: Catalogue, rows: np.ndarray) -> Catalogue:
    """The numeric part of ``cat`` at ``rows`` (headers as they are; absent columns stay broadcasts)."""
    values = {k: (v[rows] if v.strides != (0,) else np.broadcast_to(v[:1], len(rows)))
              for k, v in cat.values.items()}
    return Catalogue(names=pa.nulls(len(rows), pa.string()), values=values,
                     datacenter=np.asarray(cat.datacenter)[rows], device_type=np.asarray(cat.device_type)[rows],
                     extra=pa.table({}), source=cat.source, headers=cat.headers,
                     systems_resolved=True)


def headroom(cat: Catalogue, rules: RuleSet, specs=None, bit_lengths: dict | None = None) -> pd.DataFrame:
    """One row per device x spec x direction (up, then down) for every spec the device gives.

    Columns :data:`COLUMNS`: ``limit`` is NaN when no change of that spec alone changes the
    class; ``becomes`` is the class just past the limit (or at it when ``limit_inclusive`` is
    false); ``binding`` names the conditions whose threshold the limit is; ``line`` the first
    of them as ``metric threshold``; ``on_line`` that the device sits on that line now;
    ``figures_of`` the IC whose figures (and so whose headroom) a system row has.

    Rows equal in every numeric input are walked once (:func:`_distinct`) and their result rows
    repeated: catalogues and sweeps often repeat a device."""
    return _headroom(cat, rules, specs, bit_lengths)


def _headroom(cat: Catalogue, rules: RuleSet, specs, bit_lengths, nullable: bool = False) -> pd.DataFrame:
    """:func:`headroom`; ``nullable``: ``limit_inclusive`` as pandas' nullable boolean (what
    :func:`headroom_batches` writes), made from the arrays rather than from Python objects."""
    bits = {**BIT_LENGTH, **(bit_lengths or {})}
    specs = list(specs or SPECS)
    if not len(cat):
        return pd.DataFrame(columns=COLUMNS)
    base_code = class_codes(cat, rules, bit_lengths)
    names = class_names(rules)
    conds = conditions(rules)
    thresholds = _thresholds(conds)
    same = _distinct(cat, base_code)
    dev = cat if same is None else _devices(cat, same[0])
    r = room(dev, base_code if same is None else base_code[same[0]], rules, bit_lengths, specs, thresholds, bits)
    if not len(r["pair_dev"]):
        return pd.DataFrame(columns=COLUMNS)
    dev_base = np.repeat(base_code[r["pair_dev"]] if same is None else base_code[same[0]][r["pair_dev"]], 2)
    (b_code, b_cats), (l_code, l_cats) = _binding(r.pop("key"), r["becomes"], dev_base, conds, thresholds, names)
    del dev_base
    # result rows of each catalogue row: its device's, in order
    per_dev = 2 * np.bincount(r.pop("pair_dev"), minlength=len(dev))
    row_len = per_dev if same is None else per_dev[same[1]]
    row = np.repeat(np.arange(len(cat), dtype=np.int32 if len(cat) < 2**31 else np.int64), row_len)
    if same is None:
        src = slice(None)
    else:
        dev_start = np.cumsum(per_dev) - per_dev
        row_start = np.cumsum(row_len) - row_len
        index = np.int32 if len(row) < 2**31 else np.int64
        src = np.arange(len(row), dtype=index) + np.repeat((dev_start[same[1]] - row_start).astype(index), row_len)
    found, limit, current = r.pop("found")[src], r.pop("limit")[src], r.pop("current")[src]
    inclusive = r.pop("inclusive")[src]
    spec_code = np.repeat(r.pop("pair_spec"), 2)[src]
    direction = np.zeros(len(row), dtype=np.int8)
    direction[1::2] = 1  # every catalogue row's rows start at an even position: up, down, up, down ...
    units = list(dict.fromkeys(UNITS[s] for s in specs))
    name_codes, name_list = pd.factorize(cat.names.reset_index(drop=True), sort=False)
    fig = figures_of(cat)
    which = np.where(found, inclusive.view(np.int8), np.int8(2))  # False, True, None
    words = np.array([False, True, None], dtype=object)
    return pd.DataFrame({
        "name": _categorical(_small(name_codes, len(name_list))[row], pd.Index(name_list).astype(str)),
        "spec": _categorical(spec_code, specs),
        "direction": _categorical(direction, ["up", "down"]),
        "current": current,
        "limit": limit,
        "limit_inclusive": (pd.arrays.BooleanArray(found & inclusive, ~found) if nullable else
                            _object_column(words[which], list(words[np.bincount(which, minlength=3) > 0]))),
        "on_line": found & inclusive & (limit == current),
        "becomes": _categorical(_small(r.pop("becomes"), len(names))[src], list(names)),
        "binding": _categorical(b_code[src], b_cats),
        "line": _categorical(l_code[src], l_cats),
        "current_class": _categorical(_small(base_code, len(names))[row], list(names)),
        "unit": _categorical(np.asarray([units.index(UNITS[s]) for s in specs], dtype=np.int8)[spec_code], units),
        "figures_of": _object_column(np.asarray(fig, dtype=object)[row], list(set(fig))),
    }, copy=False)


def _small(codes: np.ndarray, n: int) -> np.ndarray:
    """Codes into ``n`` categories in the integer type pandas keeps them in (so the rows gathered
    next are not cast again)."""
    return codes.astype(np.int8 if n < 127 else np.int16 if n < 32767 else np.int32, copy=False)


def _categorical(codes: np.ndarray, categories) -> pd.Categorical:
    """A categorical of codes already checked to index ``categories`` (-1: missing)."""
    return pd.Categorical.from_codes(codes, categories=categories, validate=False)


def _object_column(values: np.ndarray, present: list):
    """An object column typed as the DataFrame constructor types it (text becomes ``str``), the
    type read from the distinct values ``present`` rather than from every row when it is object."""
    if pd.DataFrame({"x": np.array(present, dtype=object)}).dtypes.iloc[0] == object:
        return pd.Series(values, dtype=object, copy=False)
    return values


def headroom_batches(cat: Catalogue, rules: RuleSet, specs=None, bit_lengths: dict | None = None,
                     batch_rows: int = BATCH_ROWS):
    """:func:`headroom` of ``batch_rows`` catalogue rows at a time, in order: the frames
    concatenated are :func:`headroom`'s rows (each device's rows depend on that device alone),
    and memory stays bounded by the batch (10^6 rows: one frame would be 10^7 result rows).
    ``limit_inclusive`` is a nullable boolean here, so every batch has the same column types."""
    wrote = False
    for start in range(0, max(len(cat), 1), batch_rows):
        frame = _headroom(cat.slice(start, min(start + batch_rows, len(cat))), rules, specs, bit_lengths,
                          nullable=True)  # a type even when all unknown
        if not len(frame):  # devices that give no spec: no rows (an empty batch would write a blank line)
            continue
        wrote = True
        yield frame
    if not wrote:  # no rows at all: one empty frame, so a CSV still gets its header
        yield headroom(cat.slice(0, 0), rules, specs, bit_lengths)


def _binding(key, becomes, base, conds, thresholds, names):
    """(codes, categories) of the binding conditions' text and of the line, per row, built once
    per distinct (thresholds crossed, class it becomes, class it leaves); categories in the
    order of the sorted keys. ``key``: bit k for threshold k per row (or, past 40 thresholds,
    the match rows packed to bytes)."""
    width = len(thresholds)
    packed = key if key.ndim == 2 else None
    if packed is not None:
        key = np.unique(packed, axis=0, return_inverse=True)[1].reshape(-1).astype(np.int64)
    full = (key * 256 + becomes.astype(np.int64) % 256) * 256 + base.astype(np.int64)
    code, uniq = pd.factorize(full)  # hashed: a few distinct keys need no sort of every row
    seen = np.maximum.accumulate(code)
    first = np.flatnonzero(np.concatenate([[True], code[1:] > seen[:-1]]))  # where each code first appears
    order = np.argsort(np.asarray(uniq), kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    b_text, l_text = [], []
    for j in first[order]:
        crossed = (np.flatnonzero(np.unpackbits(packed[j])[:width]) if packed is not None
                   else [k for k in range(width) if int(key[j]) >> k & 1])
        hit = {thresholds[k] for k in crossed}
        same = [(cid, cond) for cid, cond in conds if (cond.metric, cond.value) in hit]
        own = [(cid, cond) for cid, cond in same if cid in (names[becomes[j]], names[base[j]])]
        chosen = own or same
        b_text.append("; ".join(dict.fromkeys(f"{cid}: {cond.describe()}" for cid, cond in chosen)) or None)
        l_text.append(f"{chosen[0][1].metric} {chosen[0][1].given}" if chosen else None)

    def coded(texts):
        cats = list(dict.fromkeys(t for t in texts if t is not None))
        lookup = _small(np.array([cats.index(t) if t is not None else -1 for t in texts]), len(cats))
        return lookup[rank][code], cats
    return coded(b_text), coded(l_text)
