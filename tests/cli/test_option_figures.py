"""Every figure given as an option or a side input goes through the cell grammar with a
catalogue cell's bounds (issue 19 item 6, issue 20 items 5 and 9), and the reproducers of the
crashes in issue 20."""

import json
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import chipclass
from chipclass.cli import main

ROOT = Path(chipclass.__file__).resolve().parent.parent


def run(*args):
    return CliRunner().invoke(main, [*map(str, args)])


def test_sweep_size_is_refused_before_any_range_is_built(monkeypatch):
    import numpy

    def boom(*a, **k):
        raise AssertionError("a range was built before the size check")
    monkeypatch.setattr(numpy, "linspace", boom)
    r = run("sweep", "--spec", "fp8=300", "--vary", "fp8=0:1000:1000000000")
    assert r.exit_code == 2 and "1,000,000,000" in r.stderr and "--max-variants" in r.stderr
    r = run("sweep", "--spec", "fp8=300", "--vary", "fp8=0:1:10000", "--vary", "die_area=1:2:10000")
    assert r.exit_code == 2 and "100,000,000 variants" in r.stderr


def test_sweep_size_refused_in_a_real_process_with_little_memory():
    # 10^9 float64 values are 8 GB: with 1 GB of address space only a check before the
    # allocation can give the size message (an allocation would fail as out of memory)
    code = ("import resource; resource.setrlimit(resource.RLIMIT_AS, (1 << 31, 1 << 31)); "
            "import sys; sys.argv = ['chipclass', 'sweep', '--spec', 'fp8=300', '--vary', 'fp8=0:1000:1000000000']; "
            "from chipclass.cli import run; run()")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert p.returncode == 2 and "1,000,000,000" in p.stderr and "out of memory" not in p.stderr


@pytest.mark.parametrize("vary,words", [
    ("die_area=0,800", "an area must be more than zero"),
    ("die_area=0:800:3", "an area must be more than zero"),
    ("fp8=-1,3", "must be zero or more"),
    ("fp8=1 000,3", "not a unit"),
    ("fp8=inf,3", "not a finite number"),
    ("fp8=1e308:1e309:2", "outside the magnitudes accepted"),
    ("fp8=1,,3", "a value in every place"),
    ("fp8=n/a", "a value in every place"),
    ("fp8=1:2:1e3", "whole number"),
    ("fp8=1:2:-3", "whole number"),
    ("fp8=1:2:1_000", "whole number"),
    ("memory_bandwidth=1,2 TB/S", "TB/S"),
])
def test_vary_values_obey_a_cells_bounds(vary, words):
    r = run("sweep", "--spec", "fp8=300", "--spec", "die_area=500", "--vary", vary)
    assert r.exit_code == 2 and words in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr


def test_vary_units_convert():
    from chipclass.design.sweep import parse_vary

    assert parse_vary("fp8=0.2:0.6:3 PFLOPS")[1].tolist() == [200.0, 400.0, 600.0]
    assert parse_vary("die_area=5,6 cm**2")[1].tolist() == [500.0, 600.0]


def test_vary_file_that_is_not_utf8_is_named(tmp_path):
    f = tmp_path / "v.txt"
    f.write_bytes(b"100\n\xff\xfe200\n")
    r = run("sweep", "--spec", "fp8=300", "--vary", f"fp8=@{f}")
    assert r.exit_code == 2 and str(f) in r.stderr and "not UTF-8" in r.stderr and "0xff" in r.stderr


def test_vary_file_values_through_the_grammar(tmp_path):
    f = tmp_path / "v.txt"
    f.write_text("100\n1 000\n")
    r = run("sweep", "--spec", "fp8=300", "--vary", f"fp8=@{f}")
    assert r.exit_code == 2 and "row 2" in r.stderr and "'1 000'" in r.stderr and "digits grouped" in r.stderr
    f.write_text("100\n0\n")
    r = run("sweep", "--spec", "fp8=300", "--spec", "die_area=5", "--vary", f"die_area=@{f}")
    assert r.exit_code == 2 and "row 2" in r.stderr and "more than zero" in r.stderr


@pytest.mark.parametrize("rng,words", [("die_area=0:800", "more than zero"), ("fp8=-5:10", "zero or more"),
                                       ("fp8=10:5", "LOW < HIGH"), ("fp8=1 000:2000", "bad range"),
                                       ("fp8=1:inf", "not a finite number")])
def test_envelope_ranges_obey_a_cells_bounds(rng, words):
    r = run("envelope", "--spec", "fp8=300", "--spec", "die_area=500", "--free", "fp8", "--free", "die_area",
            "--target", "not controlled", "--range", rng)
    assert r.exit_code == 2 and words in r.stderr, r.stderr


@pytest.mark.parametrize("spec,words", [("die_area=0", "more than zero"), ("fp8=-3", "zero or more"),
                                        ("fp8=1 000", "digits grouped")])
def test_spec_values_obey_a_cells_bounds(spec, words):
    r = run("explain", "--spec", spec)
    assert r.exit_code == 2 and words in r.stderr


@pytest.mark.parametrize("cell,words", [("1 000", "digits grouped"), ("-5", "zero or more"),
                                        ("98 TB/s", "'98 TB/s'")])
def test_transistor_density_through_the_grammar(tmp_path, cell, words):
    # pd.to_numeric(errors="coerce") read these as "unknown"; a negative one made the
    # presumption "overcome"
    f = tmp_path / "c.csv"
    f.write_text(f"name,fp8,die_area,process_node,transistor_density\nA,300,500,5,{cell}\n")
    r = run("explain", f, "A", "--view", "foundry", "--as-of", "2025-06-01")
    assert r.exit_code == 2 and "row 1, column 'transistor_density'" in r.stderr and words in r.stderr, r.stderr


def test_transistor_density_with_a_unit_is_read(tmp_path):
    # 98 million/mm² x 500 mm² = 49 bn (above the 30 bn figure of Note 1 b.(a) to 3A090.a)
    f = tmp_path / "c.csv"
    f.write_text("name,fp8,die_area,process_node,transistor_density\nA,300,500,5,98 million/mm**2\nB,300,500,5,0.098 billion/mm**2\n")
    from chipclass.licensing.foundry import presumption

    frame = presumption(str(f), "2025-06-01").frame
    assert frame["count_bn"].tolist() == pytest.approx([49.0, 49.0])


def test_explain_foundry_with_an_unknown_node_does_not_crash():
    # reproducer: TypeError: boolean value of NA is ambiguous
    r = run("explain", "--spec", "fp8=1", "--spec", "transistor_count=10", "--view", "foundry", "--as-of", "2025-06-01")
    assert r.exit_code == 0, r.stderr
    assert "designer none" in r.stdout


def test_explain_foundry_json_is_strict():
    r = run("explain", "--spec", "fp8=1", "--spec", "transistor_count=10", "--view", "foundry", "-f", "json",
            "--as-of", "2025-06-01")
    assert r.exit_code == 0, r.stderr

    def refuse(c):
        raise ValueError(f"not strict JSON: {c}")
    data = json.loads(r.stdout, parse_constant=refuse)
    assert data["foundry"][0]["applies"] is None  # unknown node: null, not NaN


def test_cannot_decide_note_lists_only_what_the_row_lacks(tmp_path):
    # two rows lack different inputs for 3A991.p: each note names its own
    f = tmp_path / "c.csv"
    f.write_text("name,fp8,die_area,interconnect_bandwidth\nA,0.5,500,\nB,,500,10\n")
    frame = chipclass.score(str(f), as_of="2025-06-01").set_index("name")
    assert frame.loc["A", "eccn_note"] == "cannot decide 3A991.p: needs interconnect_bandwidth"


def test_config_keys_equal_after_case_folding_are_refused(tmp_path):
    conf = tmp_path / "chipclass.toml"
    conf.write_text('[columns]\n"FP8 Dense" = "fp8"\n"fp8 DENSE" = "fp8 [PFLOPS]"\n')
    r = run("--config", conf, "score", ROOT / "chipclass" / "data" / "chips.csv", "-f", "csv")
    assert r.exit_code == 2 and "'FP8 Dense'" in r.stderr and "'fp8 DENSE'" in r.stderr and str(conf) in r.stderr


def test_deeply_nested_toml_is_one_line(tmp_path):
    conf = tmp_path / "chipclass.toml"
    conf.write_text("x = " + "[" * 50000 + "]" * 50000 + "\n")
    r = run("--config", conf, "score", "-f", "csv")
    assert r.exit_code == 2 and "nested too deeply" in r.stderr and len(r.stderr.splitlines()) == 1
