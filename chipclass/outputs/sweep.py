"""Sweep results as tables and files: the variants scored a slice at a time, each slice's
columns made by the one table builder (:func:`chipclass.outputs.table.sweep_columns`, text
dictionary-encoded) plus a licence column per destination from licensing's one decision, and
written to Parquet while the next slice is scored.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from chipclass.classification.engine import classify
from chipclass.classification.logic import label_codes, label_table
from chipclass.core.catalogue import Catalogue
from chipclass.licensing.determine import licences
from chipclass.outputs.table import sweep_columns

__all__ = ["run", "summary_table", "slice_columns", "parquet_options", "write_parquet", "run_to_parquet", "SLICE"]

#: Variants scored per slice (progress is reported after each).
SLICE = 1 << 18


def slice_columns(cl, destinations, day, headquarters, rules_dir) -> dict[str, pa.Array]:
    """The result columns of one slice (the score table's), as Arrow, with ``license_<DEST>``:
    true, false, or null where it cannot be decided (the enforced view)."""
    cols = sweep_columns(cl)
    if destinations:  # licensing's one decision, without notes or text
        res = licences(cl, destinations, day, headquarters, rules_dir=rules_dir, other=False, detail=False)
        for dest in res.destinations:
            code = res.of(dest).required
            cols[f"license_{dest}"] = pa.array(code == 1, mask=code < 0)
    return cols


def run(variants: Catalogue, rules, bit_lengths=None, destinations=(), headquarters=None, rules_dir=None,
        show=None, sink=None) -> tuple[pa.Table | None, pa.Table]:
    """Score every variant, :data:`SLICE` at a time, with licences per destination.

    Returns (the result as one Arrow table, the summary: :func:`summary_table`). ``show`` is
    called with the number of variants done after each slice (progress). With ``sink``, each
    slice's record batch is handed to it instead of kept (the table is then None): a writer
    can write one slice while the next is scored.
    """
    n = len(variants)
    labels = label_table(c.id for c in rules.clauses)
    counts = np.zeros(len(labels), dtype=np.int64)
    first = np.full(len(labels), -1, dtype=np.int64)
    batches = []
    for start in range(0, max(n, 1), SLICE):
        part = variants.slice(start, min(n, start + SLICE))
        cl = classify(part, rules, bit_lengths)
        code = label_codes(cl.clause, cl.status, len(rules.clauses))
        here = np.bincount(code, minlength=len(labels))
        for c in np.flatnonzero((here > 0) & (first < 0)):  # order of first appearance, for ties
            first[c] = start + int(np.argmax(code == c))
        counts += here
        cols = slice_columns(cl, destinations, rules.as_of, headquarters, rules_dir)
        batch = pa.record_batch(list(cols.values()), names=list(cols))
        if sink is not None:
            sink(batch)
        else:
            batches.append(batch)
        if show is not None:
            show(min(n, start + SLICE))
    table = pa.Table.from_batches(batches) if sink is None else None
    return table, summary_table(labels, counts, first, n)


def summary_table(labels, counts: np.ndarray, first: np.ndarray, n: int) -> pa.Table:
    """Results that occur (``result``, ``count``, ``share``), most frequent first, ties in order
    of first appearance: an Arrow table, so writing a sweep to a file needs no pandas."""
    seen = np.flatnonzero(counts > 0)
    order = seen[np.lexsort((first[seen], -counts[seen]))]
    return pa.table({"result": pa.array([labels[i] for i in order], pa.string()),
                     "count": pa.array(counts[order], pa.int64()),
                     "share": pa.array(counts[order] / max(n, 1), pa.float64())})


def parquet_options(schema: pa.Schema) -> dict:
    """Parquet settings for a sweep: dictionary encoding for the text columns only (the float
    columns are near-unique); LZ4 (fast, and smaller than none on this data); min/max
    statistics for every column but the computed metrics and margins (they cost ~40 % of the
    write, and readers filter on the variant, the varied specs and the result codes)."""
    derived = {"tpp", "performance_density", "memory_bandwidth_density"}
    return {"use_dictionary": [f.name for f in schema if pa.types.is_dictionary(f.type)], "compression": "lz4",
            "write_statistics": [f.name for f in schema if f.name not in derived and not f.name.startswith("margin_")]}


def write_parquet(table: pa.Table, path: str) -> None:
    """Write a sweep's table to Parquet with :func:`parquet_options`."""
    import pyarrow.parquet as pq

    pq.write_table(table, path, **parquet_options(table.schema))


def run_to_parquet(path: str, variants: Catalogue, rules, **kw) -> pa.Table:
    """:func:`run` writing straight to Parquet at ``path``: a thread writes each slice while the
    next is scored (numpy and the Parquet encoder both release the GIL), and the whole result
    is never held in memory. Returns the summary."""
    import queue
    import threading

    import pyarrow.parquet as pq

    todo: queue.Queue = queue.Queue(maxsize=2)
    state: dict = {}

    def writer():
        try:
            while (batch := todo.get()) is not None:
                if "w" not in state:
                    state["w"] = pq.ParquetWriter(path, batch.schema, **parquet_options(batch.schema))
                state["w"].write_batch(batch)
        except BaseException as exc:  # noqa: BLE001 (re-raised in the caller)
            state["error"] = exc
            while todo.get() is not None:  # drain so the producer never blocks
                pass
        finally:
            if "w" in state:
                try:
                    state["w"].close()
                except BaseException as exc:  # noqa: BLE001 (re-raised in the caller)
                    state.setdefault("error", exc)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()

    def sink(batch):
        if "error" in state:
            raise state["error"]
        todo.put(batch)
    try:
        _table, summary = run(variants, rules, sink=sink, **kw)
    finally:
        todo.put(None)
        thread.join()
    if "error" in state:
        raise state["error"]
    return summary
