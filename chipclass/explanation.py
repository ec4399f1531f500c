"""One device, step by step: per-format TPP, the metrics, every clause with its numbers,
the margins, the decision and the citations."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from chipclass.core.catalogue import DEVICE_TYPES, Catalogue
from chipclass.classification.engine import classify, compute_metrics, evaluate
from chipclass.core.formats import BIT_LENGTH, FORMATS, NOTES
from chipclass.outputs.table import score_frame
from chipclass.rules.instruments import RuleSet

__all__ = ["Explanation", "explain_row"]


def _num(x) -> float | None:
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else float(x)


@dataclass
class Explanation:
    name: str
    as_of: str
    formats: list[dict]
    metrics: dict
    clauses: list[dict]
    exclusions: list[dict]
    result: dict
    instruments: list[dict]
    extra: dict = field(default_factory=dict)
    catalogue: Catalogue | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        extra = {k: v for k, v in self.extra.items() if k != "text_blocks"}
        return {"name": self.name, "as_of": self.as_of, "formats": self.formats,
                "metrics": self.metrics, "clauses": self.clauses, "exclusions": self.exclusions,
                "result": self.result, "rule_sets": self.instruments, **extra}

    def to_text(self) -> str:
        from chipclass.outputs.reports import explanation_text

        return explanation_text(self)

    def _repr_html_(self) -> str:  # Jupyter
        import html

        return f"<pre>{html.escape(self.to_text())}</pre>"


def _state(true, false) -> str:
    return "true" if true else "false" if false else "unknown"


def _clauses(rules: RuleSet, ev, m, device_type: str) -> list[dict]:
    """Each clause of the rule set on the one row: its state, and each condition's value, state
    and margin."""
    clauses = []
    for c in rules.clauses:
        conds = []
        for k, cond in enumerate(c.conditions):
            val, known = ev.conditions[(c.id, k)]
            value = _num(m[cond.metric][0])
            conds.append({"metric": cond.metric, "value": value, "op": cond.op,
                          "threshold": cond.given, "state": _state(val[0], known[0] and not val[0]),
                          "margin": None if value is None or cond.metric == "datacenter"
                          else value - cond.value})
        excluded = [e.id for e in rules.exclusions if c.id in e.excludes and ev.excluded_by[e.id][0]]
        clauses.append({"id": c.id, "eccn": c.eccn, "text": c.text, "confidence": c.confidence,
                        "instrument": c.instrument, "applies_to": list(c.applies_to),
                        "state": _state(ev.clause_true[c.id][0], ev.clause_false[c.id][0])
                        if device_type in c.applies_to else "not applicable",
                        "conditions": conds, "excluded_by": ", ".join(excluded) or None})
    return clauses


def explain_row(cat: Catalogue, index: int, rules: RuleSet, bit_lengths: dict | None = None) -> Explanation:
    one = cat.take([index])
    m = compute_metrics(one, bit_lengths)
    frame = score_frame(classify(one, rules, bit_lengths, metrics=m))
    ev = evaluate(rules, m, one.device_type)
    m = ev.metrics
    formats = []
    for fname in FORMATS:
        dense, sparse = one.values[fname][0], one.values[f"{fname}_sparse"][0]
        if np.isnan(dense) and np.isnan(sparse):
            continue
        used = dense if not np.isnan(dense) else sparse / 2
        formats.append({"format": fname, "dense_tops": float(used),
                        "from": "dense" if not np.isnan(dense) else "sparse/2",
                        "bits": {**BIT_LENGTH, **(bit_lengths or {})}[fname], "tpp": float(m[f"tpp_{fname}"][0]),
                        "note": NOTES.get(fname)})
    metrics = {k: _num(m[k][0]) for k in ("tpp", "performance_density", "memory_bandwidth_density",
                                          "interconnect_bandwidth", "memory_bandwidth", "memory",
                                          "die_area")}
    metrics["tpp_format"] = None if pd.isna(m["tpp_format"][0]) else str(m["tpp_format"][0])
    metrics["datacenter"] = bool(one.datacenter[0])
    metrics["device_type"] = DEVICE_TYPES[one.device_type[0]]

    clauses = _clauses(rules, ev, m, metrics["device_type"])
    exclusions = [{"id": e.id, "note": e.note, "state": "applies" if ev.excluded_by[e.id][0]
                   else "does not apply"} for e in rules.exclusions]
    row = frame.iloc[0]

    def text(v):
        return None if v is None or (isinstance(v, float) and np.isnan(v)) or v is np.nan else str(v)

    result = {"status": str(row["status"]), "eccn": text(row["eccn"]), "clause": text(row["clause"]),
              "missing": text(row["missing"]), "note": text(row["note"]), "eccn_note": text(row["eccn_note"]),
              "margins": {k: _num(row[k]) for k in frame.columns if k.startswith("margin_")},
              "rule_set": rules.id}
    instruments = [{"id": i.id, "citation": i.citation, "fr_doc": i.fr_doc, "title": i.title,
                    "published": i.published.isoformat(), "effective": i.effective.isoformat(),
                    "confidence": i.confidence} for i in rules.instruments]
    from chipclass.design.headroom import headroom
    from chipclass.outputs.reports import describe_headroom as describe

    room = headroom(one, rules, bit_lengths=bit_lengths)
    room_rows = [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
                 for r in room.to_dict("records")]
    lines = ["Headroom (each spec alone; solved from the thresholds)"]
    lines += ["  " + describe(r) for r in room_rows if r["limit"] is not None]
    if len(lines) == 1:
        lines.append("  no single spec change alters the class")
    return Explanation(str(one.names.iloc[0]), rules.as_of.isoformat(), formats, metrics, clauses,
                       exclusions, result, instruments, catalogue=one,
                       extra={"headroom": room_rows, "text_blocks": [lines]})

