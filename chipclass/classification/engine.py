"""Classification: the rule set in force, compiled into vectorised predicates over metrics.

Each condition of a clause is evaluated on a whole column at once with three-valued
(Kleene) logic: true, false, or unknown where an input it needs is missing (NaN). A clause
is true when all its conditions are, false when any is, unknown otherwise. Clauses are
taken in the rule file's order; the **first clause that is not false decides**: true gives
``controlled`` with that clause, unknown gives ``indeterminate`` with the missing inputs
named. Exclusions (the non-datacenter note) take rows out of the clauses they list.

Thresholds compare with a relative tolerance of 1e-12, so a value that only misses a
threshold by unit-conversion rounding (0.6 PFLOPS x 8 against 4800) counts as on it.

Margins are ``metric - threshold`` in the metric's canonical unit, one column per distinct
threshold of the rule set (``margin_tpp_4800``): positive means at or above it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chipclass.core.catalogue import DEVICE_TYPES, Catalogue
from chipclass.core.formats import BIT_LENGTH, FORMATS
from chipclass.core.metrics import (best_format, dense_throughput, memory_bandwidth_density,
                      performance_density, tpp_per_format)
from chipclass.classification.ladder import fill_systems, ladder
from chipclass.classification.logic import STATUS, Truth, all_of, label_codes, restrict
from chipclass.classification.result import Classification
from chipclass.rules.instruments import Clause, Condition, RuleSet

__all__ = ["compute_metrics", "Evaluation", "evaluate", "classify", "class_codes", "STATUS"]

class FormatCodes:
    """The format that gave each row's TPP, without pandas: ``.codes`` (int8, -1 none),
    ``.categories`` (format names), and ``[i]`` the name or None (as a Categorical reads)."""

    __slots__ = ("codes", "categories")

    def __init__(self, codes, categories):
        self.codes, self.categories = np.asarray(codes), list(categories)

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, i):
        c = int(self.codes[i])
        return None if c < 0 else self.categories[c]


def compute_metrics(cat: Catalogue, bit_lengths: dict[str, int] | None = None) -> dict[str, np.ndarray]:
    """All metrics of a catalogue, as float64 arrays (plus ``tpp_format`` and ``tpp_<format>``).

    Memory bandwidth density uses ``package_area``; for ``hbm`` rows without one, the
    ``die_area`` column is taken as the stack footprint.
    """
    v = cat.values
    has = cat.headers
    given = {f: dense_throughput(v[f] if f in has else np.broadcast_to(np.nan, len(cat)),
                                 v[f"{f}_sparse"] if f"{f}_sparse" in has else None)
             for f in FORMATS if f in has or f"{f}_sparse" in has}
    bits = {**BIT_LENGTH, **(bit_lengths or {})}
    if given:
        tpp, which, names = best_format(given, bits)
    else:
        tpp, which, names = np.full(len(cat), np.nan), np.full(len(cat), -1, np.int8), []
    area = np.where(np.isnan(v["package_area"]) & (cat.device_type == DEVICE_TYPES.index("hbm")), v["die_area"],
                    v["package_area"])
    m = {
        "tpp": tpp,
        "tpp_format": FormatCodes(which, list(names)),
        "performance_density": performance_density(tpp, v["die_area"]),
        "memory_bandwidth_density": memory_bandwidth_density(v["memory_bandwidth"], area),
        "interconnect_bandwidth": v["interconnect_bandwidth"],
        "memory_bandwidth": v["memory_bandwidth"],
        "memory": v["memory"],
        "die_area": v["die_area"],
        "package_area": area,
        "datacenter": cat.datacenter,
        "throughput": tpp,
        # highest dense TOPS/TFLOPS of any format, no bit-length weighting (3A991.p note 3)
        "tops": (np.fmax.reduce(np.vstack(list(given.values())), axis=0) if given
                 else np.full(len(cat), np.nan)),
    }
    for f, t in given.items():
        m[f"tpp_{f}"] = tpp_per_format(t, bits[f])
    return m


@dataclass
class Evaluation:
    """Per-clause and per-condition truth of a rule set over a catalogue."""

    rules: RuleSet
    metrics: dict[str, np.ndarray]
    conditions: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]]  # (clause id, k) -> (true, known)
    clause_true: dict[str, np.ndarray]     # after exclusions
    clause_false: dict[str, np.ndarray]
    excluded_by: dict[str, np.ndarray]     # exclusion id -> rows it took out of a clause
    clause_missing: dict[str, np.ndarray] = None  # clause id -> inputs its unknown rows lack (bits)


def _applies(c, device_type: np.ndarray) -> np.ndarray:
    """Rows of the device types a clause applies to (a system row's specs are those of its IC)."""
    applies = np.zeros(len(device_type), dtype=bool)
    for a in c.applies_to:
        applies |= device_type == DEVICE_TYPES.index(a)
        if a == "processor":
            applies |= device_type == DEVICE_TYPES.index("system")
    return applies


def _clause(c, m, device_type, conds, known_cache=None, missing: bool = True) -> Truth:
    record: dict = {}
    t = all_of(c.conditions, m, len(device_type), known_cache, record, missing)
    conds.update({(c.id, k): v for k, v in record.items()})
    return restrict(t, _applies(c, device_type)) if isinstance(c, Clause) else t


def evaluate(rules: RuleSet, m: dict[str, np.ndarray], device_type: np.ndarray,
             missing: bool = True) -> Evaluation:
    """Evaluate every clause and exclusion of ``rules`` on the metric columns ``m``
    (``missing=False``: the inputs unknown rows lack are not named; ``clause_missing`` is None)."""
    conds: dict = {}
    known: dict = {}
    ex = {e.id: (e, _clause(e, m, device_type, conds, known, missing)) for e in rules.exclusions}
    clause_true, clause_false, clause_missing = {}, {}, {}
    excluded_by = {e.id: np.zeros(len(device_type), dtype=bool) for e in rules.exclusions}
    for c in rules.clauses:
        t = _clause(c, m, device_type, conds, known, missing)
        true, false = t.true, t.false
        for eid, (e, et) in ex.items():
            if c.id in e.excludes:
                excluded_by[eid] |= et.true & ~false
                true = true & et.false
                false = false | et.true
        clause_true[c.id], clause_false[c.id], clause_missing[c.id] = true, false, t.missing
    return Evaluation(rules, m, conds, clause_true, clause_false, excluded_by,
                      clause_missing if missing else None)


#: Rows evaluated at a time: columns of this many float64 stay in cache, so large catalogues
#: score as fast per row as small ones.
CHUNK = 1 << 18


def _decide(ev: Evaluation, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(clause code, status code, missing bits) of each row: the first clause not false decides,
    true gives ``controlled`` with it, unknown ``indeterminate`` (missing bits None when
    ``ev`` was evaluated without naming them)."""
    clause_code = np.full(n, -1, dtype=np.int16)
    status = np.zeros(n, dtype=np.int8)
    missing_bits = None if ev.clause_missing is None else np.zeros(n, dtype=np.int16)
    undecided = np.ones(n, dtype=bool)
    for i, c in enumerate(ev.rules.clauses):
        true = undecided & ev.clause_true[c.id]
        unknown = undecided & ~ev.clause_true[c.id] & ~ev.clause_false[c.id]
        clause_code[true] = i
        status[true] = 1
        status[unknown] = 2
        if missing_bits is not None:
            missing_bits[unknown] |= ev.clause_missing[c.id][unknown]
        undecided &= ~(true | unknown)
    return clause_code, status, missing_bits


def class_codes(cat: Catalogue, rules: RuleSet, bit_lengths: dict[str, int] | None = None) -> np.ndarray:
    """Each row's class as a code into clause ids + :data:`STATUS` (the clause that decided, else
    the status: :func:`~chipclass.classification.logic.label_codes`), decided exactly as
    :func:`classify` decides, :data:`CHUNK` rows at a time, without what only reports need (the
    missing inputs, margins, the ECCN ladder). For callers that evaluate many probe points."""
    cat = fill_systems(cat)
    n = len(cat)
    out = np.empty(n, dtype=np.int32)
    for start in range(0, n, CHUNK):
        part = cat if n <= CHUNK else cat.slice(start, min(n, start + CHUNK))
        ev = evaluate(rules, compute_metrics(part, bit_lengths), part.device_type, missing=False)
        clause, status, _ = _decide(ev, len(part))
        out[start:start + len(part)] = label_codes(clause, status, len(rules.clauses))
    return out


def _codes(cat: Catalogue, rules: RuleSet, bit_lengths, m=None) -> dict[str, np.ndarray]:
    """The numeric result columns (metrics, margins, codes) of one chunk."""
    m = compute_metrics(cat, bit_lengths) if m is None else m
    ev = evaluate(rules, m, cat.device_type)
    n = len(cat)
    clause_code, status, missing_bits = _decide(ev, n)
    note_code = np.full(n, -1, dtype=np.int16)
    for j, e in enumerate(rules.exclusions):
        note_code[ev.excluded_by[e.id] & (status == 0)] = j
    out = {"tops": m["tops"], "tpp": m["tpp"], "tpp_format": np.asarray(m["tpp_format"].codes),
           "performance_density": m["performance_density"],
           "memory_bandwidth_density": m["memory_bandwidth_density"],
           "clause": clause_code, "status": status, "missing": missing_bits, "note": note_code}
    for metric, value, _given in rules.thresholds():
        out[f"margin_{metric}_{value:g}"] = m[metric] - value
    return out


def classify(cat: Catalogue, rules: RuleSet, bit_lengths: dict[str, int] | None = None,
             metrics: dict[str, np.ndarray] | None = None) -> Classification:
    """Classify every row of a catalogue under ``rules``.

    Returns a :class:`~chipclass.classification.result.Classification`: codes and float64
    arrays, evaluated :data:`CHUNK` rows at a time into preallocated columns;
    ``.to_frame()`` gives the display table. ``metrics``, from :func:`compute_metrics` on the
    same catalogue and bit lengths, saves computing them again (callers that also need the
    per-format TPP).
    """
    filled = fill_systems(cat)
    if filled is not cat:
        cat, metrics = filled, None
    n = len(cat)
    if n <= CHUNK:
        cols = _codes(cat, rules, bit_lengths, metrics)
    else:
        cols = None
        for start in range(0, n, CHUNK):
            part = _codes(cat.slice(start, min(n, start + CHUNK)), rules, bit_lengths)
            if cols is None:
                cols = {k: np.empty(n, dtype=v.dtype) for k, v in part.items()}
            for k, v in part.items():
                cols[k][start:start + len(v)] = v
    formats = [f for f in FORMATS if f in cat.headers or f"{f}_sparse" in cat.headers]
    cl = Classification(
        catalogue=cat, rules=rules, bit_lengths=dict(bit_lengths or {}), formats=formats,
        tpp=cols["tpp"], tpp_format=cols["tpp_format"], performance_density=cols["performance_density"],
        memory_bandwidth_density=cols["memory_bandwidth_density"], clause=cols["clause"],
        status=cols["status"], missing=cols["missing"], note=cols["note"],
        margins={k: v for k, v in cols.items() if k.startswith("margin_")}, tops=cols["tops"])
    ladder(cl)
    return cl
