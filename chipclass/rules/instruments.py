"""Rule sets as dated data: load ``chipclass/data/rules/*.toml``, validate, and compose by date.

One TOML file per instrument (a Federal Register rule). Each file carries its id, title,
citation, dates and confidence, and the clauses it adds or replaces::

    id = "2023-11-acs"
    title = "Implementation of Additional Export Controls: ... Updates and Corrections"
    citation = "88 FR 73458"
    fr_doc = "2023-23055"
    published = 2023-10-25
    effective = 2023-11-17
    mode = "replace"          # "replace": the 3A090 text is rewritten; "amend": clauses added
                              # or replaced by id, others kept; "remove" lists ids to drop
    confidence = "quoted"     # text | quoted | summary | unconfirmed (see shared/regulations.md)

    [[clause]]                # in priority order: the first clause a row meets decides
    id = "3A090.a.1"
    eccn = "3A090.a"
    applies_to = ["processor"]
    text = "..."
    conditions = [{ metric = "tpp", op = ">=", value = 4800 }]

    [[exclusion]]             # a note that takes rows out of the listed clauses
    id = "3A090 Note (non-datacenter)"
    excludes = ["3A090.a.2", "3A090.b.1", "3A090.b.2"]
    note = "..."
    conditions = [{ metric = "datacenter", op = "==", value = false },
                  { metric = "tpp", op = "<", value = 4800 }]

A threshold with a unit (``value = 600, unit = "GB/s"``) is converted to the metric's
canonical unit when the rules are compiled. The rule set in force on a date is the
composition, in effective-date order, of every file effective on or before it (and not
ended). Adding next year's rule is adding a file (and its cases under ``tests/cases``).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from chipclass.core import schema
from chipclass.core.errors import AsOfError, RuleDataError
from chipclass.core.metric_table import METRIC_QUANTITY
from chipclass.core.units import UnitError, unit_factor

__all__ = ["Condition", "Clause", "Exclusion", "Instrument", "RuleSet", "METRIC_KINDS",
           "load_instruments", "rules_in_force", "first_effective"]

#: Metrics a condition may name -> the kind of quantity of its threshold (data/metrics.toml).
METRIC_KINDS = METRIC_QUANTITY
#: Files in a rules directory that are data, not instruments.
DATA_FILES = ("country_groups.toml", "product_notes.toml", "horizon.toml")
CONFIDENCE = ("text", "quoted", "summary", "unconfirmed")


@dataclass(frozen=True)
class Condition:
    """One compiled condition: ``metric op value``, the value in the metric's canonical unit and as
    written in the rule file (``given``, for explanations).
    """
    metric: str
    op: str
    value: float  # in the metric's canonical unit
    given: str    # as written in the rule file, for explanations ("600 GB/s")

    def describe(self) -> str:
        """The condition as written: ``tpp >= 4800``."""
        return f"{self.metric} {self.op} {self.given}"


@dataclass(frozen=True)
class Clause:
    """A compiled clause: id, ECCN paragraph, the device types it applies to, its conditions (all
    must hold), the regulation's text, its confidence and the instrument that added it.
    """
    id: str
    eccn: str
    applies_to: tuple[str, ...]
    conditions: tuple[Condition, ...]
    text: str
    confidence: str
    instrument: str


@dataclass(frozen=True)
class Exclusion:
    """A compiled exclusion: the clauses it lifts when its conditions hold, with the note's text."""
    id: str
    excludes: tuple[str, ...]
    conditions: tuple[Condition, ...]
    note: str
    confidence: str
    instrument: str


@dataclass(frozen=True)
class Instrument:
    """One rule file: a Federal Register instrument and what it does to 3A090."""

    id: str
    title: str
    citation: str
    published: dt.date
    effective: dt.date
    mode: str
    confidence: str
    clauses: tuple[Clause, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()
    remove: tuple[str, ...] = ()
    ends: dt.date | None = None
    fr_doc: str = ""
    compliance: dt.date | None = None
    summary: str = ""
    path: str = ""
    file: schema.InstrumentFile | None = field(default=None, compare=False, repr=False)

    def in_force(self, day: dt.date) -> bool:
        """Whether the instrument applies on ``day``: effective on or before it and not yet ended."""
        return self.effective <= day and (self.ends is None or day < self.ends)

    @property
    def reference(self) -> str:
        """Citation, FR document number, id and effective date, as results cite the instrument."""
        doc = f", FR Doc {self.fr_doc}" if self.fr_doc else ""
        return f"{self.citation}{doc} ({self.id}, effective {self.effective.isoformat()})"


@dataclass(frozen=True)
class RuleSet:
    """The classification rules in force on a date: clauses in priority order."""

    as_of: dt.date
    instruments: tuple[Instrument, ...]
    clauses: tuple[Clause, ...]
    exclusions: tuple[Exclusion, ...]
    #: The ECCN ladder beyond 3A090 (chipclass.classification.ladder): fallbacks for items
    #: outside 3A090, systems containing 3A090 ICs, .z paragraphs, exceptions per paragraph.
    fallbacks: tuple = ()
    systems: tuple = ()
    zs: tuple = ()
    exceptions_allowed: dict = field(default_factory=dict)
    foundry: object = None
    residual: object = None
    ladder_from: dict = field(default_factory=dict)   # record id -> instrument id

    @property
    def id(self) -> str:
        """Ids of the instruments composed, joined with '+', e.g. '2023-11-acs+2024-12-hbm'."""
        return "+".join(i.id for i in self.instruments)

    @property
    def citation(self) -> str:
        """The references of every instrument composing the rule set, joined by ``; ``."""
        return "; ".join(i.reference for i in self.instruments)

    def thresholds(self) -> list[tuple[str, float, str]]:
        """Distinct (metric, threshold, as written) of the numeric conditions, in rule order."""
        seen: dict[tuple[str, float], str] = {}
        for c in self.clauses:
            for cond in c.conditions:
                if cond.metric != "datacenter":
                    seen.setdefault((cond.metric, cond.value), cond.given)
        return [(m, v, g) for (m, v), g in seen.items()]


def compile_conditions(path: str, where: str, recs) -> tuple[Condition, ...]:
    """Schema condition records -> :class:`Condition` with thresholds in canonical units."""
    out = []
    for k, c in enumerate(recs):
        if isinstance(c.value, bool):
            number, given = float(c.value), str(c.value).lower()
        else:
            try:
                factor = unit_factor(c.unit, METRIC_KINDS[c.metric]) if c.unit else 1.0
            except UnitError as exc:
                raise RuleDataError(f"{path}: {where}.conditions[{k}].unit: {exc}") from None
            number, given = float(c.value) * factor, f"{c.value:g} {c.unit}".strip()
        out.append(Condition(c.metric, c.op, number, given))
    return tuple(out)


def _squash(text: str) -> str:
    return " ".join(str(text).split())


def parse_instrument(data: dict, path: str) -> Instrument:
    """Validate one rule file's parsed TOML (:class:`~chipclass.core.schema.InstrumentFile`)
    into an :class:`Instrument`."""
    rec = schema.convert(data, schema.InstrumentFile, path)
    return from_record(rec, path)


def from_record(rec: schema.InstrumentFile, path: str) -> Instrument:
    conf = rec.confidence
    clauses = tuple(Clause(c.id, c.eccn, tuple(c.applies_to), compile_conditions(path, f"clause[{k}]", c.conditions),
                           _squash(c.text), c.confidence or conf, rec.id) for k, c in enumerate(rec.clause))
    exclusions = tuple(Exclusion(e.id, tuple(e.excludes), compile_conditions(path, f"exclusion[{k}]", e.conditions),
                                 _squash(e.note), e.confidence or conf, rec.id) for k, e in enumerate(rec.exclusion))
    return Instrument(id=rec.id, title=_squash(rec.title), citation=_squash(rec.citation), published=rec.published,
                      effective=rec.effective, ends=rec.ends, compliance=rec.compliance, mode=rec.mode,
                      confidence=conf, clauses=clauses, exclusions=exclusions, remove=tuple(rec.remove),
                      fr_doc=rec.fr_doc, summary=_squash(rec.summary), path=path, file=rec)


def load_file(path) -> Instrument:
    return from_record(schema.load(path, schema.InstrumentFile), str(path))


@functools.lru_cache(maxsize=8)
def load_instruments(directory: str | None = None) -> tuple[Instrument, ...]:
    """Every instrument in ``directory`` (default: the shipped rules), by effective date."""
    if directory is None:
        root = resources.files("chipclass").joinpath("data/rules")
        paths = sorted(p for p in root.iterdir() if p.name.endswith(".toml") and p.name not in DATA_FILES)
    else:
        paths = sorted(p for p in Path(directory).glob("*.toml") if p.name not in DATA_FILES)
    instruments = _load_files(paths)
    if not instruments:
        raise RuleDataError(f"{directory}: no rule files (*.toml) in this rules directory")
    ids = [i.id for i in instruments]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise RuleDataError(f"{directory or 'chipclass/rules'}: duplicate instrument id(s) {sorted(dupes)}")
    return tuple(sorted(instruments, key=lambda i: (i.effective, i.id)))


def _load_files(paths) -> list[Instrument]:
    """The instruments of ``paths``, each file read and checked in turn (so the first file in
    order with a fault is the one reported); the validated records come from the cache
    (:mod:`chipclass.core.recordcache`) when nothing they depend on changed."""
    from chipclass.core.recordcache import lookup, store

    cached, entry = lookup(paths, schema.InstrumentFile)
    if cached is not None:
        return [from_record(rec, str(p)) for rec, p in zip(cached, paths)]
    recs, out = [], []
    for p in paths:
        recs.append(schema.load(p, schema.InstrumentFile))
        out.append(from_record(recs[-1], str(p)))
    store(entry, recs)
    return out


def first_effective(directory: str | None = None) -> dt.date:
    """Effective date of the first instrument with 3A090 clauses."""
    dates = [i.effective for i in load_instruments(directory) if i.clauses]
    if not dates:
        raise RuleDataError(f"{directory or 'chipclass/data/rules'}: no rule file defines any [[clause]]")
    return min(dates)


def as_date(value) -> dt.date:
    """A date from a date, datetime, ISO string or None (today)."""
    if value is None:
        return dt.date.today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise AsOfError(f"as-of date {value!r} is not a date (YYYY-MM-DD)") from None


@dataclass(frozen=True)
class Fallback:
    id: str
    eccn: str
    applies_to: tuple[str, ...]
    any_of: tuple[Condition, ...]
    text: str
    reason_for_control: str
    confidence: str
    instrument: str


def _ladder(day: dt.date, directory: str | None) -> dict:
    """Ladder records of every instrument in force on ``day``, later ones overriding by key."""
    fallbacks, systems, zs, allowed, foundry, origin, residual = {}, {}, {}, {}, None, {}, None
    for inst in load_instruments(directory):
        if not inst.in_force(day):
            continue
        f, conf = inst.file, inst.confidence
        for k, r in enumerate(f.fallback):
            fallbacks[r.id] = Fallback(r.id, r.eccn, tuple(r.applies_to),
                                       compile_conditions(inst.path, f"fallback[{k}]", r.any_of), _squash(r.text),
                                       r.reason_for_control, r.confidence or conf, inst.id)
            origin[r.id] = inst.id
        for r in f.system:
            systems[r.eccn] = r
            origin[r.eccn] = inst.id
        for r in f.z:
            zs[r.eccn] = r
            origin[r.eccn] = inst.id
        allowed.update({k: tuple(v) for k, v in f.exceptions_allowed.items()})
        if f.foundry:  # figures merged by key: a later instrument may move a date
            foundry = {**(foundry or {}), **{k: (rec, inst) for k, rec in f.foundry.items()}}
        if f.residual is not None:
            residual = f.residual
    return {"fallbacks": tuple(fallbacks.values()), "systems": tuple(systems.values()),
            "zs": tuple(zs.values()), "exceptions_allowed": allowed, "foundry": foundry, "ladder_from": origin,
            "residual": residual}


@functools.lru_cache(maxsize=64)
def _compose(day: dt.date, directory: str | None) -> RuleSet:
    used, clauses, exclusions = [], {}, {}
    for inst in load_instruments(directory):
        if not inst.in_force(day) or not (inst.clauses or inst.exclusions or inst.remove):
            continue
        if inst.mode == "replace":
            clauses, exclusions, used = {}, {}, []
        for cid in inst.remove:
            clauses.pop(cid, None)
            exclusions.pop(cid, None)
        clauses.update({c.id: c for c in inst.clauses})
        exclusions.update({e.id: e for e in inst.exclusions})
        used.append(inst)
    return RuleSet(day, tuple(used), tuple(clauses.values()), tuple(exclusions.values()), **_ladder(day, directory))


def rules_in_force(as_of=None, directory: str | None = None) -> RuleSet:
    """The composed 3A090 rule set in force on ``as_of`` (default today).

    Raises :class:`~chipclass.errors.AsOfError` for a date before the first rule.
    """
    day = as_date(as_of)
    first = first_effective(directory)
    if day < first:
        raise AsOfError(f"as-of date {day.isoformat()} is before the first rule file "
                        f"(effective {first.isoformat()}); chipclass covers {first.isoformat()} on")
    return _compose(day, directory)
