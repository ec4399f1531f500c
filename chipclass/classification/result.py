"""The result of classifying a catalogue: arrays and codes, and the display table built from them.

A :class:`Classification` keeps what the engine decided as numpy arrays (codes into the rule
set's clauses, the status, a bitmask of missing inputs, the exclusion note) beside the metrics
and margins. Everything downstream (licensing, headroom, sweeps, diff, outputs) reads these
codes; only :mod:`chipclass.outputs.table` turns them into text columns, once, for display.
The "clause, else status" label every report shows is built in one place, :func:`labels`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from chipclass.classification.logic import (INPUTS, STATUS, STATUSES, falls_under_any, label_codes, label_table,
                                            selector_hits)
from chipclass.core.catalogue import DEVICE_TYPES, Catalogue

__all__ = ["Classification", "STATUS", "INPUTS", "labels", "matches", "STATUSES"]

@dataclass
class Classification:
    """What the rules in force say about every row of a catalogue.

    Attributes
    ----------
    catalogue : Catalogue
        The input, after unit normalisation.
    rules : RuleSet
        The composed rule set applied.
    tpp, performance_density, memory_bandwidth_density : ndarray of float64
        The metrics. [dimensionless, 1/mm**2, GB/s/mm**2]
    tpp_format : ndarray of int8
        Index into ``formats`` of the format that gave the TPP (-1: none).
    clause : ndarray of int16
        Index into ``rules.clauses`` of the deciding clause (-1: none).
    status : ndarray of int8
        Index into :data:`STATUS`.
    missing : ndarray of int16
        Bitmask over :data:`INPUTS` of the inputs an undecided clause needs.
    note : ndarray of int16
        Index into ``rules.exclusions`` of the note that took the row out (-1: none).
    margins : dict of str -> ndarray
        ``margin_<metric>_<threshold>`` = metric - threshold, in the metric's unit.
    """

    catalogue: Catalogue
    rules: object
    formats: list[str]
    tpp: np.ndarray
    tpp_format: np.ndarray
    performance_density: np.ndarray
    memory_bandwidth_density: np.ndarray
    clause: np.ndarray
    status: np.ndarray
    missing: np.ndarray
    note: np.ndarray
    margins: dict[str, np.ndarray]
    bit_lengths: dict[str, int] = field(default_factory=dict)
    tops: np.ndarray | None = None
    #: The ECCN ladder (chipclass.classification.ladder): codes into ``final_labels`` of each
    #: row's final ECCN, of the paragraph whose licence scope it follows, and of its note.
    final: np.ndarray | None = None
    licensed_as: np.ndarray | None = None
    final_note: np.ndarray | None = None
    final_labels: list = field(default_factory=list)
    note_labels: list = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.status)

    # --- codes as text ------------------------------------------------------------------
    @property
    def clause_ids(self) -> list[str]:
        return [c.id for c in self.rules.clauses]

    @property
    def eccns(self) -> list[str]:
        return list(dict.fromkeys(c.eccn for c in self.rules.clauses))

    @property
    def eccn(self) -> np.ndarray:
        """Index into :attr:`eccns` of each row's paragraph (-1: none)."""
        ids = self.eccns
        of_clause = np.array([ids.index(c.eccn) for c in self.rules.clauses] + [-1], dtype=np.int16)
        return of_clause[self.clause]

    def eccn_text(self) -> np.ndarray:
        """Each row's paragraph as text ('' where none), for prefix matching."""
        return np.asarray(self.eccns + [""], dtype=object)[self.eccn].astype(str)

    def label(self) -> np.ndarray:
        """Clause id where a clause decided, else the status text: what reports show."""
        table = np.asarray(label_table(self.clause_ids), dtype=object)
        return table[label_codes(self.clause, self.status, len(self.clause_ids))]

    @property
    def controlled(self) -> np.ndarray:
        return self.status == STATUS.index("controlled")

    @property
    def indeterminate(self) -> np.ndarray:
        return self.status == STATUS.index("indeterminate")

    def metrics(self) -> dict[str, np.ndarray]:
        """Every metric column a condition may name, full length (no recomputation)."""
        v = self.catalogue.values
        return {"tpp": self.tpp, "performance_density": self.performance_density,
                "memory_bandwidth_density": self.memory_bandwidth_density,
                "interconnect_bandwidth": v["interconnect_bandwidth"],
                "memory_bandwidth": v["memory_bandwidth"], "memory": v["memory"],
                "die_area": v["die_area"], "datacenter": self.catalogue.datacenter}

    def hits(self, selectors) -> np.ndarray:
        """Rows whose status equals, or whose clause or paragraph is or falls under, a selector
        (as :func:`matches` on the table, from the codes)."""
        return selector_hits(self.status, [(self.clause_ids, self.clause), (self.final_labels, self.final)],
                             selectors)

    def summary(self) -> "pd.DataFrame":
        """How many rows land in each clause or status, most first."""
        import pandas as pd

        counts = pd.Series(self.label()).value_counts(sort=False)
        out = counts.rename_axis("result").reset_index(name="count")
        out["share"] = out["count"] / max(len(self), 1)
        return out.sort_values("count", ascending=False, ignore_index=True)

    def _repr_html_(self) -> str:  # Jupyter
        head = (f"<p><b>{len(self):,} device(s)</b> under {self.rules.id} as of "
                f"{self.rules.as_of.isoformat()}</p>")
        table = DISPLAY.get("table")
        shown = table(self).head(50) if table is not None else self.summary()
        return head + shown._repr_html_()


#: The score-table builder a notebook shows; :mod:`chipclass.outputs.table` (a layer above,
#: which makes every table) registers itself here when imported.
DISPLAY: dict = {}


def labels(frame) -> np.ndarray:
    """The clause, else the status, of each row of a result table (as :meth:`Classification.label`)."""
    clause = frame["clause"].astype(object)
    return np.where(clause.isna(), frame["status"].astype(str), clause.astype(str)).astype(object)


def matches(frame, selectors) -> np.ndarray:
    """Rows whose status equals, or whose clause or paragraph is or falls under, a selector."""
    hit = np.zeros(len(frame), dtype=bool)
    clause = frame["clause"].astype(object).fillna("").to_numpy()
    eccn = frame["eccn"].astype(object).fillna("").to_numpy()
    status = frame["status"].astype(str).to_numpy()
    for s in selectors:
        if s in STATUSES:
            hit |= status == s
        else:
            hit |= falls_under_any(clause, [s]) | falls_under_any(eccn, [s])
    return hit
