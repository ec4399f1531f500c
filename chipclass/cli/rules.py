"""``chipclass rules``: the timeline of the rule data and ``--diff`` between two dates."""

from __future__ import annotations

import click

from chipclass.cli.base import main
from chipclass.cli.options import as_of_option, date_type, format_option, output_option, quiet_option, rules_option
from chipclass.outputs.formats import Format


@main.command(name="rules")
@click.option("--diff", "between", nargs=2, type=date_type, default=None, metavar="BEFORE AFTER",
              help="List what changed between two dates (statuses, clauses and thresholds).")
@format_option(Format.TABLE, Format.CSV, Format.JSON, Format.JSONL)
@output_option
@as_of_option
@quiet_option
@rules_option
def rules_cmd(between, fmt, output, as_of, quiet, rules_dir):
    """Every instrument in the rule data with its Federal Register citation, dates (published,
    effective, compliance, end or suspension), status on --as-of (in force, written but not
    enforced, suspended, superseded), what it changed and the confidence of each fact; dated
    Country Group moves and product notes too. The footer names the knowledge horizon."""
    from chipclass import __version__
    from chipclass.outputs.formats import choose
    from chipclass.outputs.timeline import diff_frame, diff_text, timeline_frame, timeline_text
    from chipclass.outputs.write import write_frame, write_json
    from chipclass.rules.horizon import horizon
    from chipclass.rules.instruments import as_date
    from chipclass.rules.timeline import diff, timeline

    fmt = choose(fmt, output, [Format.TABLE, Format.CSV, Format.JSON, Format.JSONL])
    h = horizon(rules_dir)
    if between:
        before, after = (as_date(d) for d in between)
        found = diff(before, after, rules_dir)
        meta = {"chipclass": __version__, "before": before.isoformat(), "after": after.isoformat(),
                "horizon": h.to_dict()}
        if fmt is Format.JSON:
            return write_json({"meta": meta, "changes": diff_frame(found).to_dict(orient="records")}, output)
        return write_frame(diff_frame(found), fmt, output, meta=meta,
                           table_text=lambda _: diff_text(found, before, after, h))
    day = as_date(as_of)
    entries = timeline(day, rules_dir)
    meta = {"chipclass": __version__, "as_of": day.isoformat(), "horizon": h.to_dict()}
    if fmt is Format.JSON:
        return write_json({"meta": meta, "entries": [e.to_dict() for e in entries]}, output)
    write_frame(timeline_frame(entries), fmt, output, meta=meta, table_text=lambda _: timeline_text(entries, day, h))
