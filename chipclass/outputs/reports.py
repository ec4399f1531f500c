"""The text every command shows people: one renderer per report, beside the shared table.

Machine formats (CSV, JSON, Parquet) are written from the same frames by
:mod:`chipclass.outputs.write`; the functions here only make text.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import numpy as np

from chipclass.core.formats import label
from chipclass.outputs.tables import render_table, safe
from chipclass.outputs.write import to_records

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["fleet_json", "sweep_summary_line", "explanation_text", "fmt_number", 
           "headroom_text", "describe_headroom", "fleet_text", "tier_text", "model_text", "diff_text",
           "sweep_text", "stamp_lines", "envelope_text"]


def fmt_number(x, signed: bool = False) -> str:
    """A number for people: 4 significant figures, thousands separated; '—' for missing."""
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "—"
    text = f"{x:+,.4g}" if signed else f"{x:,.4g}"
    if abs(x) >= 1e4 and float(x).is_integer():
        text = f"{x:+,.0f}" if signed else f"{x:,.0f}"
    return text



def explanation_text(ex) -> str:
    """The text of an :class:`~chipclass.explanation.Explanation`."""
    f = fmt_number
    family = ex.clauses[0]["eccn"].split(".")[0] if ex.clauses else "classification"
    lines = [f"{safe(ex.name)} — {family} as of {ex.as_of}", ""]
    lines.append("Per-format TPP (dense TFLOPS or TOPS x bit length; sparse figures counted at half)")
    lines.append(f"  {'format':<7} {'dense':>12} {'unit':<6} {'from':<8} {'bits':>4} {'TPP':>12}")
    for r in ex.formats:
        mark = "  <- TPP" if r["format"] == ex.metrics["tpp_format"] else ""
        lines.append(f"  {r['format']:<7} {f(r['dense_tops']):>12} {label(r['format']):<6} {r['from']:<8} "
                     f"{r['bits']:>4} {f(r['tpp']):>12}{mark}")
        if r.get("note"):
            lines.append(f"          note: {r['note']}")
    if not ex.formats:
        lines.append("  (no throughput given)")
    m = ex.metrics
    lines += ["", "Metrics",
              f"  TPP                       {f(m['tpp'])}  ({m['tpp_format'] or 'no format'})",
              f"  die area                  {f(m['die_area'])} mm²",
              f"  performance density       {f(m['performance_density'])} per mm²",
              f"  memory bandwidth          {f(m['memory_bandwidth'])} GB/s",
              f"  memory bandwidth density  {f(m['memory_bandwidth_density'])} GB/s/mm²",
              f"  interconnect bandwidth    {f(m['interconnect_bandwidth'])} GB/s",
              f"  designed for datacenters  {'yes' if m['datacenter'] else 'no'}"
              f"  device type: {m['device_type']}", "", "Clauses (first one met decides)"]
    for c in ex.clauses:
        lines.append(f"  {c['id']:<10} {c['state'].upper():<8} {c['text']}")
        if c["state"] == "not applicable":
            lines.append(f"      applies to {', '.join(c['applies_to'])} only")
            continue
        for cond in c["conditions"]:
            lines.append(f"      {cond['metric']} = {f(cond['value'])} {cond['op']} {cond['threshold']}"
                         f": {cond['state']}" + (f", margin {f(cond['margin'], signed=True)}"
                                                 if cond['margin'] is not None else ""))
        if c.get("excluded_by"):
            lines.append(f"      excluded by {c['excluded_by']}")
    for e in ex.exclusions:
        lines.append(f"  {e['id']}: {e['state']}")
    r = ex.result
    lines += ["", "Result",
              f"  status   {r['status']}",
              f"  eccn     {r['eccn'] or '—'}",
              f"  clause   {r['clause'] or '—'}"]
    if r.get("eccn_note"):
        lines.append(f"  ladder   {r['eccn_note']}")
    if r.get("missing"):
        lines.append(f"  missing  {r['missing']}")
    if r.get("note"):
        lines.append(f"  note     {r['note']}")
    lines += ["", "Margins to each threshold (metric − threshold; positive = at or above)"]
    for k, v in r["margins"].items():
        lines.append(f"  {k:<40} {f(v, signed=True)}")
    for block in ex.extra.get("text_blocks", []):
        lines += [""] + block
    lines += ["", "Rule sets relied on"]
    for i in ex.instruments:
        lines.append(f"  {i['id']}: {i['citation']}, effective {i['effective']} [{i['confidence']}]"
                     f" — {i['title']}")
    return "\n".join(lines)


def describe_headroom(row: dict) -> str:
    """A sentence: 'FP8 can rise to just under 300 TFLOPS (now 296) before it becomes 3A090.b.1 [...]',
    or for a part on a line 'FP8 (600 TFLOPS) is on the tpp 4800 line: any decrease makes it 3A090.a.2'
    (TFLOPS for floating-point formats, TOPS for integer ones: the row's unit column)."""
    from chipclass.core.formats import FORMATS

    spec, unit = row["spec"], row.get("unit") or ""
    label = spec.upper() if spec in FORMATS else spec.replace("_", " ")
    verb = "rise" if row["direction"] == "up" else "fall"
    if row["limit"] is None or row["limit"] != row["limit"]:
        return f"{label} can {verb} without limit (alone) and keep {row['current_class']}"
    if row.get("on_line"):
        move = "increase" if row["direction"] == "up" else "decrease"
        return (f"{label} ({row['current']:,.6g} {unit}) is on the {row['line']} line: any {move} makes it "
                f"{row['becomes']} [{row['binding']}]")
    edge = "to" if row["limit_inclusive"] else "to just " + ("under" if row["direction"] == "up" else "over")
    return (f"{label} can {verb} {edge} {row['limit']:,.6g} {unit} (now {row['current']:,.6g}) before it "
            f"becomes {row['becomes']} [{row['binding']}]")


def headroom_text(frame: pd.DataFrame) -> str:
    """The ``headroom`` report: per device, each spec's move before the class changes and what it becomes."""
    lines = []
    for name, grp in frame.groupby("name", sort=False):
        ic = grp["figures_of"].iloc[0] if "figures_of" in grp else None
        via = f"; scored on the figures of its IC {safe(ic)}, whose specs these are" if isinstance(ic, str) else ""
        lines.append(f"{safe(name)} ({grp['current_class'].iloc[0]}{via})")
        moved = [describe_headroom(r) for r in grp.to_dict("records")
                 if r["limit"] is not None and r["limit"] == r["limit"]]
        lines += ["  " + m for m in moved] or ["  no single spec change alters the class"]
    return "\n".join(lines) + "\n"


def stamp_lines(d: dict) -> list[str]:
    """Which rule set answered, its citation, and its enforcement on the as-of date."""
    return [f"rule set {d['rule_set']}: {d['citation']}", f"as of {d['as_of']}: {d['enforcement']}"]


def tier_text(frame: pd.DataFrame) -> str:
    """The ``tier`` report: one row per country (tier, enforcement), then the instrument's stamp."""
    return render_table(frame, ["country", "tier", "enforced"]) + "\n".join(stamp_lines(frame.iloc[0].to_dict())) + "\n"


def model_text(result: dict) -> str:
    """The ``model`` report: training operations and method, the 4E091 threshold, the answer, exemptions and counting rules."""
    lines = [f"operations  {result['operations']:.3e}  ({result['method']})",
             f"threshold   {result['threshold']:.0e} or more  [{result['threshold_citation']}]",
             f"eccn        {result['eccn'] or 'not ' + result['paragraph']}: {result['reason']}"]
    lines += stamp_lines(result)
    lines += [f"exemption: {e}" for e in result["exemptions"]]
    if result.get("counting"):
        lines.append(f"counting: {result['counting']}")
    return "\n".join(lines) + "\n"


def fleet_text(res: dict) -> str:
    """The ``fleet`` report: totals in TPP and H100-equivalents, then per country, per owner and the limit checks with citations."""
    t = res["total"]
    lines = [f"fleet: {t['devices']:,.0f} devices, TPP {t['tpp']:,.0f} = {t['h100_equivalents']:,.1f} "
             f"H100-equivalents (1 H100-equivalent = TPP {res['h100_equivalent_tpp']:,.0f})"]
    lines += stamp_lines(res)
    checks = res["checks"].copy()
    checks["result"] = np.where(checks["passed"], "pass", "FAIL")
    text = "\n".join(lines) + "\n\nby country\n"
    text += render_table(res["by_country"], ["country", "tier", "devices", "tpp", "h100_equivalents"])
    text += "\nby owner\n" + render_table(res["by_owner"], ["owner", "devices", "tpp", "h100_equivalents"])
    text += "\nlimit checks\n" + render_table(checks, ["check", "scope", "value", "limit", "unit", "margin", "result"])
    text += "".join(f"\n  [{c}]" for c in dict.fromkeys(res["checks"]["citation"]))
    return text + "\n"


def _is_frame(v) -> bool:
    pd = sys.modules.get("pandas")  # a DataFrame means pandas is imported already
    return pd is not None and isinstance(v, pd.DataFrame)


def fleet_json(res: dict) -> dict:
    """The fleet result with its tables as lists of records (for ``fleet -f json``)."""
    return {k: (to_records(v) if _is_frame(v) else v) for k, v in res.items()}


def diff_text(frame: pd.DataFrame, from_date, to_date) -> str:
    """The ``diff`` report: a heading with both dates and rule sets, then one row per changed device."""
    cols = ["name", "from_clause", "from_status", "to_clause", "to_status", "tpp", "performance_density"]
    head = (f"{len(frame)} device(s) changed between {from_date} "
            f"({frame['from_rule_set'].iloc[0] if len(frame) else ''}) and {to_date} "
            f"({frame['to_rule_set'].iloc[0] if len(frame) else ''})\n")
    return head + render_table(frame, cols)


def sweep_text(frame: pd.DataFrame, summary: pd.DataFrame, keys, base_name: str, method: str, as_of,
               rule_set: str, max_rows: int = 200) -> str:
    """The ``sweep`` report: a heading, the summary per result and, up to ``max_rows`` variants, the variants."""
    cols = ["variant", *keys, "tpp", "performance_density", "clause", "status"] + \
        [c for c in frame.columns if c.startswith("license_")]
    text = (f"{len(frame):,} variants of {safe(base_name)} ({method}), as of {as_of} ({rule_set})\n\n"
            + render_table(summary, ["result", "count", "share"]))
    if len(frame) <= max_rows:
        text += "\n" + render_table(frame, cols)
    return text


def sweep_summary_line(summary) -> str:
    """One line of counts per result (``3A090.a.1: 3; not controlled: 2``), for stderr;
    ``summary`` an Arrow table (:func:`chipclass.outputs.sweep.summary_table`) or a DataFrame."""
    rows = summary.to_pylist() if hasattr(summary, "to_pylist") else summary.to_dict("records")
    return "; ".join(f"{r['result']}: {r['count']:,}" for r in rows)


def envelope_text(env) -> str:
    """The envelope for people: the answer first (nearest point, largest value), then its faces."""
    from chipclass.design.headroom import UNITS

    free = env.free
    base = ", ".join(f"{s} {fmt_number(env.base[s])} {UNITS[s]}" for s in free)
    lines = [f"envelope of {safe(env.target)} around {base}, as of {env.as_of} ({env.rule_set})",
             "box: " + ", ".join(f"{s} {fmt_number(lo)}..{fmt_number(hi)}" for s, (lo, hi) in env.bounds.items()),
             f"{len(env.pieces)} piece(s), {len(env.vertices)} vertices, {len(env.faces)} boundary face(s)", ""]
    n = env.nearest
    if n is None:
        lines.append(f"no point of the box meets {safe(env.target)}")
    else:
        where = ", ".join(f"{s} {n[s]:,.6g} ({n[f'change_{s}']:+.2%})" for s in free)
        edge = "" if n["attained"] else " (just inside: the face itself is excluded)"
        lines.append(f"nearest: {where}; distance {n['distance']:.4g}{edge}")
        lines.append(f"  norm: {env.norm}")
    g = env.largest
    if g is not None:
        others = ", ".join(f"{s} {g[s]:,.6g}" for s in free if s != g["spec"])
        tail = " (the box's edge: the envelope goes on)" if g["at_bound"] else (
            "" if g["attained"] else " (just under: the face itself is excluded)")
        lines.append(f"largest {g['spec']}: {g['value']:,.6g} {g['unit']}{tail}" + (f" at {others}" if others else ""))
    text = "\n".join(lines) + "\n\nboundary faces\n"
    text += render_table(env.faces, ["piece", "constraint", "equation", "inclusive"])
    text += "\nvertices\n" + render_table(env.vertices, ["piece", "vertex", *free])
    return text
