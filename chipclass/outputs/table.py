"""The one result-table builder: a Classification's codes and arrays as the score table.

:func:`score_columns` decides which columns there are, in which order, and what text each code
stands for; an *encoder* decides how a column is held: pandas categoricals (:func:`score_frame`,
what the Python API and the text outputs use), plain Arrow strings (:func:`score_arrow`, what CSV,
JSON and Parquet outputs write) or Arrow dictionaries (:func:`sweep_columns`, what keeps 10^7
sweep variants cheap). Columns: ``name device_type datacenter tpp tpp_format
performance_density memory_bandwidth_density eccn eccn_note clause status missing note margin_*
rule_set``, then the catalogue's pass-through columns (a clash gets `` (input)``, or a further
number when that is taken too: :func:`chipclass.core.names.passthrough_names`).
"""

from __future__ import annotations

import numpy as np

from chipclass.classification.logic import INPUTS, STATUS, bit_names
from chipclass.classification.result import DISPLAY
from chipclass.core.arrowcompute import take
from chipclass.core.catalogue import DEVICE_TYPES
from chipclass.core.names import passthrough_names
from chipclass.outputs.words import ladder_note_text

__all__ = ["score_columns", "score_frame", "score_arrow", "sweep_columns", "missing_labels"]


def missing_labels() -> list:
    """The text of every missing-input bitmask (index = mask; None for 0)."""
    return [None] + [", ".join(bit_names(b)) for b in range(1, 1 << len(INPUTS))]


def score_columns(cl, enc) -> dict:
    """The score table's columns of a Classification ``cl``, each made by the encoder ``enc``
    (``text(labels, codes)``, ``num(values)``, ``flag(values)``, ``names(catalogue)``,
    ``extra(catalogue)``)."""
    cat, rules, n = cl.catalogue, cl.rules, len(cl)
    notes = [e.note for e in rules.exclusions]
    cols = {
        "name": enc.names(cat),
        "device_type": enc.text(list(DEVICE_TYPES), np.asarray(cat.device_type, dtype=np.int8)),
        "datacenter": enc.flag(np.asarray(cat.datacenter).astype(bool)),
        "tpp": enc.num(cl.tpp),
        "tpp_format": enc.text(cl.formats, np.asarray(cl.tpp_format, dtype=np.int8)),
        "performance_density": enc.num(cl.performance_density),
        "memory_bandwidth_density": enc.num(cl.memory_bandwidth_density),
        "eccn": enc.text(cl.final_labels, np.asarray(cl.final, dtype=np.int16)),
        "eccn_note": enc.text([ladder_note_text(x, rules) for x in cl.note_labels],
                              np.asarray(cl.final_note, dtype=np.int16)),
        "clause": enc.text(cl.clause_ids, cl.clause),
        "status": enc.text(list(STATUS), cl.status),
        "missing": enc.missing(cl.missing),
        "note": enc.text(notes, cl.note) if notes else enc.none(cl.note),
    }
    for k, v in cl.margins.items():
        cols[k] = enc.num(v)
    cols["rule_set"] = enc.text([rules.id], np.zeros(n, dtype=np.int8))
    extra = enc.extra(cat)
    for name, (_, col) in zip(passthrough_names(list(cols), [k for k, _ in extra]), extra):
        cols[name] = col  # a clash gets " (input)", " (input 2)" ...: never overwrites, never overwritten
    return cols


class _Pandas:
    """Categoricals over the labels (built once), pass-through columns Arrow-backed."""

    def __init__(self, n):
        import pandas as pd

        self.pd, self.n = pd, n

    def text(self, labels, codes):
        return self.pd.Categorical.from_codes(np.asarray(codes), categories=list(labels))

    def none(self, codes):
        return np.full(self.n, None, dtype=object)

    def num(self, values):
        return values

    def flag(self, values):
        return values

    def missing(self, bits):
        distinct = [int(b) for b in np.flatnonzero(np.bincount(bits, minlength=1)) if b]
        lookup = np.full(1 << len(INPUTS), -1, dtype=np.int16)
        lookup[distinct] = np.arange(len(distinct))
        return self.text([", ".join(bit_names(b)) for b in distinct], lookup[bits]) if distinct else \
            self.pd.Categorical.from_codes(np.full(self.n, -1), categories=[])

    def names(self, cat):
        return cat.names.reset_index(drop=True)

    def extra(self, cat):
        if not cat.extra.num_columns:  # pass-through columns stay Arrow-backed: no copy to objects
            return []
        frame = cat.extra.to_pandas(types_mapper=self.pd.ArrowDtype, split_blocks=True)
        return [(c, frame[c].reset_index(drop=True)) for c in frame.columns]


class _Arrow:
    """Plain Arrow strings (nulls for code -1), NaN as null."""

    def __init__(self, n):
        import pyarrow as pa

        self.pa, self.n = pa, n

    def text(self, labels, codes):
        pa = self.pa
        codes = np.asarray(codes)
        if not len(labels):
            return pa.nulls(self.n, pa.string())
        return take(pa.array(list(labels), pa.string()), pa.array(codes.astype(np.int32), mask=codes < 0))

    def none(self, codes):
        return self.text([], codes)

    def num(self, values):
        return self.pa.array(np.asarray(values, dtype=np.float64), from_pandas=True)

    def flag(self, values):
        return self.pa.array(values)

    def missing(self, bits):
        pa = self.pa
        return take(pa.array(missing_labels(), pa.string()), pa.array(bits.astype(np.int32)))

    def names(self, cat):
        return cat.names_arrow

    def extra(self, cat):
        return list(zip(cat.extra.column_names, cat.extra.columns))


class _Dictionary(_Arrow):
    """Arrow dictionary arrays (codes, not strings); numbers as they are."""

    def text(self, labels, codes):
        pa = self.pa
        codes = np.asarray(codes)
        idx = pa.array(codes, mask=codes < 0) if (codes < 0).any() else pa.array(codes)
        return pa.DictionaryArray.from_arrays(idx, pa.array(list(labels), type=pa.string()))

    def num(self, values):
        return self.pa.array(values)

    def missing(self, bits):
        return self.text(missing_labels()[1:], bits.astype(np.int16) - 1)

    def names(self, cat):  # a sweep's variants all carry the base device's name
        return self.text([cat.name_at(0)] if self.n else [], np.zeros(self.n, dtype=np.int8))

    def extra(self, cat):
        return [(name, col.combine_chunks()) for name, col in zip(cat.extra.column_names, cat.extra.columns)]


def score_frame(cl):
    """The score table as a pandas DataFrame (text columns categorical)."""
    import pandas as pd

    return pd.DataFrame(score_columns(cl, _Pandas(len(cl))), copy=False)


def score_arrow(cl):
    """The score table as a pyarrow Table, built without pandas (text as plain strings)."""
    import pyarrow as pa

    return pa.table(score_columns(cl, _Arrow(len(cl))))


def sweep_columns(cl) -> dict:
    """The score table of a sweep slice as Arrow columns, text dictionary-encoded."""
    return score_columns(cl, _Dictionary(len(cl)))


DISPLAY["table"] = score_frame  # the notebook view of a Classification (chipclass.classification.result)
