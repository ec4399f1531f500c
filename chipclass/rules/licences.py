"""Licence data composed by date: the ``[[license]]``, ``[[review]]`` and ``[[exception]]``
records of the rule files, the instruments that replace or suspend others, AI Diffusion tiers
and dated product notes. :mod:`chipclass.licensing.determine` decides with them.

Two views: *written* (every instrument in the CFR on the date, from its effective date) and
*enforced* (less the records of instruments BIS said it would not enforce, except records marked
``still_enforced``; and an instrument's requirements bind only from its ``compliance`` date, so
before it neither its records nor its ``replaces`` apply). The AI Diffusion rule needed no
compliance before 2025-05-15 and was not enforced from 2025-05-13: in the enforced view it never
bound anyone, except the records BIS said stayed enforced.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from importlib import resources

from chipclass.core import schema
from chipclass.rules.countries import CountryGroups, Selector, country_groups
from chipclass.rules.instruments import Condition, compile_conditions, load_instruments

__all__ = ["VIEWS", "Record", "records_in_force", "tier_of", "product_notes"]

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
    stance: str = ""        # review records: approval | denial | case-by-case | not determined


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
                              rec.confidence or inst.confidence, rec.still_enforced,
                              getattr(rec, "stance", "")))
    return out


@functools.lru_cache(maxsize=8)
def _all_records(directory: str | None = None):
    groups = country_groups(directory)
    return {inst.id: _parse_records(inst, groups) for inst in load_instruments(directory)}


@functools.lru_cache(maxsize=256)
def records_in_force(day: dt.date, view: str = "enforced", directory: str | None = None):
    """(records, instruments used, instrument ids not enforced) in force on ``day`` in ``view``.

    The third item holds the instruments suspended by another (BIS non-enforcement) and those
    in force whose compliance date has not come (:func:`not_binding` says which is which).
    """
    if view not in VIEWS:
        raise ValueError(f"view must be one of {VIEWS}")
    insts = [i for i in load_instruments(directory) if i.in_force(day)]
    suspended = {s for i in insts for s in i.file.suspends}
    pending = {i.id for i in insts if i.compliance is not None and day < i.compliance}
    records: dict[tuple[str, str], Record] = {}
    used = []
    for inst in insts:
        if view == "enforced" and inst.id in pending:
            continue  # no compliance required yet: neither its records nor its `replaces` bind
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
    return list(records.values()), tuple(used), frozenset(suspended | pending)


def binding(day: dt.date, directory: str | None = None) -> list[dict]:
    """Instruments in force on ``day`` that do not bind in the enforced view, as records:
    ``{instrument, kind: pending, effective, until}`` (no compliance required before ``until``)
    or ``{instrument, kind: suspended, since, by, citation}`` (not enforced from ``since`` by the
    instrument ``by``, whose citation is given)."""
    insts = [i for i in load_instruments(directory) if i.in_force(day)]
    by = {s: i for i in insts for s in i.file.suspends}
    out = []
    for i in insts:
        if i.compliance is not None and day < i.compliance:
            out.append({"instrument": i.id, "kind": "pending", "effective": i.effective, "until": i.compliance})
        if i.id in by:
            out.append({"instrument": i.id, "kind": "suspended", "since": by[i.id].effective, "by": by[i.id].id,
                        "citation": by[i.id].citation})
    return out


def not_binding(day: dt.date, directory: str | None = None) -> dict[str, list[dict]]:
    """:func:`binding` grouped by instrument id."""
    out: dict[str, list[dict]] = {}
    for b in binding(day, directory):
        out.setdefault(b["instrument"], []).append(b)
    return out


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
             "text": " ".join(n.text.split()), "requires_license": n.requires_license, "general": n.general,
             "until": n.until, "hq": Selector.parse(n.hq, f"{where}: note[{k}].hq", groups) if n.hq else None, "to": Selector.parse(n.to, f"{where}: note[{k}].to", groups)}
            for k, n in enumerate(rec.note)]
