"""Licence determination: does shipping this device there, on that date, need a licence?

The rule files (``chipclass/data/rules/*.toml``) carry, beside their 3A090 clauses, the licence
requirements they impose (``[[license]]``), the licence review policies (``[[review]]``),
the licence exceptions (``[[exception]]``), the records they replace (``replaces``) and the
instruments they stop enforcing (``suspends``). For a date, the records of every instrument in
force are composed in effective-date order (:mod:`chipclass.rules.licences`); a licence is
required when **any** record covers the device's paragraph and the destination (or the buyer's
headquarters). Every such record is one more entry of the basis list: a part 746 programme is
one more ``[[license]]`` record whose ``scope`` is every CCL item (``ccl``, optionally narrowed by
reasons for control) or every item subject to the EAR (``ear``: it answers even a row whose
classification is undecided).

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

import numpy as np

from chipclass.classification.engine import classify
from chipclass.classification.logic import all_of, under_table
from chipclass.core.errors import RuleDataError
from chipclass.licensing.result import REASONS, LicenceRecords, LicenceResult, LicenceView, NotBinding
from chipclass.rules.countries import country_code, country_groups
from chipclass.rules.instruments import as_date, rules_in_force
from chipclass.rules.licences import VIEWS, binding, product_notes, reasons_for_control, records_in_force, tier_of

__all__ = ["decide", "licences", "VIEWS"]

#: Records of one kind a view can hold (their bits are int64 masks).
MAX_RECORDS = 63


class _Place:
    """A destination and buyer headquarters on a date, in one view: which records cover them."""

    def __init__(self, day, view, dest, hq, directory, suspended):
        self.day, self.dest, self.hq, self.directory = day, dest, hq, directory
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


def _scope_table(r, labels, residual: str | None, reasons: dict) -> np.ndarray:
    """Bool per final-ECCN label (plus the code -1 of an undecided row) of whether a ``ccl`` or
    ``ear`` scoped record covers it (schema.Scope): ``ear`` every item subject to the EAR;
    ``ccl`` a final ECCN known and not the residual EAR99, with ``reasons`` one of its Country
    Chart columns listed. An ECCN whose reasons for control the rule data does not give counts as
    covered: part 746 programmes name nearly every column (docs/regulations.md)."""
    out = []
    for label in labels:
        ok = r.scope == "ear" or (label != "" and label != residual)
        if ok and r.scope == "ccl" and r.reasons:
            keys = [k for k in reasons if label == k or label.startswith(k + ".")]
            ok = not keys or bool(set(reasons[max(keys, key=len)]) & set(r.reasons))
        out.append(ok)
    return np.array(out + [r.scope == "ear"], dtype=bool)


def _item_mask(cl, r, scope_args) -> np.ndarray:
    """Rows a licence or review record covers: its listed paragraphs (of the paragraph a row is
    licensed as: a .z item follows the paragraph it meets) or its scope (the row's own ECCN)."""
    if r.scope == "listed":
        return under_table(cl.final_labels, r.eccn)[cl.licensed_as]
    return _scope_table(r, cl.final_labels, *scope_args)[cl.final]


def _scope_args(cl, day, directory) -> tuple:
    residual = getattr(cl.rules, "residual", None)
    return (residual.eccn if residual is not None else None, reasons_for_control(day, directory))


def _requirements(cl, place, lic, metrics, inst_ids, inst_bits):
    """(licence bits, missing-input bits of records that may apply) per device."""
    n = len(cl)
    scope = _scope_args(cl, place.day, place.directory)
    bits = np.zeros(n, dtype=np.int64)
    unknown = np.zeros(n, dtype=np.int16)
    if not place.export:
        return bits, unknown
    for k, r in enumerate(lic):
        if not place.covers(r):
            continue
        item = _item_mask(cl, r, scope)
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
    scope = _scope_args(cl, place.day, place.directory)
    for k, r in enumerate(rev):
        if not place.covers(r):
            continue
        item = required & _item_mask(cl, r, scope)
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
    reason = np.full(n, REASONS.index("no_requirement" if place.export else "not_export"), dtype=np.int8)
    reason[undecided & place.export] = REASONS.index("no_eccn")  # in priority order, the highest last
    reason[lic_unknown != 0] = REASONS.index("cannot_decide")
    reason[indeterminate] = REASONS.index("indeterminate")
    reason[required] = REASONS.index("required")
    return LicenceView(
        view=view,
        # a requirement covering the row whatever its ECCN (part 746) answers an undecided row too
        required=np.where(required, 1, np.where(indeterminate | (lic_unknown != 0), -1, 0)).astype(np.int8),
        reason=reason, licence=lic_bits,
        missing=np.where(indeterminate, cl.missing, lic_unknown).astype(np.int16),
        exceptions=exc_bits, exceptions_maybe=exc_maybe, review=review, review_missing=review_missing,
        instruments=inst_bits, records=LicenceRecords(tuple(lic), tuple(rev), tuple(exc)),
        instrument_ids=inst_ids, suspended=tuple(sorted(suspended)))


def _note_hits(note, cl, vendor, name):
    """Rows a product note covers by what it says, never a substring of a name: its exact
    catalogue identities (name and vendor), its paragraphs or its criteria (three-valued), the
    latter two only for the vendors it names where a row gives one. (hit, may apply, identity)."""
    n = len(cl)
    ident = np.zeros(n, dtype=bool)
    if note["products"]:
        ident = np.fromiter(((a, b) in note["products"] for a, b in zip(name, vendor)), dtype=bool, count=n)
    vendor_ok = np.isin(vendor, list(note["vendors"])) | (vendor == "") if note["vendors"] else np.ones(n, bool)
    spec = np.zeros(n, dtype=bool)
    maybe = np.zeros(n, dtype=bool)
    if note["eccn"]:
        table = under_table(cl.final_labels, note["eccn"])
        spec |= table[cl.licensed_as] | table[cl.final]
    if note["criteria"]:
        parts = [all_of((c,), cl.metrics(), n) for c in note["criteria"]]
        if note["criteria_match"] == "any":
            true = np.logical_or.reduce([t.true for t in parts])
            maybe = ~true & np.logical_or.reduce([t.unknown for t in parts])
        else:
            true = np.logical_and.reduce([t.true for t in parts])
            maybe = ~true & np.logical_and.reduce([t.true | t.unknown for t in parts])
        spec |= true
    return ident | (spec & vendor_ok), maybe & vendor_ok & ~ident & ~spec, ident


def _notes(cl, day, dest, hq, directory, notes, licensed):
    """(bits over ``notes`` per device, bits of notes that may apply (a figure their criteria
    need is missing), whether a note says a licence is required, the indices of the notes about
    every item, the destination's alias note) for one destination and buyer. A note that itself
    requires a licence (an is-informed letter) reaches by criteria or paragraphs only the rows the
    rules leave without one (``licensed`` False): it cannot change the others' answer."""
    from chipclass.classification.ladder import text_column

    n = len(cl)
    bits = np.zeros(n, dtype=np.int64)
    maybe_bits = np.zeros(n, dtype=np.int64)
    says_licence = np.zeros(n, dtype=bool)
    general = []
    groups = country_groups(directory)
    vendor = text_column(cl.catalogue, "vendor")
    vendor = _norm(vendor if vendor is not None else [""] * n)
    name = _norm(cl.catalogue.names.astype(str))
    for k, note in enumerate(notes):
        if not note["to"].matches(dest, day, groups) or (note["hq"] is not None
                                                         and not note["hq"].matches(hq, day, groups)):
            continue
        if note["general"]:
            general.append(k)
            continue
        hit, maybe, ident = _note_hits(note, cl, vendor, name)
        if note["requires_license"]:
            hit, maybe = hit & (ident | ~licensed), maybe & ~licensed
        bits[hit] |= 1 << k
        maybe_bits[maybe] |= 1 << k
        if note["requires_license"]:
            says_licence |= hit
    alias = groups.aliases.get(dest, (dest, ""))[1] if groups.base(dest) != dest else ""
    return bits, says_licence, tuple(general), alias, maybe_bits


def _norm(values) -> np.ndarray:
    """Names and vendors compared as written, case and spacing aside."""
    return np.asarray([" ".join(str(x).split()).casefold() for x in values], dtype=object)


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
        note_parts.append(_notes(cl, day, dest, hq, rules_dir, notes, mains[-1].required == 1) if detail else None)
    n = len(cl)
    return LicenceResult(
        classification=cl, day=day, destinations=dests, headquarters=tuple(hq_code or d for d in dests),
        views=tuple(mains), others=tuple(alts) if other else None, notes=notes,
        note_bits=np.concatenate([p[0] for p in note_parts]) if detail and dests else np.zeros(0, np.int64),
        note_requires_licence=(np.concatenate([p[1] for p in note_parts]) if detail and dests
                               else np.zeros(len(dests) * n, dtype=bool)),
        general=tuple(p[2] for p in note_parts) if detail else (),
        alias=tuple(p[3] for p in note_parts) if detail else (),
        note_maybe=np.concatenate([p[4] for p in note_parts]) if detail and dests else np.zeros(0, np.int64),
        not_binding=tuple(NotBinding(**b) for b in binding(day, rules_dir)) if view == "enforced" else ())


def decide(data, destinations, headquarters: str | None = None, as_of=None, *, view: str = "enforced",
           rules_dir: str | None = None, bit_lengths: dict | None = None) -> LicenceResult:
    """Load and classify ``data`` (a path, DataFrame or Catalogue) under the rules in force on
    ``as_of`` and decide the licences to ``destinations`` (see :func:`licences`)."""
    from chipclass.core.readers import load

    day = as_date(as_of)
    cl = classify(load(data), rules_in_force(day, rules_dir), bit_lengths)
    return licences(cl, destinations, day, headquarters, view=view, rules_dir=rules_dir)
