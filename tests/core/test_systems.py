"""One resolution of systems for every command and engine (issue 20 item 7).

Reference values: data/systems.csv names DGX H100 as 8 x H100 SXM; chips.csv gives H100 SXM
1979 TFLOPS FP8 dense on 814 mm² (NVIDIA H100 datasheet), which meets 3A090.a.1 (TPP 15,832 >=
4,800), so a system containing it is 4A090.a (the [[system]] record tracking 3A090.a).
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import chipclass
from chipclass.cli import main
from chipclass.core.errors import InputError

DATA = Path(chipclass.__file__).parent / "data"
SYSTEMS = DATA / "systems.csv"
CHAIN = ("name,device_type,ic,ic_count,fp8,die_area\n"
         "RACK,system,NODE,4,,\n"
         "NODE,system,H100 SXM,8,,\n"
         "MYCHIP,processor,,,5000,800\n"
         "SYS2,system,MYCHIP,2,,\n")


def run(*args):
    return CliRunner().invoke(main, [*map(str, args)])


def rows(csv_text):
    import io
    return pd.read_csv(io.StringIO(csv_text), keep_default_na=False).set_index("name")


def test_chain_is_followed_to_the_device(tmp_path):
    f = tmp_path / "c.csv"
    f.write_text(CHAIN)
    r = run("score", f, "-f", "csv", "--as-of", "2025-06-01")
    assert r.exit_code == 0, r.stderr
    out = rows(r.stdout)
    # RACK -> NODE -> H100 SXM: TPP 1979 x 8 = 15,832 (the shipped H100 SXM's figure)
    assert out.loc["RACK", "tpp"] == pytest.approx(15832) and out.loc["RACK", "eccn"] == "4A090.a"
    assert out.loc["NODE", "eccn"] == "4A090.a"
    # SYS2 takes the user's own MYCHIP: 5000 x 8 = 40,000
    assert out.loc["SYS2", "tpp"] == pytest.approx(40000)


@pytest.mark.parametrize("engine", [["--stream", "--batch-rows", "1"], ["--engine", "dask"], []])
def test_every_engine_looks_in_the_whole_input(tmp_path, engine):
    # the IC is in the last row, the system in the first: a batch of one row cannot see it
    f = tmp_path / "c.csv"
    f.write_text("name,device_type,ic,fp8,die_area\nS,system,H100 SXM,,\nH100 SXM,processor,,1,1000\n")
    r = run("score", f, "-f", "csv", "--as-of", "2025-06-01", *engine)
    assert r.exit_code == 0, r.stderr
    out = rows(r.stdout)
    # the user's own "H100 SXM" (1 TOPS) wins over the shipped chip of that name
    assert out.loc["S", "tpp"] == pytest.approx(8) and out.loc["S", "eccn"] != "4A090.a"


def test_dask_links_across_files(tmp_path):
    (tmp_path / "a.csv").write_text("name,device_type,ic\nRACK,system,MYCHIP\n")
    (tmp_path / "b.csv").write_text("name,fp8,die_area\nMYCHIP,5000,800\n")
    r = run("score", tmp_path / "*.csv", "--engine", "dask", "-f", "csv", "--as-of", "2025-06-01")
    assert r.exit_code == 0, r.stderr
    assert rows(r.stdout).loc["RACK", "tpp"] == pytest.approx(40000)


@pytest.mark.parametrize("engine", [[], ["--stream", "--batch-rows", "1"], ["--engine", "dask"]])
@pytest.mark.parametrize("text,row,value,words", [
    ("name,device_type,ic\nA,system,B\nB,system,A\n", 1, "B", "cycle"),
    ("name,device_type,ic\nX,processor,\nA,system,A\n", 2, "A", "cycle"),
    ("name,device_type,ic\nX,processor,\nA,system,H999\n", 2, "H999", "neither"),
    ("name,device_type,ic\nA,system,B\nB,system,NOPE\n", 1, "B", "'NOPE'"),
])
def test_cycles_and_unknown_ics_are_refused_with_the_row(tmp_path, engine, text, row, value, words):
    f = tmp_path / "c.csv"
    f.write_text(text)
    r = run("score", f, "-f", "csv", *engine)
    assert r.exit_code == 2
    assert f"row {row}, column 'ic': value '{value}'" in r.stderr and words in r.stderr
    assert "Traceback" not in r.stderr and "chips.csv" not in r.stderr  # "the shipped catalogue", no path


@pytest.mark.parametrize("engine", [[], ["--stream", "--batch-rows", "1"]])
@pytest.mark.parametrize("count", ["eight", "-3", "inf", "0", "2.5"])
def test_ic_count_is_a_whole_number_of_one_or_more(tmp_path, engine, count):
    f = tmp_path / "c.csv"
    f.write_text(f"name,device_type,ic,ic_count\nOK,system,H100 SXM,8\nA,system,H100 SXM,{count}\n")
    r = run("score", f, "-f", "csv", *engine)
    assert r.exit_code == 2 and f"row 2, column 'ic_count': value '{count}'" in r.stderr


def test_earliest_row_wins_whatever_the_fault(tmp_path):
    # a bad cell in row 3 and an unknown IC in row 1: every engine names row 1
    f = tmp_path / "c.csv"
    f.write_text("name,device_type,ic,fp8\nA,system,NOPE,\nB,processor,,1\nC,processor,,x\n")
    for engine in ([], ["--stream", "--batch-rows", "1"], ["--engine", "dask"]):
        r = run("score", f, "-f", "csv", *engine)
        assert r.exit_code == 2 and "row 1, column 'ic'" in r.stderr, (engine, r.stderr)


def test_sweep_of_a_system_agrees_with_score():
    # the issue's reproducer: sweep said indeterminate where score says 4A090.a
    r = run("sweep", "DGX H100", "--catalogue", SYSTEMS, "--vary", "memory=640,1280", "-f", "csv",
            "--as-of", "2025-06-01")
    assert r.exit_code == 0, r.stderr
    sweep = pd.read_csv(__import__("io").StringIO(r.stdout))
    score = chipclass.score(str(SYSTEMS), as_of="2025-06-01").set_index("name").loc["DGX H100"]
    assert set(sweep["eccn"]) == {score["eccn"]} == {"4A090.a"}
    assert sweep["tpp"].tolist() == [score["tpp"]] * 2


def test_sweep_keeps_base_eccn(tmp_path):
    f = tmp_path / "c.csv"
    f.write_text("name,fp8,die_area,base_eccn\nNIC,5000,800,5A992.c\n")
    r = run("sweep", "NIC", "--catalogue", f, "--vary", "fp8=5000,1", "-f", "csv", "--as-of", "2025-06-01")
    assert r.exit_code == 0, r.stderr
    out = pd.read_csv(__import__("io").StringIO(r.stdout))
    s = run("score", f, "-f", "csv", "--as-of", "2025-06-01")
    assert out["eccn"].iloc[0] == rows(s.stdout).loc["NIC", "eccn"] == "5A992.z.1"  # 5A992.z.1: a 5A992.c item meeting 3A090.a (rule data [[z]])
    assert out["eccn"].iloc[1] == "5A992.c"  # below 3A090: the base entry, not 3A991.p


def test_explain_and_headroom_of_a_system_use_its_ic():
    ex = chipclass.explain(str(SYSTEMS), "DGX H100", as_of="2025-06-01")
    score = chipclass.score(str(SYSTEMS), as_of="2025-06-01").set_index("name").loc["DGX H100"]
    assert ex.result["eccn"] == score["eccn"] and ex.metrics["tpp"] == pytest.approx(score["tpp"])
    r = run("headroom", SYSTEMS, "-f", "json", "--as-of", "2025-06-01")
    assert r.exit_code == 0, r.stderr
    import json
    found = [x for x in json.loads(r.stdout)["rows"] if x["name"] == "DGX H100"] if r.stdout.startswith("{") \
        else [x for x in json.loads(r.stdout) if x["name"] == "DGX H100"]
    assert found and {x["figures_of"] for x in found} == {"H100 SXM"}


def test_headroom_of_a_system_is_confirmed_through_its_ic(tmp_path):
    """Each limit a system's headroom reports holds when the IC's figure moves a hair inside and
    a hair past it (the system row's own figures are not what scoring reads)."""
    from chipclass.design.headroom import headroom
    from chipclass.rules.instruments import rules_in_force

    base = "name,device_type,ic,fp8,die_area,memory_bandwidth\nBOX,system,CHIP,,,\nCHIP,processor,,{fp8},{area},100\n"
    f = tmp_path / "c.csv"
    f.write_text(base.format(fp8=296, area=500))
    rules = rules_in_force("2025-06-01")
    frame = headroom(chipclass.load(str(f)), rules)
    box = frame[(frame["name"] == "BOX") & frame["limit"].notna()]
    assert len(box) and set(box["figures_of"]) == {"CHIP"}
    for row in box.to_dict("records"):
        if row["spec"] not in ("fp8", "die_area"):
            continue
        up = row["direction"] == "up"
        for eps, keeps in ((-1e-6, True), (1e-6, False)):
            x = row["limit"] * (1 + (eps if up else -eps))
            vals = {"fp8": 296, "area": 500}
            vals["fp8" if row["spec"] == "fp8" else "area"] = x
            f.write_text(base.format(**vals))
            got = chipclass.score(str(f), as_of="2025-06-01").set_index("name").loc["BOX"]
            label = got["clause"] if isinstance(got["clause"], str) else got["status"]
            assert (label == row["current_class"]) == keeps, (row, eps, label)


def test_system_row_from_a_dataframe_resolves_against_the_frame():
    df = pd.DataFrame([{"name": "S", "device_type": "system", "ic": "C"},
                       {"name": "C", "device_type": "processor", "fp8": 5000.0, "die_area": 800.0}])
    ex = chipclass.explain(df, "S", as_of="2025-06-01")
    assert ex.metrics["tpp"] == pytest.approx(40000)
