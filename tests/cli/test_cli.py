"""The CLI through click's CliRunner: formats, exit codes, one-line errors, atomic output."""

import json

import pytest
from click.testing import CliRunner

from chipclass.cli import main

from ..conftest import write


@pytest.fixture
def run():
    def _run(*args, input=None):
        return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    return _run


def test_score_table(run, chips_csv):
    r = run("score", chips_csv, "--as-of", "2025-06-01")
    assert r.exit_code == 0
    assert "3A090.a.1" in r.stdout and "H20" in r.stdout


def test_score_json_keys(run, chips_csv):
    r = run("score", chips_csv, "-f", "json", "--as-of", "2025-06-01")
    rows = json.loads(r.stdout)["rows"]
    keys = {"name", "tpp", "tpp_format", "performance_density", "memory_bandwidth_density", "eccn",
            "clause", "status", "note", "rule_set", "margin_tpp_4800"}
    assert keys <= set(rows[0])
    h20 = next(x for x in rows if x["name"] == "H20")
    # the final ECCN: the H20 (TPP 2,368, outside 3A090) meets 3A991.p.1 (296 >= 8 TOPS)
    assert h20["eccn"] == "3A991.p" and h20["status"] == "not controlled" and h20["clause"] is None


def test_score_jsonl_and_csv(run, chips_csv):
    r = run("score", chips_csv, "-f", "jsonl")
    lines = r.stdout.strip().splitlines()
    assert "_meta" in json.loads(lines[0])
    assert all(json.loads(x)["name"] for x in lines[1:])
    r = run("score", chips_csv, "-f", "csv")
    assert r.stdout.splitlines()[0].startswith('"name"')


def test_stdin(run):
    r = run("score", "-", "-f", "json", "--as-of", "2024-06-01", input="name,fp8\nX,1979\n")
    assert json.loads(r.stdout)["rows"][0]["clause"] == "3A090.a.1"


@pytest.mark.parametrize("selector,code", [("controlled", 1), ("3A090.a", 1), ("3A090.a.1", 1),
                                           ("3A090", 1), ("3A090.b", 0), ("3A090.a.2", 0),
                                           ("indeterminate", 0)])
def test_fail_on(run, tmp_path, selector, code):
    # H100 SXM (3A090.a.1) and H20 (not controlled), NVIDIA figures as in tests/test_metrics.py
    p = write(tmp_path, "name,fp8,die_area\nH100 SXM,1979,814\nH20,296,814\n")
    assert run("score", p, "--fail-on", selector, "-f", "csv", "--as-of", "2025-01-01").exit_code == code


def test_fail_on_unknown_selector_is_usage_error(run, chips_csv):
    r = run("score", chips_csv, "--fail-on", "3B001")
    assert r.exit_code == 2


def test_output_file_written_atomically(run, chips_csv, tmp_path):
    out = tmp_path / "out.json"
    assert run("score", chips_csv, "-f", "json", "-o", str(out)).exit_code == 0
    assert json.loads(out.read_text())["rows"][0]["name"]
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_failed_run_leaves_no_output(run, tmp_path):
    bad = write(tmp_path, "name,fp8\nA,1\nB,oops\n")
    out = tmp_path / "out.csv"
    r = run("score", bad, "-f", "csv", "-o", str(out))
    assert r.exit_code == 2
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["in.csv"]


def test_failed_run_keeps_previous_output(run, tmp_path):
    bad = write(tmp_path, "name,fp8\nA,1\nB,oops\n")
    out = tmp_path / "out.csv"
    out.write_text("previous")
    assert run("score", bad, "-f", "csv", "-o", str(out)).exit_code == 2
    assert out.read_text() == "previous"


@pytest.mark.parametrize("text,needle", [
    ("name,fp8\nA,296 TFLOPZ\n", "row 1, column 'fp8': value '296 TFLOPZ': unknown unit"),
    ("name,fp8\nA,4 TB/s\n", "is not a throughput unit"),
    ("name,fp8\nA,lots\n", "is not a number"),
    ("name,fp8\nA,1\nA,2\n", "duplicate name"),
    ("label,fp8\nA,1\n", "no 'name' column"),
    ("name,fp8\nA,1\n,2\n", "every row needs a name"),
    ("name,die_area\nA,-4\n", "an area must be more than zero"),
])
def test_bad_input_exits_2_with_one_line(run, tmp_path, text, needle):
    p = write(tmp_path, text)
    r = CliRunner().invoke(main, ["score", p])
    assert r.exit_code == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and p in lines[0]
    assert "Traceback" not in r.stderr


def test_bad_as_of(run, chips_csv):
    r = CliRunner().invoke(main, ["score", chips_csv, "--as-of", "2021-01-01"])
    assert r.exit_code == 2 and "before the first rule file" in r.stderr


def test_missing_file(run):
    r = CliRunner().invoke(main, ["score", "nope.csv"])
    assert r.exit_code == 2 and "nope.csv" in r.stderr


def test_explain_catalogue_row(run, chips_csv):
    r = run("explain", chips_csv, "H20", "--as-of", "2025-06-01")
    assert r.exit_code == 0
    for needle in ("Per-format TPP", "2,368", "3A090.b.1", "88 FR 73458", "not controlled"):
        assert needle in r.stdout


def test_explain_spec(run):
    r = run("explain", "--spec", "fp4_sparse=2375 TOPS", "--spec", "datacenter=no", "-f", "json",
            "--as-of", "2025-06-01")
    data = json.loads(r.stdout)
    assert data["metrics"]["tpp"] == pytest.approx(4750)
    assert data["result"]["status"] == "not controlled"


def test_explain_unknown_device_suggests(run, chips_csv):
    r = CliRunner().invoke(main, ["explain", chips_csv, "h2"])
    assert r.exit_code == 2 and "did you mean" in r.stderr and "H20" in r.stderr


def test_malformed_rule_file_exits_2(tmp_path, chips_csv):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "bad.toml").write_text('id = "x"\ntitle = "t"\ncitation = "c"\npublished = 2020-01-01\n'
                                    'effective = 2020-01-01\n[[clause]]\nid = "a"\neccn = "a"\ntext = "t"\n'
                                    'conditions = [{ metric = "tpp", op = ">=", value = "lots" }]\n')
    r = CliRunner().invoke(main, ["score", chips_csv, "--rules", str(rules)])
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "bad.toml" in lines[0] and "clause[0].conditions[0].value" in lines[0]
    assert "expected" in lines[0] and "Traceback" not in r.stderr


def test_license_json_keys_and_alias(run, tmp_path):
    p = write(tmp_path, "name,fp8_sparse,die_area,interconnect_bandwidth\nH100 SXM,3958,814,900\n")
    for cmd in ("license", "licence"):
        r = run(cmd, p, "--to", "CN", "--to", "Germany", "-f", "json", "--as-of", "2025-06-01")
        rows = json.loads(r.stdout)["rows"]
        assert {"name", "destination", "headquarters", "license_required", "basis", "exceptions",
                "review_policy", "rule_sets", "enforced", "notes"} <= set(rows[0])
        assert [(x["destination"], x["license_required"]) for x in rows] == [("CN", True), ("DE", False)]
        assert rows[1]["written"]["license_required"] is True and rows[0]["enforced"] is True


def test_license_matrix_and_fail_on(run, tmp_path):
    p = write(tmp_path, "name,fp8_sparse,die_area\nH100 SXM,3958,814\n")
    r = run("license", p, "--to", "CN", "--to", "DE", "--as-of", "2025-06-01", "--fail-on", "license")
    assert r.exit_code == 1
    assert "H100 SXM" in r.stdout and "L" in r.stdout.splitlines()[2]
    r = run("license", p, "--to", "DE", "--as-of", "2024-06-01", "--fail-on", "license")
    assert r.exit_code == 0


def test_license_unknown_destination(tmp_path):
    p = write(tmp_path, "name,fp8\nX,1\n")
    r = CliRunner().invoke(main, ["license", p, "--to", "Germny"])
    assert r.exit_code == 2 and "Germany" in r.stderr


def test_explain_to(run, tmp_path):
    p = write(tmp_path, "name,fp8,die_area\nH20,296,814\n")
    r = run("explain", p, "H20", "--to", "CN", "--as-of", "2025-06-01")
    assert "-> CN" in r.stdout and "2025-04-h20-mi308" in r.stdout


def test_check_shipped_catalogue(run, chips_csv):
    r = run("check", chips_csv)
    assert r.exit_code == 0 and "all checks passed" in r.stdout


def test_check_failure_names_row_and_column(tmp_path):
    p = write(tmp_path, "name,fp16,fp16_sparse,source\nA,100,150,https://x\n")
    r = CliRunner().invoke(main, ["check", p])
    assert r.exit_code == 2
    assert "row 1, column 'fp16_sparse'" in r.stderr


def test_diff_json(run, chips_csv):
    r = run("diff", chips_csv, "--before", "2023-01-01", "--after", "2024-01-01", "-f", "json")
    rows = {x["name"]: x for x in json.loads(r.stdout)}
    assert rows["A800 SXM"]["from_status"] == "not controlled"
    assert rows["A800 SXM"]["to_clause"] == "3A090.a.1"
    assert rows["A800 SXM"]["from_rule_set"] == "2022-10-acs"


def test_progress_only_on_a_terminal(monkeypatch, capsys):
    import sys

    from chipclass.outputs.progress import progress
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    progress(quiet=False)(1000, done=True)
    assert "1.00k rows" in capsys.readouterr().err
    progress(quiet=True)(1000, done=True)
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    progress(quiet=False)(1000, done=True)
    assert capsys.readouterr().err == ""


def test_unread_throughput_header_exits_2_even_with_q(tmp_path):
    # issue 20: a header about compute that is not recognised is an error, not a warning -q hides
    p = write(tmp_path, "name,fp8 tensor count [TFLOPS]\nX,296\n")
    for extra in ([], ["-q"]):
        r = CliRunner().invoke(main, ["score", p, "-f", "csv", *extra])
        assert r.exit_code == 2 and "looks like a throughput" in r.stderr and "fp8 tensor count" in r.stderr


# --- pre-commit hooks ------------------------------------------------------------------------

def test_pre_commit_hooks_file():
    import re
    from pathlib import Path

    import yaml

    hooks = yaml.safe_load((Path(__file__).resolve().parents[2] / ".pre-commit-hooks.yaml").read_text())
    by_id = {h["id"]: h for h in hooks}
    assert set(by_id) == {"chipclass-check", "chipclass-score"}
    for h in hooks:
        assert h["language"] == "python" and h["entry"].startswith("python -m chipclass.cli.hook ")
        pattern = re.compile(h["files"])
        assert pattern.search("data/chips.csv") and pattern.search("x/y.parquet") and not pattern.search("a.py")
    assert by_id["chipclass-score"]["args"] == ["--fail-on", "controlled"]


def test_hook_runs_each_file_and_exits_with_the_worst(tmp_path, capsys):
    from chipclass.cli.hook import run as hook

    # H100 SXM (1979 TFLOPS FP8, 814 mm**2; NVIDIA datasheet) is 3A090.a.1 from 2023-11-17.
    clean = write(tmp_path, "name,fp8,die_area,source\nH20,296,814,https://example.com\n", "clean.csv")
    hit = write(tmp_path, "name,fp8,die_area,source\nH100 SXM,1979,814,https://example.com\n", "hit.csv")
    bad = write(tmp_path, "name,fp8\nX,lots\n", "bad.csv")
    args = ["score", "-q", "-f", "csv", "-o", str(tmp_path / "o.csv"), "--as-of", "2025-01-01",
            "--fail-on", "controlled"]
    assert hook([*args, clean]) == 0
    assert hook([*args, clean, hit]) == 1
    assert hook([*args, hit, bad, clean]) == 2
    err = capsys.readouterr().err
    assert "hit.csv: devices matched --fail-on" in err and "bad.csv: failed" in err
    assert "--fail-on: controlled matched 1 device: 'H100 SXM'" in err  # pre-commit names the device
    assert hook(["check", clean]) == 0 and hook(["check", clean, bad]) == 2


# --- check reports every problem ---------------------------------------------------------------

BAD = ("name,fp8,fp8_sparse,die_area [mm**2],datacenter,source\n"
       "A,1,2,800,yes,x\n"
       "A,lots,3,-5,maybe,\n"
       ",4 TB/s,8,800,no,y\n"
       "D,5,30,800,,z\n")


def test_check_reports_every_problem(run, tmp_path):
    p = write(tmp_path, BAD)
    r = run("check", p, "-f", "json")
    assert r.exit_code == 2
    out = json.loads(r.stdout)
    assert out["ok"] is False and out["devices"] == 4
    got = [(x["row"], x["column"], x["value"]) for x in out["problems"]]
    assert got == [(2, "name", "A"), (2, "fp8", "lots"), (2, "die_area [mm**2]", "-5"), (2, "datacenter", "maybe"),
                   (2, "source", "A"), (3, "name", ""), (3, "fp8", "4 TB/s"), (4, "fp8_sparse", "30")]
    assert len(r.stderr.splitlines()) == len(got)  # one line each on stderr too


def test_check_every_bad_cell_of_a_column(run, tmp_path):
    p = write(tmp_path, "name,fp8,source\n" + "".join(f"d{i},{'x' if i % 2 else i},s\n" for i in range(10)))
    rows = [x["row"] for x in json.loads(run("check", p, "-f", "json").stdout)["problems"]]
    assert rows == [2, 4, 6, 8, 10]


def test_check_header_problems_and_missing_name(run, tmp_path):
    p = write(tmp_path, "Name,fp8 [zorks],die_area,Die Area,source\nA,1,800,800,x\nB,oops,800,800,y\n")
    problems = json.loads(run("check", p, "-f", "json").stdout)["problems"]
    messages = " | ".join(f"{x['column']}: {x['message']}" for x in problems)
    assert "fp8 [zorks]: unknown unit" in messages and "both give 'die_area'" in messages
    p = write(tmp_path, "x,fp8\n1,lots\n", "noname.csv")
    problems = json.loads(run("check", p, "-f", "json").stdout)["problems"]
    assert [x["row"] for x in problems] == [None, None, 1]  # no name, no source, then the bad cell


def test_an_unknown_precision_is_one_line_naming_the_choices():
    r = CliRunner().invoke(main, ["model", "--device", "H100 SXM", "--count", "100", "--utilisation", "0.4",
                                  "--days", "90", "--precision", "fp9"])
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "--precision" in lines[0] and "fp8" in lines[0] and "bf16" in lines[0], r.stderr
    assert "internal error" not in r.stderr


def test_error_hierarchy():
    from chipclass.core import errors
    from chipclass.core.units import UnitError

    for cls in (errors.UsageError, errors.InputError, errors.RuleDataError, errors.ConfigError, errors.AsOfError,
                UnitError):
        assert issubclass(cls, errors.ChipclassError), cls


def test_a_bad_configuration_is_a_configuration_error(tmp_path):
    from chipclass.cli.config import load_config
    from chipclass.core.errors import ConfigError

    bad = tmp_path / "chipclass.toml"
    bad.write_text('fail_on = ["no-such-selector"]\n')
    with pytest.raises(ConfigError):
        load_config(str(bad))
