"""One typed schema for every TOML file chipclass reads: rule instruments, Country Groups,
product notes and numeric formats.

Every file goes through :func:`load`, which parses the TOML and converts it with `msgspec`_
into the frozen structs below. Unknown keys, wrong types, missing fields, empty lists that
must not be empty and non-finite numbers are refused with a
:class:`~chipclass.core.errors.RuleDataError` naming the file and the key
(``rules/x.toml: clause[0].conditions[1].value: expected a finite number``), so a bad rule
file is one line and exit 2, never a traceback.

Cross-references that need other files (a Country Group name, a clause id an exclusion
lists, a unit string's dimension) are checked where those files are known:
:mod:`chipclass.rules.instruments` and :mod:`chipclass.rules.countries`.

.. _msgspec: https://jcristharif.com/msgspec/
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tomllib
import typing
from typing import Annotated, Literal, TypeVar, Union

import msgspec
from msgspec import Meta, Struct, field

from chipclass.core.errors import RuleDataError

__all__ = ["Confidence", "ConditionRec", "ClauseRec", "ExclusionRec", "SelectorRec", "Selector",
           "LicenseRec", "ReviewRec", "ExceptionRec", "TiersRec", "FigureRec", "InstrumentFile",
           "GroupRec", "ChangeRec", "AliasRec", "CountryGroupsFile", "NoteRec", "ProductNotesFile",
           "FormatRec", "FormatsFile", "load", "convert", "METRICS", "OPS"]

Confidence = Literal["text", "quoted", "summary", "unconfirmed"]
#: Metrics a condition may name (their kinds of quantity are in rules.instruments).
METRICS = ("tpp", "performance_density", "memory_bandwidth_density", "interconnect_bandwidth",
           "memory_bandwidth", "memory", "die_area", "datacenter", "tops")
OPS = (">=", ">", "<=", "<", "==", "!=")
Metric = Literal["tpp", "performance_density", "memory_bandwidth_density", "interconnect_bandwidth",
                 "memory_bandwidth", "memory", "die_area", "datacenter", "tops"]
Op = Literal[">=", ">", "<=", "<", "==", "!="]
Text = Annotated[str, Meta(min_length=1, pattern=r"\S")]
NonEmpty = Annotated[list[Text], Meta(min_length=1)]


class Record(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Base: unknown keys are errors; records are immutable."""

def _finite(value, what: str = "value") -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, not {value!r}")


class ConditionRec(Record, kw_only=True):
    """``{ metric = "tpp", op = ">=", value = 4800 }``; ``unit`` converts the threshold."""
    metric: Metric
    op: Op
    value: Union[bool, float]
    unit: str = ""

    def __post_init__(self):
        _finite(self.value)


Conditions = Annotated[list[ConditionRec], Meta(min_length=1)]


class ClauseRec(Record, kw_only=True):
    id: Text
    eccn: Text
    text: Text
    conditions: Conditions
    applies_to: Annotated[list[Literal["processor", "hbm"]], Meta(min_length=1)] = field(default_factory=lambda: ["processor"])
    confidence: Confidence | None = None


class ExclusionRec(Record, kw_only=True):
    id: Text
    excludes: NonEmpty
    conditions: Conditions
    note: Text
    confidence: Confidence | None = None


class SelectorRec(Record, kw_only=True):
    """A set of destinations: groups and countries, less exceptions; or AI Diffusion tiers."""
    worldwide: bool = False
    groups: list[Text] = []
    countries: list[Annotated[str, Meta(pattern=r"^[A-Z]{2}$")]] = []
    except_groups: list[Text] = []
    except_countries: list[Annotated[str, Meta(pattern=r"^[A-Z]{2}$")]] = []
    tiers: list[Annotated[int, Meta(ge=1, le=3)]] = []

    def __post_init__(self):
        if not (self.worldwide or self.groups or self.countries or self.tiers):
            raise ValueError("a destination selector needs worldwide, groups, countries or tiers")


#: A selector as written: the word "worldwide" or a table.
Selector = Union[Literal["worldwide"], SelectorRec]


class _LicenceBase(Record, kw_only=True):
    id: Text
    to: Selector | None = None
    hq: Selector | None = None
    conditions: list[ConditionRec] = []
    confidence: Confidence | None = None
    still_enforced: bool = False

    def __post_init__(self):
        if self.to is None and self.hq is None:
            raise ValueError("needs 'to' or 'hq'")


class LicenseRec(_LicenceBase, kw_only=True):
    """A licence requirement: these paragraphs, to these destinations (or buyers' HQs)."""
    eccn: NonEmpty
    basis: Text


class ReviewRec(_LicenceBase, kw_only=True):
    """A licence review policy for these paragraphs and destinations; ``stance`` is its kind as a
    code (``approval``, ``denial``, ``case-by-case``, ``not determined``: what engines compare),
    ``policy`` its wording."""
    eccn: NonEmpty
    basis: Text
    policy: Text
    stance: Literal["approval", "denial", "case-by-case", "not determined"] = "not determined"


class ItemRec(Record, kw_only=True):
    eccn: Text
    datacenter: bool | None = None


class ExceptionRec(_LicenceBase, kw_only=True):
    """A licence exception: which items, to which destinations, on which conditions."""
    section: Text
    items: Annotated[list[ItemRec], Meta(min_length=1)]
    text: Text
    requires_hq: Selector | None = None
    notification: str = ""


class TiersRec(Record, kw_only=True):
    tier1: Annotated[list[Annotated[str, Meta(pattern=r"^[A-Z]{2}$")]], Meta(min_length=1)]
    tier3: Selector
    #: Where the tiers are written and how they are read (shown beside each tier).
    basis: str = ""
    confidence: Confidence | None = None


class FigureRec(Record, kw_only=True):
    """A figure of the AI Diffusion framework (a limit, share or threshold) with its citation."""
    value: float
    citation: Text
    unit: str = ""
    per: str = ""
    note: str = ""
    op: Op = ">="
    confidence: Confidence | None = None
    years: list[int] = []
    exemptions: list[Text] = []
    date: dt.date | None = None
    #: The paragraph a figure is about, and who may attest it (foundry presumption).
    paragraph: str = ""
    attested_by: str = ""
    #: How the regulation names the figure in a sentence ("16/14 nm node", "Note 1 a.(3)").
    label: str = ""

    def __post_init__(self):
        _finite(self.value)


class FallbackRec(Record, kw_only=True):
    """An entry for items outside 3A090 (n.e.s.), met when ANY condition holds (3A991.p, 4A994.l)."""

    id: Text
    eccn: Text
    applies_to: Annotated[list[Literal["processor", "system"]], Meta(min_length=1)]
    any_of: Conditions
    text: Text
    reason_for_control: Text
    confidence: Confidence | None = None


class SystemRec(Record, kw_only=True):
    """Computers, assemblies and components containing an IC of the paragraph ``contains``."""
    eccn: Text
    contains: Text
    text: Text
    confidence: Confidence | None = None


class ZRec(Record, kw_only=True):
    """A .z paragraph: a ``base`` item (``base_eccn`` column) that also meets a ``meets`` paragraph;
    licensed as the paragraph it meets, with only the listed licence exceptions."""

    eccn: Text
    base: NonEmpty
    meets: NonEmpty
    text: Text
    exceptions: list[Text] = []
    #: The provision that limits a .z item to the listed exceptions (its citation, shown).
    exceptions_basis: str = ""
    confidence: Confidence | None = None


class ResidualRec(Record, kw_only=True):
    """What an item gets when no entry chipclass checks applies (EAR99, said plainly)."""
    eccn: Text
    text: Text
    confidence: Confidence | None = None


class InstrumentFile(Record, kw_only=True):
    """One rule file: a Federal Register instrument (or an enforcement announcement)."""
    id: Annotated[str, Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    title: Text
    citation: Text
    published: dt.date
    effective: dt.date
    fr_doc: str = ""
    compliance: dt.date | None = None
    ends: dt.date | None = None
    mode: Literal["replace", "amend"] = "amend"
    confidence: Confidence = "summary"
    summary: str = ""
    url: str = ""
    remove: list[Text] = []
    clause: list[ClauseRec] = []
    exclusion: list[ExclusionRec] = []
    license: list[LicenseRec] = []
    review: list[ReviewRec] = []
    exception: list[ExceptionRec] = []
    replaces: list[Text] = []
    suspends: list[Text] = []
    tiers: TiersRec | None = None
    diffusion: dict[str, FigureRec] = {}
    fallback: list[FallbackRec] = []
    residual: ResidualRec | None = None
    system: list[SystemRec] = []
    z: list[ZRec] = []
    #: Licence exceptions each paragraph may use (CCL flags and 740.2(a)(9)(ii)): paragraph -> ids
    exceptions_allowed: dict[str, list[Text]] = {}
    #: Note 1 to 3A090.a (foundry presumption): figures keyed by name, as for ``diffusion``
    foundry: dict[str, FigureRec] = {}

    def __post_init__(self):
        if self.ends is not None and self.ends <= self.effective:
            raise ValueError("'ends' must be after 'effective'")
        if self.compliance is not None and self.compliance < self.effective:
            raise ValueError("'compliance' must be on or after 'effective'")
        ids = [c.id for c in self.clause]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate clause id(s) {dupes}")


class GroupRec(Record, kw_only=True):
    title: Text
    members: list[Annotated[str, Meta(pattern=r"^[A-Z]{2}$")]]
    confidence: Confidence = "summary"


class ChangeRec(Record, kw_only=True):
    """A dated change of Country Group membership: ``since`` first day in, ``until`` first out."""
    country: Annotated[str, Meta(pattern=r"^[A-Z]{2}$")]
    groups: NonEmpty
    citation: Text
    since: dt.date | None = None
    until: dt.date | None = None
    confidence: Confidence = "summary"

    def __post_init__(self):
        if self.since is None and self.until is None:
            raise ValueError("a change needs 'since' or 'until'")


class AliasRec(Record, kw_only=True):
    as_: Annotated[str, Meta(pattern=r"^[A-Z]{2}$")] = field(name="as")
    note: Text


class CountryGroupsFile(Record, kw_only=True):
    source: Text
    groups: Annotated[dict[str, GroupRec], Meta(min_length=1)]
    change: list[ChangeRec] = []
    aliases: dict[str, AliasRec] = {}

    def __post_init__(self):
        for k, c in enumerate(self.change):
            unknown = [g for g in c.groups if g not in self.groups]
            if unknown:
                raise ValueError(f"change[{k}].groups: unknown group(s) {unknown}")


class NoteRec(Record, kw_only=True):
    """A dated note that changes the answer for an exporter (not a rule): about named products
    (``names``, regular expressions) or, with ``general``, about every item; ``until`` is the
    first day it no longer applies; ``hq`` limits it to buyers headquartered there."""
    id: Text
    date: dt.date
    to: Selector
    text: Text
    source: Text
    names: list[Text] = []
    general: bool = False
    until: dt.date | None = None
    hq: Selector | None = None
    confidence: Confidence = "summary"
    #: The note itself says a licence is required (an is-informed letter): shown in the licence
    #: matrix even where the ECCN rules give none.
    requires_license: bool = False

    def __post_init__(self):
        if not self.names and not self.general:
            raise ValueError("a note needs names (regular expressions) or general = true")
        if self.until is not None and self.until <= self.date:
            raise ValueError("'until' must be after 'date'")
        for n in self.names:
            try:
                re.compile(n)
            except re.error as exc:
                raise ValueError(f"names: {n!r} is not a regular expression ({exc})") from None


class ProductNotesFile(Record, kw_only=True):
    note: list[NoteRec] = []


class FormatRec(Record, kw_only=True):
    bits: Annotated[int, Meta(ge=1, le=64)]
    note: str = ""


class FormatsFile(Record, kw_only=True):
    formats: Annotated[dict[str, FormatRec], Meta(min_length=1)]


T = TypeVar("T")

#: Valid values of the enumerated keys, for messages.
_CHOICES = {"metric": METRICS, "op": OPS, "confidence": ("text", "quoted", "summary", "unconfirmed"),
            "mode": ("replace", "amend"), "applies_to": ("processor", "hbm")}


def _where(path: str) -> str:
    """msgspec's ``$.clause[0].conditions[1]`` as ``clause[0].conditions[1]``."""
    return path.removeprefix("$").lstrip(".") or "top level"


def _table_fields(kind) -> dict[str, type]:
    """Fields of ``kind`` that are tables keyed by name (``[diffusion.lpp_limit]``) -> value type."""
    out = {}
    for f in msgspec.structs.fields(kind):
        tp = f.type
        while typing.get_origin(tp) is Annotated:
            tp = typing.get_args(tp)[0]
        if typing.get_origin(tp) is dict:
            out[f.encode_name] = typing.get_args(tp)[1]
    return out


def convert(data: dict, kind: type[T], source: str, prefix: str = "", error: type = RuleDataError) -> T:
    """Validate parsed TOML ``data`` as ``kind``; an ``error`` (:class:`RuleDataError`, or
    :class:`ConfigError` for a configuration file) naming ``source`` and the key otherwise
    (``prefix`` is where ``data`` sits in the file: ``tool.chipclass``)."""
    where = f"{prefix}." if prefix else ""
    if isinstance(data, dict):  # tables keyed by name: validate each so the message names it
        for name, value_type in _table_fields(kind).items():
            if isinstance(data.get(name), dict):
                for key, value in data[name].items():
                    _convert(value, value_type, source, prefix=f"{where}{name}.{key}", error=error)
    return _convert(data, kind, source, prefix, error)


def _convert(data, kind, source: str, prefix: str = "", error: type = RuleDataError):
    try:
        return msgspec.convert(data, kind, strict=True)
    except msgspec.ValidationError as exc:
        text = str(exc)
        m = re.search(r" - at `([^`]*)`$", text)
        message, key = (text[:m.start()], _where(m.group(1))) if m else (text, "top level")
        if prefix:
            key = prefix if key == "top level" else f"{prefix}.{key}"
        unknown = re.match(r"Object contains unknown field `([^`]*)`", message)
        if unknown:  # name the key itself: 'clause[0].colour: unknown key'
            key = unknown.group(1) if key == "top level" else f"{key}.{unknown.group(1)}"
            message = "unknown key"
        field_name = re.sub(r"\[\d+\]$", "", key).rsplit(".", 1)[-1]
        if message.startswith("Invalid enum value"):
            message = f"unknown {field_name} {message.removeprefix('Invalid enum value').strip()}"
            if field_name in _CHOICES:
                message += f" (one of: {', '.join(_CHOICES[field_name])})"
        message = message.replace("Invalid RFC3339 encoded date", "expected a date (YYYY-MM-DD)")
        raise error(f"{source}: {key}: {message[:1].lower() + message[1:]}") from None


def load(path, kind: type[T]) -> T:
    """Read the TOML file at ``path`` (a path or an importlib resource) as ``kind``."""
    try:
        with path.open("rb") if hasattr(path, "open") and not isinstance(path, str) else open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise RuleDataError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleDataError(f"{path}: cannot read: {exc.__class__.__name__}: {exc}") from None
    return convert(data, kind, str(path))
