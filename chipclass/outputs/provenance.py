"""Sentences for figure-level provenance (``chipclass check``'s report on ``sources.csv``)."""

from __future__ import annotations

from chipclass.outputs.tables import safe

__all__ = ["weak_lines"]


def _pct(values: list[float]) -> str:
    lo, hi = min(values), max(values)
    return f"{(hi - lo) / max(abs(hi), abs(lo)):.1%}" if hi != lo else "0%"


def weak_lines(report, sources_name: str, listing: bool = False) -> list[str]:
    """A count of the rows with figures on one source only or whose sources disagree beyond 1 %,
    then (``listing``) one line per such row: ``row 12 H100 SXM: one source: die_area, ...;
    disagree: memory_bandwidth 3350 / 3352 (0.1%)``."""
    single = sum(len(w.single) for w in report)
    disagree = sum(len(w.disagree) for w in report)
    out = [f"{safe(sources_name)}: {single} figure(s) in {sum(1 for w in report if w.single)} row(s) rest on one "
           f"source only; {disagree} figure(s) have sources that disagree beyond 1 %"
           + ("" if listing or not report else " (--weak lists them)")]
    if not listing:
        return out
    for w in report:
        parts = []
        if w.single:
            parts.append("one source: " + ", ".join(w.single))
        if w.disagree:
            parts.append("disagree: " + ", ".join(f"{c} {' / '.join(f'{v:g}' for v in vs)} ({_pct(vs)})"
                                                   for c, vs in w.disagree.items()))
        out.append(f"  row {w.row} {safe(w.device)}: " + "; ".join(parts))
    return out
