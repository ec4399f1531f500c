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
"""

from __future__ import annotations

import functools
import os
import re

import pint

__all__ = ["ureg", "Quantity", "CANONICAL", "DIMENSIONS", "unit_factor", "to_canonical", "UnitError"]


def _make_registry() -> pint.UnitRegistry:
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


#: The package-wide unit registry. Nothing else in chipclass creates one.
ureg = _make_registry()
Quantity = ureg.Quantity

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

#: The pint dimensionality each kind of quantity must have, as text for messages.
DIMENSIONS = {kind: str(ureg.parse_units(unit).dimensionality) for kind, unit in CANONICAL.items()}


class UnitError(ValueError):
    """A unit string that cannot be parsed, or has the wrong dimension."""


_SPELLING = re.compile(r"(?<![A-Za-z_])([kKmMgGtTpPeE]?)(flops|flop/s|ops|op/s)(?![A-Za-z_])",
                       re.IGNORECASE)
_PREFIX = {"k": "k", "m": "M", "g": "G", "t": "T", "p": "P", "e": "E", "": ""}


def normalise_spelling(text: str) -> str:
    """Rewrite the usual throughput spellings to pint's: ``TFLOPs``/``tflops`` -> ``TFLOPS``.

    >>> normalise_spelling("TFLOPs"), normalise_spelling("tops"), normalise_spelling("PFLOP/s")
    ('TFLOPS', 'TOPS', 'PFLOP/s')
    """

    def fix(m: re.Match) -> str:
        prefix = _PREFIX[m.group(1).lower()]
        word = m.group(2).upper()
        return prefix + ("FLOP/s" if word == "FLOP/S" else "OP/s" if word == "OP/S" else word)

    return _SPELLING.sub(fix, text.replace("²", "**2").replace("³", "**3"))


@functools.lru_cache(maxsize=4096)
def unit_factor(unit: str, kind: str) -> float:
    """Factor that converts a magnitude in ``unit`` to the canonical unit of ``kind``.

    Parsed once per distinct (unit, kind) pair and cached; raises :class:`UnitError`
    with a message saying what was expected.

    >>> unit_factor("PFLOPS", "throughput"), unit_factor("cm**2", "area")
    (1000.0, 100.0)
    """
    target = CANONICAL[kind]
    text = normalise_spelling(unit.strip())
    if not text:
        return 1.0
    try:
        parsed = ureg.parse_expression(text)
    except Exception as exc:  # pint raises several error types for bad text
        raise UnitError(f"unknown unit {unit!r}") from exc
    if not isinstance(parsed, ureg.Quantity):
        parsed = ureg.Quantity(float(parsed), "dimensionless")
    try:
        factor = float(parsed.to(target).magnitude)
    except pint.DimensionalityError as exc:
        raise UnitError(
            f"unit {unit!r} has dimension {parsed.dimensionality}, but {kind} needs "
            f"{DIMENSIONS[kind]} (for example {target!r})"
        ) from exc
    # Unit factors are exact decimal ratios; drop pint's last-bit noise (1000.0000000000001).
    return float(f"{factor:.15g}")


def to_canonical(value, kind: str) -> float:
    """Magnitude of a scalar Quantity (or plain number, taken as canonical) in ``kind``'s unit."""
    if isinstance(value, ureg.Quantity):
        return float(value.magnitude) * unit_factor(str(value.units), kind)
    if isinstance(value, str):
        q = ureg.parse_expression(normalise_spelling(value))
        if isinstance(q, ureg.Quantity):
            return float(q.magnitude) * unit_factor(str(q.units), kind)
        return float(q)
    return float(value)
