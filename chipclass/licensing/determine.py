"""Licence determination: does shipping this device there, on that date, need a licence?

The rule files (``chipclass/data/rules/*.toml``) carry, beside their 3A090 clauses, the licence
requirements they impose (``[[license]]``), the licence review policies (``[[review]]``),
the licence exceptions (``[[exception]]``), the records they replace (``replaces``) and the
instruments they stop enforcing (``suspends``). For a date, the records of every instrument in
force are composed in effective-date order (:mod:`chipclass.rules.licences`); a licence is
required when **any** record covers the device's paragraph and the destination (or the buyer's
headquarters). Every such record is one more entry of the basis list: an embargo programme is
one more ``[[license]]`` record (``eccn = ["*"]`` covers every decided ECCN).

Two views are computed: *written* (every instrument in the CFR) and *enforced* (less what
BIS said it would not enforce, e.g. the AI Diffusion rule from 2025-05-13, except records
marked ``still_enforced``). The enforced answer is the default; where the written one
differs it is kept beside it.

Choices: a buyer whose headquarters is not given is taken to be headquartered in the
destination. A licence is *required* when a requirement applies; the exceptions that could
authorise the export without a licence are listed beside it. Exports to the US itself are not
exports. A device whose classification is ``indeterminate`` gets no answer (unknown).

The answer is a :class:`~chipclass.licensing.result.LicenceResult` (codes, bitmasks, record
ids); :mod:`chipclass.outputs.licence` makes its table and sentences. The work is vectorised
over devices: Python loops run over destinations and records only.
"""

from __future__ import annotations

import re

import numpy as np

from chipclass.classification.engine import classify
from chipclass.classification.logic import all_of, under_table
from chipclass.core.errors import RuleDataError
from chipclass.licensing.result import REASONS, LicenceRecords, LicenceResult, LicenceView, NotBinding
from chipclass.rules.countries import country_code, country_groups
from chipclass.rules.instruments import as_date, rules_in_force
from chipclass.rules.licences import VIEWS, binding, product_notes, records_in_force, tier_of

__all__ = ["decide", "licences", "VIEWS"]

#: Records of one kind a view can hold (their bits are int64 masks).
MAX_RECORDS = 63


class _Place:
    """A destination and buyer headquarters on a date, in one view: which records cover them."""

    def __init__(self, day, view, dest, hq, directory, suspended):
        self.day, self.dest, self.hq = day, dest, hq
        self.groups = country_groups(directory)
        self.export = self.groups.base(dest) != "US"

        def tiers(code):
            tier, inst = tier_of(code, day, directory)
            return tier if inst is not None and (view == "written" or inst.id not in suspended) else None
        tiers.groups = self.groups
        self.tiers = tiers

    def selects(self, sel, code) -> bool:
        return sel is not None and code is not None and sel.matches(code, self.day, self.groups, self.tiers)

    def covers(self, r) -> bool:
        """The record covers the destination or the buyer's headquarters."""
        return self.selects(r.to, self.dest) or self.selects(r.hq, self.hq)


def _bits_guard(records, kind: str) -> None:
    if len(records) > MAX_RECORDS:
        raise RuleDataError(f"more than {MAX_RECORDS} [[{kind}]] records in force on one date "
                            f"({len(records)}): chipclass keeps them as 64-bit masks")


def _requirements(cl, place, lic, metrics, inst_ids, inst_bits):
    """(licence bits, missing-input bits of records that may apply) per device."""
    n = len(cl)
    bits = np.zeros(n, dtype=np.int64)
    unknown = np.zeros(n, dtype=np.int16)
    if not place.export:
        return bits, unknown
    for k, r in enumerate(lic):
        if not place.covers(r):
            continue
        item = under_table(cl.final_labels, r.eccn)[cl.licensed_as]  # a .z item follows its paragraph
        t = all_of(r.conditions, metrics, n)
        m = item & t.true
        bits[m] |= 1 << k
        inst_bits[m] |= 1 << inst_ids.index(r.instrument)
        unknown[item & t.unknown] |= t.missing[item & t.unknown]
    unknown[bits != 0] = 0
    return bits, unknown


def _exceptions(cl, place, exc, metrics, required, inst_ids, inst_bits):
    """(bits of exceptions that may apply, bits of those whose conditions cannot be decided)."""
    n = len(cl)
    bits = np.zeros(n, dtype=np.int64)
    maybe = np.zeros(n, dtype=np.int64)
    allowed = cl.rules.exceptions_allowed
    dc = cl.catalogue.datacenter.astype(bool)
    for k, r in enumerate(exc):
        if not place.covers(r) or (r.requires_hq is not None and not place.selects(r.requires_hq, place.hq)):
            continue
        item = np.zeros(n, dtype=bool)
        for e, want_dc in r.items:
            ok = under_table(cl.final_labels, [e])[cl.licensed_as]
            if want_dc is not None:
                ok &= dc == bool(want_dc)
            item |= ok
        if allowed:  # a paragraph with a list of allowed exceptions may use only those on it
            item &= np.asarray([p not in allowed or r.id in allowed[p] for p in cl.final_labels] + [True])[cl.final]
        t = all_of(r.conditions, metrics, n)
        m = required & item & (t.true | t.unknown)  # an exception that may apply is listed
        bits[m] |= 1 << k
        maybe[required & item & t.unknown] |= 1 << k
        inst_bits[m] |= 1 << inst_ids.index(r.instrument)
    return bits, maybe


def _reviews(cl, place, rev, metrics, required, inst_ids, inst_bits):
    """(index of the review policy, missing-input bits where it may apply) per device; later
    instruments come later, so the last match wins."""
    n = len(cl)
    review = np.full(n, -1, dtype=np.int16)
    missing = np.zeros(n, dtype=np.int16)
    for k, r in enumerate(rev):
        if not place.covers(r):
            continue
        item = required & under_table(cl.final_labels, r.eccn)[cl.licensed_as]
        t = all_of(r.conditions, metrics, n)
        review[item & t.true] = k
        missing[item & t.true] = 0
        review[item & t.unknown] = k
        missing[item & t.unknown] = t.missing[item & t.unknown]
        inst_bits[item & (t.true | t.unknown)] |= 1 << inst_ids.index(r.instrument)
    return review, missing


def _view(cl, day, view, dest, hq, directory, relied_on=(), detail=True) -> LicenceView:
    """One destination, one view, every device of a Classification."""
    n = len(cl)
    metrics = cl.metrics()
    records, used, suspended = records_in_force(day, view, directory)
    place = _Place(day, view, dest, hq, directory, suspended)
    lic = [r for r in records if r.kind == "license"]
    rev = [r for r in records if r.kind == "review"] if detail else []
    exc = [r for r in records if r.kind == "exception"] if detail else []
    for kind, recs in (("license", lic), ("review", rev), ("exception", exc)):
        _bits_guard(recs, kind)
    inst_ids = tuple(i.id for i in used)
    inst_bits = np.full(n, sum(1 << inst_ids.index(i) for i in relied_on if i in inst_ids), dtype=np.int64)

    lic_bits, lic_unknown = _requirements(cl, place, lic, metrics, inst_ids, inst_bits)
    required = lic_bits != 0
    exc_bits, exc_maybe = _exceptions(cl, place, exc, metrics, required, inst_ids, inst_bits)
    review, review_missing = _reviews(cl, place, rev, metrics, required, inst_ids, inst_bits)

    indeterminate = cl.indeterminate
    undecided = cl.final < 0
    reason = np.select([required, indeterminate, lic_unknown != 0, np.full(n, not place.export), undecided],
                       [REASONS.index(x) for x in REASONS[:5]], REASONS.index("no_requirement")).astype(np.int8)
    return LicenceView(
        view=view,
        required=np.where(indeterminate | (lic_unknown != 0), -1, required).astype(np.int8),
        reason=reason, licence=lic_bits,
        missing=np.where(indeterminate, cl.missing, lic_unknown).astype(np.int16),
        exceptions=exc_bits, exceptions_maybe=exc_maybe, review=review, review_missing=review_missing,
        instruments=inst_bits, records=LicenceRecords(tuple(lic), tuple(rev), tuple(exc)),
        instrument_ids=inst_ids, suspended=tuple(sorted(suspended)))


def _notes(cl, day, dest, hq, directory, notes):
    """(bits over ``notes`` per device, whether a note says a licence is required, the indices of
    the notes about every item, the destination's alias note) for one destination and buyer."""
    n = len(cl)
    bits = np.zeros(n, dtype=np.int64)
    says_licence = np.zeros(n, dtype=bool)
    general = []
    groups = country_groups(directory)
    names = None
    for k, note in enumerate(notes):
        if not note["to"].matches(dest, day, groups) or (note["hq"] is not None
                                                         and not note["hq"].matches(hq, day, groups)):
            continue
        if note["general"]:
            general.append(k)
            continue
        if names is None:
            names = cl.catalogue.names.astype(str)
        pattern = "|".join(f"(?:{p})" for p in note["names"])
        hit = names.str.contains(pattern, flags=re.IGNORECASE, regex=True).to_numpy()
        bits[hit] |= 1 << k
        if note["requires_license"]:
            says_licence |= hit
    alias = groups.aliases.get(dest, (dest, ""))[1] if groups.base(dest) != dest else ""
    return bits, says_licence, tuple(general), alias


def _notes_in_force(day, directory) -> tuple:
    notes = tuple(n for n in product_notes(directory)
                  if n["date"] <= day and (n["until"] is None or day < n["until"]))
    _bits_guard(notes, "note")
    return notes


def licences(cl, destinations, day, headquarters=None, *, view: str = "enforced", rules_dir=None,
             other: bool = True, detail: bool = True) -> LicenceResult:
    """The licence answers for every device of a Classification and every destination.

    ``other`` also computes the other view (and where it differs); ``detail`` computes
    exceptions, review policies and notes (a sweep needs only whether a licence is required).
    """
    if view not in VIEWS:
        raise ValueError(f"view must be one of {VIEWS}")
    day = as_date(day)
    hq_code = country_code(headquarters) if headquarters else None
    dests = tuple(dict.fromkeys(country_code(d) for d in destinations))  # CN and China are one
    relied = [i.id for i in cl.rules.instruments]
    alt_name = VIEWS[1 - VIEWS.index(view)]
    notes = _notes_in_force(day, rules_dir) if detail else ()
    mains, alts, note_parts = [], [], []
    for dest in dests:
        hq = hq_code or dest
        mains.append(_view(cl, day, view, dest, hq, rules_dir, relied, detail))
        if other:
            alts.append(_view(cl, day, alt_name, dest, hq, rules_dir, relied, detail))
        note_parts.append(_notes(cl, day, dest, hq, rules_dir, notes) if detail else None)
    n = len(cl)
    main = _concat(mains)
    alt = _concat(alts) if other else None
    return LicenceResult(
        classification=cl, day=day, destinations=dests,
        headquarters=tuple(hq_code or d for d in dests),
        device=np.tile(np.arange(n), len(dests)), destination=np.repeat(np.arange(len(dests)), n),
        view=main, other=alt, differs=None if alt is None else ~main.same_answer(alt),
        notes=notes,
        note_bits=np.concatenate([p[0] for p in note_parts]) if detail and dests else np.zeros(0, np.int64),
        note_requires_licence=(np.concatenate([p[1] for p in note_parts]) if detail and dests
                               else np.zeros(len(dests) * n, dtype=bool)),
        general=tuple(p[2] for p in note_parts) if detail else (),
        alias=tuple(p[3] for p in note_parts) if detail else (),
        not_binding=tuple(NotBinding(**b) for b in binding(day, rules_dir)) if view == "enforced" else ())


def _concat(views: list[LicenceView]) -> LicenceView:
    """One view over the rows of several destinations (records and instruments of a date are
    the same for every destination)."""
    if not views:
        return _concat_empty()
    first = views[0]
    arrays = {k: np.concatenate([getattr(v, k) for v in views])
              for k in ("required", "reason", "licence", "missing", "exceptions", "exceptions_maybe", "review",
                        "review_missing", "instruments")}
    return LicenceView(view=first.view, records=first.records, instrument_ids=first.instrument_ids,
                       suspended=first.suspended, **arrays)


def _concat_empty() -> LicenceView:
    z = np.zeros(0, dtype=np.int64)
    return LicenceView("enforced", z.astype(np.int8), z.astype(np.int8), z, z.astype(np.int16), z, z,
                       z.astype(np.int16), z.astype(np.int16), z, LicenceRecords(), ())


def decide(data, destinations, headquarters: str | None = None, as_of=None, *, view: str = "enforced",
           rules_dir: str | None = None, bit_lengths: dict | None = None) -> LicenceResult:
    """Load and classify ``data`` (a path, DataFrame or Catalogue) under the rules in force on
    ``as_of`` and decide the licences to ``destinations`` (see :func:`licences`)."""
    from chipclass.core.readers import load

    day = as_date(as_of)
    cl = classify(load(data), rules_in_force(day, rules_dir), bit_lengths)
    return licences(cl, destinations, day, headquarters, view=view, rules_dir=rules_dir)
