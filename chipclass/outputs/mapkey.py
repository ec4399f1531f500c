"""The text of the map's key table: legend, numbered devices, devices not on the axes, sources.

Every line is ``(kind, text, colour, hatch)``: ``kind`` is ``heading``, ``swatch`` (a colour
patch), ``marker`` (``colour`` holds the marker) or ``text``. Long lines are wrapped to the
column's width (never cut: every name stays readable).
"""

from __future__ import annotations

__all__ = ["key_lines", "wrap"]


def wrap(text: str, width: float, measure) -> list[str]:
    """Greedy word wrap: lines no wider than ``width`` by ``measure(text)`` (a word longer than
    the width stands on a line of its own)."""
    lines, line = [], ""
    for word in text.split(" "):
        trial = f"{line} {word}" if line else word
        if line and measure(trial) > width:
            lines.append(line)
            line = "   " + word
        else:
            line = trial
    if line:
        lines.append(line)
    return lines


def key_lines(pal: dict, labels: list[str], key: dict, off_axes: dict, sets, env, width: float, measure) -> list:
    """The key's lines, top to bottom (``width`` in the units of ``measure``)."""
    out = [("heading", "Colour: paragraph that decided, else status", None, None)]
    out += [("swatch", lab, pal.get(lab, "#c7c7c7"), None) for lab in labels]
    excl = list(dict.fromkeys(e.id for r in sets for e in r.exclusions if any(c.metric == "datacenter"
                                                                             for c in e.conditions)))
    if excl:
        out.append(("swatch", "hatched: differs if not designed for datacenters", "white", "///"))
        out += [("text", line, "0.3", None) for line in wrap("   (" + "; ".join(excl) + ")", width, measure)]
    out += [("marker", "datacenter part", "o", None), ("marker", "not for datacenters", "^", None)]
    if key:
        out.append(("heading", "", None, None))
        out.append(("heading", "Numbers on the map", None, None))
        for k, names in key.items():
            out += [("text", line, None, None) for line in wrap(f"{k:>3}  {' / '.join(names)}", width, measure)]
    for kind, names in off_axes.items():
        out.append(("heading", "", None, None))
        out.append(("heading", f"Not on the axes: {kind}", None, None))
        out += [("text", line, None, None) for line in wrap(", ".join(dict.fromkeys(names)), width, measure)]
    out.append(("heading", "", None, None))
    out += [("text", line, "0.3", None) for line in wrap(_sources(sets, env), width, measure)]
    return out


def _sources(sets, env) -> str:
    cites = "; ".join(dict.fromkeys(i.reference for r in sets for i in r.instruments if i.clauses))
    link = list(dict.fromkeys(c.describe() for r in sets for cl in r.clauses for c in cl.conditions
                              if c.metric == "interconnect_bandwidth"))
    text = f"Sources: {cites}. Regions drawn for a datacenter processor"
    text += f" meeting {' and '.join(link)}." if link else "."
    if env is not None:
        text += (f" Envelope (dotted): {env['target']} around the base, free {', '.join(env['free'])}, "
                 f"as of {env['as_of']}.")
    return text
