"""CSV bytes of an Arrow table, formatted on several threads.

pyarrow's CSV writer formats one table on one thread, and formatting floats is most of what
writing a result table costs. :func:`csv_chunks` cuts the table into slices of
:data:`SLICE_ROWS` rows, formats each on a thread pool (pyarrow releases the GIL while it
formats) and yields the bytes in row order, at most a few slices ahead of the consumer, so
memory stays bounded by the slices in flight. The bytes are exactly those of
``pyarrow.csv.write_csv`` on the whole table: each row is formatted on its own, so the
slices concatenated equal the whole (property-tested in ``tests/outputs/test_csvbytes.py``).
"""

from __future__ import annotations

import os
from collections import deque
from typing import Iterator

import pyarrow as pa

__all__ = ["csv_chunks", "write_csv", "SLICE_ROWS"]

#: Rows per slice formatted on one thread (small enough to bound memory, large enough that the
#: per-slice cost is noise).
SLICE_ROWS = 1 << 16
#: Threads at most (a result table's formatting does not scale further on a typical machine).
MAX_THREADS = 4


def _threads() -> int:
    from chipclass.core.workers import worker_threads

    return worker_threads(MAX_THREADS)


def csv_chunks(table: pa.Table, header: bool = True, slice_rows: int = SLICE_ROWS) -> Iterator[pa.Buffer]:
    """The CSV bytes of ``table`` (a header line first when ``header``), in row order, as Arrow
    buffers; slices of ``slice_rows`` rows are formatted concurrently."""
    import pyarrow.csv as pacsv

    def one(start: int) -> pa.Buffer:
        sink = pa.BufferOutputStream()
        pacsv.write_csv(table.slice(start, slice_rows), sink,
                        pacsv.WriteOptions(include_header=header and start == 0))
        return sink.getvalue()

    starts = range(0, max(table.num_rows, 1), slice_rows)
    threads = _threads()
    if threads == 1 or len(starts) == 1:
        yield from map(one, starts)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(threads, thread_name_prefix="chipclass-csv") as pool:
        pending: deque = deque()
        for start in starts:
            pending.append(pool.submit(one, start))
            if len(pending) > 2 * threads:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def write_csv(table: pa.Table, target, header: bool = True) -> None:
    """Write ``table`` as CSV to ``target`` (a path, or a binary file object left open)."""
    if _threads() == 1 or table.num_rows <= SLICE_ROWS:  # one thread: pyarrow straight to the target
        import pyarrow.csv as pacsv

        pacsv.write_csv(table, target, pacsv.WriteOptions(include_header=header))
        return
    if isinstance(target, (str, os.PathLike)):
        with open(target, "wb") as fh:
            write_csv(table, fh, header)
        return
    for chunk in csv_chunks(table, header):
        target.write(chunk)
