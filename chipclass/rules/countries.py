"""Destinations: ISO country codes from what users type, and dated Country Group membership.

Membership is data (``data/country_groups.toml``): base lists plus dated changes (Nicaragua
into D:1/D:5 on 2024-03-15, Cambodia out of D:5 on 2025-11-07 (ITAR 126.1), the UAE from D:4 to A:5 on
2026-07-10). Hong Kong is treated as China.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pycountry

from chipclass.core import data_schema, schema
from chipclass.core.errors import InputError, RuleDataError

__all__ = ["country_code", "country_name", "in_group", "groups_of", "Selector", "CountryGroups",
           "country_groups"]

#: The Country Groups file's name, in the shipped rules directory or one given with --rules.
FILE = "country_groups.toml"


@dataclass(frozen=True)
class CountryGroups:
    """Country Group membership (Supplement No. 1 to part 740) with its dated changes."""

    groups: dict[str, frozenset[str]]
    changes: tuple[tuple[str, str, dt.date | None, dt.date | None, str], ...]
    aliases: dict[str, tuple[str, str]]
    source: str
    path: str
    #: What a user may type for an alias (upper-cased name -> code), and the codes refused.
    alias_names: dict[str, str] = None
    refused: frozenset = frozenset()
    #: (country, group, since, until) -> the instrument that made the move / its confidence
    instruments: dict = None
    confidences: dict = None

    def base(self, code: str) -> str:
        """The country the EAR treats ``code`` as (Hong Kong is China)."""
        return self.aliases.get(code, (code, ""))[0]

    def check(self, group: str, where: str) -> None:
        """Refuse a group name the groups file does not define.

        Raises
        ------
        chipclass.core.errors.RuleDataError
            Naming ``where`` (file and key) and the known groups.
        """
        if group not in self.groups:
            raise RuleDataError(f"{where}: unknown country group {group!r} (known: {', '.join(self.groups)})")

    def in_group(self, code: str, group: str, day: dt.date) -> bool:
        """Whether ``code`` is in Country Group ``group`` on ``day`` (aliases followed)."""
        code = self.base(code)
        self.check(group, self.path)
        member = code in self.groups[group]
        for country, g, since, until, _ in self.changes:
            if country == code and g == group:
                member = (since is None or day >= since) and (until is None or day < until)
        return member

    def groups_of(self, code: str, day: dt.date) -> list[str]:
        """The Country Groups ``code`` belongs to on ``day`` (dated changes applied)."""
        return [g for g in self.groups if self.in_group(code, g, day)]


@functools.lru_cache(maxsize=8)
def country_groups(directory: str | None = None) -> CountryGroups:
    """The Country Groups of ``directory/country_groups.toml`` when a rules directory holds one,
    else the shipped file."""
    path = Path(directory) / FILE if directory and (Path(directory) / FILE).exists() else None
    res = path or resources.files("chipclass").joinpath(f"data/rules/{FILE}")
    rec = schema.load(res, data_schema.CountryGroupsFile)
    names = {k.upper(): k for k in rec.aliases}
    names.update({" ".join(n.split()).upper(): k for k, v in rec.aliases.items() for n in v.names})
    return CountryGroups({g: frozenset(r.members) for g, r in rec.groups.items()},
                         tuple((c.country, g, c.since, c.until, c.citation) for c in rec.change for g in c.groups),
                         {k: (v.as_, v.note) for k, v in rec.aliases.items()}, rec.source,
                         str(path or f"chipclass/data/rules/{FILE}"), names,
                         frozenset(k for k, v in rec.aliases.items() if v.refuse),
                         {(c.country, g, c.since, c.until): c.instrument for c in rec.change for g in c.groups},
                         {(c.country, g, c.since, c.until): c.confidence for c in rec.change for g in c.groups})


_EXTRA_NAMES = {"UK": "GB", "USA": "US", "UAE": "AE", "SOUTH KOREA": "KR", "KOREA": "KR",
                "NORTH KOREA": "KP", "RUSSIA": "RU", "TAIWAN": "TW", "MACAO": "MO", "MACAU": "MO",
                "VIETNAM": "VN", "IRAN": "IR", "SYRIA": "SY", "LAOS": "LA", "BOLIVIA": "BO",
                "VENEZUELA": "VE", "CZECHIA": "CZ", "TURKEY": "TR", "HONG KONG": "HK"}


@functools.lru_cache(maxsize=1024)
def country_code(text: str) -> str:
    """ISO 3166-1 alpha-2 code of a country given as alpha-2, alpha-3 or English name, or the
    code of a region the shipped ``country_groups.toml`` names (``UA-43``, ``Crimea``, ``DNR``;
    ambiguous ones such as ``UA-14`` are refused with the reason).

    >>> country_code("cn"), country_code("SAU"), country_code("Germany"), country_code("UAE")
    ('CN', 'SA', 'DE', 'AE')
    """
    t = str(text).strip()
    up = " ".join(t.split()).upper()
    groups = country_groups()
    if up in groups.alias_names:  # regions with a code of their own (UA-43 Crimea, UA-DNR) and HK
        code = groups.alias_names[up]
        if code in groups.refused:
            raise InputError(f"destination {t!r}: {groups.aliases[code][1]}")
        if "-" in code:  # a region; plain aliases (HK) stay what pycountry says
            return code
    if up in _EXTRA_NAMES:
        return _EXTRA_NAMES[up]
    rec = None
    if len(t) == 2:
        rec = pycountry.countries.get(alpha_2=up)
    elif len(t) == 3:
        rec = pycountry.countries.get(alpha_3=up)
    if rec is None:
        try:
            rec = pycountry.countries.lookup(t)
        except LookupError:
            rec = None
    if rec is None:
        names = {c.name: c.alpha_2 for c in pycountry.countries}
        names.update({getattr(c, "common_name", c.name): c.alpha_2 for c in pycountry.countries})
        close = difflib.get_close_matches(t.title(), list(names) + list(_EXTRA_NAMES), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(f'{c} ({names.get(c, _EXTRA_NAMES.get(c.upper(), c))})' for c in close)}?" if close else ""
        raise InputError(f"unknown destination {t!r} (use an ISO 3166 code or English name){hint}")
    return rec.alpha_2


def country_name(code: str) -> str:
    """The common English name of an ISO alpha-2 code (the code itself if unknown).

    >>> country_name("CN")
    'China'
    """
    rec = pycountry.countries.get(alpha_2=code)
    return getattr(rec, "common_name", None) or (rec.name if rec else code)


def in_group(code: str, group: str, day: dt.date, directory: str | None = None) -> bool:
    """Whether ``code`` is in Country Group ``group`` on ``day`` (aliases followed)."""
    return country_groups(directory).in_group(code, group, day)


def groups_of(code: str, day: dt.date, directory: str | None = None) -> list[str]:
    """The Country Groups of ``code`` on ``day``, from the groups file of ``directory`` (default: shipped)."""
    return country_groups(directory).groups_of(code, day)


@dataclass(frozen=True)
class Selector:
    """A set of destinations: worldwide, or groups and countries, less exceptions; or tiers."""

    worldwide: bool = False
    groups: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    except_groups: tuple[str, ...] = ()
    except_countries: tuple[str, ...] = ()
    tiers: tuple[int, ...] = ()

    @classmethod
    def parse(cls, raw, where: str, groups: CountryGroups) -> "Selector":
        """A selector from its schema record (``"worldwide"`` or a :class:`SelectorRec`)."""
        if raw == "worldwide":
            return cls(worldwide=True)
        for g in list(raw.groups) + list(raw.except_groups):
            groups.check(g, where)
        return cls(raw.worldwide, tuple(raw.groups), tuple(raw.countries), tuple(raw.except_groups),
                   tuple(raw.except_countries), tuple(raw.tiers))

    def matches(self, code: str, day: dt.date, groups: CountryGroups, tier_of=None) -> bool:
        """Whether destination ``code`` is selected on ``day`` (groups as of that day; tiers through ``tier_of``)."""
        base = groups.base(code)
        hit = (self.worldwide or base in self.countries or code in self.countries
               or any(groups.in_group(base, g, day) for g in self.groups)
               or (bool(self.tiers) and tier_of is not None and tier_of(base) in self.tiers))
        if not hit:
            return False
        if base in self.except_countries or any(groups.in_group(base, g, day) for g in self.except_groups):
            return False
        return True

    def describe(self) -> str:
        """The selector as text: ``D:1, D:4 (except A:5)``, ``worldwide``, ``Tier 3``."""
        if self.worldwide:
            head = "worldwide"
        else:
            parts = list(self.groups) + list(self.countries) + [f"Tier {t}" for t in self.tiers]
            head = ", ".join(parts)
        less = list(self.except_groups) + list(self.except_countries)
        return head + (f" (except {', '.join(less)})" if less else "")
