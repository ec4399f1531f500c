"""Settings of the form ``SPEC=NUMBERS [unit]`` (``--vary fp8=0.2:0.6:5 PFLOPS``,
``--range die_area=1:20 cm**2``): the spec checked against the vocabulary, and the numbers'
unit converted to the spec's canonical unit. Shared by sweeps and envelopes."""

from __future__ import annotations

from chipclass.core.catalogue import NUMERIC
from chipclass.core.errors import InputError
from chipclass.core.units import UnitError, unit_factor

__all__ = ["split_setting", "numbers_and_factor", "figures", "count_of", "planned_count"]


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


def count_of(text: str, key: str, limit: int) -> int:
    """The COUNT of ``LOW:HIGH:COUNT``: digits only (no sign, ``_``, exponent), 1 to ``limit``,
    checked before anything is allocated."""
    t = text.strip()
    if not t.isascii() or not t.isdigit():
        raise InputError(f"the count of a range is a whole number of 1 or more (LOW:HIGH:COUNT) for {key}",
                         column=key, value=text)
    if len(t) > 18 or int(t) > limit:
        raise InputError(f"this sweep has at least {int(t):,} variants (this range alone), more than "
                         f"--max-variants {limit:,}; narrow the range or raise --max-variants", column=key, value=text)
    if int(t) < 1:
        raise InputError(f"the count of a range must be 1 or more for {key}", column=key, value=text)
    return int(t)


def numbers_and_factor(key: str, body: str) -> tuple[str, float]:
    """``'0.2:0.6 PFLOPS'`` -> ``('0.2:0.6', 1000.0)``: the numbers' text and the factor of the unit
    that may follow it (else the spec's default unit) to the spec's canonical unit."""
    numbers, _, unit = body.partition(" ")
    try:
        return numbers, unit_factor(unit.strip() or NUMERIC[key][1], NUMERIC[key][0])
    except UnitError as exc:
        raise InputError(str(exc), column=key, value=unit) from None


def planned_count(text: str, limit: int) -> int:
    """How many values ``--vary`` text makes, read from the text alone (a LOW:HIGH:COUNT's count
    checked against ``limit``; 1 for an ``@file``, bounded by :data:`chipclass.design.sweep.MAX_FILE_BYTES`), so a
    sweep's size is known before any range is built."""
    key, spec = split_setting(text, NUMERIC, "vary", "RANGE", "fp8=200:600:5")
    numbers = spec.partition(" ")[0]
    if spec.startswith("@"):
        return 1
    parts = numbers.split(":")
    if len(parts) == 3:
        return count_of(parts[2], key, limit)
    return 2 if len(parts) == 2 else len(numbers.split(","))


def figures(texts, key: str, unit: str | None, *, source: str | None = None, rows: bool = False):
    """Option values (``--vary``, ``--range``, ``@file`` values) to float64 in ``key``'s canonical
    unit through the cell grammar (:mod:`chipclass.core.cells`): each may carry its own unit, and
    the bounds of a catalogue cell apply (finite, zero or more, areas above zero). ``unit``: the
    unit given after the numbers (else the spec's default). ``rows``: number the values in
    messages (a file of values); else the message names the option and the value only."""
    import pyarrow as pa

    from chipclass.core.cells import numeric_column

    from chipclass.core.units import UnitError

    kind, default = NUMERIC[key]
    try:
        return numeric_column(pa.chunked_array([pa.array(list(texts), pa.string())]), kind, unit, default,
                              source=source or "", column=key, offset=0)
    except InputError as exc:
        raise InputError(exc.message, source=source, row=exc.row if rows else None, column=key,
                         value=exc.value) from None
    except UnitError as exc:
        raise InputError(str(exc), source=source, column=key, value=unit) from None
