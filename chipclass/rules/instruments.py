"""Rule sets as dated data: load ``chipclass/rules/*.toml``, validate, and compose by date.

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
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from chipclass.core.catalogue import DEVICE_TYPES
from chipclass.core.errors import AsOfError, RuleDataError
from chipclass.core.units import UnitError, unit_factor

__all__ = ["Condition", "Clause", "Exclusion", "Instrument", "RuleSet", "METRIC_KINDS",
           "load_instruments", "rules_in_force", "first_effective"]

#: Metrics a condition may name -> the kind of quantity of its threshold.
METRIC_KINDS = {
    "tpp": "dimensionless",
    "performance_density": "density",
    "memory_bandwidth_density": "bandwidth_density",
    "interconnect_bandwidth": "bandwidth",
    "memory_bandwidth": "bandwidth",
    "memory": "memory",
    "die_area": "area",
    "datacenter": "dimensionless",
}
#: Files in a rules directory that are data, not instruments.
DATA_FILES = ("country_groups.toml", "product_notes.toml")
OPS = (">=", ">", "<=", "<", "==", "!=")
CONFIDENCE = ("text", "quoted", "summary", "unconfirmed")
_TOP = {"id", "title", "citation", "fr_doc", "published", "effective", "compliance", "ends",
        "mode", "confidence", "summary", "url", "remove", "clause", "exclusion",
        # read by chipclass.licensing and chipclass.diffusion:
        "license", "review", "exception", "replaces", "suspends", "tiers", "diffusion"}


@dataclass(frozen=True)
class Condition:
    metric: str
    op: str
    value: float  # in the metric's canonical unit
    given: str    # as written in the rule file, for explanations ("600 GB/s")

    def describe(self) -> str:
        return f"{self.metric} {self.op} {self.given}"


@dataclass(frozen=True)
class Clause:
    id: str
    eccn: str
    applies_to: tuple[str, ...]
    conditions: tuple[Condition, ...]
    text: str
    confidence: str
    instrument: str


@dataclass(frozen=True)
class Exclusion:
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
    data: dict = field(default_factory=dict, compare=False, repr=False)

    def in_force(self, day: dt.date) -> bool:
        return self.effective <= day and (self.ends is None or day < self.ends)

    @property
    def reference(self) -> str:
        doc = f", FR Doc {self.fr_doc}" if self.fr_doc else ""
        return f"{self.citation}{doc} ({self.id}, effective {self.effective.isoformat()})"


@dataclass(frozen=True)
class RuleSet:
    """The classification rules in force on a date: clauses in priority order."""

    as_of: dt.date
    instruments: tuple[Instrument, ...]
    clauses: tuple[Clause, ...]
    exclusions: tuple[Exclusion, ...]

    @property
    def id(self) -> str:
        """Ids of the instruments composed, joined with '+', e.g. '2023-11-acs+2024-12-hbm'."""
        return "+".join(i.id for i in self.instruments)

    @property
    def citation(self) -> str:
        return "; ".join(i.reference for i in self.instruments)

    def thresholds(self) -> list[tuple[str, float, str]]:
        """Distinct (metric, threshold, as written) of the numeric conditions, in rule order."""
        seen: dict[tuple[str, float], str] = {}
        for c in self.clauses:
            for cond in c.conditions:
                if cond.metric != "datacenter":
                    seen.setdefault((cond.metric, cond.value), cond.given)
        return [(m, v, g) for (m, v), g in seen.items()]


def _fail(path: str, where: str, msg: str):
    raise RuleDataError(f"{path}: {where}: {msg}")


def _date(path: str, where: str, value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    _fail(path, where, f"expected a date (YYYY-MM-DD), got {value!r}")


def _conditions(path: str, where: str, raw) -> tuple[Condition, ...]:
    if not isinstance(raw, list) or not raw:
        _fail(path, where, "'conditions' must be a non-empty list of tables")
    out = []
    for k, c in enumerate(raw):
        w = f"{where}.conditions[{k}]"
        if not isinstance(c, dict):
            _fail(path, w, "a condition is a table {metric, op, value[, unit]}")
        extra = set(c) - {"metric", "op", "value", "unit"}
        if extra:
            _fail(path, w, f"unknown key(s) {sorted(extra)}")
        metric, op, value = c.get("metric"), c.get("op"), c.get("value")
        if metric not in METRIC_KINDS:
            _fail(path, w, f"unknown metric {metric!r} (one of: {', '.join(METRIC_KINDS)})")
        if op not in OPS:
            _fail(path, w, f"unknown op {op!r} (one of: {' '.join(OPS)})")
        if isinstance(value, bool):
            number, given = float(value), str(value).lower()
        elif isinstance(value, (int, float)):
            unit = c.get("unit", "")
            try:
                factor = unit_factor(unit, METRIC_KINDS[metric]) if unit else 1.0
            except UnitError as exc:
                _fail(path, w, str(exc))
            number, given = float(value) * factor, f"{value:g} {unit}".strip()
        else:
            _fail(path, w, f"'value' must be a number or true/false, got {value!r}")
        out.append(Condition(metric, op, number, given))
    return tuple(out)


def _text(path, where, rec, key, required=True) -> str:
    v = rec.get(key, "")
    if required and (not isinstance(v, str) or not v.strip()):
        _fail(path, where, f"missing '{key}'")
    return " ".join(str(v).split())


def parse_instrument(data: dict, path: str) -> Instrument:
    """Validate one rule file's parsed TOML into an :class:`Instrument`."""
    extra = set(data) - _TOP
    if extra:
        _fail(path, "top level", f"unknown key(s) {sorted(extra)}")
    iid = _text(path, "top level", data, "id")
    conf = data.get("confidence", "summary")
    if conf not in CONFIDENCE:
        _fail(path, "confidence", f"{conf!r} is not one of {CONFIDENCE}")
    mode = data.get("mode", "amend")
    if mode not in ("replace", "amend"):
        _fail(path, "mode", f"{mode!r} is not 'replace' or 'amend'")
    clauses = []
    for k, rec in enumerate(data.get("clause", [])):
        w = f"clause[{k}]"
        extra = set(rec) - {"id", "eccn", "applies_to", "conditions", "text", "confidence"}
        if extra:
            _fail(path, w, f"unknown key(s) {sorted(extra)}")
        applies = tuple(rec.get("applies_to", ["processor"]))
        bad = [a for a in applies if a not in DEVICE_TYPES]
        if bad:
            _fail(path, w, f"applies_to {bad} not in {DEVICE_TYPES}")
        c_conf = rec.get("confidence", conf)
        if c_conf not in CONFIDENCE:
            _fail(path, w, f"confidence {c_conf!r} is not one of {CONFIDENCE}")
        clauses.append(Clause(_text(path, w, rec, "id"), _text(path, w, rec, "eccn"), applies,
                              _conditions(path, w, rec.get("conditions")),
                              _text(path, w, rec, "text"), c_conf, iid))
    exclusions = []
    for k, rec in enumerate(data.get("exclusion", [])):
        w = f"exclusion[{k}]"
        extra = set(rec) - {"id", "excludes", "conditions", "note", "confidence"}
        if extra:
            _fail(path, w, f"unknown key(s) {sorted(extra)}")
        excludes = rec.get("excludes")
        if not isinstance(excludes, list) or not excludes:
            _fail(path, w, "'excludes' must list clause ids")
        exclusions.append(Exclusion(_text(path, w, rec, "id"), tuple(excludes),
                                    _conditions(path, w, rec.get("conditions")),
                                    _text(path, w, rec, "note"), rec.get("confidence", conf), iid))
    return Instrument(
        id=iid, title=_text(path, "top level", data, "title"),
        citation=_text(path, "top level", data, "citation"),
        published=_date(path, "published", data.get("published")),
        effective=_date(path, "effective", data.get("effective")),
        ends=_date(path, "ends", data["ends"]) if "ends" in data else None,
        compliance=_date(path, "compliance", data["compliance"]) if "compliance" in data else None,
        mode=mode, confidence=conf, clauses=tuple(clauses), exclusions=tuple(exclusions),
        remove=tuple(data.get("remove", ())), fr_doc=str(data.get("fr_doc", "")),
        summary=_text(path, "summary", data, "summary", required=False), path=path, data=data)


def load_file(path) -> Instrument:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise RuleDataError(f"{path}: not valid TOML: {exc}") from None
    return parse_instrument(data, str(path))


@functools.lru_cache(maxsize=8)
def load_instruments(directory: str | None = None) -> tuple[Instrument, ...]:
    """Every instrument in ``directory`` (default: the shipped rules), by effective date."""
    if directory is None:
        root = resources.files("chipclass").joinpath("data/rules")
        paths = sorted(p for p in root.iterdir() if p.name.endswith(".toml") and p.name not in DATA_FILES)
    else:
        paths = sorted(p for p in Path(directory).glob("*.toml") if p.name not in DATA_FILES)
    instruments = [load_file(p) for p in paths]
    ids = [i.id for i in instruments]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise RuleDataError(f"{directory or 'chipclass/rules'}: duplicate instrument id(s) {sorted(dupes)}")
    return tuple(sorted(instruments, key=lambda i: (i.effective, i.id)))


def first_effective(directory: str | None = None) -> dt.date:
    return min(i.effective for i in load_instruments(directory) if i.clauses)


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
    return RuleSet(day, tuple(used), tuple(clauses.values()), tuple(exclusions.values()))


def rules_in_force(as_of=None, directory: str | None = None) -> RuleSet:
    """The composed 3A090 rule set in force on ``as_of`` (default today).

    Raises :class:`~chipclass.errors.AsOfError` for a date before the first rule.
    """
    day = as_date(as_of)
    first = first_effective(directory)
    if day < first:
        raise AsOfError(f"as-of date {day.isoformat()} is before the first 3A090 rule "
                        f"(effective {first.isoformat()}); chipclass covers {first.isoformat()} on")
    return _compose(day, directory)
