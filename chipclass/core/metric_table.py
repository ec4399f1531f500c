"""The metric vocabulary, read from ``data/metrics.toml``: one record per figure chipclass reads
or computes (its kind, whether it is a catalogue input, whether a rule condition may name it, and
the inputs it needs), and per kind the quantity (canonical unit in :mod:`chipclass.core.units`)
and the label outputs print. Formats (their kind float/int) are in ``data/formats.toml``
(:mod:`chipclass.core.formats`, which adds the per-format labels: TFLOPS or TOPS)."""

from __future__ import annotations

import tomllib
from importlib import resources

import msgspec

__all__ = ["KINDS", "METRICS", "CONDITION_METRICS", "METRIC_QUANTITY", "NEEDS", "INPUTS", "kind_label"]


class _KindRec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    quantity: str
    label: str


class _MetricRec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    kind: str
    input: bool = False
    condition: bool = False
    needs: list[str] = []


class _MetricsFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    kinds: dict[str, _KindRec]
    metric: dict[str, _MetricRec]


def _load() -> _MetricsFile:
    path = resources.files("chipclass").joinpath("data/metrics.toml")
    with path.open("rb") as fh:
        data = msgspec.convert(tomllib.load(fh), _MetricsFile, strict=True)
    for name, rec in data.metric.items():  # a broken table is a packaging fault: fail loudly at import
        if rec.kind not in data.kinds:
            raise ValueError(f"data/metrics.toml: metric.{name}.kind: unknown kind {rec.kind!r}")
    return data


_DATA = _load()
#: Kind -> (quantity, label): ``"float" -> ("throughput", "TFLOPS")``.
KINDS: dict[str, tuple[str, str]] = {k: (r.quantity, r.label) for k, r in _DATA.kinds.items()}
#: Metric name -> its record (kind, input, condition, needs).
METRICS = dict(_DATA.metric)
#: Metrics a rule condition may name, in table order.
CONDITION_METRICS: tuple[str, ...] = tuple(n for n, r in METRICS.items() if r.condition)
#: Condition metric -> the quantity of its threshold (for the threshold's unit).
METRIC_QUANTITY: dict[str, str] = {n: KINDS[METRICS[n].kind][0] for n in CONDITION_METRICS}
#: Condition metric -> the inputs whose absence makes it unknown.
NEEDS: dict[str, tuple[str, ...]] = {n: tuple(METRICS[n].needs) for n in CONDITION_METRICS}
#: Catalogue input figures other than throughputs -> quantity, in table order.
INPUTS: dict[str, str] = {n: KINDS[r.kind][0] for n, r in METRICS.items() if r.input}


def kind_label(kind: str) -> str:
    """The label printed after a figure of this kind (``"mm²"``, ``"TFLOPS"``)."""
    return KINDS[kind][1]
