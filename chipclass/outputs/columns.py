"""How a catalogue's headers were read (:mod:`chipclass.core.headers`), as text lines and records
for ``check`` and ``explain``."""

from __future__ import annotations

__all__ = ["column_records", "column_lines"]


def column_records(columns) -> list[dict]:
    """One record per header: ``{"header", "column", "unit", "how"}`` (``column`` None when passed through)."""
    return [{"header": c.header, "column": c.name, "unit": c.unit, "how": c.how} for c in columns]


def column_lines(columns, all_columns: bool = False) -> list[str]:
    """``'FP8 Tensor (dense) [TFLOPS]' -> fp8 [TFLOPS] (synonym)``, for every header not spelled as
    the vocabulary (all of them with ``all_columns``)."""
    out = []
    for c in columns:
        if c.how == "vocabulary" and not all_columns:
            continue
        if c.name is None:
            out.append(f"  {c.header!r}: passed through ({c.how})")
        elif c.how == "text":
            out.append(f"  {c.header!r} -> {c.name} (text, not scored)")
        else:
            unit = f" [{c.unit}]" if c.unit else ""
            out.append(f"  {c.header!r} -> {c.name}{unit} ({c.how})")
    return out
