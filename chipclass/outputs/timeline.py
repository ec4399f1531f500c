"""Words and tables for the rule timeline (``chipclass rules``), its ``--diff`` and the knowledge
horizon: the engine (:mod:`chipclass.rules.timeline`, :mod:`chipclass.rules.horizon`) returns
typed records and status codes; this module says them."""

from __future__ import annotations

import datetime as dt
from collections import Counter

__all__ = ["STATUS_WORDS", "timeline_frame", "timeline_text", "diff_frame", "diff_text", "horizon_footer",
           "horizon_notice"]

STATUS_WORDS = {"future": "not yet in force", "in_force": "in force", "not_enforced": "written but not enforced",
                "suspended": "suspended", "superseded": "superseded", "ended": "ended", None: "—"}


def _iso(d) -> str | None:
    return d.isoformat() if d else None


def _changes_text(changes) -> str:
    return " | ".join(f"{c.kind} {c.id}: {c.detail} [{c.confidence}]" if c.confidence else f"{c.kind} {c.id}: {c.detail}"
                      for c in changes)


def timeline_frame(entries):
    """One row per timeline entry (csv, json lines, parquet): dates, status in words and as a
    code, confidence, and what it changed."""
    import pandas as pd

    return pd.DataFrame([{
        "kind": e.kind, "id": e.id, "citation": e.citation, "fr_doc": e.fr_doc or None, "title": e.title,
        "published": _iso(e.published), "effective": _iso(e.effective), "compliance": _iso(e.compliance),
        "ends": _iso(e.ends), "suspended_from": _iso(e.suspended_from), "suspended_by": e.suspended_by,
        "status_code": e.status, "status": STATUS_WORDS[e.status], "confidence": e.confidence,
        "changed": _changes_text(e.changes) or None} for e in entries])


def horizon_footer(h, day: dt.date) -> str:
    """The table footer naming the knowledge horizon (and whether ``day`` is past it)."""
    text = f"Rule data reviewed through {h.reviewed_through.isoformat()} (knowledge horizon): {h.basis}."
    if day > h.reviewed_through:
        text += (f" {day.isoformat()} is after the horizon: rules published since "
                 f"{h.reviewed_through.isoformat()} are not known to chipclass.")
    return text


def horizon_notice(h, day: dt.date) -> str:
    """The one-line stderr notice for a run whose date is past the horizon."""
    return (f"chipclass: note: rules as of {day.isoformat()} are after the rule data's knowledge horizon "
            f"({h.reviewed_through.isoformat()}): rules published since then are not known to this version")


def timeline_text(entries, day: dt.date, h) -> str:
    """The table view: one line per entry; under each instrument a count of what it changed."""
    from chipclass.outputs.tables import render_table

    frame = timeline_frame(entries)
    frame["changed"] = [", ".join(f"{n} {k}" for k, n in Counter(c.kind for c in e.changes).items()) or None
                        for e in entries]
    frame["until"] = [_iso(e.suspended_from) or _iso(e.ends) for e in entries]
    cols = ("effective", "compliance", "until", "status", "id", "citation", "confidence", "changed")
    return (f"Rule timeline as of {day.isoformat()}\n\n" + render_table(frame, cols)
            + "\n" + horizon_footer(h, day) + "\n")


def diff_frame(diffs):
    """One row per difference between two dates (csv, json lines, parquet): kind, id, citation,
    status before and after in words (``absent`` where there was none), and what changed."""
    import pandas as pd

    return pd.DataFrame([{"kind": d.kind, "id": d.id, "citation": d.citation or None,
                          "before": STATUS_WORDS[d.before] if d.before else "absent",
                          "after": STATUS_WORDS[d.after] if d.after else "absent",
                          "changed": _changes_text(d.changes) or None} for d in diffs],
                        columns=["kind", "id", "citation", "before", "after", "changed"])


def diff_text(diffs, before: dt.date, after: dt.date, h) -> str:
    """The table view of ``--diff``: one line per difference between ``before`` and ``after``
    (at most three changes each), then the knowledge horizon footer."""
    from chipclass.outputs.tables import render_table

    head = f"Rule data changes between {before.isoformat()} and {after.isoformat()}\n\n"
    if not diffs:
        return head + "(nothing changed)\n\n" + horizon_footer(h, after) + "\n"
    frame = diff_frame(diffs)
    frame["changed"] = [_changes_text(d.changes[:3]) + (" | ..." if len(d.changes) > 3 else "") for d in diffs]
    return head + render_table(frame, ("kind", "id", "citation", "before", "after", "changed")) + "\n" + \
        horizon_footer(h, after) + "\n"
