"""Licence determination: does shipping this device there, on that date, need a licence?

The rule files (``chipclass/data/rules/*.toml``) carry, beside their 3A090 clauses, the licence
requirements they impose (``[[license]]``), the licence review policies (``[[review]]``),
the licence exceptions (``[[exception]]``), the records they replace (``replaces``) and the
instruments they stop enforcing (``suspends``). For a date, the records of every instrument in
force are composed in effective-date order (:mod:`chipclass.rules.licences`); a licence is required when **any** record covers
the device's paragraph and the destination (or the buyer's headquarters).

Two views are computed: *written* (every instrument in the CFR) and *enforced* (less what
BIS said it would not enforce, e.g. the AI Diffusion rule from 2025-05-13, except records
marked ``still_enforced``). The enforced answer is the default; where the written one
differs it is shown beside it.

Choices: a buyer whose headquarters is not given is taken to be headquartered in the
destination. ``license_required`` means a licence requirement applies; the exceptions that
could authorise the export without a licence are listed beside it. Exports to the US itself
are not exports. A device whose classification is ``indeterminate`` gets no answer (null).

The work is vectorised over devices: Python loops run over destinations and records only.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from chipclass.classification.engine import classify
from chipclass.classification.logic import INPUTS, NEEDS, all_of, under_table
from chipclass.rules.countries import Selector, country_code, country_groups
from chipclass.rules.instruments import as_date, rules_in_force
from chipclass.rules.licences import VIEWS, not_binding, product_notes, records_in_force, tier_of

__all__ = ["determine", "VIEWS"]

def _matches(sel: Selector | None, code: str | None, day, tiers) -> bool:
    return sel is not None and code is not None and sel.matches(code, day, tiers.groups, tiers)


def _cond_mask(conds, metrics, n) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three-valued truth of a record's conditions (the kernel's :func:`all_of`):
    (true, unknown, bitmask over :data:`INPUTS` of the missing inputs of the unknown rows)."""
    t = all_of(conds, metrics, n)
    return t.true, t.unknown, t.missing


def _missing_text(bits: np.ndarray) -> np.ndarray:
    return _join_bits(bits, list(INPUTS), sep=", ")


def _join_bits(bits: np.ndarray, labels: list[str], sep: str = "; ") -> np.ndarray:
    """Per-row text from a bitmask over ``labels``, built once per distinct mask (None for 0)."""
    out = np.full(len(bits), None, dtype=object)
    for b in np.unique(bits):
        if b:
            out[bits == b] = sep.join(lab for k, lab in enumerate(labels) if int(b) >> k & 1)
    return out


def _exceptions_text(bits, maybe, exc):
    """Exception labels; one whose conditions cannot be decided says which inputs it needs."""
    def needs(r):
        return ", ".join(dict.fromkeys(i for c in r.conditions for i in NEEDS[c.metric]))
    labels = [r.label() for r in exc] + [f"{r.label()} [cannot decide: needs {needs(r)}]" for r in exc]
    k = len(exc)
    sure = bits & ~maybe
    return _join_bits(sure | (maybe << k), labels, sep=" | ")


def _review_text(review, review_missing, rev):
    """The review policy of each row; where the last policy that may apply has a condition whose
    input is missing: 'cannot decide: needs memory_bandwidth (... if met) [basis]'."""
    table = np.asarray([f"{r.policy} [{r.basis}]" for r in rev] + [None], dtype=object)
    out = table[review]
    if review_missing.any():
        need = _missing_text(review_missing)
        for i in np.flatnonzero(review_missing):
            r = rev[review[i]]
            cond = " and ".join(c.describe() for c in r.conditions)
            out[i] = f"cannot decide: needs {need[i]} ({r.policy} if {cond}) [{r.basis}]"
    return out


def _view(cl, day, view, dest, hq, directory, relied_on=()):
    """Vectorised determination for all devices of a Classification, one destination, one view."""
    n = len(cl)
    metrics = cl.metrics()
    records, used, suspended = records_in_force(day, view, directory)
    def tiers(code):
        tier, inst = tier_of(code, day, directory)
        return tier if inst is not None and (view == "written" or inst.id not in suspended) else None
    tiers.groups = country_groups(directory)

    para = cl.licensed_as   # a .z item follows the paragraph it meets (codes into final_labels)
    final = cl.final_text()
    indeterminate = cl.indeterminate
    allowed = cl.rules.exceptions_allowed
    dc = cl.catalogue.datacenter.astype(bool)
    lic = [r for r in records if r.kind == "license"]
    rev = [r for r in records if r.kind == "review"]
    exc = [r for r in records if r.kind == "exception"]

    lic_bits = np.zeros(n, dtype=np.int64)
    lic_unknown = np.zeros(n, dtype=np.int16)  # missing inputs of a licence record that may apply
    inst_ids = [i.id for i in used]
    inst_bits = np.full(n, sum(1 << inst_ids.index(i) for i in relied_on if i in inst_ids), dtype=np.int64)
    export = tiers.groups.base(dest) != "US"
    for k, r in enumerate(lic):
        by_dest = _matches(r.to, dest, day, tiers)
        by_hq = _matches(r.hq, hq, day, tiers)
        if not (by_dest or by_hq) or not export:
            continue
        item = under_table(cl.final_labels, r.eccn)[para]
        true, unknown, miss = _cond_mask(r.conditions, metrics, n)
        m = item & true
        lic_bits[m] |= 1 << k
        inst_bits[m] |= 1 << inst_ids.index(r.instrument)
        lic_unknown[item & unknown] |= miss[item & unknown]
    required = lic_bits != 0
    lic_unknown[required] = 0

    exc_bits = np.zeros(n, dtype=np.int64)
    exc_maybe = np.zeros(n, dtype=np.int64)
    for k, r in enumerate(exc):
        if not (_matches(r.to, dest, day, tiers) or _matches(r.hq, hq, day, tiers)):
            continue
        if r.requires_hq is not None and not _matches(r.requires_hq, hq, day, tiers):
            continue
        item = np.zeros(n, dtype=bool)
        for e, want_dc in r.items:
            ok = under_table(cl.final_labels, [e])[para]
            if want_dc is not None:
                ok &= dc == bool(want_dc)
            item |= ok
        if allowed:  # 740.2(a)(9)(ii): a paragraph with a list may use only the exceptions on it
            item &= np.asarray([p not in allowed or r.id in allowed[p] for p in cl.final_labels] + [True])[cl.final]
        true, unknown, _ = _cond_mask(r.conditions, metrics, n)
        m = required & item & (true | unknown)  # an exception that may apply is listed (below: '?')
        exc_bits[m] |= 1 << k
        exc_maybe[required & item & unknown] |= 1 << k
        inst_bits[m] |= 1 << inst_ids.index(r.instrument)

    review = np.full(n, -1, dtype=np.int32)
    review_missing = np.zeros(n, dtype=np.int16)  # the last matching policy may apply: inputs needed
    for k, r in enumerate(rev):  # later instruments come later: the last match wins
        if not (_matches(r.to, dest, day, tiers) or _matches(r.hq, hq, day, tiers)):
            continue
        item = required & under_table(cl.final_labels, r.eccn)[para]
        true, unknown, miss = _cond_mask(r.conditions, metrics, n)
        review[item & true] = k
        review_missing[item & true] = 0
        review[item & unknown] = k
        review_missing[item & unknown] = miss[item & unknown]
        inst_bits[item & (true | unknown)] |= 1 << inst_ids.index(r.instrument)

    lic_req = pd.array(np.where(indeterminate | (lic_unknown != 0), None, required), dtype="boolean")
    basis = _join_bits(lic_bits, [r.basis for r in lic])
    missing = np.array(["classification indeterminate, missing: " + (m or "") for m in cl.missing_text()],
                       dtype=object)
    cannot = np.asarray(["cannot decide: needs " + (m or "") for m in _missing_text(lic_unknown)], dtype=object)
    basis = np.where(required, basis, np.where(
        indeterminate, missing, np.where(lic_unknown != 0, cannot,
        np.where(not export, "not an export (destination is the United States)",
                 np.where(final == "", "not in ECCN 3A090 (ECCN below it not decided): no 3A090/4A090 licence "
                          "requirement", np.char.add(final.astype(str), ": no licence requirement for this "
                                                     "destination and buyer").astype(object))))))
    return {
        "license_required": lic_req,
        "basis": basis,
        "exceptions": _exceptions_text(exc_bits, exc_maybe, exc),
        "review_policy": _review_text(review, review_missing, rev),
        "rule_sets": _join_bits(inst_bits, inst_ids, sep="+"),
        "suspended": ", ".join(sorted(suspended)),
    }


def _notes(frame, day, dest, hq, directory) -> tuple[np.ndarray, np.ndarray, str | None]:
    """(notes text or None, whether a note says a licence is required) per row, and the general
    notes (about every item) for this destination and buyer."""
    n = len(frame)
    notes = np.full(n, "", dtype=object)
    says_licence = np.zeros(n, dtype=bool)
    general = []
    groups = country_groups(directory)
    for note in product_notes(directory):
        if note["date"] > day or (note["until"] is not None and day >= note["until"]):
            continue
        if not note["to"].matches(dest, day, groups) or (note["hq"] is not None and not note["hq"].matches(hq, day, groups)):
            continue
        if note["general"]:
            until = f" (until {note['until'].isoformat()})" if note["until"] else ""
            general.append(f"{note['date'].isoformat()} {note['id']}{until}: {note['text']} ({note['source']}) "
                           f"[{note['confidence']}]")
            continue
        pattern = "|".join(f"(?:{p})" for p in note["names"])
        hit = frame["name"].astype(str).str.contains(pattern, flags=re.IGNORECASE, regex=True).to_numpy()
        text = f"{note['date'].isoformat()} {note['id']}: {note['text']} ({note['source']}) [{note['confidence']}]"
        notes[hit] = np.where(notes[hit] == "", text, notes[hit] + " | " + text)
        if note["requires_license"]:
            says_licence |= hit
    base = (groups.base(dest), groups.aliases.get(dest, (dest, ""))[1])
    extra = []
    if base[0] != dest:
        extra.append(base[1])
    embargo = [g for g in ("E:1", "E:2") if groups.in_group(base[0], g, day)]
    if embargo:
        extra.append(f"{dest} is in Country Group {'/'.join(embargo)}: embargo and sanctions rules "
                     "(15 CFR part 746) require licences for most items regardless of 3A090.")
    if extra:
        text = " ".join(extra)
        notes = np.where(notes == "", text, notes + " | " + text)
    return np.where(notes == "", None, notes), says_licence, (" | ".join(general) or None)


def determine(data, destinations, headquarters: str | None = None, as_of=None, *,
              view: str = "enforced", rules_dir: str | None = None, bit_lengths: dict | None = None) -> pd.DataFrame:
    """One row per device x destination: whether a licence is required, why, and what could
    authorise it. See the module docstring for the choices made.

    ``view`` picks the primary answer (``enforced`` by default); the other view's answer is in
    the ``written_*`` (or ``enforced_*``) columns where it differs.
    """
    from chipclass.core.readers import load

    day = as_date(as_of)
    rules = rules_in_force(day, rules_dir)
    cat = load(data)
    cl = classify(cat, rules, bit_lengths)
    frame = cl.to_frame()
    hq_code = country_code(headquarters) if headquarters else None
    other = "written" if view == "enforced" else "enforced"
    parts = []
    for dest in dict.fromkeys(country_code(d) for d in destinations):  # CN and China are one destination
        hq = hq_code or dest
        relied = [i.id for i in rules.instruments]
        notes, says_licence, general = _notes(frame, day, dest, hq, rules_dir)
        main = _view(cl, day, view, dest, hq, rules_dir, relied)
        alt = _view(cl, day, other, dest, hq, rules_dir, relied)
        differs = ((main["license_required"].fillna(False).to_numpy() != alt["license_required"].fillna(False).to_numpy())
                   | (np.asarray(main["exceptions"], dtype=object) != np.asarray(alt["exceptions"], dtype=object))
                   | (np.asarray(main["review_policy"], dtype=object) != np.asarray(alt["review_policy"], dtype=object)))
        part = pd.DataFrame({
            "name": frame["name"], "destination": dest, "headquarters": hq,
            "eccn": frame["eccn"], "clause": frame["clause"], "status": frame["status"],
            "license_required": main["license_required"], "basis": main["basis"],
            "exceptions": main["exceptions"], "review_policy": main["review_policy"],
            "rule_sets": main["rule_sets"],
            "enforced": view == "enforced",
            "notes": notes,
            "note_requires_license": says_licence,
            "general_notes": general,
            f"{other}_differs": differs,
            f"{other}_license_required": pd.array(np.where(differs, alt["license_required"], None), dtype="boolean"),
            f"{other}_basis": np.where(differs, alt["basis"], None),
            f"{other}_exceptions": np.where(differs, alt["exceptions"], None),
            f"{other}_review_policy": np.where(differs, alt["review_policy"], None),
        })
        if main["suspended"] and view == "enforced":
            why = not_binding(day, rules_dir)
            part["not_enforced"] = "; ".join(f"{i} ({why.get(i, 'suspended')})"
                                             for i in main["suspended"].split(", "))
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    if "not_enforced" not in out.columns:
        out["not_enforced"] = None
    out["as_of"] = day.isoformat()
    return out
