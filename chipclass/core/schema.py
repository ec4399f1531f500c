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
from typing import Annotated, Literal, Union

from msgspec import Meta, Struct, field

from chipclass.core import tomlload
from chipclass.core.errors import RuleDataError
from chipclass.core.metric_table import CONDITION_METRICS


__all__ = ["Confidence", "ConditionRec", "ClauseRec", "ExclusionRec", "SelectorRec", "Selector",
           "LicenseRec", "ReviewRec", "ExceptionRec", "TiersRec", "FigureRec", "InstrumentFile",
           "ProgrammeRec", "Record", "DESTINATION", "FormatRec", "FormatsFile", "load", "convert", "METRICS", "OPS"]

Confidence = Literal["text", "quoted", "summary", "unconfirmed"]
#: Metrics a condition may name (data/metrics.toml; the kinds of quantity: core.metric_table).
METRICS = CONDITION_METRICS
OPS = (">=", ">", "<=", "<", "==", "!=")
Metric = Literal[CONDITION_METRICS]
Op = Literal[">=", ">", "<=", "<", "==", "!="]
Text = Annotated[str, Meta(min_length=1, pattern=r"\S")]
NonEmpty = Annotated[list[Text], Meta(min_length=1)]
#: A destination code: ISO 3166-1 alpha-2, or an ISO 3166-2 subdivision / region code that
#: ``country_groups.toml`` defines as an alias (``UA-43`` Crimea, ``UA-DNR``).
DESTINATION = r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$"
#: Which items a licence or review record covers: ``listed`` the ECCN paragraphs in ``eccn``;
#: ``ccl`` any item on the Commerce Control List (not EAR99); ``ear`` every item subject to the
#: EAR, EAR99 included. ``reasons`` narrows ``ccl`` to items whose reasons for control (Country
#: Chart columns, ``[reasons_for_control]`` of the rule files) include one of those listed.
Scope = Literal["listed", "ccl", "ear"]


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
    """A ``[[clause]]``: id, ECCN paragraph, the regulation's text, its conditions (all must hold)."""
    id: Text
    eccn: Text
    text: Text
    conditions: Conditions
    applies_to: Annotated[list[Literal["processor", "hbm"]], Meta(min_length=1)] = field(default_factory=lambda: ["processor"])
    confidence: Confidence | None = None


class ExclusionRec(Record, kw_only=True):
    """An ``[[exclusion]]``: the clauses it lifts when its conditions hold, with the note's text."""
    id: Text
    excludes: NonEmpty
    conditions: Conditions
    note: Text
    confidence: Confidence | None = None


class SelectorRec(Record, kw_only=True):
    """A set of destinations: groups and countries, less exceptions; or AI Diffusion tiers."""
    worldwide: bool = False
    groups: list[Text] = []
    countries: list[Annotated[str, Meta(pattern=DESTINATION)]] = []
    except_groups: list[Text] = []
    except_countries: list[Annotated[str, Meta(pattern=DESTINATION)]] = []
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


class _Scoped(_LicenceBase, kw_only=True):
    eccn: list[Text] = []
    scope: Scope = "listed"
    reasons: list[Text] = []
    programme: str = ""

    def __post_init__(self):
        super().__post_init__()
        if self.scope == "listed" and not self.eccn:
            raise ValueError("needs 'eccn' (the paragraphs covered) or scope = \"ccl\" / \"ear\"")
        if self.reasons and self.scope != "ccl":
            raise ValueError("'reasons' narrows scope = \"ccl\" only")


class LicenseRec(_Scoped, kw_only=True):
    """A licence requirement: these paragraphs (or every CCL item, or every item subject to the
    EAR), to these destinations (or buyers' HQs). ``programme`` names a sanctions programme
    (part 746) for the timeline and the answer's basis list."""
    basis: Text


class ReviewRec(_Scoped, kw_only=True):
    """A licence review policy for these paragraphs (or scope) and destinations; ``stance`` is its
    kind as a code (``approval``, ``denial``, ``case-by-case``, ``not determined``: what engines
    compare), ``policy`` its wording."""
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
    """AI Diffusion tiers: the Tier 1 countries and the Tier 3 selector (Tier 2 is the rest)."""
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


class ProgrammeRec(Record, kw_only=True):
    """A part 746 programme: its name, section and destinations (codes as in selectors)."""
    name: Text
    section: Text
    destinations: Annotated[list[Annotated[str, Meta(pattern=DESTINATION)]], Meta(min_length=1)]
    scope: Text
    note: str = ""


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
    #: Reasons for control per ECCN (prefix -> Country Chart columns such as "AT:1", "NS:1"),
    #: read by records with ``scope = "ccl"`` and ``reasons``; merged by key over time.
    reasons_for_control: dict[str, list[Text]] = {}
    #: A sanctions or embargo programme (15 CFR part 746) this file states.
    programme: ProgrammeRec | None = None

    def __post_init__(self):
        if self.ends is not None and self.ends <= self.effective:
            raise ValueError("'ends' must be after 'effective'")
        if self.compliance is not None and self.compliance < self.effective:
            raise ValueError("'compliance' must be on or after 'effective'")
        ids = [c.id for c in self.clause]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate clause id(s) {dupes}")


class FormatRec(Record, kw_only=True):
    """A number format of ``formats.toml``: its bit length (1 to 64) for TPP and an optional note."""
    bits: Annotated[int, Meta(ge=1, le=64)]
    kind: Literal["float", "int"]
    note: str = ""


class FormatsFile(Record, kw_only=True):
    """``formats.toml``: every throughput format of the vocabulary and its bit length."""
    formats: Annotated[dict[str, FormatRec], Meta(min_length=1)]


#: Valid values of the enumerated keys, for messages.
_CHOICES = {"metric": METRICS, "op": OPS, "confidence": ("text", "quoted", "summary", "unconfirmed"),
            "mode": ("replace", "amend"), "applies_to": ("processor", "hbm")}


def convert(data: dict, kind: type, source: str, prefix: str = "", error: type = RuleDataError):
    """Validate parsed TOML ``data`` as ``kind`` (see :func:`chipclass.core.tomlload.convert`).

    Raises
    ------
    chipclass.core.errors.RuleDataError
        Or ``error`` (:class:`~chipclass.core.errors.ConfigError` for a configuration file),
        naming ``source`` and the key (``rules/x.toml: clause[0].op: unknown op ...``).
    """
    return tomlload.convert(data, kind, source, prefix, choices=_CHOICES, error=error)


def load(path, kind: type):
    """Read the TOML file at ``path`` as ``kind`` (see :func:`chipclass.core.tomlload.load`).

    Raises
    ------
    chipclass.core.errors.RuleDataError
        The file cannot be read, is not TOML, or does not fit ``kind`` (file and key named).
    """
    return tomlload.load(path, kind, choices=_CHOICES)
