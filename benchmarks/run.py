"""chipclass benchmarks: rows/s per stage, peak memory, and ratios measured side by side.

    python benchmarks/run.py                      # 10^4 .. 10^7 rows
    python benchmarks/run.py --sizes 1e4,1e5      # quicker
    python benchmarks/run.py --json benchmarks/out/results.json

For each size it generates a synthetic catalogue (a realistic mix: units in headers, a column
with units inside cells, sparse-only columns, 10 % missing die areas, a pass-through column),
writes it as CSV and Parquet, and measures:

- rows/s for read, unit normalisation, scoring (in memory) and write (CSV);
- start-up: ``chipclass score data/chips.csv -f json`` against ``python -c "import pyarrow.csv"``,
  whole fresh processes alternated run by run, best of each (and medians);
- end-to-end ``chipclass score in.csv -f csv -o out.csv`` (a fresh process) against the floor
  the issue names: a fresh process that reads the same CSV with pyarrow and writes a CSV of the
  result's size (the result table, memory-mapped from Arrow IPC so holding it costs nothing);
  run back to back, the median of the paired ratios (a loaded machine moves both alike). Also
  against the older floor (read and write back the input);
- in-memory scoring against a naive per-row baseline (pint quantities, Python max/if per row),
  run on a sample and extrapolated;
- CSV against Parquet input (end to end), and a 10^7-variant design sweep (when available);
- design (``--sweep-variants``, default 10^7; ``--only-design`` skips the rest): ``chipclass sweep
  ... -o out.parquet`` end to end (a fresh process) against a pyarrow write of the same table,
  the cost of ``--to CN`` against a plain sweep (end to end and in process), and headroom of
  10^6 catalogue rows;
- peak memory (max RSS) of each end-to-end process against the in-memory size of the input.

Numbers go to stdout as a table and to a JSON file so runs can be compared. Tests never time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

HERE = os.path.dirname(os.path.abspath(__file__))


def generate(n: int, seed: int = 0) -> pa.Table:
    """A synthetic catalogue of ``n`` devices (see the module docstring)."""
    rng = np.random.default_rng(seed)
    fp8 = rng.uniform(50, 3000, n)
    fp16 = fp8 / 2
    sparse = rng.random(n) < 0.3
    area = rng.uniform(100, 1000, n)
    area[rng.random(n) < 0.1] = np.nan
    bw = rng.uniform(300, 8000, n)
    tb = rng.random(n) < 0.5
    bw_text = np.where(tb, np.char.add(np.round(bw / 1000, 3).astype(str), " TB/s"),
                       np.char.add(np.round(bw, 1).astype(str), " GB/s"))
    return pa.table({
        "name": pa.array(np.char.add("variant-", np.arange(n).astype(str))),
        "vendor": pa.array(np.where(rng.random(n) < 0.5, "ACME", "Initech")),
        "fp8 [TFLOPS]": pa.array(np.where(sparse, np.nan, np.round(fp8, 1)), from_pandas=True),
        "fp8_sparse [PFLOPS]": pa.array(np.where(sparse, np.round(2 * fp8 / 1000, 4), np.nan), from_pandas=True),
        "fp16 [TFLOPS]": pa.array(np.round(fp16, 1)),
        "int8_sparse [TOPS]": pa.array(np.round(4 * fp8, 1)),
        "die_area [mm^2]": pa.array(np.round(area, 1), from_pandas=True),
        "memory_bandwidth": pa.array(bw_text),
        "datacenter": pa.array(np.where(rng.random(n) < 0.8, "yes", "no")),
    })


def timed(fn, repeat: int = 1):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def run_process(code: str) -> dict:
    """Run Python code in a fresh process; its wall time and peak RSS.

    Peak RSS is the process's own VmHWM: ru_maxrss survives exec on Linux and would report
    the (large) benchmark parent instead.
    """
    wrapper = (
        "import resource, time, json, sys\n"
        "_t0 = time.perf_counter()\n"
        f"{code}\n"
        "_el = time.perf_counter() - _t0\n"
        "_hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')]\n"
        "_mb = int(_hwm[0].split()[1]) / 1024 if _hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps({'seconds': _el, 'max_rss_mb': _mb}))\n"
    )
    out = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True, env=ENV)
    if out.returncode not in (0, 1):
        raise RuntimeError(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


#: Processes run as after ``pip install`` (bytecode cached): PYTHONDONTWRITEBYTECODE would make
#: every run recompile chipclass's sources, which no installed copy does.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def wall(cmd: list[str]) -> float:
    """Wall time of a whole fresh process (interpreter start included)."""
    t = time.perf_counter()
    out = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV)
    el = time.perf_counter() - t
    if out.returncode not in (0, 1):
        raise RuntimeError(out.stderr)
    return el


def chipclass_cmd() -> list[str]:
    """The ``chipclass`` console script beside this interpreter (else ``python -m chipclass``)."""
    script = os.path.join(os.path.dirname(sys.executable), "chipclass")
    return [script] if os.path.exists(script) else [sys.executable, "-m", "chipclass"]


def startup(repeat: int = 15) -> dict:
    """``chipclass score data/chips.csv -f json`` against ``python -c "import pyarrow.csv"``,
    alternated run by run so both see the same machine load. The ratio is the median of the
    ``repeat`` paired ratios (robust to a loaded machine); best-of-each and median-of-each too."""
    chips = os.path.join(HERE, "..", "data", "chips.csv")
    score = [*chipclass_cmd(), "score", chips, "-f", "json", "--no-config"]
    floor = [sys.executable, "-c", "import pyarrow.csv"]
    wall(score)  # warm: bytecode written, files in the page cache
    a, b = [], []
    for _ in range(repeat):
        a.append(wall(score))
        b.append(wall(floor))
    paired = [x / y for x, y in zip(a, b)]  # each pair ran back to back, under the same load
    return {"startup_score_json_s": min(a), "startup_import_pyarrow_csv_s": min(b),
            "startup_score_json_median_s": float(np.median(a)), "startup_import_median_s": float(np.median(b)),
            "ratio_startup": float(np.median(paired)), "ratio_startup_best": min(a) / min(b),
            "ratio_startup_median": float(np.median(a) / np.median(b))}


def naive_per_row(table: pa.Table, sample: int) -> float:
    """Seconds per row of what a naive tool does: pint per cell, Python max/if per row."""
    from chipclass.rules.instruments import rules_in_force
    from chipclass.core.units import ureg

    rules = rules_in_force("2025-06-01")
    thresholds = {(c.metric, c.op): c.value for cl in rules.clauses for c in cl.conditions}
    rows = table.slice(0, sample).to_pylist()
    bits = {"fp8": 8, "fp16": 16, "int8": 8}

    def one(r):
        best = None
        for key, fmt, factor in (("fp8 [TFLOPS]", "fp8", 1), ("fp8_sparse [PFLOPS]", "fp8", 0.5),
                                 ("fp16 [TFLOPS]", "fp16", 1), ("int8_sparse [TOPS]", "int8", 0.5)):
            v = r[key]
            if v is None or v != v:
                continue
            unit = key.split("[")[1].rstrip("]")
            q = ureg.Quantity(v * factor, unit).to("TOPS").magnitude
            t = q * bits[fmt]
            best = t if best is None else max(best, t)
        area = r["die_area [mm^2]"]
        bw = ureg.Quantity(r["memory_bandwidth"]).to("GB/s").magnitude  # noqa: F841
        pd_ = best / area if area == area and area is not None else None
        if best >= thresholds[("tpp", ">=")]:
            return "3A090.a.1"
        if pd_ is None:
            return "indeterminate"
        if pd_ >= 5.92 and best >= 1600:
            return "3A090.a.2"
        if 2400 <= best < 4800 and 1.6 <= pd_ < 5.92:
            return "3A090.b.1"
        if best >= 1600 and 3.2 <= pd_ < 5.92:
            return "3A090.b.2"
        return "not controlled"

    t = time.perf_counter()
    for r in rows:
        one(r)
    return (time.perf_counter() - t) / len(rows)


def bench_size(n: int, tmp: str, baseline_per_row: float | None) -> dict:
    import chipclass
    from chipclass.core.catalogue import from_table
    from chipclass.core.readers import read_table
    from chipclass.classification.engine import classify
    from chipclass.outputs.table import score_arrow
    from chipclass.outputs.write import write_table
    from chipclass.rules.instruments import rules_in_force

    table = generate(n)
    csv_path = os.path.join(tmp, f"in-{n}.csv")
    pq_path = os.path.join(tmp, f"in-{n}.parquet")
    pacsv.write_csv(table, csv_path)
    pq.write_table(table, pq_path)
    rules = rules_in_force("2025-06-01")
    rep = 5 if n <= 10**6 else 2

    t_read, (raw, _) = timed(lambda: read_table(csv_path), rep)
    t_norm, cat = timed(lambda: from_table(raw, csv_path), rep)
    t_score, result = timed(lambda: classify(cat, rules), rep)
    out_csv = os.path.join(tmp, f"out-{n}.csv")
    t_write, _ = timed(lambda: write_table(score_arrow(result), "csv", out_csv), rep)
    input_mb = raw.nbytes / 2**20

    e2e_code = (f"from chipclass.cli import main\n"
                f"try:\n    main(['score', {csv_path!r}, '-f', 'csv', '-o', {out_csv!r}, '--as-of', '2025-06-01',"
                f" '--no-config'])\nexcept SystemExit:\n    pass")
    floor_code = (f"import pyarrow.csv as c\nt = c.read_csv({csv_path!r})\n"
                  f"c.write_csv(t, {os.path.join(tmp, 'floor.csv')!r})")
    e2e = run_process(e2e_code)
    # The floor for the result: a pyarrow read of the input plus a write of an output of the
    # result's size (the result table itself, memory-mapped from an Arrow IPC file: no cost).
    ipc = os.path.join(tmp, f"result-{n}.arrow")
    with pa.OSFile(ipc, "wb") as sink:
        result_table = pacsv.read_csv(out_csv)
        with pa.ipc.new_file(sink, result_table.schema) as w:
            w.write_table(result_table)
    del result_table
    same_size = os.path.join(tmp, "floor-result.csv")
    result_floor_code = (f"import pyarrow as pa, pyarrow.csv as c\n"
                         f"r = pa.ipc.open_file(pa.memory_map({ipc!r})).read_all()\n"
                         f"t = c.read_csv({csv_path!r})\nc.write_csv(r, {same_size!r})")
    runs_e2e, runs_floor, runs_rfloor = [e2e], [], []
    for k in range(rep):  # side by side: alternate, keep the best of each
        if k:
            runs_e2e.append(run_process(e2e_code))
        runs_floor.append(run_process(floor_code))
        runs_rfloor.append(run_process(result_floor_code))
    e2e = min(runs_e2e, key=lambda r: r["seconds"])
    floor = min(runs_floor, key=lambda r: r["seconds"])
    rfloor = min(runs_rfloor, key=lambda r: r["seconds"])
    e2e_pq = run_process(f"from chipclass.cli import main\n"
                         f"try:\n    main(['score', {pq_path!r}, '-f', 'csv', '-o', {out_csv!r}, '--as-of', '2025-06-01'])\n"
                         f"except SystemExit:\n    pass")
    imports = run_process("import chipclass.cli")
    res = {
        "rows": n,
        "import_s": imports["seconds"],
        "result_io_floor_s": t_read + t_write,
        "input_csv_mb": os.path.getsize(csv_path) / 2**20,
        "input_table_mb": input_mb,
        "read_rows_per_s": n / t_read,
        "normalise_rows_per_s": n / t_norm,
        "score_rows_per_s": n / t_score,
        "write_rows_per_s": n / t_write,
        "end_to_end_s": e2e["seconds"],
        "end_to_end_max_rss_mb": e2e["max_rss_mb"],
        "io_floor_s": floor["seconds"],
        "io_floor_max_rss_mb": floor["max_rss_mb"],
        "end_to_end_parquet_s": e2e_pq["seconds"],
        "ratio_end_to_end_over_io_floor": e2e["seconds"] / floor["seconds"],
        "same_size_floor_s": rfloor["seconds"],
        "output_csv_mb": os.path.getsize(out_csv) / 2**20,
        "same_size_output_mb": os.path.getsize(same_size) / 2**20,
        "ratio_end_to_end_over_same_size_floor": float(np.median(
            [x["seconds"] / y["seconds"] for x, y in zip(runs_e2e, runs_rfloor)])),
        "ratio_end_to_end_over_same_size_floor_best": e2e["seconds"] / rfloor["seconds"],
        "ratio_end_to_end_over_result_io_floor": e2e["seconds"] / (t_read + t_write),
        "ratio_csv_over_parquet_input": e2e["seconds"] / e2e_pq["seconds"],
        "ratio_peak_memory_over_input": e2e["max_rss_mb"] / input_mb,
    }
    if baseline_per_row:
        res["naive_rows_per_s"] = 1 / baseline_per_row
        res["ratio_score_over_naive"] = (n / t_score) * baseline_per_row
    try:
        from chipclass.api import sweep
        if n == 10**7:
            base = {"fp8": "296 TFLOPS", "die_area": 814}
            t_sweep, out = timed(lambda: sweep(base, {"fp8": np.linspace(100, 2000, 3163),
                                                      "die_area": np.linspace(100, 1000, 3162)},
                                               as_of="2025-06-01", summary_only=True))
            res["sweep_variants"] = int(out["count"].sum())
            res["sweep_variants_per_s"] = res["sweep_variants"] / t_sweep
    except ImportError:
        pass
    del chipclass
    return res


def bench_design(tmp: str, variants: int, headroom_rows: int = 10**6) -> dict:
    """Sweep to Parquet end to end vs a pyarrow write of the same table; --to cost; headroom."""
    import copy

    from chipclass.core.formats import FORMATS
    from chipclass.core.readers import load, spec_catalogue
    from chipclass.design.headroom import headroom
    from chipclass.design.sweep import expand
    from chipclass.outputs.sweep import run, write_parquet
    from chipclass.rules.instruments import rules_in_force

    side = int(round(variants ** 0.5))
    other = variants // side
    vary = ["--vary", f"fp8=100:2000:{side}", "--vary", f"die_area=100:1000:{other}"]
    out = os.path.join(tmp, "sweep.parquet")
    cli = ["sweep", "--spec", "fp8=296 TFLOPS", "--spec", "die_area=814", *vary, "--as-of", "2025-06-01",
           "-q", "-o", out]

    import resource

    def e2e(extra):  # (wall, CPU user+sys) of a fresh process: CPU is what a shared machine can't inflate
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "chipclass", *cli, *extra], check=True)
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    plain, plain_cpu = min(e2e([]) for _ in range(2))
    to_cn, to_cn_cpu = min(e2e(["--to", "CN"]) for _ in range(2))
    script = (f"import pyarrow.parquet as pq\nt = pq.read_table({out!r})\n"
              f"from chipclass.outputs.sweep import write_parquet\nwrite_parquet(t, {out + '.copy'!r})")
    floor = run_process(script)
    rules = rules_in_force("2025-06-01")
    base = spec_catalogue("base", fp8=296, die_area=814)
    v = expand(base, {"fp8": np.linspace(100, 2000, side), "die_area": np.linspace(100, 1000, other)})
    t_run, (table, _s) = timed(lambda: run(v, rules), 2)
    t_run_cn, _ = timed(lambda: run(v, rules, destinations=["CN"]), 2)
    t_pa_same, _ = timed(lambda: write_parquet(table, os.path.join(tmp, "same.parquet")), 2)
    t_pa_default, _ = timed(lambda: pq.write_table(table, os.path.join(tmp, "default.parquet")), 2)
    cat = load(os.path.join(HERE, "..", "data", "chips.csv"))
    big = cat.take(np.resize(np.arange(len(cat)), headroom_rows))
    c0 = time.process_time()
    t_head, room = timed(lambda: headroom(big, rules))
    head_cpu = time.process_time() - c0
    head_rows = len(room)
    del room
    # the same rows as distinct devices (throughputs times a random factor): no repeats to walk once
    distinct = copy.copy(big)
    rng = np.random.default_rng(0)
    distinct.values = {k: v * rng.uniform(0.5, 2.0, len(v)) if k in big.headers and k.split("_")[0] in FORMATS
                       else v for k, v in big.values.items()}
    c0 = time.process_time()
    t_head_distinct, room = timed(lambda: headroom(distinct, rules))
    head_distinct_cpu = time.process_time() - c0
    return {"sweep_variants": side * other, "sweep_parquet_end_to_end_s": plain,
            "sweep_parquet_end_to_end_cpu_s": plain_cpu, "sweep_parquet_to_cn_end_to_end_cpu_s": to_cn_cpu,
            "ratio_to_cn_over_plain_end_to_end_cpu": to_cn_cpu / plain_cpu,
            "pyarrow_read_write_same_table_process_s": floor["seconds"], "headroom_cpu_s": head_cpu,
            "sweep_parquet_to_cn_end_to_end_s": to_cn, "ratio_to_cn_over_plain_end_to_end": to_cn / plain,
            "sweep_in_process_s": t_run, "sweep_in_process_to_cn_s": t_run_cn,
            "ratio_to_cn_over_plain_in_process": t_run_cn / t_run,
            "pyarrow_write_same_settings_s": t_pa_same, "pyarrow_write_default_s": t_pa_default,
            "ratio_end_to_end_over_pyarrow_write": plain / t_pa_same,
            "headroom_rows": headroom_rows, "headroom_s": t_head, "headroom_result_rows": head_rows,
            "headroom_distinct_s": t_head_distinct, "headroom_distinct_cpu_s": head_distinct_cpu,
            "headroom_distinct_result_rows": len(room)}


def print_design(d: dict) -> None:
    n = d["sweep_variants"]
    print(f"sweep of {n:,} variants to Parquet, end to end (fresh process): {d['sweep_parquet_end_to_end_s']:.2f} s; "
          f"pyarrow write of the same table: {d['pyarrow_write_same_settings_s']:.2f} s (chipclass's settings), "
          f"{d['pyarrow_write_default_s']:.2f} s (pyarrow defaults); ratio end to end / write "
          f"{d['ratio_end_to_end_over_pyarrow_write']:.2f}")
    print(f"  CPU (user+sys) of the sweep process: {d['sweep_parquet_end_to_end_cpu_s']:.2f} s; a fresh process that "
          f"reads that Parquet with pyarrow and writes it again: {d['pyarrow_read_write_same_table_process_s']:.2f} s")
    print(f"sweep --to CN: CPU {d['sweep_parquet_to_cn_end_to_end_cpu_s']:.2f} s "
          f"({d['ratio_to_cn_over_plain_end_to_end_cpu']:.2f}x plain); wall {d['sweep_parquet_to_cn_end_to_end_s']:.2f} s end to end "
          f"({d['ratio_to_cn_over_plain_end_to_end']:.2f}x plain); in process {d['sweep_in_process_to_cn_s']:.2f} s "
          f"against {d['sweep_in_process_s']:.2f} s ({d['ratio_to_cn_over_plain_in_process']:.2f}x)")
    print(f"headroom of {d['headroom_rows']:,} catalogue rows: {d['headroom_s']:.2f} s (CPU {d['headroom_cpu_s']:.2f} s) "
          f"({d['headroom_result_rows']:,} result rows)")
    if "headroom_distinct_s" in d:
        print(f"  the same rows as distinct devices (throughputs jittered): {d['headroom_distinct_s']:.2f} s "
              f"(CPU {d['headroom_distinct_cpu_s']:.2f} s) ({d['headroom_distinct_result_rows']:,} result rows)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1e4,1e5,1e6,1e7")
    ap.add_argument("--json", default=os.path.join(HERE, "out", "results.json"))
    ap.add_argument("--baseline-sample", type=int, default=2000)
    ap.add_argument("--startup-repeat", type=int, default=15)
    ap.add_argument("--sweep-variants", type=float, default=1e7)
    ap.add_argument("--only-design", action="store_true", help="Only the sweep, --to and headroom figures.")
    ap.add_argument("--no-versus", action="store_true",
                    help="Skip the paired ratios of versus.py (I/O floor, DuckDB, --stream, dask).")
    args = ap.parse_args(argv)
    if args.only_design:
        with tempfile.TemporaryDirectory() as tmp:
            print_design(bench_design(tmp, int(args.sweep_variants)))
        return
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    start = startup(args.startup_repeat)
    with tempfile.TemporaryDirectory() as tmp:
        per_row = naive_per_row(generate(args.baseline_sample, seed=1), args.baseline_sample)
        results = [bench_size(n, tmp, per_row) for n in sizes]
        design = bench_design(tmp, int(args.sweep_variants))
    machine = {"python": platform.python_version(), "machine": platform.machine(),
               "processor": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
               "numpy": np.__version__, "pandas": pd.__version__, "pyarrow": pa.__version__}
    cols = [("rows", "{:>10,}"), ("ratio_end_to_end_over_same_size_floor", "{:>8.2f}"), ("read_rows_per_s", "{:>10.3g}"), ("normalise_rows_per_s", "{:>10.3g}"),
            ("score_rows_per_s", "{:>10.3g}"), ("write_rows_per_s", "{:>10.3g}"),
            ("end_to_end_s", "{:>8.2f}"), ("io_floor_s", "{:>8.2f}"),
            ("ratio_end_to_end_over_io_floor", "{:>8.2f}"),
            ("ratio_end_to_end_over_result_io_floor", "{:>8.2f}"), ("ratio_score_over_naive", "{:>9.0f}"),
            ("ratio_csv_over_parquet_input", "{:>8.2f}"), ("end_to_end_max_rss_mb", "{:>8.0f}"),
            ("input_table_mb", "{:>8.0f}"), ("ratio_peak_memory_over_input", "{:>8.2f}")]
    heads = ["rows", "e2e/ssf", "read/s", "norm/s", "score/s", "write/s", "e2e s", "floor s", "e2e/flr", "e2e/rflr",
             "x naive", "csv/pq", "peak MB", "input MB", "peak/in"]
    print(f"chipclass benchmarks — {machine['cpus']} CPUs, {machine['processor']}, Python {machine['python']}, "
          f"numpy {machine['numpy']}, pandas {machine['pandas']}, pyarrow {machine['pyarrow']}")
    print(f"naive per-row baseline: {1 / per_row:,.0f} rows/s (sample of {args.baseline_sample}); "
          f"import chipclass.cli: {results[0]['import_s']:.2f} s")
    print(f"start-up ratio {start['ratio_startup']:.2f} (median of {args.startup_repeat} back-to-back pairs): "
          f"chipclass score data/chips.csv -f json {start['startup_score_json_median_s']:.3f} s median, "
          f"{start['startup_score_json_s']:.3f} s best; python -c 'import pyarrow.csv' "
          f"{start['startup_import_median_s']:.3f} s median, {start['startup_import_pyarrow_csv_s']:.3f} s best "
          f"(best/best {start['ratio_startup_best']:.2f}, median/median {start['ratio_startup_median']:.2f})")
    print("e2e/ssf: score -f csv -o end to end / (pyarrow read of the input + write of a same-size output), "
          "fresh processes run back to back, median of the paired ratios")
    print("e2e/flr: end to end / (pyarrow read + write of the input table); e2e/rflr: end to end / "
          "(pyarrow read of the input + write of the result table, in process)")
    widths = [max(len(h), len(f.format(0 if 'rows' == c else 0.0))) for h, (c, f) in zip(heads, cols)]
    print("  ".join(h.rjust(w) for h, w in zip(heads, widths)))
    for r in results:
        print("  ".join(f.format(r.get(c, float("nan"))).rjust(w) for (c, f), w in zip(cols, widths)))
    for r in results:
        if "sweep_variants_per_s" in r:
            print(f"sweep: {r['sweep_variants']:,} variants at {r['sweep_variants_per_s']:,.0f} variants/s")
    print_design(design)
    versus = None
    if not args.no_versus:  # paired ratios (wall and CPU): floor, DuckDB, start-up, --stream, dask
        sys.path.insert(0, HERE)
        import versus as vs

        versus = vs.main(["--rows", str(min(max(sizes), 10**6))])
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as fh:
        json.dump({"machine": machine, "naive_rows_per_s": 1 / per_row, "startup": start, "results": results,
                   "design": design, "versus": versus},
                  fh, indent=1)
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
