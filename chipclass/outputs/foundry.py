"""The foundry presumption in words: the table ``explain --view foundry`` shows and its block.

:func:`chipclass.licensing.foundry.presumption` decides in codes; this module turns each code
into its sentence. Citations, the paragraph presumed and who may attest a transistor count
come from the ``[foundry.*]`` records of the rule data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["foundry_frame", "foundry_lines"]

_DESIGNER = {
    "approved": "an approved IC designer ({supplement}) attests TPP and PD",
    "authorized": "an authorized IC designer attests TPP and PD (authorized status runs before {until})",
    "authorized_ended": ("authorized status ended: from {until} only a designer that has applied to become "
                         "approved counts ({applicant_rule})"),
    "applicant_before": "an authorized IC designer attests TPP and PD (before {until})",
    "applicant_no_date": "needs the application date: status lapses {days:g} days after applying",
    "applicant": "an applicant designer attests TPP and PD (applied {applied_on}, status until {end})",
    "applicant_lapsed": "applicant status lapsed {end} ({days:g} days after applying {applied_on})",
    "none": "no approved or authorized designer's attestation",
    "own_specs": "its own specs meet {paragraph}: no attestation can say otherwise",
}
_SOURCE = {"given": "given", "approximated": "approximated: transistor_density x die_area (an upper bound)",
           "unknown": "unknown"}


def _words(res) -> dict:
    figs = res.figures
    return {**res.dates, "paragraph": figs["presumed"][0].paragraph,
            "supplement": figs["approved_designers"][0].citation,
            "applicant_rule": figs["applicant_days"][0].label or figs["applicant_days"][0].citation}


def _citations(res) -> str:
    figs, year = res.figures, res.day.year
    rec, inst = figs["transistors_any"]
    cites = [f"{rec.value:g} bn: {rec.citation} [{rec.confidence or inst.confidence}]"]
    for key in res.no_hbm:
        r, i = figs[key]
        cites.append(f"{r.value:g} bn without HBM in {year}: {r.citation} [{r.confidence or i.confidence}]")
    until, node = figs["authorized_until"][0], figs["node_max"][0]
    return "; ".join(cites + [f"authorized designers before {until.date}: {until.citation}",
                              f"{node.citation} [{node.confidence}]"])


def foundry_frame(res) -> pd.DataFrame:
    """One row per design: ``name as_of applies has_hbm count_bn count_source count_limit_bn
    count_overcomes designer designer_overcomes specs_3a090a designer_note presumed_3a090a
    overcome_by needs citations`` (the column names are the output's, kept stable)."""
    f, words = res.frame, _words(res)
    attest = res.figures["transistors_any"][0].attested_by
    note = np.array([_DESIGNER[c].format(**words) + (f", showing TPP and PD outside {words['paragraph']}" if o else "")
                     for c, o in zip(f["designer_reason"], f["outside_shown"])], dtype=object)
    how = []
    for k in range(len(f)):
        routes = [note[k]] if f["designer_overcomes"].iloc[k] else []
        if f["count_overcomes"].iloc[k]:
            routes.append(f"an attested aggregated approximated transistor count of {f['count_bn'].iloc[k]:g} bn, "
                          f"below {f['count_limit_bn'].iloc[k]:g} bn" + (f" ({attest})" if attest else ""))
        how.append("; ".join(routes) or None)
    needs = {"node": "process_node or non_planar",
             "count": "transistor_count (or transistor_density and die_area); until confirmed the IC is presumed "
                      + words["paragraph"]}
    return pd.DataFrame({
        "name": f["name"], "as_of": f["as_of"], "applies": f["applies"], "has_hbm": f["has_hbm"],
        "count_bn": f["count_bn"], "count_source": [_SOURCE[s] for s in f["count_source"]],
        "count_limit_bn": f["count_limit_bn"], "count_overcomes": f["count_overcomes"], "designer": f["designer"],
        "designer_overcomes": f["designer_overcomes"], "specs_3a090a": f["specs_presumed"], "designer_note": note,
        "presumed_3a090a": f["presumed"], "overcome_by": np.asarray(how, dtype=object),
        "needs": [needs.get(x) for x in f["needs"]], "citations": _citations(res)})


def foundry_lines(results) -> list[str]:
    """The foundry block of ``explain --view foundry``: one answer per designer status."""
    frames = [foundry_frame(r) for r in results]
    first, res = frames[0].iloc[0], results[0]
    presumed, node = res.figures["presumed"][0], res.figures["node_max"][0]
    block = [f"Foundry presumption ({presumed.citation}) as of {first['as_of']}: binds the front-end "
             "fabricator or OSAT only"]
    applies = first["applies"]
    block.append("  applies: " + ("cannot decide, needs " + str(first["needs"]) if pd.isna(applies)
                                  else f"yes ({node.label or f'{node.value:g} {node.unit} node'} or below, or non-planar)" if applies
                                  else "no (not an applicable advanced logic IC)"))
    if pd.notna(first["count_bn"]):
        hbm = {1.0: "with HBM: no relaxation", 0.0: "without HBM"}.get(first.get("has_hbm"), "HBM unknown: the strict figure")
        block.append(f"  transistor count {first['count_bn']:g} bn ({first['count_source']}); "
                     f"threshold on this date {first['count_limit_bn']:g} bn ({hbm})")
    for f in frames:
        r = f.iloc[0]
        state = ("cannot decide" if pd.isna(r["presumed_3a090a"]) else
                 f"presumed {presumed.paragraph} and datacenter" if r["presumed_3a090a"]
                 else "presumption overcome" if pd.notna(r["applies"]) and bool(r["applies"])
                 else "no presumption")
        block.append(f"  designer {r['designer']:<10}: {state}")
        block.append(f"       {r['overcome_by'] or r['designer_note']}")
        if r["needs"]:
            block.append(f"       needs: {r['needs']}")
    block.append(f"  sources: {first['citations']}")
    return block
