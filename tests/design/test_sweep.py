"""Sweeps equal scoring the same variants as a catalogue."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from click.testing import CliRunner

import chipclass
import chipclass.api
from chipclass.cli import main
from chipclass.api import sweep
from chipclass.design.sweep import expand, parse_range

from ..conftest import CHIPS

RESULT = ["tpp", "performance_density", "eccn", "clause", "status"]


def _same(a: pd.DataFrame, b: pd.DataFrame):
    for c in RESULT:
        x, y = a[c].reset_index(drop=True), b[c].reset_index(drop=True)
        if x.dtype.kind == "f":
            np.testing.assert_allclose(x.to_numpy(), y.to_numpy(), rtol=1e-12)
        else:
            assert x.astype(object).where(x.notna(), None).tolist() == y.astype(object).where(y.notna(), None).tolist()


@settings(max_examples=25, deadline=None)
@given(fp8=st.lists(st.floats(10, 3000), min_size=1, max_size=6),
       area=st.lists(st.floats(50, 1500), min_size=1, max_size=6),
       dc=st.booleans(), as_of=st.sampled_from(["2023-06-01", "2024-06-01", "2025-06-01"]))
def test_sweep_equals_catalogue_scoring(fp8, area, dc, as_of):
    base = {"name": "base", "fp16": "100 TFLOPS", "datacenter": dc, "interconnect_bandwidth": 900}
    got = sweep(base, {"fp8": np.array(fp8), "die_area": np.array(area)}, as_of=as_of)
    grid = pd.DataFrame([{"name": f"v{i * len(area) + j}", "fp8": f, "die_area": a, "fp16": 100,
                          "datacenter": dc, "interconnect_bandwidth": 900}
                         for i, f in enumerate(fp8) for j, a in enumerate(area)])
    want = chipclass.score(grid, as_of=as_of)
    assert len(got) == len(fp8) * len(area)
    _same(got, want)


def test_sampled_sweep_equals_catalogue_scoring():
    got = sweep({"fp8": 296, "die_area": 814}, {"fp8": "100:700:2", "die_area": "300:900:2"},
                as_of="2025-06-01", method="lhs", samples=500, seed=7)
    grid = pd.DataFrame({"name": [f"v{i}" for i in range(len(got))], "fp8": got["fp8"], "die_area": got["die_area"]})
    _same(got, chipclass.score(grid, as_of="2025-06-01"))
    # Latin hypercube: one sample in each of the 500 strata of each dimension
    strata = np.floor((got["fp8"] - 100) / 600 * 500).astype(int)
    assert sorted(strata) == list(range(500))


def test_sweep_from_catalogue_row_replaces_sparse_with_the_varied_dense_figure():
    cat = chipclass.api.load(str(CHIPS))
    one = cat.take([list(cat.names).index("RTX 5090 D")])  # fp4_sparse 2375 -> 1187.5 dense
    out = sweep(one, {"fp4": np.array([1187.5, 1199.0, 1200.0])}, as_of="2025-06-01")
    assert out["tpp"].tolist() == [4750.0, 4796.0, 4800.0]
    assert out["status"].astype(str).tolist() == ["not controlled", "not controlled", "controlled"]
    # A dense figure wins over a sparse one anyway, so the scores above would not change if
    # the sparse figure were kept; the variants themselves show whether it was replaced.
    variants = expand(one, {"fp4": np.array([1187.5, 1200.0])})
    assert np.isnan(variants.values["fp4_sparse"]).all()
    assert variants.values["fp4"].tolist() == [1187.5, 1200.0]
    assert one.values["fp4_sparse"][0] == 2375.0  # the base keeps its own


def test_parse_range_units_and_lists(tmp_path):
    assert parse_range("fp8=0.2:0.6:3 PFLOPS")[1].tolist() == [200.0, 400.0, 600.0]
    assert parse_range("die_area=5,6 cm**2")[1].tolist() == [500.0, 600.0]
    f = tmp_path / "v.txt"
    f.write_text("1\n2\n")
    assert parse_range(f"fp8=@{f}")[1].tolist() == [1.0, 2.0]
    with pytest.raises(Exception, match="cannot vary"):
        parse_range("colour=1:2:3")


def test_cli_sweep_summary_and_license(tmp_path):
    out = tmp_path / "s.csv"
    r = CliRunner().invoke(main, ["sweep", "H20", "--catalogue", str(CHIPS), "--vary", "fp8=200:600:5",
                                  "--vary", "die_area=500:900:3", "--to", "CN", "--as-of", "2025-06-01",
                                  "-f", "csv", "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    frame = pd.read_csv(out)
    assert len(frame) == 15 and "license_CN" in frame.columns
    assert "3A090.a.1" in r.stderr  # summary on stderr for machine formats


# --- sweeps for product teams --------------------------------------------------------------

def test_sampled_sweeps_take_plain_ranges_and_grids_refuse_them(tmp_path):
    out = tmp_path / "s.csv"
    r = CliRunner().invoke(main, ["sweep", "H20", "--catalogue", str(CHIPS), "--vary", "fp8=200:600",
                                  "--samples", "50", "--method", "lhs", "--as-of", "2025-06-01", "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    f = pd.read_csv(out)
    assert len(f) == 50 and f["fp8"].between(200, 600).all()
    r = CliRunner().invoke(main, ["sweep", "H20", "--catalogue", str(CHIPS), "--vary", "fp8=200:600"])
    assert r.exit_code == 2 and "LOW:HIGH:N" in r.stderr


def test_file_values_carry_units_and_are_bounded(tmp_path, monkeypatch):
    from chipclass.core.errors import InputError
    from chipclass.design import sweep as sweep_mod
    f = tmp_path / "v.txt"
    f.write_text("0.2 PFLOPS\n300 TFLOPS, 400\n")  # 400 in the default unit (TOPS)
    assert parse_range(f"fp8=@{f}")[1].tolist() == [200.0, 300.0, 400.0]
    f.write_text("300 TFLOPS\n5 mm**2\n")
    with pytest.raises(InputError) as e:
        parse_range(f"fp8=@{f}")
    assert e.value.row == 2 and "5 mm**2" in str(e.value.value)
    monkeypatch.setattr(sweep_mod, "MAX_FILE_BYTES", 10)
    f.write_text("1\n" * 20)
    with pytest.raises(InputError, match="at most"):
        parse_range(f"fp8=@{f}")


def test_size_is_refused_before_allocation():
    r = CliRunner().invoke(main, ["sweep", "--spec", "fp8=300", "--vary", "fp8=1:2:1000000",
                                  "--vary", "die_area=1:2:1000000", "--vary", "memory=1:2:1000000"])
    assert r.exit_code == 2 and "1,000,000,000,000,000,000 variants" in r.stderr
    r = CliRunner().invoke(main, ["sweep", "--spec", "fp8=300", "--vary", "fp8=1:2:100", "--max-variants", "99"])
    assert r.exit_code == 2 and "100 variants" in r.stderr


def test_licence_columns_equal_the_full_determination(tmp_path):
    # the lean per-destination licence of a sweep equals `license_required` of determine()
    from chipclass.api import license_table as determine
    from chipclass.design.sweep import expand
    from chipclass.outputs.sweep import run
    from chipclass.outputs.table import score_frame
    from chipclass.rules.instruments import rules_in_force
    cat = chipclass.api.load(str(CHIPS))
    for day in ("2023-06-01", "2025-03-01", "2026-02-01", "2026-08-01"):
        for name in ("H20", "RTX 4090 D", "H100 SXM"):
            one = cat.take([cat.index_of(name)])
            v = expand(one, {"fp8": np.linspace(50, 3000, 40), "die_area": np.linspace(100, 1200, 25)})
            dests = ["CN", "AE", "DE", "IN", "US", "MO"]
            table, _ = run(v, rules_in_force(day), destinations=dests)
            full = determine(v, dests, None, day)
            from chipclass.classification.engine import classify as classify_engine
            frame = score_frame(classify_engine(v, rules_in_force(day)))
            assert [c for c in table.column_names if not c.startswith("license_")] == list(frame.columns)
            for col in ("eccn", "eccn_note", "clause", "status"):
                assert table.column(col).to_pylist() == frame[col].astype(object).where(frame[col].notna(), None).tolist()
            for d in dests:
                want = full.loc[full["destination"] == d, "license_required"].astype(object).tolist()
                got = table.column(f"license_{d}").to_pylist()
                assert got == [None if w is pd.NA else bool(w) for w in want], (day, name, d)


def test_quiet_and_no_progress_in_a_pipe(tmp_path):
    out = tmp_path / "s.parquet"
    r = CliRunner().invoke(main, ["sweep", "H20", "--catalogue", str(CHIPS), "--vary", "fp8=200:600:5", "-q",
                                  "-o", str(out), "--as-of", "2025-06-01"])
    assert r.exit_code == 0 and r.stderr == ""
    t = pd.read_parquet(out)
    # H20 at fp8 600 TFLOPS: TPP 600 x 8 = 4800 -> 3A090.a.1 (TPP >= 4800)
    assert len(t) == 5 and t["clause"].astype(str).tolist()[-1] == "3A090.a.1"


def test_parquet_written_slice_by_slice_equals_the_in_memory_result(tmp_path, monkeypatch):
    from chipclass.outputs import sweep as sweep_out
    monkeypatch.setattr(sweep_out, "SLICE", 7)  # many slices, a short last one
    out = tmp_path / "s.parquet"
    args = ["sweep", "H20", "--catalogue", str(CHIPS), "--vary", "fp8=100:900:9", "--vary", "die_area=300:1200:11",
            "--to", "CN", "--as-of", "2025-06-01", "-q"]
    r = CliRunner().invoke(main, args + ["-o", str(out)])
    assert r.exit_code == 0, r.stderr
    r2 = CliRunner().invoke(main, args + ["-f", "csv"])
    got, want = pd.read_parquet(out), pd.read_csv(__import__("io").StringIO(r2.stdout))
    assert len(got) == 99 == len(want)
    assert got["clause"].astype(object).fillna("").tolist() == want["clause"].fillna("").tolist()
    assert got["license_CN"].tolist() == want["license_CN"].tolist()


def test_sweep_to_parquet_imports_no_pandas(tmp_path):
    # a sweep written to Parquet is scored and written as Arrow (pandas is a third of its time)
    import subprocess
    import sys

    import pyarrow.parquet as pq

    out = tmp_path / "s.parquet"
    code = ("import sys\nfrom chipclass.cli import main\n"
            f"main(['sweep', '--spec', 'fp8=296 TFLOPS', '--spec', 'die_area=814', '--vary', 'fp8=100:2000:20', "
            f"'--to', 'CN', '--as-of', '2025-06-01', '-o', {str(out)!r}, '--no-config'], standalone_mode=False)\n"
            "print('pandas' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "False", r.stderr
    t = pq.read_table(out)
    assert t.num_rows == 20 and set(t.column("name").to_pylist()) == {"spec"} and "license_CN" in t.column_names
    assert "3A090" in r.stderr or "not controlled" in r.stderr  # the summary line, made without pandas
