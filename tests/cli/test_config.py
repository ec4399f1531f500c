"""Project configuration: [tool.chipclass] in pyproject.toml or chipclass.toml, found from the
working directory upwards; flags win; a bad key or value exits 2 naming file and key."""

import json
import os

import pytest
from click.testing import CliRunner

from chipclass.cli import main
from chipclass.cli.config import find_config

# H100 SXM: 1979 TFLOPS FP8 dense on 814 mm**2 (NVIDIA datasheet): TPP 15832 -> 3A090.a.1 from
# 2023-11-17 (88 FR 73458); under the 2022-10 rule (87 FR 62186) it is 3A090.a (TPP >= 4800 and
# 600 GB/s interconnect: 900 GB/s NVLink here).
CSV = "Chip,FP8 Dense,die_area,interconnect_bandwidth\nH100 SXM,1979,814,900\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "chips.csv").write_text(CSV, encoding="utf-8")
    monkeypatch.chdir(tmp_path / "sub" / "deeper")  # found from the working directory upwards
    return tmp_path


def pyproject(root, body):
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n\n[tool.chipclass]\n" + body, encoding="utf-8")


COLUMNS = '[tool.chipclass.columns]\n"Chip" = "name"\n"fp8 dense" = "fp8 [TFLOPS]"\n'


def score(root, *args):
    return CliRunner().invoke(main, ["score", str(root / "chips.csv"), "-f", "json", *args])


def test_config_applies_and_flags_win(project):
    pyproject(project, 'as_of = 2023-01-01\nfail_on = ["controlled"]\n' + COLUMNS)
    r = score(project)
    assert r.exit_code == 1, r.output  # fail_on from the file
    out = json.loads(r.stdout)
    assert out["meta"]["as_of"] == "2023-01-01"  # as_of from the file
    assert out["rows"][0]["name"] == "H100 SXM" and out["rows"][0]["tpp"] == 15832  # aliases applied
    # flags win: a later date and another selector that does not match
    r = score(project, "--as-of", "2024-01-01", "--fail-on", "3A090.b")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["meta"]["as_of"] == "2024-01-01"
    assert json.loads(r.stdout)["rows"][0]["clause"] == "3A090.a.1"


def test_no_config_and_explicit_config(project, tmp_path):
    pyproject(project, 'fail_on = ["controlled"]\n' + COLUMNS)
    r = score(project, "--no-config")
    assert r.exit_code == 2 and "no 'name' column" in r.stderr  # the aliases are gone too
    r = CliRunner().invoke(main, ["--no-config", "score", str(project / "chips.csv"), "-f", "json"])
    assert r.exit_code == 2
    other = tmp_path / "team.toml"  # any other file: keys at the top level
    other.write_text('as_of = 2025-02-01\n[columns]\n"chip" = "name"\n"FP8  DENSE" = "fp8"\n', encoding="utf-8")
    for args in (["--config", str(other), "score"], ["score", "--config", str(other)]):
        r = CliRunner().invoke(main, [*args, str(project / "chips.csv"), "-f", "json"])
        assert r.exit_code == 0, r.output  # --config replaces the discovered file (no fail_on)
        assert json.loads(r.stdout)["meta"]["as_of"] == "2025-02-01"


def test_chipclass_toml_wins_in_its_directory(project):
    pyproject(project, "tf32_bits = 19\n")
    (project / "chipclass.toml").write_text("tf32_bits = 32\n", encoding="utf-8")
    assert find_config() == str(project / "chipclass.toml")
    os.remove(project / "chipclass.toml")
    assert find_config() == str(project / "pyproject.toml")


def test_pyproject_without_table_is_passed_over(project):
    (project / "sub" / "pyproject.toml").write_text("[project]\nname = 'inner'\n", encoding="utf-8")
    pyproject(project, "tf32_bits = 19\n")
    assert find_config() == str(project / "pyproject.toml")


def test_destinations_from_config(project):
    pyproject(project, 'to = ["CN"]\nas_of = 2025-06-01\n' + COLUMNS)
    r = CliRunner().invoke(main, ["license", str(project / "chips.csv"), "-f", "json"])
    rows = json.loads(r.stdout)["rows"]
    assert [(x["destination"], x["license_required"]) for x in rows] == [("CN", True)]
    r = CliRunner().invoke(main, ["license", str(project / "chips.csv"), "-f", "json", "--to", "DE"])
    assert [x["destination"] for x in json.loads(r.stdout)["rows"]] == ["DE"]  # --to replaces


def test_tf32_bits_from_config(project):
    # A100's 156 TFLOPS TF32 only: 156 x 32 = 4992 (>= 4800) but 156 x 19 = 2964.
    (project / "t.csv").write_text("name,tf32,die_area\nA,156,826\n", encoding="utf-8")
    pyproject(project, "tf32_bits = 19\n")
    r = CliRunner().invoke(main, ["score", str(project / "t.csv"), "-f", "json", "--as-of", "2024-01-01"])
    assert json.loads(r.stdout)["rows"][0]["tpp"] == pytest.approx(2964)
    r = CliRunner().invoke(main, ["score", str(project / "t.csv"), "-f", "json", "--as-of", "2024-01-01",
                                  "--tf32-bits", "32"])
    assert json.loads(r.stdout)["rows"][0]["tpp"] == pytest.approx(4992)


@pytest.mark.parametrize("body,key", [
    ("colour = 'red'\n", "tool.chipclass.colour: unknown key"),
    ("tf32_bits = 65\n", "tool.chipclass.tf32_bits"),
    ("tf32_bits = 0\n", "tool.chipclass.tf32_bits"),
    ("as_of = 'soon'\n", "tool.chipclass.as_of"),
    ("fail_on = ['3B001']\n", "tool.chipclass.fail_on[0]"),
    ("fail_on = 'controlled'\n", "tool.chipclass.fail_on"),
    ("to = ['Narnia']\n", "tool.chipclass.to[0]"),
    ("columns = { 'X' = 'fp9' }\n", "tool.chipclass.columns.'X'"),
    ("columns = { 'X' = 3 }\n", "tool.chipclass.columns.X"),
])
def test_bad_config_exits_2_naming_file_and_key(project, body, key):
    pyproject(project, body)
    r = score(project)
    assert r.exit_code == 2
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert str(project / "pyproject.toml") in r.stderr and key in r.stderr, r.stderr


def test_bad_toml_exits_2(project):
    (project / "chipclass.toml").write_text("as_of = [\n", encoding="utf-8")
    r = score(project)
    assert r.exit_code == 2 and "chipclass.toml: not valid TOML" in r.stderr


def test_selectors_a_command_does_not_offer_are_left_out(project):
    pyproject(project, 'fail_on = ["license"]\nas_of = 2025-06-01\n' + COLUMNS)
    assert score(project).exit_code == 0  # score has no 'license' selector
    r = CliRunner().invoke(main, ["license", str(project / "chips.csv"), "--to", "CN"])
    assert r.exit_code == 1
