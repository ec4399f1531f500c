"""Schemas of the rule-data files that are not instruments: Country Groups
(``country_groups.toml``), product notes (``product_notes.toml``) and the knowledge horizon
(``horizon.toml``). Loaded with :func:`chipclass.core.schema.load`, which refuses unknown keys,
wrong types and bad values with one line naming the file and the key."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from msgspec import Meta, field

from chipclass.core.schema import DESTINATION, Confidence, ConditionRec, NonEmpty, Record, Selector, Text

__all__ = ["GroupRec", "ChangeRec", "AliasRec", "CountryGroupsFile", "ProductRec", "NoteRec", "ProductNotesFile",
           "HorizonRec", "HorizonFile"]


class GroupRec(Record, kw_only=True):
    """A Country Group: its ``title``, its ``members`` (ISO 3166 alpha-2 codes) and the confidence of the list."""
    title: Text
    members: list[Annotated[str, Meta(pattern=r"^[A-Z]{2}$")]]
    confidence: Confidence = "summary"


class ChangeRec(Record, kw_only=True):
    """A dated change of Country Group membership: ``since`` first day in, ``until`` first out;
    ``instrument`` the rule file that made it, when there is one."""
    country: Annotated[str, Meta(pattern=r"^[A-Z]{2}$")]
    groups: NonEmpty
    citation: Text
    instrument: str = ""
    since: dt.date | None = None
    until: dt.date | None = None
    confidence: Confidence = "summary"

    def __post_init__(self):
        if self.since is None and self.until is None:
            raise ValueError("a change needs 'since' or 'until'")


class AliasRec(Record, kw_only=True):
    """A place the EAR treats as (part of) another country: ``as`` that country for Country
    Groups; ``names`` other ways a user may write it (matched case-insensitively)."""
    as_: Annotated[str, Meta(pattern=r"^[A-Z]{2}$")] = field(name="as")
    note: Text
    names: list[Text] = []
    refuse: bool = False


class CountryGroupsFile(Record, kw_only=True):
    """``country_groups.toml``: the groups by name, dated membership changes and country aliases.

    Raises
    ------
    ValueError
        If a change names a group not defined in ``groups``.
    """
    source: Text
    groups: Annotated[dict[str, GroupRec], Meta(min_length=1)]
    change: list[ChangeRec] = []
    aliases: dict[str, AliasRec] = {}

    def __post_init__(self):
        for k, c in enumerate(self.change):
            unknown = [g for g in c.groups if g not in self.groups]
            if unknown:
                raise ValueError(f"change[{k}].groups: unknown group(s) {unknown}")


class ProductRec(Record, kw_only=True):
    """A catalogue identity: a shipped row's exact name and vendor (case and spacing ignored)."""
    name: Text
    vendor: Text


class NoteRec(Record, kw_only=True):
    """A dated note that changes the answer for an exporter (not a rule). What it covers is what
    the note says, never a substring of a user's name:

    - ``criteria``: conditions on the item's figures (``criteria_match`` any or all), where the
      note states criteria; ``vendors`` limits them to rows whose vendor is one of those (a row
      without a vendor is matched on the figures alone, marked so);
    - ``eccn``: items whose ECCN paragraph (or the paragraph a .z item is licensed as) starts so;
    - ``products``: exact catalogue identities (name and vendor);
    - ``general``: every item (shown once per destination).

    ``until`` is the first day it no longer applies; ``hq`` limits it to buyers headquartered
    there."""
    id: Text
    date: dt.date
    to: Selector
    text: Text
    source: Text
    criteria: list[ConditionRec] = []
    criteria_match: Literal["any", "all"] = "any"
    vendors: list[Text] = []
    eccn: list[Text] = []
    products: list[ProductRec] = []
    general: bool = False
    until: dt.date | None = None
    hq: Selector | None = None
    confidence: Confidence = "summary"
    #: The note itself says a licence is required (an is-informed letter): shown in the licence
    #: matrix even where the ECCN rules give none.
    requires_license: bool = False

    def __post_init__(self):
        if not (self.criteria or self.eccn or self.products or self.general):
            raise ValueError("a note needs criteria, eccn, products or general = true")
        if self.until is not None and self.until <= self.date:
            raise ValueError("'until' must be after 'date'")


class ProductNotesFile(Record, kw_only=True):
    """``product_notes.toml``: the list of dated product notes."""
    note: list[NoteRec] = []


class HorizonRec(Record, kw_only=True):
    """How far the rule data was reviewed: ``reviewed_through`` is the last day whose rules were
    checked against the primary texts; ``spot_checks`` later facts looked up one by one."""
    reviewed_through: dt.date
    basis: Text
    spot_checks: list[Text] = []
    confidence: Confidence = "text"


class HorizonFile(Record, kw_only=True):
    """``horizon.toml``: the one ``[horizon]`` table (how far the rule data was reviewed)."""
    horizon: HorizonRec
