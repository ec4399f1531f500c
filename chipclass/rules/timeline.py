"""The timeline of the rule data: every instrument (and every dated Country Group move and product
note) with its dates, its status on a date and what it changed, as typed records. The words and
tables are made in :mod:`chipclass.outputs.timeline`.

Status codes (:data:`STATUS`) on a date:

``future``        not yet in force (effective date after the date)
``in_force``      in force and binding
``not_enforced``  written but not enforced: in force, compliance not yet required
``suspended``     in force but not enforced, by an instrument that ``suspends`` it
``superseded``    in force but everything it stated has been replaced by later instruments
``ended``         past its ``ends`` date (a note past its ``until``)

An instrument is *superseded* when none of its clauses, exclusions, licence, review or exception
records, ladder entries, foundry or Diffusion figures, tiers or programme still applies on the
date (in the written view): e.g. the October 2022 3A090 text after 88 FR 73458 replaced it, where
the instrument states nothing else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from chipclass.rules.countries import country_groups
from chipclass.rules.instruments import as_date, first_effective, load_instruments, rules_in_force
from chipclass.rules.licences import product_notes, records_in_force

__all__ = ["STATUS", "Change", "Entry", "Difference", "timeline", "diff"]

STATUS = ("future", "in_force", "not_enforced", "suspended", "superseded", "ended")


@dataclass(frozen=True)
class Change:
    """One thing an instrument states: ``kind`` (clause, exclusion, license, review, exception,
    remove, replaces, suspends, foundry, diffusion, tiers, ladder, reasons, programme,
    country_group), the record's ``id`` and its data as written (``detail``), with confidence."""
    kind: str
    id: str
    detail: str
    confidence: str


@dataclass(frozen=True)
class Entry:
    """An instrument (``kind`` instrument), a Country Group move or a product note on the timeline."""
    kind: str
    id: str
    title: str
    citation: str
    fr_doc: str
    published: dt.date | None
    effective: dt.date
    compliance: dt.date | None
    ends: dt.date | None
    suspended_by: str | None
    suspended_from: dt.date | None
    status: str
    confidence: str
    changes: tuple[Change, ...]

    def to_dict(self) -> dict:
        """The entry as plain JSON types (dates as ISO text, changes as dicts)."""
        def iso(d):
            return d.isoformat() if d else None
        return {"kind": self.kind, "id": self.id, "title": self.title, "citation": self.citation,
                "fr_doc": self.fr_doc or None, "published": iso(self.published), "effective": iso(self.effective),
                "compliance": iso(self.compliance), "ends": iso(self.ends), "suspended_by": self.suspended_by,
                "suspended_from": iso(self.suspended_from), "status": self.status, "confidence": self.confidence,
                "changes": [c.__dict__ for c in self.changes]}


@dataclass(frozen=True)
class Difference:
    """What differs between two dates: an entry whose status changed (or a composed clause or
    threshold that appeared or went), ``before``/``after`` status codes (None: absent)."""
    kind: str
    id: str
    citation: str
    before: str | None
    after: str | None
    changes: tuple[Change, ...]


def _conds(conds) -> str:
    return " and ".join(f"{c.metric} {c.op} {c.value:g}{(' ' + c.unit) if c.unit else ''}" for c in conds)


def _changes(inst, groups) -> tuple[Change, ...]:
    """What one instrument states, record by record (data as written in its file)."""
    f, conf = inst.file, inst.confidence
    out = [Change("clause", c.id, f"{c.eccn}: {_conds(c.conditions)}", c.confidence or conf) for c in f.clause]
    out += [Change("exclusion", e.id, f"excludes {', '.join(e.excludes)} when {_conds(e.conditions)}",
                   e.confidence or conf) for e in f.exclusion]
    out += [Change("remove", r, "clause removed", conf) for r in f.remove]
    for kind, recs in (("license", f.license), ("review", f.review)):
        out += [Change(kind, r.id, r.basis if kind == "license" else f"{r.policy} [{r.basis}]", r.confidence or conf)
                for r in recs]
    out += [Change("exception", r.id, f"{r.section}: {r.text}", r.confidence or conf) for r in f.exception]
    out += [Change("replaces", r, "record replaced", conf) for r in f.replaces]
    out += [Change("suspends", r, "instrument not enforced from this date", conf) for r in f.suspends]
    for kind, figs in (("foundry", f.foundry), ("diffusion", f.diffusion)):
        out += [Change(kind, k, f"{r.date.isoformat() if r.date else f'{r.value:g} {r.unit}'.strip()}: {r.citation}",
                       r.confidence or conf) for k, r in figs.items()]
    if f.tiers:
        out.append(Change("tiers", "tiers", f"Tier 1: {' '.join(f.tiers.tier1)}", f.tiers.confidence or conf))
    out += [Change("ladder", r.id, f"{r.eccn}: {_conds(r.any_of)} (any)", r.confidence or conf) for r in f.fallback]
    out += [Change("ladder", r.eccn, f"contains {r.contains}", r.confidence or conf) for r in f.system]
    out += [Change("ladder", r.eccn, f"{', '.join(r.base)} meeting {', '.join(r.meets)}", r.confidence or conf)
            for r in f.z]
    if f.residual is not None:
        out.append(Change("ladder", f.residual.eccn, "residual entry", f.residual.confidence or conf))
    out += [Change("reasons", k, " ".join(v), conf) for k, v in f.reasons_for_control.items()]
    if f.programme:
        p = f.programme
        out.append(Change("programme", p.section, f"{p.name}: {', '.join(p.destinations)}; {p.scope}", conf))
    for country, g, since, until, cite in groups.changes:
        if (country, g) and _linked(groups, country, g, since, until) == inst.id:
            out.append(Change("country_group", f"{country} {g}", ("into " if since else "out of ") + g,
                              _change_conf(groups, country, g, since, until)))
    return tuple(out)


def _linked(groups, country, group, since, until) -> str:
    return groups.instruments.get((country, group, since, until), "")


def _change_conf(groups, country, group, since, until) -> str:
    return groups.confidences.get((country, group, since, until), "summary")


def _live(inst, day: dt.date, directory) -> bool:
    """Whether anything an instrument states still applies on ``day`` (written view)."""
    f = inst.file
    if f.suspends or f.programme or f.tiers or f.reasons_for_control:
        return True
    if any(r.instrument == inst.id for r in records_in_force(day, "written", directory)[0]):
        return True
    if day < first_effective(directory):
        return not (f.clause or f.exclusion)
    rules = rules_in_force(day, directory)
    if any(c.instrument == inst.id for c in rules.clauses) or any(e.instrument == inst.id for e in rules.exclusions):
        return True
    if inst.id in rules.ladder_from.values() or any(i is inst for _, i in (rules.foundry or {}).values()):
        return True
    return bool(f.diffusion or f.exceptions_allowed) and not (f.clause or f.license)


def _status(inst, day: dt.date, by: dict, directory) -> str:
    if day < inst.effective:
        return "future"
    if inst.ends is not None and day >= inst.ends:
        return "ended"
    if inst.id in by and by[inst.id].in_force(day):
        return "suspended"
    if inst.compliance is not None and day < inst.compliance:
        return "not_enforced"
    return "in_force" if _live(inst, day, directory) else "superseded"


def timeline(as_of=None, directory: str | None = None) -> list[Entry]:
    """Every instrument, dated Country Group move and product note, in date order, with its
    status on ``as_of`` (default today)."""
    day = as_date(as_of)
    insts = load_instruments(directory)
    groups = country_groups(directory)
    by = {s: i for i in insts for s in i.file.suspends}
    out = [Entry("instrument", i.id, i.title, i.citation, i.fr_doc, i.published, i.effective, i.compliance, i.ends,
                 by[i.id].id if i.id in by else None, by[i.id].effective if i.id in by else None,
                 _status(i, day, by, directory), i.confidence, _changes(i, groups)) for i in insts]
    for country, g, since, until, cite in groups.changes:
        if _linked(groups, country, g, since, until):
            continue
        start = since or until
        status = "future" if day < start else "in_force" if (since is None or until is None or day < until) else "ended"
        out.append(Entry("country_group", f"{country} {'into' if since else 'out of'} {g}", "", cite,
                         "", None, start, None, until if since else None, None, None, status,
                         _change_conf(groups, country, g, since, until),
                         (Change("country_group", f"{country} {g}", ("into " if since else "out of ") + g,
                                 _change_conf(groups, country, g, since, until)),)))
    for n in product_notes(directory):
        status = "future" if day < n["date"] else "ended" if n["until"] and day >= n["until"] else "in_force"
        out.append(Entry("note", n["id"], n["text"][:120], n["source"], "", None, n["date"], None, n["until"], None,
                         None, status, n["confidence"], ()))
    return sorted(out, key=lambda e: (e.effective, e.kind != "instrument", e.id))


def _composed(day: dt.date, directory) -> dict[str, str]:
    """Clause id -> its conditions, as composed on ``day`` ({} before the first rule)."""
    if day < first_effective(directory):
        return {}
    return {c.id: f"{c.eccn}: {' and '.join(x.describe() for x in c.conditions)}"
            for c in rules_in_force(day, directory).clauses}


def diff(before, after, directory: str | None = None) -> list[Difference]:
    """What changed between two dates: entries whose status differs, and composed 3A090 clauses
    added, removed or changed (a threshold moved)."""
    a, b = as_date(before), as_date(after)
    old = {(e.kind, e.id): e for e in timeline(a, directory)}
    new = {(e.kind, e.id): e for e in timeline(b, directory)}
    out = [Difference(k[0], k[1], new[k].citation, old[k].status, new[k].status, new[k].changes)
           for k in new if old[k].status != new[k].status]
    ca, cb = _composed(a, directory), _composed(b, directory)
    for cid in dict.fromkeys(list(ca) + list(cb)):
        if ca.get(cid) != cb.get(cid):
            out.append(Difference("clause", cid, "", "in_force" if cid in ca else None, "in_force" if cid in cb else None,
                                  tuple(Change("clause", cid, t, "") for t in (ca.get(cid), cb.get(cid)) if t)))
    return out
