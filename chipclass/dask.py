"""Scoring beyond one machine: a Dask DataFrame, partition by partition, with the same engine.

>>> import dask.dataframe as dd                                  # doctest: +SKIP
>>> import chipclass.dask
>>> chipclass.dask.score(dd.read_parquet("catalogue/*.parquet"), as_of="2025-06-01")  # doctest: +SKIP

:func:`score` maps each partition of a Dask DataFrame through the same normalisation and
engine as the pandas path; text results come back as Arrow strings rather than categoricals
so every partition has the same schema. :func:`score_files` (``chipclass score --engine
dask``) splits each file into blocks (byte ranges of a CSV cut at line starts, row groups of a
Parquet file; :func:`blocks`), reads each with the pandas engine's reader, one task per block,
on dask's default scheduler or a ``dask.distributed`` cluster (``--scheduler ADDRESS``), so the
engines give the same rows, exit code and message (naming the file and its real row number,
never a partition or block). Workers read the files by path: on a cluster the paths must be
readable from every worker (a shared file system).
Needs ``pip install 'chipclass[dask]'``.
"""

from __future__ import annotations

import glob

import pandas as pd
import pyarrow as pa

from chipclass.core.catalogue import from_frame
from chipclass.classification.engine import classify
from chipclass.core.errors import InputError
from chipclass.outputs.table import score_frame
from chipclass.rules.instruments import rules_in_force

__all__ = ["score", "score_files", "blocks", "BLOCK_BYTES"]

_STRING = pd.ArrowDtype(pa.string())


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    for col in frame.columns:
        if isinstance(frame[col].dtype, pd.CategoricalDtype) or frame[col].dtype == object:
            frame[col] = frame[col].astype(object).astype(_STRING)
    return frame


def score(ddf, as_of=None, *, bit_lengths: dict[str, int] | None = None, rules_dir: str | None = None,
          source: str = "<dask DataFrame>"):
    """A lazy Dask DataFrame of results, one partition per input partition.

    Messages name ``source`` (there is no file) and count rows within a partition; names are
    checked within each partition. For files use :func:`score_files`, which names the file.
    """
    rules = rules_in_force(as_of, rules_dir)

    def part(df: pd.DataFrame) -> pd.DataFrame:
        return _plain(score_frame(classify(from_frame(df, source=source), rules, bit_lengths)))

    return ddf.map_partitions(part, meta=part(ddf._meta))


#: Bytes per block of one large file: each block is one task (a CSV's blocks start at line
#: starts outside quotes; a Parquet file's at row-group boundaries).
BLOCK_BYTES = 32 << 20


def blocks(path: str, block_bytes: int = BLOCK_BYTES) -> list[tuple]:
    """One file as tasks: ``("whole",)`` for a small file (or stdin, or a file whose blocks
    cannot be told apart), ``("csv", start, end, header_end)`` byte ranges, or
    ``("parquet", row_groups)``.

    A CSV block starts at the beginning of a line, and only where the count of double quotes
    before it is even (so never inside a quoted cell). A file is split only when larger than
    ``block_bytes``.
    """
    import os

    if path == "-" or not os.path.isfile(path) or os.path.getsize(path) <= block_bytes:
        return [("whole",)]
    if path.lower().endswith((".parquet", ".pq")):
        return _parquet_blocks(path, block_bytes)
    return _csv_blocks(path, block_bytes)


def _csv_blocks(path: str, block_bytes: int) -> list[tuple]:
    import mmap

    import numpy as np

    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        header_end = mm.find(b"\n") + 1
        if header_end <= 0:
            return [("whole",)]
        quotes = mm.find(b'"', header_end) >= 0
        arr = np.frombuffer(mm, dtype=np.uint8) if quotes else None
        cuts, pos, parity = [header_end], header_end, 0
        try:
            while True:
                nl = mm.find(b"\n", max(pos + 1, cuts[-1] + block_bytes))
                if nl < 0 or nl + 1 >= len(mm):
                    break
                if quotes:  # quote parity up to the cut: odd means inside a quoted cell
                    parity = (parity + int(np.count_nonzero(arr[pos:nl + 1] == 34))) % 2
                pos = nl + 1
                if parity == 0:
                    cuts.append(pos)
        finally:
            del arr
        size = len(mm)
    cuts.append(size)
    return [("csv", a, b, header_end) for a, b in zip(cuts[:-1], cuts[1:]) if b > a] or [("whole",)]


def _parquet_blocks(path: str, block_bytes: int) -> list[tuple]:
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(path).metadata
    except (pa.ArrowInvalid, OSError):
        return [("whole",)]  # the whole-file reader names the fault
    out, group, size = [], [], 0
    for i in range(meta.num_row_groups):
        group.append(i)
        size += meta.row_group(i).total_byte_size
        if size >= block_bytes:
            out.append(("parquet", tuple(group)))
            group, size = [], 0
    if group:
        out.append(("parquet", tuple(group)))
    return out if len(out) > 1 else [("whole",)]


def _read_block(path: str, block: tuple, links=None):
    """The Catalogue of one block, read and checked by the same reader as the pandas engine
    (rows counted from the block's start: a fault sends the driver to the exact reader)."""
    from chipclass.core.catalogue import from_table
    from chipclass.core.readers import read_catalogue, read_table

    if block[0] == "whole":
        return read_catalogue(path, systems=links)
    if block[0] == "parquet":
        import pyarrow.parquet as pq

        return from_table(pq.ParquetFile(path).read_row_groups(list(block[1])), source=path)
    _, start, end, header_end = block
    with open(path, "rb") as fh:
        header = fh.read(header_end)
        fh.seek(start)
        body = fh.read(end - start)
    table, _ = read_table(pa.BufferReader(header + body), source=path)
    return from_table(table, source=path)


def _score_block(path: str, block: tuple, rules, bit_lengths, links=None):
    """One block through the same reader and engine as ``chipclass score``: (frame, name
    hashes, None), or (None, None, the error as a dict) so errors cross process boundaries."""
    from chipclass.core.cells import NameIndex

    try:
        cat = _read_block(path, block, links)
        frame = _plain(score_frame(classify(cat, rules, bit_lengths)))
        return frame, NameIndex.hashes(cat.names_arrow), None
    except InputError as exc:
        return None, None, {**exc.to_dict(), "raw": exc.value}  # the value as the reader saw it


def _exact(path: str, rules, bit_lengths):
    """A file some block of which failed (or whose blocks repeat a name): read again in order
    by the streaming reader, whose first error is the pandas engine's (file, real row number,
    column, text). Should no error appear (a block cut the file where it should not have), the
    rows come from that reader: (frame, hashes)."""
    from chipclass.core.cells import NameIndex
    from chipclass.core.readers import iter_catalogue

    frames, hashes = [], []
    for cat in iter_catalogue(path):  # raises the exact error, if there is one
        frames.append(_plain(score_frame(classify(cat, rules, bit_lengths))))
        hashes.append(NameIndex.hashes(cat.names_arrow))
    return pd.concat(frames, ignore_index=True), _concat_hashes(hashes)


def _concat_hashes(parts):
    import numpy as np

    return np.concatenate(parts) if parts else np.empty(0, np.uint64)


def _client(scheduler: str | None):
    """A ``dask.distributed`` client for ``scheduler`` (an address such as
    ``tcp://host:8786``), or None: dask's default (a client already made in this process, else
    threads)."""
    if scheduler is None:
        return None
    try:
        from distributed import Client
    except ImportError:
        from chipclass.core.errors import ChipclassError

        raise ChipclassError("a scheduler address needs dask.distributed: pip install 'chipclass[dask]'") from None
    try:
        return Client(scheduler, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(f"cannot reach the dask scheduler: {exc}", source=scheduler) from None


def score_files(pattern: str, fmt: str, output: str | None, *, as_of=None, bit_lengths=None,
                fail_on=(), rules_dir=None, meta: dict | None = None, scheduler: str | None = None,
                block_bytes: int = BLOCK_BYTES):
    """CLI helper: score the files matching ``pattern`` as Dask tasks, a large file in blocks.

    Each block (see :func:`blocks`) is read and checked by the pandas engine's reader and
    scored by the same engine; results are concatenated in file and block order, so the rows
    are the in-memory result's. A file with a fault in any block, or a name repeated across
    its blocks, is read again in order by the streaming reader, so the message is the pandas
    engine's (file, real row number, column). Of several bad files the first in sorted order
    is reported; names must be unique across the files too (64-bit hashes, as streaming does).
    Output through the same writer as the pandas engine. ``scheduler``: the address of a
    ``dask.distributed`` scheduler (else dask's default). A file with system rows is one task
    (its systems are linked over every file first). Returns the devices matching each
    ``--fail-on`` selector (:class:`chipclass.outputs.findings.Matches`), and writes the same
    ``meta`` block as the pandas engine.
    """
    import dask

    from chipclass.classification.result import matches
    from chipclass.outputs.write import write_frame

    paths = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
    if not paths:
        raise InputError("no files match", source=pattern)
    rules = rules_in_force(as_of, rules_dir)
    links = _links(paths)
    plan = [(p, b) for p in paths
            for b in ([("whole",)] if _has_systems(links, p) else blocks(p, block_bytes))]
    client = _client(scheduler)
    try:
        tasks = [dask.delayed(_score_block)(p, b, rules, bit_lengths, links if b[0] == "whole" else None) for p, b in plan]
        done = client.compute(tasks, sync=True) if client is not None else dask.compute(*tasks)
    finally:
        if client is not None:
            client.close()
    results = [_per_file(path, [r for (p, _), r in zip(plan, done) if p == path], rules, bit_lengths)
               for path in paths]
    if len(paths) > 1:
        _unique_across(paths, results)
    frames = [f for f, _ in results]
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    write_frame(frame, fmt, output, meta=meta)
    from chipclass.outputs.findings import Matches

    found = Matches(fail_on)
    for s in fail_on:
        found.add(s, matches(frame, [s]), frame["name"])
    return found


def _links(paths):
    """System rows linked over every file (a first pass over the name, device_type, ic and
    ic_count columns), so a system in one file may name an IC in another, as if the files were
    one catalogue. None when no file could be scanned (each file is then read on its own)."""
    from chipclass.core.systemlinks import input_of, scan_links

    try:
        inputs = [input_of(p) for p in paths]
    except InputError:
        return None  # the file's own read reports it
    return scan_links(inputs)


def _has_systems(links, path: str) -> bool:
    """Whether ``path`` has system rows linked (or a fault in linking them): read whole."""
    return links is not None and (path in links.rows or path in links.errors)


def _per_file(path: str, parts: list, rules, bit_lengths):
    """(frame, name hashes) of one file from its blocks' results, in block order."""
    import numpy as np

    if any(err is not None for _, _, err in parts):
        if len(parts) == 1:  # one block is the whole file: its error is the exact one
            err = parts[0][2]
            raise InputError(err["message"], source=err["file"], row=err["row"], column=err["column"],
                             value=err["raw"])
        return _exact(path, rules, bit_lengths)
    hashes = _concat_hashes([h for _, h, _ in parts])
    if len(parts) > 1 and len(np.unique(hashes)) < len(hashes):  # a name in two blocks
        return _exact(path, rules, bit_lengths)
    frames = [f for f, _, _ in parts]
    return (pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]), hashes


def _unique_across(paths, results) -> None:
    """A name given in two files: the second file's row is reported. (A dict of 64-bit hashes:
    across many files, names of one file are already unique.)"""
    import numpy as np

    first: dict[int, tuple[str, int]] = {}
    for path, (frame, hashes) in zip(paths, results):
        hit = np.flatnonzero(np.isin(hashes, np.fromiter(first, np.uint64, len(first))))
        if len(hit):
            i = int(hit[0])
            other, row = first[int(hashes[i])]
            raise InputError(f"duplicate name (also in {other}, row {row}); names must be unique",
                             source=path, row=i + 1, column="name", value=str(frame["name"].iloc[i]))
        for i, h in enumerate(hashes.tolist()):
            first.setdefault(h, (path, i + 1))
