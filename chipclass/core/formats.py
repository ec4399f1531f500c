"""Numeric formats, their bit lengths and kinds (float or int), read from ``data/formats.toml``
through the schema; and :func:`label`, the unit label of any metric, format or input."""

from __future__ import annotations

from importlib import resources

from chipclass.core import schema
from chipclass.core.metric_table import METRICS, kind_label

_DATA = schema.load(resources.files("chipclass").joinpath("data/formats.toml"), schema.FormatsFile).formats

#: Format name -> bit length of the operation (3A090 Technical Note).
BIT_LENGTH: dict[str, int] = {name: rec.bits for name, rec in _DATA.items()}
#: Format names, in tie-break order.
FORMATS: tuple[str, ...] = tuple(BIT_LENGTH)
#: Notes on ambiguous formats (tf32).
NOTES: dict[str, str] = {name: " ".join(rec.note.split()) for name, rec in _DATA.items() if rec.note}
#: Format name -> "float" or "int".
KIND: dict[str, str] = {name: rec.kind for name, rec in _DATA.items()}


def label(name: str) -> str:
    """The unit label of a format, its ``_sparse`` twin, an input or a metric: TFLOPS for
    floating-point formats, TOPS for integer ones (both in the canonical unit, 10^12 operations
    per second), else the metric kind's label (data/metrics.toml).

    >>> label("fp8"), label("int8_sparse"), label("die_area")
    ('TFLOPS', 'TOPS', 'mm²')
    """
    fmt = name.removesuffix("_sparse")
    if fmt in KIND:
        return kind_label(KIND[fmt])
    return kind_label(METRICS[name].kind)
