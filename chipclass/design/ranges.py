"""Settings of the form ``SPEC=NUMBERS [unit]`` (``--vary fp8=0.2:0.6:5 PFLOPS``,
``--range die_area=1:20 cm**2``): the spec checked against the vocabulary, and the numbers'
unit converted to the spec's canonical unit. Shared by sweeps and envelopes."""

from __future__ import annotations

from chipclass.core.catalogue import NUMERIC
from chipclass.core.errors import InputError
from chipclass.core.units import UnitError, unit_factor

__all__ = ["split_setting", "numbers_and_factor"]


def split_setting(text: str, allowed, verb: str, form: str, example: str) -> tuple[str, str]:
    """``'fp8=200:600 TFLOPS'`` -> ``('fp8', '200:600 TFLOPS')``: the spec (checked against
    ``allowed``) and what follows the ``=``; ``form``/``example`` word the refusal."""
    if "=" not in text:
        raise InputError(f"{text!r} is not SPEC={form} (e.g. {example})")
    key, body = (t.strip() for t in text.split("=", 1))
    key = key.lower()
    if key not in allowed:
        raise InputError(f"cannot {verb} {key!r} (one of: {', '.join(allowed)})")
    return key, body


def numbers_and_factor(key: str, body: str) -> tuple[str, float]:
    """``'0.2:0.6 PFLOPS'`` -> ``('0.2:0.6', 1000.0)``: the numbers' text and the factor of the unit
    that may follow it (else the spec's default unit) to the spec's canonical unit."""
    numbers, _, unit = body.partition(" ")
    try:
        return numbers, unit_factor(unit.strip() or NUMERIC[key][1], NUMERIC[key][0])
    except UnitError as exc:
        raise InputError(str(exc), column=key, value=unit) from None
