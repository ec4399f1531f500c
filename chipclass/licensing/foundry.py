"""The foundry due-diligence presumption: would a front-end fabricator or OSAT have to presume
this IC is the paragraph the rule data names (and designed or marketed for datacenters), and
what overcomes it?

Every figure comes from the ``[foundry.*]`` tables of the rule files in force (merged by key, so
a later instrument moves the authorized-designer date without an engine edit):

- ``presumed``: the paragraph presumed and the provision's citation;
- the presumption applies to a logic IC (``processor`` or ``system`` rows) made at the
  ``node_max`` node or below (``process_node`` [nm]) **or** with non-planar transistors
  (``non_planar``); unknown when neither can be read;
- it is overcome by (a) a TPP/PD attestation from an **approved** designer
  (``approved_designers``), or from an **authorized** designer before ``authorized_until``
  (after it only one that has applied to become approved, for ``applicant_days`` after
  applying); or by (b)/(c) an attested aggregated approximated transistor count below
  ``transistors_any`` (any IC, any year), or, for an IC without HBM, below the figure for the
  year of the transaction (``no_hbm_*``);
- the count is ``transistor_count`` [billion] when given, else the approximation the technical
  note allows: ``transistor_density`` [million transistors per mm**2, a pass-through column] x ``die_area`` [mm**2] (an upper bound; chipclass sums the dies given).

``designer`` is the designer's status: ``approved``, ``authorized``, ``applicant`` (authorized
and has applied; ``applied_on`` dates the application) or ``none``. The answer binds only the
fabricator/OSAT: anyone else classifies by the specs. The result is codes and figures
(:class:`FoundryResult`); :mod:`chipclass.outputs.foundry` says it in words.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from chipclass.classification.engine import classify
from chipclass.classification.ladder import text_column
from chipclass.classification.logic import falls_under_any
from chipclass.core.catalogue import DEVICE_TYPES
from chipclass.core.errors import RuleDataError
from chipclass.rules.instruments import as_date, load_instruments, rules_in_force

__all__ = ["presumption", "DESIGNERS", "FoundryResult", "DESIGNER_REASONS"]

DESIGNERS = ("approved", "authorized", "applicant", "none")
#: Reason codes of the designer route (``FoundryResult.frame["designer_reason"]``).
DESIGNER_REASONS = ("approved", "authorized", "authorized_ended", "applicant_before", "applicant_no_date",
                    "applicant", "applicant_lapsed", "none", "own_specs")
REQUIRED = ("presumed", "approved_designers", "node_max", "transistors_any", "authorized_until", "applicant_days")


@dataclass
class FoundryResult:
    """The presumption per design as codes and figures.

    ``frame`` columns: ``name as_of applies has_hbm count_bn count_source (given | approximated
    | unknown) count_limit_bn count_overcomes designer designer_overcomes specs_presumed
    designer_reason (a code of DESIGNER_REASONS) outside_shown (the attestation shows the specs
    outside the paragraph) presumed needs (node | count | None)``; ``applies`` and ``presumed``
    are nullable booleans. ``figures`` are the ``[foundry.*]`` records in force (key -> (record,
    instrument)); ``dates`` the designer route's dates (``until``, ``days``, ``applied_on``, ``end``).
    """

    frame: pd.DataFrame
    figures: dict
    dates: dict
    day: dt.date
    no_hbm: list


def _figures(rules, directory):
    figs = rules.foundry
    if not figs:
        first = next((i for i in load_instruments(directory) if i.file.foundry), None)
        since = f" (they start with {first.citation}, effective {first.effective.isoformat()})" if first else ""
        raise RuleDataError(f"no [foundry] figures in the rules in force on {rules.as_of.isoformat()}{since}")
    for key in REQUIRED:
        if key not in figs:
            raise RuleDataError(f"{figs[next(iter(figs))][1].path}: no [foundry.{key}] figure")
    return figs


def _count_limit(figs, year: int, has_hbm: np.ndarray) -> tuple[np.ndarray, list]:
    """Transistor-count threshold [billion] per row for a transaction in ``year``, and the keys of
    the no-HBM figures that applied."""
    limit = np.full(len(has_hbm), figs["transistors_any"][0].value)
    used = []
    for key, (r, _i) in figs.items():
        if key.startswith("no_hbm") and r.years and r.years[0] <= year <= r.years[-1]:
            limit = np.where(has_hbm == 0, np.maximum(limit, r.value), limit)  # unknown HBM: the strict one
            used.append(key)
    return limit, used


def _designer_ok(figs, day: dt.date, designer: str, applied_on: dt.date | None) -> tuple[bool, str, dict]:
    """(the designer's attestation counts, its reason code, the dates the reason names)."""
    until = figs["authorized_until"][0].date
    days = figs["applicant_days"][0].value
    dates = {"until": until, "days": days, "applied_on": applied_on, "end": None}
    if designer == "approved":
        return True, "approved", dates
    if designer == "authorized":
        return (True, "authorized", dates) if day < until else (False, "authorized_ended", dates)
    if designer == "applicant":
        if day < until:
            return True, "applicant_before", dates
        if applied_on is None:
            return False, "applicant_no_date", dates
        dates["end"] = applied_on + dt.timedelta(days=int(days))
        return (True, "applicant", dates) if day < dates["end"] else (False, "applicant_lapsed", dates)
    return False, "none", dates


def _count(cat, n):
    """(transistor count [billion], its source code) per row."""
    v = cat.values
    density = text_column(cat, "transistor_density")
    dens = (pd.to_numeric(pd.Series(density), errors="coerce").to_numpy(dtype=float) if density is not None
            else np.full(n, np.nan))
    approx = dens * v["die_area"] / 1000.0  # million/mm**2 x mm**2 -> billion
    given = ~np.isnan(v["transistor_count"])
    count = np.where(given, v["transistor_count"], approx)
    source = np.where(given, "given", np.where(np.isnan(approx), "unknown", "approximated"))
    return count, source


def presumption(data, as_of=None, *, designer: str = "none", applied_on=None,
                rules_dir: str | None = None) -> FoundryResult:
    """One row per design: does the presumption apply, does it stand, and what overcomes it
    (see :class:`FoundryResult`)."""
    from chipclass.core.readers import load

    if designer not in DESIGNERS:
        raise ValueError(f"designer must be one of {DESIGNERS}")
    day = as_date(as_of)
    rules = rules_in_force(day, rules_dir)
    figs = _figures(rules, rules_dir)
    cat = load(data)
    v, n = cat.values, len(cat)
    node_max = figs["node_max"][0].value * (1 + 1e-12)
    logic = cat.device_type != DEVICE_TYPES.index("hbm")
    applies_true = logic & ((v["process_node"] <= node_max) | (v["non_planar"] == 1))
    applies_false = ~logic | ((v["process_node"] > node_max) & (v["non_planar"] == 0))
    applies_unknown = ~applies_true & ~applies_false

    count, source = _count(cat, n)
    limit, no_hbm = _count_limit(figs, day.year, v["has_hbm"])
    count_ok = count < limit * (1 - 1e-12)
    count_unknown = np.isnan(count)
    base_ok, base_code, dates = _designer_ok(figs, day, designer, as_date(applied_on) if applied_on else None)
    # An attestation must show the IC is NOT the presumed paragraph: a design whose own specs
    # meet it cannot be attested out of it (and is that paragraph for everyone).
    cl = classify(cat, rules)
    is_p = falls_under_any(cl.eccn_text(), [figs["presumed"][0].paragraph])
    d_ok = np.where(is_p, False, base_ok)
    reason = np.where(is_p & base_ok, "own_specs", base_code).astype(object)
    outside_shown = base_ok & ~is_p & (cl.status != 1)

    presumed = np.where(applies_false, False, ~(count_ok | d_ok))
    unknown = (applies_unknown & ~(count_ok | d_ok)) | (applies_true & count_unknown & ~d_ok)
    needs = np.where(applies_unknown, "node", None).astype(object)
    # Note 1 d.: a count the fabricator cannot confirm leaves the presumption standing
    standing = applies_true & count_unknown & ~d_ok
    needs[standing] = "count"
    presumed = np.where(standing, True, presumed)
    unknown &= ~(applies_true & count_unknown)
    frame = pd.DataFrame({
        "name": cat.names.reset_index(drop=True), "as_of": day.isoformat(),
        "applies": pd.array(np.where(applies_unknown, None, applies_true), dtype="boolean"),
        "has_hbm": v["has_hbm"], "count_bn": count, "count_source": source, "count_limit_bn": limit,
        "count_overcomes": count_ok, "designer": designer, "designer_overcomes": d_ok, "specs_presumed": is_p,
        "designer_reason": reason, "outside_shown": outside_shown,
        "presumed": pd.array(np.where(unknown, None, presumed), dtype="boolean"), "needs": needs})
    return FoundryResult(frame, figs, dates, day, no_hbm)
