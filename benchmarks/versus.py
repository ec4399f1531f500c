"""Paired ratios against the I/O floor, DuckDB, the streaming path and the Dask engine.

    python benchmarks/versus.py --rows 1000000 --pairs 5

Every figure is a **paired ratio**: the two commands run back to back in fresh processes,
alternating, ``--pairs`` times; the ratio is the median of the per-pair ratios (a loaded
machine slows both of a pair alike), for wall time and for CPU time (user + sys of the child
process, which other processes on a shared machine cannot inflate).

- end to end: ``chipclass score in.csv -f csv -o out.csv`` against the pyarrow I/O floor (a
  fresh process reading the same CSV and writing a CSV of the result's size) and against DuckDB
  doing the same arithmetic on the same file (TPP from every format column, PD, the bandwidth
  unit conversion, the 3A090 clause and the margins, written as CSV); once with canonical
  numbers (units in the headers) and once with units inside cells (``3.35 TB/s``);
- start-up: ``chipclass score data/chips.csv -f json`` against ``python -c "import pyarrow.csv"``;
- the map: ``chipclass plot -o map.png`` of the shipped catalogue (goal: under 2 s), paired with
  ``python -c "import pyarrow.csv"`` so a reader can tell how fast the machine was;
- ``--stream`` (batches of 2^18 rows) against the in-memory path, per row;
- ``--engine dask`` on a ``LocalCluster`` of 2 single-threaded worker processes against the
  pandas engine, for one large file (blocks) and for a glob of 4 files.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from run import ENV, chipclass_cmd, generate  # noqa: E402


def measure(cmd: list[str]) -> tuple[float, float]:
    """(wall, CPU user+sys) of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    out = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode not in (0, 1):
        raise RuntimeError(f"{cmd}: {out.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def paired(a: list[str], b: list[str], pairs: int) -> dict:
    """Median of per-pair ratios a/b (wall and CPU), and the medians of each side."""
    measure(a), measure(b)  # warm: bytecode, page cache
    ra, rb = [], []
    for k in range(pairs):
        first, second = (a, b) if k % 2 == 0 else (b, a)  # alternate which runs first
        x, y = measure(first), measure(second)
        ra.append(x if first is a else y)
        rb.append(y if first is a else x)
    ra, rb = np.array(ra), np.array(rb)
    return {"wall_ratio": float(np.median(ra[:, 0] / rb[:, 0])), "cpu_ratio": float(np.median(ra[:, 1] / rb[:, 1])),
            "a_wall": float(np.median(ra[:, 0])), "a_cpu": float(np.median(ra[:, 1])),
            "b_wall": float(np.median(rb[:, 0])), "b_cpu": float(np.median(rb[:, 1]))}


def py(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def canonical(table: pa.Table) -> pa.Table:
    """The same catalogue with numbers only: bandwidth in GB/s in its own column."""
    bw = table.column("memory_bandwidth").to_numpy(zero_copy_only=False).astype(str)
    value = np.char.partition(bw, " ")[:, 0].astype(float)
    gbs = np.where(np.char.endswith(bw, "TB/s"), value * 1000, value)
    return table.drop_columns(["memory_bandwidth"]).append_column("memory_bandwidth [GB/s]", pa.array(gbs))


def duckdb_sql(src: str, dst: str, units_in_cells: bool) -> str:
    """The arithmetic chipclass does, in SQL: TPP over the format columns (sparse halved),
    PD, bandwidth in GB/s, the 3A090 clause (2023-11 rules) and the margins to each threshold."""
    bw = ("CASE WHEN ends_with(memory_bandwidth, ' TB/s') THEN CAST(split_part(memory_bandwidth, ' ', 1) AS DOUBLE)"
          " * 1000 WHEN ends_with(memory_bandwidth, ' GB/s') THEN CAST(split_part(memory_bandwidth, ' ', 1) AS DOUBLE)"
          " END" if units_in_cells else '"memory_bandwidth [GB/s]"')
    return f"""
COPY (
  WITH t AS (
    SELECT name, vendor, datacenter = 'yes' AS datacenter, "die_area [mm^2]" AS die_area, {bw} AS memory_bandwidth,
      greatest("fp8 [TFLOPS]" * 8, "fp8_sparse [PFLOPS]" * 1000 / 2 * 8, "fp16 [TFLOPS]" * 16,
               "int8_sparse [TOPS]" / 2 * 8) AS tpp
    FROM read_csv('{src}', header = true)),
  m AS (SELECT *, tpp / die_area AS pd FROM t)
  SELECT name, tpp, pd, memory_bandwidth,
    CASE WHEN tpp >= 4800 THEN '3A090.a.1'
         WHEN tpp >= 1600 AND pd >= 5.92 AND datacenter THEN '3A090.a.2'
         WHEN tpp >= 2400 AND tpp < 4800 AND pd >= 1.6 AND pd < 5.92 AND datacenter THEN '3A090.b.1'
         WHEN tpp >= 1600 AND pd >= 3.2 AND pd < 5.92 AND datacenter THEN '3A090.b.2'
         WHEN pd IS NULL AND tpp >= 1600 THEN 'indeterminate' ELSE 'not controlled' END AS clause,
    tpp - 4800 AS margin_tpp_4800, tpp - 1600 AS margin_tpp_1600, tpp - 2400 AS margin_tpp_2400,
    pd - 5.92 AS margin_pd_5_92, pd - 1.6 AS margin_pd_1_6, pd - 3.2 AS margin_pd_3_2, vendor
  FROM m) TO '{dst}' (HEADER, DELIMITER ',')"""


def end_to_end(tmp: str, table: pa.Table, label: str, pairs: int, duckdb: bool) -> dict:
    src = os.path.join(tmp, f"{label}.csv")
    out = os.path.join(tmp, f"{label}-out.csv")
    pacsv.write_csv(table, src)
    score = [*chipclass_cmd(), "score", src, "-f", "csv", "-o", out, "--as-of", "2025-06-01", "-q", "--no-stream"]
    measure(score)
    ipc = os.path.join(tmp, f"{label}-result.arrow")
    result = pacsv.read_csv(out)
    with pa.OSFile(ipc, "wb") as sink, pa.ipc.new_file(sink, result.schema) as w:
        w.write_table(result)
    floor = py(f"import pyarrow as pa, pyarrow.csv as c\nr = pa.ipc.open_file(pa.memory_map({ipc!r})).read_all()\n"
               f"t = c.read_csv({src!r})\nc.write_csv(r, {os.path.join(tmp, 'floor.csv')!r})")
    res = {"rows": table.num_rows, "input": label, "floor": paired(score, floor, pairs)}
    if duckdb:
        sql = duckdb_sql(src, os.path.join(tmp, "duck.csv"), label == "units")
        res["duckdb"] = paired(score, py(f"import duckdb\nduckdb.sql({sql!r})"), pairs)
    return res


def startup(pairs: int) -> dict:
    chips = os.path.join(HERE, "..", "data", "chips.csv")
    return paired([*chipclass_cmd(), "score", chips, "-f", "json", "-o", os.devnull, "--no-config"],
                  py("import pyarrow.csv"), pairs)


def plot(tmp: str, pairs: int) -> dict:
    """``chipclass plot -o map.png`` (shipped catalogue, latest rules) beside an import of pyarrow.csv."""
    out = os.path.join(tmp, "map.png")
    return paired([*chipclass_cmd(), "plot", "-q", "--as-of", "2026-07-23", "-o", out, "--no-config"],
                  py("import pyarrow.csv"), pairs)


def stream(tmp: str, table: pa.Table, pairs: int) -> dict:
    src = os.path.join(tmp, "units.csv")
    if not os.path.exists(src):
        pacsv.write_csv(table, src)
    base = [*chipclass_cmd(), "score", src, "-f", "csv", "-o", os.path.join(tmp, "s.csv"), "--as-of", "2025-06-01", "-q"]
    return paired([*base, "--stream", "--batch-rows", str(1 << 18)], [*base, "--no-stream"], pairs)


def dask_speedup(tmp: str, table: pa.Table, pairs: int) -> dict:
    """The pandas engine's time over the Dask engine's on 2 worker processes (> 1: faster)."""
    from distributed import LocalCluster

    big = os.path.join(tmp, "units.csv")
    if not os.path.exists(big):
        pacsv.write_csv(table, big)
    parts = os.path.join(tmp, "parts")
    os.makedirs(parts, exist_ok=True)
    n = table.num_rows
    for k in range(4):
        pacsv.write_csv(table.slice(k * n // 4, n // 4 if k < 3 else n - 3 * (n // 4)),
                        os.path.join(parts, f"p{k}.csv"))
    out = {}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        for what, path in (("one large file", big), ("glob of 4 files", os.path.join(parts, "*.csv"))):
            base = [*chipclass_cmd(), "score", path, "-f", "parquet", "-o", os.path.join(tmp, "d.parquet"),
                    "--as-of", "2025-06-01", "-q"]
            r = paired([*base, "--engine", "dask", "--scheduler", cluster.scheduler_address],
                       [*base, "--engine", "dask"] if what.startswith("glob") else [*base, "--no-stream"], pairs)
            out[what] = {"speedup_wall": 1 / r["wall_ratio"], "dask_wall": r["a_wall"], "one_process_wall": r["b_wall"],
                         "dask_client_cpu": r["a_cpu"]}
    return out


def report(res: dict, part: str) -> None:
    """Print one part of the results (start-up, the latest end-to-end input, stream, dask)."""
    if part == "startup":
        _report_startup(res["startup"])
    elif part == "plot":
        p = res["plot"]
        print(f"plot -o map.png (shipped catalogue): {p['a_wall']:.2f} s wall, {p['a_cpu']:.2f} s CPU (goal: under 2 s); "
              f"import pyarrow.csv took {p['b_wall']:.3f} s beside it ({p['wall_ratio']:.1f}x)")
    elif part == "end_to_end":
        _report_e2e(res["end_to_end"][-1])
    elif part == "stream":
        st = res["stream"]
        print(f"--stream (2^18-row batches) / in memory, per row: wall {st['wall_ratio']:.2f}, CPU {st['cpu_ratio']:.2f}")
    else:
        for what, d in res["dask"].items():
            print(f"--engine dask on 2 worker processes, {what}: speed-up {d['speedup_wall']:.2f}x over one process "
                  f"({d['dask_wall']:.2f} s against {d['one_process_wall']:.2f} s)")
    sys.stdout.flush()


def _report_startup(s: dict) -> None:
    print(f"start-up: chipclass score data/chips.csv -f json / python -c 'import pyarrow.csv': wall {s['wall_ratio']:.2f}, "
          f"CPU {s['cpu_ratio']:.2f} ({s['a_wall']:.3f} s against {s['b_wall']:.3f} s)")


def _report_e2e(e: dict) -> None:
    f = e["floor"]
    line = (f"end to end, {e['rows']:,} rows, {e['input']}: over the pyarrow I/O floor wall {f['wall_ratio']:.2f}, "
            f"CPU {f['cpu_ratio']:.2f} (chipclass {f['a_wall']:.2f} s wall, {f['a_cpu']:.2f} s CPU)")
    if "duckdb" in e:
        d = e["duckdb"]
        line += (f"; DuckDB same arithmetic {d['b_wall']:.2f} s wall, {d['b_cpu']:.2f} s CPU: chipclass/DuckDB "
                 f"wall {d['wall_ratio']:.2f}, CPU {d['cpu_ratio']:.2f}")
    print(line)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=float, default=1e6)
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--no-plot", action="store_true", help="skip the map (needs the plot extra)")
    ap.add_argument("--only-plot", action="store_true", help="start-up and the map only")
    args = ap.parse_args(argv)
    try:
        import duckdb  # noqa: F401
        has_duckdb = True
    except ImportError:
        has_duckdb = False
        print("duckdb not installed (pip install 'chipclass[bench]'): no DuckDB figures")
    units = None if args.only_plot else generate(int(args.rows))
    res: dict = {"end_to_end": []}
    with tempfile.TemporaryDirectory() as tmp:  # each figure printed as soon as it is measured
        res["startup"] = startup(args.pairs * 2)
        report(res, "startup")
        if not args.no_plot:
            res["plot"] = plot(tmp, args.pairs)
            report(res, "plot")
        if args.only_plot:
            return res
        for table, label in ((canonical(units), "canonical"), (units, "units")):
            res["end_to_end"].append(end_to_end(tmp, table, label, args.pairs, has_duckdb))
            report(res, "end_to_end")
        res["stream"] = stream(tmp, units, args.pairs)
        report(res, "stream")
        if not args.no_dask:
            res["dask"] = dask_speedup(tmp, units, max(2, args.pairs // 2))
            report(res, "dask")
    return res


if __name__ == "__main__":
    main()
