"""The decision kernel: three-valued conditions, paragraph matching and status/label codes.

Every engine that decides (the classifier, the ECCN ladder, licensing, sweeps, the envelope,
``--fail-on``) decides with these few functions, so a rule means the same everywhere.

**Three-valued truth.** A condition (``metric op threshold``) over a column is *true*, *false*,
or *unknown* where an input it needs is missing (NaN). A list of conditions that must all hold
(:func:`all_of`) is true when all are, false when any is, unknown otherwise (Kleene logic); a
list of which one suffices (:func:`any_of`) is true when any is, false when all are. The
result carries the bitmask over :data:`INPUTS` of the inputs whose absence left a row unknown.
Thresholds compare with a relative tolerance of :data:`ROUNDING`, so a value that only misses a
threshold by unit-conversion rounding (0.6 PFLOPS x 8 against 4800) counts as on it.

**Paragraph matching.** A label (clause id, ECCN, paragraph) *falls under* a selector when it
equals it or starts with the selector and a dot: ``3A090.a.1`` falls under ``3A090.a`` and
``3A090``, not under ``3A09``.

**Status and label codes.** Each row's status is a code into :data:`STATUS`; the "clause,
else status" label every report shows is a code into ``clause ids + STATUS``
(:func:`label_codes`, :func:`label_table`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chipclass.core.metric_table import NEEDS as METRIC_NEEDS

__all__ = ["ROUNDING", "STATUS", "STATUSES", "INPUTS", "NEEDS", "Truth", "condition", "all_of", "any_of",
           "needs", "bit_names", "falls_under", "under_table", "falls_under_any", "label_table",
           "label_codes", "selector_hits"]

#: Relative tolerance of threshold comparisons (rounding of unit conversion, not a threshold).
ROUNDING = 1e-12
#: Status codes -> text.
STATUS = ("not controlled", "controlled", "indeterminate")
#: Statuses a ``--fail-on`` selector may name.
STATUSES = ("controlled", "indeterminate", "not controlled")
#: Inputs whose absence makes a metric unknown, in the order they are named in messages.
INPUTS = ("throughput", "die_area", "package_area", "memory_bandwidth", "interconnect_bandwidth",
          "memory")
#: The inputs each metric a condition may name is computed from (data/metrics.toml).
NEEDS = METRIC_NEEDS


@dataclass
class Truth:
    """Three-valued truth over a column: ``true``, ``false`` (bool arrays; neither = unknown) and
    ``missing``, the bitmask over :data:`INPUTS` of the inputs an unknown row lacks (0 elsewhere;
    None when the caller did not ask for it)."""

    true: np.ndarray
    false: np.ndarray
    missing: np.ndarray

    @property
    def unknown(self) -> np.ndarray:
        """Rows neither true nor false (an input the condition needs is missing), as a bool array."""
        return ~self.true & ~self.false


def needs(metric: str) -> int:
    """Bitmask over :data:`INPUTS` of the inputs ``metric`` is computed from."""
    return sum(1 << INPUTS.index(i) for i in NEEDS[metric] if i in INPUTS)


def bit_names(bits: int, names=INPUTS) -> tuple[str, ...]:
    """The names of the set bits of ``bits`` (over ``names``, in their order)."""
    return tuple(x for k, x in enumerate(names) if int(bits) >> k & 1)


def condition(cond, m: dict, known_cache: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(true, known) of one condition (``metric op value``) over the metric columns ``m``;
    NaN (missing) is never true. ``known_cache`` shares the ``~isnan`` of each metric."""
    x = m[cond.metric]
    t = cond.value
    tol = ROUNDING * abs(t)
    known = None if known_cache is None else known_cache.get(cond.metric)
    if known is None:
        known = ~np.isnan(x)
        if known_cache is not None:
            known_cache[cond.metric] = known
    if cond.op == ">=":
        return x >= t - tol, known  # comparisons with NaN are False already
    if cond.op == ">":
        return x > t + tol, known
    if cond.op == "<=":
        return x <= t + tol, known
    if cond.op == "<":
        return x < t - tol, known
    if cond.op == "==":
        return np.abs(x - t) <= tol, known
    return (np.abs(x - t) > tol) & known, known


def _missing_of(cond, m: dict, known: np.ndarray, n: int) -> np.ndarray:
    """Bits of the inputs of ``cond`` that are missing on the rows where it is unknown."""
    out = np.zeros(n, dtype=np.int16)
    for inp in NEEDS[cond.metric]:
        col = m.get(inp)
        lacks = ~known if col is None else ~known & np.isnan(col)
        out[lacks] |= 1 << INPUTS.index(inp)
    return out


def all_of(conds, m: dict, n: int, known_cache: dict | None = None, record: dict | None = None,
           missing: bool = True) -> Truth:
    """Kleene AND of ``conds`` over ``n`` rows (no conditions: true everywhere). ``record``, if
    given, receives ``k -> (true, known)`` of each condition (what explanations show).
    ``missing=False`` skips naming the missing inputs (``Truth.missing`` is then None): for
    callers that need only the truth (headroom's class codes)."""
    true = np.ones(n, dtype=bool)
    false = np.zeros(n, dtype=bool)
    lacks = np.zeros(n, dtype=np.int16) if missing else None
    for k, c in enumerate(conds):
        val, known = condition(c, m, known_cache)
        if record is not None:
            record[k] = (val, known)
        true &= val
        false |= known & ~val
        if missing and not known.all():
            lacks |= _missing_of(c, m, known, n)
    if not missing:
        return Truth(true, false, None)
    unknown = ~true & ~false
    return Truth(true, false, np.where(unknown, lacks, 0).astype(np.int16))


def any_of(conds, m: dict, n: int) -> Truth:
    """Kleene OR of ``conds`` over ``n`` rows (no conditions: false everywhere)."""
    true = np.zeros(n, dtype=bool)
    false = np.ones(n, dtype=bool)
    missing = np.zeros(n, dtype=np.int16)
    for c in conds:
        val, known = condition(c, m)
        true |= val
        false &= known & ~val
        if not known.all():
            missing |= _missing_of(c, m, known, n)
    unknown = ~true & ~false
    return Truth(true, false, np.where(unknown, missing, 0).astype(np.int16))


def restrict(t: Truth, applies: np.ndarray) -> Truth:
    """``t`` where ``applies``, false elsewhere (``missing`` stays None when not named)."""
    lacks = None if t.missing is None else np.where(applies, t.missing, 0).astype(np.int16)
    return Truth(t.true & applies, t.false | ~applies, lacks)


# --- paragraph / selector matching ------------------------------------------------------------
def falls_under(label: str, selector: str, fold_case: bool = False) -> bool:
    """Whether ``label`` equals ``selector`` or lies under it (``3A090.a.1`` under ``3A090.a``)."""
    if fold_case:
        label, selector = label.upper(), selector.upper()
    return label == selector or label.startswith(selector + ".")


def under_table(labels, selectors, fold_case: bool = False) -> np.ndarray:
    """Bool per label (plus a final False for code -1) of whether it falls under any selector:
    index it with codes into ``labels`` to match whole columns without string work per row."""
    return np.array([any(falls_under(str(x), s, fold_case) for s in selectors) for x in labels] + [False],
                    dtype=bool)


def falls_under_any(values: np.ndarray, selectors, fold_case: bool = False) -> np.ndarray:
    """Vectorised :func:`falls_under` over a text column: whether each value falls under any
    selector (matched once per distinct value)."""
    values = np.asarray(values, dtype=object)
    if not len(values):
        return np.zeros(0, dtype=bool)
    distinct, codes = np.unique(values.astype(str), return_inverse=True)
    return under_table(list(distinct), selectors, fold_case)[codes.reshape(-1)]


# --- status and label codes --------------------------------------------------------------------
def label_table(clause_ids) -> list[str]:
    """The labels :func:`label_codes` indexes: every clause id, then every status."""
    return list(clause_ids) + list(STATUS)


def label_codes(clause: np.ndarray, status: np.ndarray, n_clauses: int) -> np.ndarray:
    """Each row's label as a code into :func:`label_table`: its clause where one decided,
    else its status ("clause, else status")."""
    clause = np.asarray(clause)
    return np.where(clause >= 0, clause, n_clauses + np.asarray(status)).astype(np.int32)


def selector_hits(status: np.ndarray, coded, selectors, fold_case: bool = False) -> np.ndarray:
    """Rows whose status equals a selector naming a status, or one of whose coded labels falls
    under a selector. ``coded`` is a list of ``(labels, codes)`` (code -1: none)."""
    status = np.asarray(status)
    hit = np.zeros(len(status), dtype=bool)
    for s in selectors:
        if s in STATUSES:
            hit |= status == STATUS.index(s)
            continue
        for labels, codes in coded:
            hit |= under_table(labels, [s], fold_case)[np.asarray(codes)]
    return hit
