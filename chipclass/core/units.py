"""Units at the edge: one pint registry for the whole package, and column conversion.

Everything a user types (``fp8 [PFLOPS]`` headers, ``4 TB/s`` cells, ``8.14 cm**2``,
rule thresholds like ``600 GB/s``) is parsed here, **once per distinct unit string**, into
a plain float conversion factor. Inside the package columns are float64 numpy arrays in
the canonical units below, and pint is never touched per row.

Canonical units
---------------
=====================  ==============================  ==============================
quantity               canonical unit                  why
=====================  ==============================  ==============================
throughput             TOPS (10^12 operations/s)       TPP = TOPS x bit length
area                   mm**2                           3A090 Technical Notes
memory                 GB (10^9 bytes)                 datasheets
bandwidth              GB/s (10^9 bytes/s)             3A090.c, 87 FR 62186
count (transistors)    billion (10^9)                  how datasheets state it
length (process node)  nm                              the node's name (16/14 nm)
=====================  ==============================  ==============================

``bit`` is given its own dimension ``[information]`` (pint's default makes it
dimensionless), so ``4 TB/s`` in a throughput column is a dimension error rather than a
silent conversion. ``operation`` is a dimension too; ``FLOPS``/``OPS`` (and ``FLOP/s``)
take any SI prefix (``TFLOPS``, ``PFLOPS``, ``POPS``). Common spellings such as
``TFLOPs`` or ``tops`` are normalised before parsing.

Safe unit grammar
-----------------
Every unit string (catalogue cells and headers, ``--spec``, ``--vary``, fleet and rule files)
goes through :func:`unit_factor`, which checks it against a small grammar **before pint sees
it**, so no text can make pint compute for long (``10**10**8``)::

    unit    := factor (("*" | "/") factor)*          spaces allowed around * and /
    factor  := name [("**" | "^") exponent] | "1"
    name    := a letter (or µ, °, %) then letters or _  (pint resolves names and SI prefixes)
    exponent:= an optional sign and one digit

at most :data:`MAX_UNIT_LENGTH` characters; no numbers other than ``1`` and small exponents,
no parentheses, no implicit multiplication (``TOPS 2`` is refused, not read as 2 TOPS).
"""

from __future__ import annotations

import functools
import os
import re
import threading

from chipclass.core.errors import InputError

__all__ = ["ureg", "Quantity", "CANONICAL", "DIMENSIONS", "unit_factor", "to_canonical", "UnitError",
           "check_unit_text", "MAX_UNIT_LENGTH"]


def _make_registry():
    import pint

    here = os.path.dirname(pint.__file__)
    lines = []
    with open(os.path.join(here, "default_en.txt"), encoding="utf-8") as fh:
        for line in fh.read().splitlines():
            if line.startswith("@import"):  # inline it: load_definitions reads no imports from text
                with open(os.path.join(here, line.split()[1]), encoding="utf-8") as inc:
                    lines += inc.read().splitlines()
            else:
                lines.append("bit = [information]" if line.strip() == "bit = []" else line)
    lines += [
        "operation = [operation] = op = OP",
        "FLOP = operation",
        "FLOPS = operation / second",
        "billion = 1e9 = bn",
        "million = 1e6",
        "OPS = operation / second",
    ]
    reg = pint.UnitRegistry(None, cache_folder=None)
    reg.load_definitions(lines)
    return reg


_BUILDING = threading.RLock()


def __getattr__(name: str):
    """``ureg`` (the package-wide registry: nothing else in chipclass creates one),
    ``Quantity`` and ``DIMENSIONS``, built on first use: pint is not imported before."""
    if name == "ureg":
        with _BUILDING:  # once, even when columns are read on several threads
            if "ureg" in globals():
                return globals()["ureg"]
            value = _make_registry()
            globals()[name] = value
            return value
    elif name == "Quantity":
        value = _registry().Quantity
    elif name == "DIMENSIONS":
        reg = _registry()
        value = {kind: str(reg.parse_units(unit).dimensionality) for kind, unit in CANONICAL.items()}
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def _registry():
    """The registry, built once."""
    return globals()["ureg"] if "ureg" in globals() else __getattr__("ureg")

#: Canonical unit of each kind of quantity.
CANONICAL = {
    "throughput": "TOPS",
    "area": "mm**2",
    "memory": "GB",
    "bandwidth": "GB/s",
    "bandwidth_density": "GB/s/mm**2",
    "density": "1/mm**2",
    "dimensionless": "dimensionless",
    "count": "billion",
    "length": "nm",
}


#: Factors of the common units, precomputed with pint (the authority: ``tests/core/test_units.py``
#: recomputes every entry through the registry). ``(unit as normalise_spelling gives it, kind)``
#: -> factor to the canonical unit; a unit not listed is parsed by pint on first use, so pint
#: (and the registry, about 0.2 s) is imported only when a catalogue or rule uses another unit.
FACTORS: dict[tuple[str, str], float] = {
    ('TOPS', 'throughput'): 1.0, ('GOPS', 'throughput'): 0.001, ('POPS', 'throughput'): 1000.0,
    ('EOPS', 'throughput'): 1000000.0, ('TFLOPS', 'throughput'): 1.0, ('GFLOPS', 'throughput'): 0.001,
    ('PFLOPS', 'throughput'): 1000.0, ('EFLOPS', 'throughput'): 1000000.0, ('TOP/s', 'throughput'): 1.0,
    ('TFLOP/s', 'throughput'): 1.0, ('PFLOP/s', 'throughput'): 1000.0, ('GFLOP/s', 'throughput'): 0.001,
    ('OPS', 'throughput'): 1e-12, ('FLOPS', 'throughput'): 1e-12,
    ('mm**2', 'area'): 1.0, ('cm**2', 'area'): 100.0, ('mm^2', 'area'): 1.0, ('cm^2', 'area'): 100.0,
    ('m**2', 'area'): 1000000.0, ('um**2', 'area'): 1e-06,
    ('GB', 'memory'): 1.0, ('TB', 'memory'): 1000.0, ('MB', 'memory'): 0.001, ('GiB', 'memory'): 1.073741824,
    ('TiB', 'memory'): 1099.511627776, ('MiB', 'memory'): 0.001048576, ('PB', 'memory'): 1000000.0,
    ('GB/s', 'bandwidth'): 1.0, ('TB/s', 'bandwidth'): 1000.0, ('MB/s', 'bandwidth'): 0.001,
    ('GiB/s', 'bandwidth'): 1.073741824, ('TiB/s', 'bandwidth'): 1099.511627776, ('PB/s', 'bandwidth'): 1000000.0,
    ('billion', 'count'): 1.0, ('million', 'count'): 0.001, ('nm', 'length'): 1.0,
    ('dimensionless', 'dimensionless'): 1.0, ('1/mm**2', 'density'): 1.0, ('1/cm**2', 'density'): 0.01,
    ('GB/s/mm**2', 'bandwidth_density'): 1.0, ('TB/s/mm**2', 'bandwidth_density'): 1000.0,
}


#: Kinds of quantity in messages, and units to offer.
_KIND_NAMES = {"throughput": "a throughput", "area": "an area", "memory": "a memory-size", "bandwidth": "a bandwidth",
               "count": "a count", "length": "a length", "density": "a density",
               "bandwidth_density": "a bandwidth-density", "dimensionless": "a plain-number"}
_EXAMPLES = {"throughput": "TFLOPS, TOPS or PFLOPS", "area": "mm**2 or cm**2", "memory": "GB or TB",
             "bandwidth": "GB/s or TB/s", "count": "billion or million", "length": "nm",
             "density": "1/mm**2", "bandwidth_density": "GB/s/mm**2"}


class UnitError(InputError):
    """A unit string that cannot be parsed, or has the wrong dimension."""


#: Longest unit string accepted (``GB/s/mm**2`` is 10).
MAX_UNIT_LENGTH = 40
_NAME = r"(?:[A-Za-z\u00b5\u03bc\u00b0%][A-Za-z_\u00b5\u03bc]*)"
_FACTOR = rf"(?:{_NAME}(?:\s*(?:\*\*|\^)\s*[-+]?[0-9])?|1)"
_UNIT_GRAMMAR = re.compile(rf"{_FACTOR}(?:\s*[*/]\s*{_FACTOR})*")


def check_unit_text(text: str) -> None:
    """Refuse a unit string outside the safe grammar (see the module docstring), in time linear
    in its length and before pint parses it.

    >>> check_unit_text("GB/s/mm**2")
    >>> check_unit_text("10**10**8")
    Traceback (most recent call last):
    ...
    chipclass.core.units.UnitError: '10**10**8' is not a unit (names such as TFLOPS, mm**2 or GB/s, joined by * or /, with exponents of one digit)
    """
    if len(text) > MAX_UNIT_LENGTH:
        raise UnitError(f"unit text of {len(text)} characters is longer than the limit of {MAX_UNIT_LENGTH}")
    if not _UNIT_GRAMMAR.fullmatch(text):
        raise UnitError(f"{text!r} is not a unit (names such as TFLOPS, mm**2 or GB/s, joined by * or /, "
                        "with exponents of one digit)")


_SPELLING = re.compile(r"(?<![A-Za-z_])([kKmMgGtTpPeE]?)(flops|flop/s|ops|op/s)(?![A-Za-z_])",
                       re.IGNORECASE)
#: Prefix letters as written -> SI prefix. Case matters where SI gives both (m milli / M mega,
#: p pico / P peta); ``t``, ``g``, ``e`` and ``K`` are no SI prefix, so they are read as T, G, E, k.
_PREFIX = {"k": "k", "K": "k", "m": "m", "M": "M", "g": "G", "G": "G", "t": "T", "T": "T", "p": "p", "P": "P",
           "e": "E", "E": "E", "": ""}


def normalise_spelling(text: str) -> str:
    """Rewrite the usual throughput spellings to pint's: ``TFLOPs``/``tflops`` -> ``TFLOPS``.

    SI prefixes keep their case where it matters: ``mFLOPS`` is milli, ``MFLOPS`` mega (an
    all-lower-case ``mflops`` or ``pflops`` is refused by :func:`unit_factor` as ambiguous).

    >>> normalise_spelling("TFLOPs"), normalise_spelling("tops"), normalise_spelling("PFLOP/s")
    ('TFLOPS', 'TOPS', 'PFLOP/s')
    """

    def fix(m: re.Match) -> str:
        prefix = _PREFIX[m.group(1)]
        word = m.group(2).upper()
        return prefix + ("FLOP/s" if word == "FLOP/S" else "OP/s" if word == "OP/S" else word)

    return _SPELLING.sub(fix, text.replace("²", "**2").replace("³", "**3"))


#: SI (and binary) prefixes, for the message when one is written alone as a unit ('1.2k').
SI_PREFIXES = {"k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18, "m": 1e-3,
               "u": 1e-6, "\u00b5": 1e-6, "n": 1e-9, "p": 1e-12, "Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30,
               "Ti": 2.0**40, "bn": 1e9}
_PREFIX_NAMES = {"k": "kilo", "K": "kilo", "M": "mega", "G": "giga", "T": "tera", "P": "peta", "E": "exa",
                 "m": "milli", "u": "micro", "\u00b5": "micro", "n": "nano", "p": "pico"}


class BarePrefixError(UnitError):
    """An SI prefix written alone where a unit belongs (``1.2k``); ``factor`` is its value."""

    def __init__(self, message: str, factor: float):
        super().__init__(message)
        self.factor = factor


def _suggestion(text: str, kind: str) -> str:
    """'; did you mean 'TB/s'?' when ``text`` differs from a known unit of ``kind`` only in case."""
    folded = text.replace(" ", "").casefold()
    known = [u for (u, k) in FACTORS if k == kind] + (["Gbit/s", "Tbit/s"] if kind == "bandwidth" else [])
    hits = [u for u in known if u.casefold() == folded and u != text]
    return f"; did you mean {hits[0]!r}? (unit letters are case-sensitive)" if hits else ""


def _what_it_is(parsed, kind: str) -> str:
    """'a memory size' when the parsed quantity has the dimension of another kind, else ''."""
    ureg = _registry()
    for other, name in _KIND_NAMES.items():
        if other != kind and other != "dimensionless" and parsed.dimensionality == ureg.parse_units(
                CANONICAL[other]).dimensionality:
            return name.replace("-", " ")
    return ""


@functools.lru_cache(maxsize=4096)
def unit_factor(unit: str, kind: str) -> float:
    """Factor that converts a magnitude in ``unit`` to the canonical unit of ``kind``.

    Parsed once per distinct (unit, kind) pair and cached; raises :class:`UnitError`
    with a message saying what was expected.

    >>> unit_factor("PFLOPS", "throughput"), unit_factor("cm**2", "area")
    (1000.0, 100.0)
    """
    if len(unit) > 4 * MAX_UNIT_LENGTH:  # before any regular expression runs over it
        raise UnitError(f"unit text of {len(unit)} characters is longer than the limit of {MAX_UNIT_LENGTH}")
    text = normalise_spelling(unit.strip())
    if not text:
        return 1.0
    if text in SI_PREFIXES:
        name = _PREFIX_NAMES.get(text, "binary")
        raise BarePrefixError(f"{text!r} is an SI prefix ({name}) written alone, not a unit: write the number in "
                              f"full (1.2{text} as {1.2 * SI_PREFIXES[text]:g})", SI_PREFIXES[text])
    lowered = re.fullmatch(r"([mp])(flops|ops|flop/s|op/s)", text.strip().lower()) if unit.strip().islower() else None
    if lowered and kind == "throughput":
        p = lowered.group(1)
        word = normalise_spelling(lowered.group(2)).upper().replace("/S", "/s")
        raise UnitError(f"{unit.strip()!r} is ambiguous: SI prefixes are case-sensitive; write "
                        f"'{p.upper()}{word}' ({_PREFIX_NAMES[p.upper()]}) or '{p}{word}' ({_PREFIX_NAMES[p]})")
    known = FACTORS.get((text, kind))
    if known is not None:
        return known
    check_unit_text(text)  # before pint sees it
    return pint_factor(text, kind, unit)


def pint_factor(text: str, kind: str, unit: str | None = None) -> float:
    """:func:`unit_factor` through the pint registry (the authority for :data:`FACTORS`)."""
    import pint

    ureg = _registry()
    unit = text if unit is None else unit
    target = CANONICAL[kind]
    try:
        parsed = ureg.parse_expression(text)
    except Exception as exc:  # pint raises several error types for bad text
        raise UnitError(f"unknown unit {unit!r}{_suggestion(unit, kind)}") from exc
    if not isinstance(parsed, ureg.Quantity):
        parsed = ureg.Quantity(float(parsed), "dimensionless")
    try:
        factor = float(parsed.to(target).magnitude)
    except pint.DimensionalityError as exc:  # said in words: no dimension formula, no pint names
        what = _what_it_is(parsed, kind)
        reads = f" (it reads as {what})" if what else ""
        raise UnitError(f"unit {unit!r} is not {_KIND_NAMES.get(kind, kind)} unit{reads}; "
                        f"use one such as {_EXAMPLES.get(kind, repr(target))}{_suggestion(unit, kind)}") from exc
    # Unit factors are exact decimal ratios; drop pint's last-bit noise (1000.0000000000001).
    return float(f"{factor:.15g}")


def to_canonical(value, kind: str) -> float:
    """Magnitude of a scalar Quantity (or plain number, taken as canonical) in ``kind``'s unit."""
    ureg = _registry()
    if isinstance(value, ureg.Quantity):
        return float(value.magnitude) * unit_factor(str(value.units), kind)
    if isinstance(value, str):
        m = _QUANTITY.fullmatch(value.strip())
        if not m:
            raise UnitError(f"{value!r} is not a number with an optional unit (such as '600 GB/s')")
        number = float(m.group("num").replace(",", ""))
        return number * unit_factor(m.group("unit") or "", kind) if m.group("unit") else number
    return float(value)


_QUANTITY = re.compile(r"(?P<num>[-+]?(?:\d{1,3}(?:,\d{3})+(?:\.\d*)?|\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
                       r"\s*(?P<unit>\S.{0,200})?")
