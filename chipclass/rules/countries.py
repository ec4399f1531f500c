"""Destinations: ISO country codes from what users type, and dated Country Group membership.

Membership is data (``data/country_groups.toml``): base lists plus dated changes (Nicaragua
into D:1/D:5 on 2024-03-15, Cambodia out of D:5 on 2026-02-03, the UAE from D:4 to A:5 on
2026-07-10). Hong Kong is treated as China.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import tomllib
from dataclasses import dataclass
from importlib import resources

import pycountry

from chipclass.core.errors import InputError, RuleDataError

__all__ = ["country_code", "country_name", "in_group", "groups_of", "Selector", "GROUPS"]

with resources.files("chipclass").joinpath("data/rules/country_groups.toml").open("rb") as _fh:
    _DATA = tomllib.load(_fh)

GROUPS: dict[str, frozenset[str]] = {g: frozenset(rec["members"]) for g, rec in _DATA["groups"].items()}
_CHANGES = [(c["country"], g, c.get("since"), c.get("until"), c["citation"])
            for c in _DATA.get("change", []) for g in c["groups"]]
ALIASES: dict[str, tuple[str, str]] = {k: (v["as"], v["note"]) for k, v in _DATA.get("aliases", {}).items()}
SOURCE = _DATA.get("source", "")

_EXTRA_NAMES = {"UK": "GB", "USA": "US", "UAE": "AE", "SOUTH KOREA": "KR", "KOREA": "KR",
                "NORTH KOREA": "KP", "RUSSIA": "RU", "TAIWAN": "TW", "MACAO": "MO", "MACAU": "MO",
                "VIETNAM": "VN", "IRAN": "IR", "SYRIA": "SY", "LAOS": "LA", "BOLIVIA": "BO",
                "VENEZUELA": "VE", "CZECHIA": "CZ", "TURKEY": "TR", "HONG KONG": "HK"}


@functools.lru_cache(maxsize=1024)
def country_code(text: str) -> str:
    """ISO 3166-1 alpha-2 code of a country given as alpha-2, alpha-3 or English name.

    >>> country_code("cn"), country_code("SAU"), country_code("Germany"), country_code("UAE")
    ('CN', 'SA', 'DE', 'AE')
    """
    t = str(text).strip()
    up = t.upper()
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
    rec = pycountry.countries.get(alpha_2=code)
    return getattr(rec, "common_name", None) or (rec.name if rec else code)


def _as_date(v) -> dt.date | None:
    return v if isinstance(v, dt.date) or v is None else dt.date.fromisoformat(str(v))


def in_group(code: str, group: str, day: dt.date) -> bool:
    """Whether ``code`` is in Country Group ``group`` on ``day`` (aliases followed)."""
    code = ALIASES.get(code, (code, ""))[0]
    if group not in GROUPS:
        raise RuleDataError(f"unknown country group {group!r} (known: {', '.join(GROUPS)})")
    member = code in GROUPS[group]
    for country, g, since, until, _ in _CHANGES:
        if country == code and g == group:
            member = (since is None or day >= _as_date(since)) and (until is None or day < _as_date(until))
    return member


def groups_of(code: str, day: dt.date) -> list[str]:
    return [g for g in GROUPS if in_group(code, g, day)]


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
    def parse(cls, raw, where: str) -> "Selector":
        if raw == "worldwide":
            return cls(worldwide=True)
        if not isinstance(raw, dict):
            raise RuleDataError(f"{where}: a destination selector is 'worldwide' or a table")
        extra = set(raw) - {"worldwide", "groups", "countries", "except_groups", "except_countries", "tiers"}
        if extra:
            raise RuleDataError(f"{where}: unknown key(s) {sorted(extra)}")
        for g in list(raw.get("groups", [])) + list(raw.get("except_groups", [])):
            if g not in GROUPS:
                raise RuleDataError(f"{where}: unknown country group {g!r} (known: {', '.join(GROUPS)})")
        return cls(bool(raw.get("worldwide", False)), tuple(raw.get("groups", ())),
                   tuple(raw.get("countries", ())), tuple(raw.get("except_groups", ())),
                   tuple(raw.get("except_countries", ())), tuple(raw.get("tiers", ())))

    def matches(self, code: str, day: dt.date, tier_of=None) -> bool:
        base = ALIASES.get(code, (code, ""))[0]
        hit = (self.worldwide or base in self.countries or code in self.countries
               or any(in_group(base, g, day) for g in self.groups)
               or (bool(self.tiers) and tier_of is not None and tier_of(base) in self.tiers))
        if not hit:
            return False
        if base in self.except_countries or any(in_group(base, g, day) for g in self.except_groups):
            return False
        return True

    def describe(self) -> str:
        if self.worldwide:
            head = "worldwide"
        else:
            parts = list(self.groups) + list(self.countries) + [f"Tier {t}" for t in self.tiers]
            head = ", ".join(parts)
        less = list(self.except_groups) + list(self.except_countries)
        return head + (f" (except {', '.join(less)})" if less else "")
