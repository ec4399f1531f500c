"""The foundry due-diligence presumption (Note 1 to 3A090.a; 90 FR 5298, dates moved by 91 FR 17851).

Question answered per design and date: *would a front-end fabricator or OSAT have to presume
this IC is 3A090.a (and designed or marketed for datacenters), and what overcomes it?*

Every figure comes from the ``[foundry.*]`` tables of the rule files in force (merged by key, so
91 FR 17851 moves the authorized-designer date without an engine edit):

- the presumption applies to a logic IC (``processor`` or ``system`` rows) made at the
  ``node_max`` node or below (``process_node`` [nm]) **or** with non-planar transistors
  (``non_planar``); unknown when neither can be read;
- it is overcome by (a) a TPP/PD attestation from an **approved** designer (Supplement No. 6),
  or from an **authorized** designer before ``authorized_until`` (after it only one that has
  applied to become approved, for ``applicant_days`` after applying); or by (b)/(c) an attested
  aggregated approximated transistor count below ``transistors_any`` (any IC, any year), or,
  for an IC without HBM, below the figure for the year of the transaction (``no_hbm_*``);
- the count is ``transistor_count`` [billion] when given, else the approximation the technical
  note allows: ``transistor_density`` [million transistors per mm**2, a pass-through column]
  x ``die_area`` [mm**2] (an upper bound; chipclass sums the dies given in die_area).

``designer`` is the designer's status: ``approved``, ``authorized`` (meets Note 1 a.(2)),
``applicant`` (authorized and has applied; ``applied_on`` dates the application) or ``none``.
The answer binds only the fabricator/OSAT: anyone else classifies by the specs.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from chipclass.core.errors import RuleDataError
from chipclass.rules.instruments import as_date, rules_in_force

__all__ = ["presumption", "DESIGNERS"]

DESIGNERS = ("approved", "authorized", "applicant", "none")


def _figures(rules):
    figs = rules.foundry
    if not figs:
        raise RuleDataError(f"no [foundry] figures in the rules in force on {rules.as_of.isoformat()} "
                            "(Note 1 to 3A090.a starts with 90 FR 5298, effective 2025-01-16)")
    for key in ("node_max", "transistors_any", "authorized_until", "applicant_days"):
        if key not in figs:
            raise RuleDataError(f"{figs[next(iter(figs))][1].path}: no [foundry.{key}] figure")
    return figs


def _count_limit(figs, year: int, has_hbm: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Transistor-count threshold [billion] per row for a transaction in ``year``, and citations."""
    rec, inst = figs["transistors_any"]
    limit = np.full(len(has_hbm), rec.value)
    cites = [f"{rec.value:g} bn: {rec.citation} [{rec.confidence or inst.confidence}]"]
    for key, (r, i) in figs.items():
        if key.startswith("no_hbm") and r.years and r.years[0] <= year <= r.years[-1]:
            limit = np.where(has_hbm == 0, np.maximum(limit, r.value), limit)  # unknown HBM: the strict one
            cites.append(f"{r.value:g} bn without HBM in {year}: {r.citation} [{r.confidence or i.confidence}]")
    return limit, cites


def _designer_ok(figs, day: dt.date, designer: str, applied_on: dt.date | None) -> tuple[bool, str]:
    until = figs["authorized_until"][0].date
    days = figs["applicant_days"][0].value
    if designer == "approved":
        return True, "an approved IC designer (Supplement No. 6 to part 740) attests TPP and PD"
    if designer == "authorized":
        if day < until:
            return True, f"an authorized IC designer attests TPP and PD (authorized status runs before {until})"
        return False, (f"authorized status ended: from {until} only a designer that has applied to become "
                       "approved counts (Note 1 a.(3))")
    if designer == "applicant":
        if day < until:
            return True, f"an authorized IC designer attests TPP and PD (before {until})"
        if applied_on is None:
            return False, f"needs the application date: status lapses {days:g} days after applying"
        end = applied_on + dt.timedelta(days=int(days))
        if day < end:
            return True, f"an applicant designer attests TPP and PD (applied {applied_on}, status until {end})"
        return False, f"applicant status lapsed {end} ({days:g} days after applying {applied_on})"
    return False, "no approved or authorized designer's attestation"


def _density(cat) -> np.ndarray:
    """``transistor_density`` in million per mm² through the cell grammar (its own unit allowed,
    e.g. ``98 million/mm**2`` or ``9.8e7 1/mm**2``; a bare number is million/mm²); a cell a
    catalogue would refuse is refused with its file, row and column."""
    from chipclass.core.cells import numeric_column
    from chipclass.core.systems import find_column

    h = find_column(cat.extra.column_names, "transistor_density")
    if h is None:
        return np.full(len(cat), np.nan)
    col = cat.extra.column(h)
    per_mm2 = numeric_column(col, "density", None, "million/mm**2", source=cat.source, column=h, offset=cat.offset)
    return per_mm2 / 1e6


def presumption(data, as_of=None, *, designer: str = "none", applied_on=None,
                rules_dir: str | None = None) -> pd.DataFrame:
    """One row per design: does the presumption apply, does it stand, and what overcomes it.

    Columns: ``name applies count_bn count_source count_limit_bn count_overcomes designer
    designer_overcomes presumed_3a090a overcome_by needs citations``. ``applies`` and
    ``presumed_3a090a`` are nullable booleans (null: cannot decide, ``needs`` names the input).
    """
    from chipclass.core.catalogue import DEVICE_TYPES
    from chipclass.core.readers import load

    if designer not in DESIGNERS:
        raise ValueError(f"designer must be one of {DESIGNERS}")
    day = as_date(as_of)
    rules = rules_in_force(day, rules_dir)
    figs = _figures(rules)
    cat = load(data)
    v = cat.values
    n = len(cat)
    node_rec = figs["node_max"][0]
    node, planar_flag = v["process_node"], v["non_planar"]
    logic = cat.device_type != DEVICE_TYPES.index("hbm")
    small = node <= node_rec.value * (1 + 1e-12)
    applies_true = logic & (small | (planar_flag == 1))
    applies_false = ~logic | ((node > node_rec.value * (1 + 1e-12)) & (planar_flag == 0))
    applies_unknown = ~applies_true & ~applies_false

    dens = _density(cat)
    approx = dens * v["die_area"] / 1000.0  # million/mm**2 x mm**2 -> billion
    given = ~np.isnan(v["transistor_count"])
    count = np.where(given, v["transistor_count"], approx)
    source = np.where(given, "given", np.where(np.isnan(approx), "unknown",
                                              "approximated: transistor_density x die_area (an upper bound)"))
    limit, cites = _count_limit(figs, day.year, v["has_hbm"])
    count_ok = count < limit * (1 - 1e-12)
    count_unknown = np.isnan(count)
    d_ok, d_reason = _designer_ok(figs, day, designer, as_date(applied_on) if applied_on else None)
    # An attestation must show the IC is NOT 3A090.a: a design whose own specs meet 3A090.a
    # cannot be attested out of it (and is 3A090.a for everyone, presumption or not).
    from chipclass.classification.engine import classify

    cl = classify(cat, rules)
    is_a = np.char.startswith(cl.eccn_text(), "3A090.a")
    base_ok = d_ok
    d_ok = np.where(is_a, False, d_ok)
    d_reason = np.where(is_a & base_ok, "its own specs meet 3A090.a: no attestation can say otherwise",
                        np.where(base_ok & (cl.status != 1), d_reason + ", showing TPP and PD outside 3A090.a",
                                 d_reason)).astype(object)

    presumed = np.where(applies_false, False, ~(count_ok | d_ok))
    unknown = (applies_unknown & ~(count_ok | d_ok)) | (applies_true & count_unknown & ~d_ok)
    needs = np.where(applies_unknown, "process_node or non_planar", "")
    needs = np.where(applies_true & count_unknown & ~d_ok,
                     "transistor_count (or transistor_density and die_area); until confirmed the IC is presumed 3A090.a",
                     needs)
    # Note 1 d.: a count the fabricator cannot confirm leaves the presumption standing
    presumed = np.where(applies_true & count_unknown & ~d_ok, True, presumed)
    unknown &= ~(applies_true & count_unknown)
    how = []
    for k in range(n):
        routes = []
        if d_ok[k]:
            routes.append(str(d_reason[k]))
        if count_ok[k]:
            routes.append(f"an attested aggregated approximated transistor count of {count[k]:g} bn, below "
                          f"{limit[k]:g} bn (fabricator packaging outside Macau/D:5, or an approved OSAT)")
        how.append("; ".join(routes))
    until = figs["authorized_until"]
    return pd.DataFrame({
        "name": cat.names.reset_index(drop=True),
        "as_of": day.isoformat(),
        "applies": pd.array(np.where(applies_unknown, None, applies_true), dtype="boolean"),
        "has_hbm": v["has_hbm"], "count_bn": count, "count_source": source, "count_limit_bn": limit,
        "count_overcomes": count_ok, "designer": designer, "designer_overcomes": d_ok,
        "specs_3a090a": is_a,
        "designer_note": d_reason,
        "presumed_3a090a": pd.array(np.where(unknown, None, presumed), dtype="boolean"),
        "overcome_by": np.where(np.asarray(how) == "", None, np.asarray(how, dtype=object)),
        "needs": np.where(needs == "", None, needs),
        "citations": "; ".join(cites + [f"authorized designers before {until[0].date}: {until[0].citation}",
                                         f"{node_rec.citation} [{node_rec.confidence}]"]),
    })
