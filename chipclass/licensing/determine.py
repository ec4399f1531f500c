"""Licence determination: does shipping this device there, on that date, need a licence?

The rule files (``chipclass/rules/*.toml``) carry, beside their 3A090 clauses, the licence
requirements they impose (``[[license]]``), the licence review policies (``[[review]]``),
the licence exceptions (``[[exception]]``), the records they replace (``replaces``) and the
instruments they stop enforcing (``suspends``). For a date, the records of every instrument in
force are composed in effective-date order; a licence is required when **any** record covers
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

import datetime as dt
import functools
import re
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

from chipclass.classification.engine import classify
from chipclass.rules.countries import CountryGroups, Selector, country_code, country_groups
from chipclass.core import schema
from chipclass.rules.instruments import Condition, as_date, compile_conditions, load_instruments, rules_in_force

__all__ = ["Record", "records_in_force", "tier_of", "determine", "VIEWS"]

VIEWS = ("enforced", "written")


@dataclass(frozen=True)
class Record:
    kind: str               # license | review | exception
    id: str
    instrument: str
    eccn: tuple[str, ...]   # paragraph prefixes ('3A090.a', '3A090')
    to: Selector | None
    hq: Selector | None
    requires_hq: Selector | None
    items: tuple[tuple[str, bool | None], ...]
    conditions: tuple[Condition, ...]
    basis: str
    policy: str
    section: str
    text: str
    notification: str
    confidence: str
    still_enforced: bool

    def label(self) -> str:
        if self.kind == "exception":
            extra = f", {self.notification}" if self.notification else ""
            return f"{self.id} ({self.section}{extra})"
        return self.basis


def _parse_records(inst, groups: CountryGroups) -> list[Record]:
    """The licence, review and exception records of one instrument, selectors resolved."""
    out = []
    f = inst.file
    for kind, recs in (("license", f.license), ("review", f.review), ("exception", f.exception)):
        for k, rec in enumerate(recs):
            where = f"{inst.path}: {kind}[{k}]"
            sel = {key: Selector.parse(getattr(rec, key), f"{where}.{key}", groups)
                   if getattr(rec, key, None) is not None else None for key in ("to", "hq", "requires_hq")}
            items = tuple((i.eccn, i.datacenter) for i in getattr(rec, "items", ()))
            eccn = tuple(getattr(rec, "eccn", ())) or tuple(dict.fromkeys(i[0] for i in items))
            out.append(Record(kind, rec.id, inst.id, eccn, sel["to"], sel["hq"], sel["requires_hq"],
                              items or tuple((e, None) for e in eccn),
                              compile_conditions(inst.path, f"{kind}[{k}]", rec.conditions),
                              " ".join(getattr(rec, "basis", "").split()),
                              " ".join(getattr(rec, "policy", "").split()), getattr(rec, "section", ""),
                              " ".join(getattr(rec, "text", "").split()), getattr(rec, "notification", ""),
                              rec.confidence or inst.confidence, rec.still_enforced))
    return out


@functools.lru_cache(maxsize=8)
def _all_records(directory: str | None = None):
    groups = country_groups(directory)
    return {inst.id: _parse_records(inst, groups) for inst in load_instruments(directory)}


@functools.lru_cache(maxsize=256)
def records_in_force(day: dt.date, view: str = "enforced", directory: str | None = None):
    """(records, instruments used, suspended instrument ids) in force on ``day`` in ``view``."""
    if view not in VIEWS:
        raise ValueError(f"view must be one of {VIEWS}")
    insts = [i for i in load_instruments(directory) if i.in_force(day)]
    suspended = {s for i in insts for s in i.file.suspends}
    records: dict[tuple[str, str], Record] = {}
    used = []
    for inst in insts:
        # A suspended instrument's `replaces` still applies: what replaces the old records is
        # marked `still_enforced` where enforcement continued.
        for rid in inst.file.replaces:
            for kind in ("license", "review", "exception"):
                records.pop((kind, rid), None)
        for r in _all_records(directory)[inst.id]:
            if view == "enforced" and inst.id in suspended and not r.still_enforced:
                continue
            records[(r.kind, r.id)] = r
        used.append(inst)
    return list(records.values()), tuple(used), frozenset(suspended)


def tier_of(code: str, day: dt.date, directory: str | None = None) -> tuple[int | None, object]:
    """AI Diffusion tier (1, 2, 3) of a country on ``day`` and the instrument, or (None, None)
    when no tier system is written into the CFR on that date."""
    groups = country_groups(directory)
    code = groups.base(code)
    for inst in reversed(load_instruments(directory)):
        tiers = inst.file.tiers
        if tiers and inst.in_force(day):
            if code in tiers.tier1:
                return 1, inst
            if Selector.parse(tiers.tier3, f"{inst.path}: tiers.tier3", groups).matches(code, day, groups):
                return 3, inst
            return 2, inst
    return None, None


def _matches(sel: Selector | None, code: str | None, day, tiers) -> bool:
    return sel is not None and code is not None and sel.matches(code, day, tiers.groups, tiers)


def _cond_mask(conds, metrics, n) -> np.ndarray:
    mask = np.ones(n, dtype=bool)
    from chipclass.classification.engine import _condition
    for c in conds:
        val, _known = _condition(c, metrics)
        mask &= val  # unknown counts as not met
    return mask


def _prefix_mask(eccn: np.ndarray, prefixes) -> np.ndarray:
    out = np.zeros(len(eccn), dtype=bool)
    for p in prefixes:
        out |= (eccn == p) | np.char.startswith(eccn, p + ".")
    return out


def _join_bits(bits: np.ndarray, labels: list[str], sep: str = "; ") -> np.ndarray:
    """Per-row text from a bitmask over ``labels``, built once per distinct mask (None for 0)."""
    out = np.full(len(bits), None, dtype=object)
    for b in np.unique(bits):
        if b:
            out[bits == b] = sep.join(lab for k, lab in enumerate(labels) if int(b) >> k & 1)
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

    eccn = cl.eccn_text()
    controlled, indeterminate = cl.controlled, cl.indeterminate
    dc = cl.catalogue.datacenter.astype(bool)
    lic = [r for r in records if r.kind == "license"]
    rev = [r for r in records if r.kind == "review"]
    exc = [r for r in records if r.kind == "exception"]

    lic_bits = np.zeros(n, dtype=np.int64)
    inst_ids = [i.id for i in used]
    inst_bits = np.full(n, sum(1 << inst_ids.index(i) for i in relied_on if i in inst_ids), dtype=np.int64)
    export = tiers.groups.base(dest) != "US"
    for k, r in enumerate(lic):
        by_dest = _matches(r.to, dest, day, tiers)
        by_hq = _matches(r.hq, hq, day, tiers)
        if not (by_dest or by_hq) or not export:
            continue
        m = controlled & _prefix_mask(eccn, r.eccn) & _cond_mask(r.conditions, metrics, n)
        lic_bits[m] |= 1 << k
        inst_bits[m] |= 1 << inst_ids.index(r.instrument)
    required = lic_bits != 0

    exc_bits = np.zeros(n, dtype=np.int64)
    for k, r in enumerate(exc):
        if not (_matches(r.to, dest, day, tiers) or _matches(r.hq, hq, day, tiers)):
            continue
        if r.requires_hq is not None and not _matches(r.requires_hq, hq, day, tiers):
            continue
        item = np.zeros(n, dtype=bool)
        for e, want_dc in r.items:
            ok = _prefix_mask(eccn, [e])
            if want_dc is not None:
                ok &= dc == bool(want_dc)
            item |= ok
        m = required & item & _cond_mask(r.conditions, metrics, n)
        exc_bits[m] |= 1 << k
        inst_bits[m] |= 1 << inst_ids.index(r.instrument)

    review = np.full(n, -1, dtype=np.int32)
    for k, r in enumerate(rev):  # later instruments come later: the last match wins
        if not (_matches(r.to, dest, day, tiers) or _matches(r.hq, hq, day, tiers)):
            continue
        m = required & _prefix_mask(eccn, r.eccn) & _cond_mask(r.conditions, metrics, n)
        review[m] = k
        inst_bits[m] |= 1 << inst_ids.index(r.instrument)

    lic_req = pd.array(np.where(indeterminate, None, required), dtype="boolean")
    basis = _join_bits(lic_bits, [r.basis for r in lic])
    missing = np.array(["classification indeterminate, missing: " + (m or "") for m in cl.missing_text()],
                       dtype=object)
    basis = np.where(required, basis, np.where(
        indeterminate, missing,
        np.where(controlled, "no licence requirement for this destination and buyer" if export
                 else "not an export (destination is the United States)",
                 "not in ECCN 3A090: no 3A090/4A090 licence requirement")))
    return {
        "license_required": lic_req,
        "basis": basis,
        "exceptions": _join_bits(exc_bits, [r.label() for r in exc], sep=" | "),
        "review_policy": np.asarray([f"{r.policy} [{r.basis}]" for r in rev] + [None], dtype=object)[review],
        "rule_sets": _join_bits(inst_bits, inst_ids, sep="+"),
        "suspended": ", ".join(sorted(suspended)),
    }


def _notes(frame, day, dest, directory) -> np.ndarray:
    n = len(frame)
    notes = np.full(n, "", dtype=object)
    groups = country_groups(directory)
    for note in product_notes(directory):
        if note["date"] > day or not note["to"].matches(dest, day, groups):
            continue
        pattern = "|".join(f"(?:{p})" for p in note["names"])
        hit = frame["name"].astype(str).str.contains(pattern, flags=re.IGNORECASE, regex=True).to_numpy()
        text = f"{note['date'].isoformat()} {note['id']}: {note['text']} ({note['source']}) [{note['confidence']}]"
        notes[hit] = np.where(notes[hit] == "", text, notes[hit] + " | " + text)
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
    return np.where(notes == "", None, notes)


@functools.lru_cache(maxsize=8)
def product_notes(directory: str | None = None) -> list[dict]:
    """Dated product notes (``product_notes.toml`` of the rules directory, else the shipped one)."""
    from pathlib import Path

    name = "product_notes.toml"
    path = Path(directory) / name if directory and (Path(directory) / name).exists() else None
    rec = schema.load(path or resources.files("chipclass").joinpath(f"data/rules/{name}"), schema.ProductNotesFile)
    groups = country_groups(directory)
    where = str(path or f"chipclass/data/rules/{name}")
    return [{"id": n.id, "date": n.date, "names": n.names, "source": n.source, "confidence": n.confidence,
             "text": " ".join(n.text.split()), "to": Selector.parse(n.to, f"{where}: note[{k}].to", groups)}
            for k, n in enumerate(rec.note)]


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
    for d in destinations:
        dest = country_code(d)
        hq = hq_code or dest
        relied = [i.id for i in rules.instruments]
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
            "notes": _notes(frame, day, dest, rules_dir),
            f"{other}_differs": differs,
            f"{other}_license_required": pd.array(np.where(differs, alt["license_required"], None), dtype="boolean"),
            f"{other}_basis": np.where(differs, alt["basis"], None),
            f"{other}_exceptions": np.where(differs, alt["exceptions"], None),
            f"{other}_review_policy": np.where(differs, alt["review_policy"], None),
        })
        if main["suspended"] and view == "enforced":
            part["not_enforced"] = main["suspended"]
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    if "not_enforced" not in out.columns:
        out["not_enforced"] = None
    out["as_of"] = day.isoformat()
    return out
