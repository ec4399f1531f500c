"""Machine outputs for pipelines: SARIF 2.1.0 (validated against the OASIS schema), JUnit XML
(read with junitparser), and the audit fields every machine format carries."""

import hashlib
import json
from pathlib import Path

import jsonschema
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from junitparser import Failure, JUnitXml, Skipped

import chipclass
from chipclass.cli import main
from chipclass.outputs.table import score_arrow, score_frame

from ..conftest import write

SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "schemas"
# H100 SXM: 1979 TFLOPS FP8 dense on 814 mm**2 (NVIDIA H100 datasheet) -> TPP 15832, 3A090.a.1.
# H20: 296 TFLOPS FP8 dense (NVIDIA H20 figures as in tests/test_metrics.py) -> TPP 2368, below 4800
# and PD 2.9 < 3.2 on 814 mm**2: not controlled under the 2023-11 rules.
# X: no throughput at all -> indeterminate.
CSV = "name,fp8,die_area\nH100 SXM,1979,814\nH20,296,814\nX,,814\n"
AS_OF = "2025-06-01"


@pytest.fixture(scope="module")
def sarif_schema():
    return json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def invoke(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_sarif_validates_and_has_one_result_per_controlled_or_indeterminate_row(tmp_path, sarif_schema):
    p = write(tmp_path, CSV)
    r = invoke("score", p, "-f", "sarif", "--as-of", AS_OF)
    assert r.exit_code == 0, r.stderr
    log = json.loads(r.stdout)
    jsonschema.validate(log, sarif_schema)
    run = log["runs"][0]
    results = run["results"]
    assert [(x["ruleId"], x["level"]) for x in results] == [("3A090.a.1", "warning"), ("indeterminate", "note")]
    # CSV: data row r is line r + 1 (the header is line 1); H100 is data row 1, X data row 3.
    assert results[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
    assert results[1]["locations"][0]["physicalLocation"]["region"]["startLine"] == 4
    rules = {x["id"]: x for x in run["tool"]["driver"]["rules"]}
    assert "88 FR 73458" in rules["3A090.a.1"]["help"]["text"]  # the 2023-11 rule's citation
    assert results[0]["ruleIndex"] == list(rules).index("3A090.a.1")


def test_sarif_fail_on_rows_are_errors(tmp_path, sarif_schema):
    p = write(tmp_path, CSV)
    r = invoke("score", p, "-f", "sarif", "--as-of", AS_OF, "--fail-on", "indeterminate")
    assert r.exit_code == 1
    log = json.loads(r.stdout)
    jsonschema.validate(log, sarif_schema)
    assert [x["level"] for x in log["runs"][0]["results"]] == ["warning", "error"]


def test_sarif_parquet_rows_are_logical_locations(tmp_path, sarif_schema):
    import pyarrow as pa

    p = tmp_path / "in.parquet"
    pq.write_table(pa.table({"name": ["H100 SXM", "H20"], "fp8": [1979.0, 296.0], "die_area": [814.0, 814.0]}), p)
    out = tmp_path / "o.sarif"  # the suffix picks SARIF
    assert invoke("score", str(p), "-o", str(out), "--as-of", AS_OF).exit_code == 0
    log = json.loads(out.read_text())
    jsonschema.validate(log, sarif_schema)
    loc = log["runs"][0]["results"][0]["locations"][0]
    assert "region" not in loc["physicalLocation"]
    assert loc["logicalLocations"][0]["fullyQualifiedName"] == "row[1]"


def test_license_sarif_validates(tmp_path, sarif_schema):
    p = write(tmp_path, CSV)
    r = invoke("license", p, "--to", "CN", "--to", "DE", "-f", "sarif", "--as-of", AS_OF)
    log = json.loads(r.stdout)
    jsonschema.validate(log, sarif_schema)
    # H100 to China needs a licence (15 CFR 742.6(a)(6)(iii)); X cannot be decided for either.
    got = {(x["properties"]["destination"], x["locations"][0]["logicalLocations"][0]["name"], x["level"])
           for x in log["runs"][0]["results"]}
    assert ("CN", "H100 SXM", "warning") in got and ("CN", "X", "note") in got
    assert not any(n == "H20" for _, n, _ in got)


def cases(xml_text, tmp_path):
    f = tmp_path / "r.xml"
    f.write_text(xml_text, encoding="utf-8")
    xml = JUnitXml.fromfile(str(f))
    suite = next(iter(xml))
    return suite, {c.name: c for c in suite}


def test_junit_parses_one_case_per_device(tmp_path):
    p = write(tmp_path, CSV)
    r = invoke("score", p, "-f", "junit", "--as-of", AS_OF)
    assert r.exit_code == 0  # without --fail-on the report shows failures but the exit code is 0
    suite, by_name = cases(r.stdout, tmp_path)
    assert suite.tests == 3 and suite.failures == 1 and suite.skipped == 1
    assert isinstance(by_name["H100 SXM"].result[0], Failure)
    assert by_name["H20"].is_passed
    assert isinstance(by_name["X"].result[0], Skipped)
    props = {q.name: q.value for q in suite.properties()}
    assert props["as_of"] == AS_OF and props["chipclass"] == chipclass.__version__


def test_junit_failures_follow_fail_on(tmp_path):
    p = write(tmp_path, CSV)
    r = invoke("score", p, "-f", "junit", "--as-of", AS_OF, "--fail-on", "indeterminate")
    assert r.exit_code == 1
    suite, by_name = cases(r.stdout, tmp_path)
    assert suite.failures == 1 and by_name["H100 SXM"].is_passed
    assert isinstance(by_name["X"].result[0], Failure)


def test_license_junit(tmp_path):
    p = write(tmp_path, CSV)
    r = invoke("license", p, "--to", "CN", "--to", "DE", "-f", "junit", "--as-of", AS_OF)
    suite, by_name = cases(r.stdout, tmp_path)
    assert suite.tests == 6
    assert isinstance(by_name["H100 SXM -> CN"].result[0], Failure)
    assert by_name["H100 SXM -> DE"].is_passed


# --- audit fields -------------------------------------------------------------------------

def expected_meta(path):
    return {"chipclass": chipclass.__version__, "as_of": AS_OF, "input": str(path),
            "input_sha256": hashlib.sha256(Path(path).read_bytes()).hexdigest()}


def check_meta(meta, path, rule_set="2023-11-acs+2024-12-hbm"):
    # In force on 2025-06-01 for 3A090: the 2023-11 rewrite as amended by the 2024-12 HBM rule.
    assert {k: meta[k] for k in ("chipclass", "as_of", "input", "input_sha256")} == expected_meta(path)
    assert meta["rule_sets"] == [rule_set]


def test_json_carries_meta_and_rows(tmp_path):
    p = write(tmp_path, CSV)
    out = json.loads(invoke("score", p, "-f", "json", "--as-of", AS_OF).stdout)
    check_meta(out["meta"], p)
    assert [x["name"] for x in out["rows"]] == ["H100 SXM", "H20", "X"]


def test_jsonl_meta_first_line(tmp_path):
    p = write(tmp_path, CSV)
    lines = invoke("score", p, "-f", "jsonl", "--as-of", AS_OF).stdout.splitlines()
    check_meta(json.loads(lines[0])["_meta"], p)
    assert [json.loads(x)["name"] for x in lines[1:]] == ["H100 SXM", "H20", "X"]


@pytest.mark.parametrize("stream", ["--stream", "--no-stream"])
def test_parquet_schema_metadata(tmp_path, stream):
    p = write(tmp_path, CSV)
    out = tmp_path / "o.parquet"
    assert invoke("score", p, "-o", str(out), "--as-of", AS_OF, stream).exit_code == 0
    meta = json.loads(pq.read_schema(out).metadata[b"chipclass"])
    check_meta(meta, p)


def test_sarif_and_junit_carry_meta(tmp_path):
    p = write(tmp_path, CSV)
    run = json.loads(invoke("score", p, "-f", "sarif", "--as-of", AS_OF).stdout)["runs"][0]
    check_meta(run["properties"], p)
    assert run["artifacts"][0]["hashes"]["sha-256"] == expected_meta(p)["input_sha256"]
    suite, _ = cases(invoke("score", p, "-f", "junit", "--as-of", AS_OF).stdout, tmp_path)
    props = {q.name: q.value for q in suite.properties()}
    assert props["input_sha256"] == expected_meta(p)["input_sha256"]
    assert props["rule_sets"] == "2023-11-acs+2024-12-hbm"


def test_stdin_has_no_hash():
    r = CliRunner().invoke(main, ["score", "-", "-f", "json", "--as-of", AS_OF], input=CSV)
    meta = json.loads(r.stdout)["meta"]
    assert meta["input"] == "<stdin>" and meta["input_sha256"] is None


def test_csv_carries_no_meta(tmp_path):
    p = write(tmp_path, CSV)
    assert invoke("score", p, "-f", "csv", "--as-of", AS_OF).stdout.splitlines()[0].startswith('"name"')


def test_suffixes_choose_sarif_and_junit():
    from chipclass.outputs.formats import SUFFIXES, Format

    assert SUFFIXES[".sarif"] is Format.SARIF and SUFFIXES[".xml"] is Format.JUNIT


# --- the Arrow path of score (no pandas) -------------------------------------------------------

PASS = ("name,fp8,fp8_sparse,die_area,datacenter,device_type,vendor,tpp\n"
        "H100 SXM,1979,,814,yes,,NVIDIA,x\n"      # a pass-through column named like a result column
        "H20,296,,814,no,,NVIDIA,\n"
        "X,,,814,,,,\n"
        "HBM3E,,,121,,hbm,Micron,\n")


@pytest.mark.parametrize("as_of", ["2023-01-01", "2025-06-01"])
def test_to_arrow_equals_to_frame(tmp_path, as_of, chips_csv):
    import pandas as pd

    for path in (chips_csv, write(tmp_path, PASS)):
        result = chipclass.classify(path, as_of)
        frame = score_frame(result)
        table = score_arrow(result)
        assert table.column_names == list(frame.columns)
        back = table.to_pandas()
        for col in frame.columns:
            want = frame[col].astype(object).where(frame[col].notna(), None).tolist()
            got = back[col].astype(object).where(back[col].notna(), None).tolist()
            assert got == want, col
        for s in ("controlled", "indeterminate", "not controlled", "3A090", "3A090.a", "3A090.a.1", "3A090.b"):
            from chipclass.classification.result import matches

            assert (result.hits([s]) == matches(frame, [s])).all(), s


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_score_file_bytes_as_the_pandas_writer(tmp_path, fmt, chips_csv):
    from chipclass.outputs.write import write_frame, write_table

    result = chipclass.classify(chips_csv, "2025-06-01")
    a, b = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
    write_frame(score_frame(result), fmt, str(a))
    write_table(score_arrow(result), fmt, str(b))
    if fmt == "csv":
        assert a.read_bytes() == b.read_bytes()
    else:
        assert pq.read_table(a).to_pylist() == pq.read_table(b).to_pylist()


def test_score_machine_formats_import_neither_pandas_nor_pint(tmp_path, chips_csv):
    # nor pyarrow.compute (40 ms of start-up: chipclass.core.arrowcompute calls the kernels by name)
    import subprocess
    import sys

    code = ("import sys\nfrom chipclass.cli import main\n"
            f"main(['score', {chips_csv!r}, '-f', 'json', '-o', {str(tmp_path / 'o.json')!r}, '--no-config'],"
            " standalone_mode=False)\n"
            "print(sorted(m for m in ('pandas', 'pint', 'pyarrow.compute') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stderr
    assert json.loads((tmp_path / "o.json").read_text())["rows"][0]["name"]


def test_pandas_after_deferral_is_recognised_by_pyarrow():
    import subprocess
    import sys

    code = ("from chipclass.core.lazy import defer_pandas, import_pandas\nimport pyarrow as pa\n"
            "defer_pandas()\npd = import_pandas()\n"
            "print(pa.array(pd.Series([1.0, None])).null_count, pa.array(pd.Categorical(['a'])).type)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[0] == "1" and out.stdout.split()[1].startswith("dictionary")


# --- issue 12: CSV formula neutralisation, terminal-safe text, the atomic writer with real
# --- processes (links, FIFOs, devices, umask, signals) and exit codes --------------------------

import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time

import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner

from chipclass.cli import main
from chipclass.outputs.table import score_arrow, score_frame
from chipclass.outputs.write import guard_csv  # noqa: E402

CHIPCLASS = shutil.which("chipclass") or os.path.join(os.path.dirname(sys.executable), "chipclass")


def run(*args, **kw):
    return subprocess.run([CHIPCLASS, *args], capture_output=True, text=True, **kw)


# --- CSV injection (OWASP "CSV Injection": =, +, -, @, tab, CR at the start of a cell) -------

@pytest.mark.parametrize("cell,out", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\tx", "'\tx"),
    ("\rx", "'\rx"),
    ("-5", "-5"),          # a number written as text stays a number
    ("+1.5e3", "+1.5e3"),
    ("a=b", "a=b"),        # only the first character matters
    ("", ""),
])
def test_guard_csv_cells(cell, out):
    assert guard_csv(pa.table({"c": [cell]})).column(0).to_pylist() == [out]


def test_guard_leaves_numbers_and_nulls():
    t = pa.table({"n": pa.array([-1.0, None]), "s": pa.array([None, "=x"])})
    g = guard_csv(t)
    assert g.column("n").to_pylist() == [-1.0, None] and g.column("s").to_pylist() == [None, "'=x"]


def _catalogue(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text('name,fp8,vendor\n"=cmd()",1000,@evil\n+x,10,-1\n')
    return str(p)


@pytest.mark.parametrize("extra", [[], ["--stream", "--batch-rows", "1"], ["--engine", "dask"]])
def test_score_csv_output_is_neutralised_in_every_engine(tmp_path, extra):
    out = tmp_path / "o.csv"
    r = CliRunner().invoke(main, ["score", _catalogue(tmp_path), "-o", str(out), "--as-of", "2025-06-01", *extra])
    assert r.exit_code == 0, r.stderr
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert frame["name"].tolist() == ["'=cmd()", "'+x"]
    assert frame["vendor"].tolist() == ["'@evil", "-1"]
    assert frame["tpp"].tolist() == ["8000", "80"]  # numbers untouched


def test_no_csv_guard_keeps_cells(tmp_path):
    out = tmp_path / "o.csv"
    r = CliRunner().invoke(main, ["score", _catalogue(tmp_path), "-o", str(out), "--no-csv-guard",
                                  "--as-of", "2025-06-01"])
    assert r.exit_code == 0, r.stderr
    assert pd.read_csv(out, dtype=str)["name"].tolist() == ["=cmd()", "+x"]
    # and the guard is back for the next command in the same process
    r = CliRunner().invoke(main, ["score", _catalogue(tmp_path), "-o", str(out), "--as-of", "2025-06-01"])
    assert pd.read_csv(out, dtype=str)["name"].tolist() == ["'=cmd()", "'+x"]


def test_json_is_not_guarded(tmp_path):
    r = CliRunner().invoke(main, ["score", _catalogue(tmp_path), "-f", "json", "--as-of", "2025-06-01"])
    assert '"=cmd()"' in r.stdout


# --- terminal-safe text ----------------------------------------------------------------------

def test_control_characters_never_reach_a_terminal(tmp_path):
    p = tmp_path / "e.csv"
    p.write_text("name,fp8,\x1b]0;title\x07\n\x1b[31mred\x1b[0m,1000,\x1b[2J\n")
    for args in (["score", str(p)], ["explain", str(p), "\x1b[31mred\x1b[0m"], ["check", str(p)]):
        r = CliRunner().invoke(main, [*args, "--as-of", "2025-06-01"] if args[0] != "check" else args)
        assert "\x1b" not in r.stdout and "\x07" not in r.stdout, args
        assert "\x1b" not in r.stderr, args


# --- the atomic writer, real processes -------------------------------------------------------

def test_symlink_target_written_link_kept(tmp_path, chips_csv):
    target = tmp_path / "real.csv"
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    r = run("score", chips_csv, "-o", str(link), "--as-of", "2025-06-01")
    assert r.returncode == 0, r.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text().startswith('"name"')


def test_fifo_written_in_place(tmp_path, chips_csv):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    got = {}

    def reader():
        with open(fifo) as fh:
            got["text"] = fh.read()

    t = threading.Thread(target=reader)
    t.start()
    r = run("score", chips_csv, "-o", str(fifo), "--as-of", "2025-06-01", timeout=120)
    t.join(60)
    assert r.returncode == 0, r.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert got["text"].startswith('"name"') and len(got["text"].splitlines()) > 10


def test_device_written_in_place_never_replaced(chips_csv):
    before = os.stat("/dev/null")
    r = run("score", chips_csv, "-o", "/dev/null", "--as-of", "2025-06-01")
    assert r.returncode == 0, r.stderr
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_file_gets_the_umask_mode(tmp_path, chips_csv, umask, mode):
    out = tmp_path / "o.csv"
    r = subprocess.run(["sh", "-c", f'umask {umask:03o} && exec "$0" "$@"', CHIPCLASS, "score", chips_csv,
                        "-o", str(out), "--as-of", "2025-06-01"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(os.stat(out).st_mode) == mode


def test_replaced_file_keeps_its_mode(tmp_path, chips_csv):
    out = tmp_path / "o.csv"
    out.write_text("old\n")
    os.chmod(out, 0o640)
    assert run("score", chips_csv, "-o", str(out), "--as-of", "2025-06-01").returncode == 0
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o640


def _big(tmp_path, rows=400_000):
    p = tmp_path / "big.csv"
    with open(p, "w") as fh:
        fh.write("name,fp8,die_area\n")
        fh.writelines(f"d{i},{100 + i % 5000},{300 + i % 500}\n" for i in range(rows))
    return str(p)


@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_mid_write_removes_the_temp_file(tmp_path, sig, code):
    src = _big(tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "o.csv"
    out.write_text("previous\n")
    proc = subprocess.Popen([CHIPCLASS, "score", src, "--stream", "--batch-rows", "500", "-o", str(out),
                             "--as-of", "2025-06-01"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120  # a guard against a hang, not a timing assertion
    while time.monotonic() < deadline and proc.poll() is None:
        if any(n.endswith(".tmp") and os.path.getsize(out_dir / n) > 0 for n in os.listdir(out_dir)):
            break
        time.sleep(0.01)
    assert proc.poll() is None, "finished before the signal could be sent (make the input bigger)"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 1
    assert sorted(os.listdir(out_dir)) == ["o.csv"] and out.read_text() == "previous\n"


def test_missing_directory_is_exit_2_one_line(chips_csv, tmp_path):
    r = run("score", chips_csv, "-o", str(tmp_path / "nodir" / "o.csv"))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "nodir" in r.stderr


# --- exit codes, real processes ---------------------------------------------------------------

def test_fail_on_is_exit_1_naming_the_devices_per_selector(chips_csv):
    # issue 20: --fail-on names the devices (the first ten and a count) with the selector matched
    r = run("score", chips_csv, "-f", "csv", "-o", os.devnull, "--as-of", "2025-06-01", "--fail-on", "controlled",
            "--fail-on", "3A090.a")
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 2 and "controlled matched" in lines[0] and "3A090.a matched" in lines[1]
    assert "'H100 SXM" in lines[1] and " more" in lines[0] and lines[0].count("', '") == 9


def test_internal_error_is_exit_2_one_line_traceback_only_with_debug(tmp_path, chips_csv, monkeypatch):
    import chipclass.api

    def boom(*a, **k):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(chipclass.api, "score", boom)
    r = CliRunner().invoke(main, ["score", chips_csv])
    assert r.exit_code == 2
    assert r.stderr.strip().splitlines() == [
        "chipclass: internal error: ZeroDivisionError: boom (run with --debug for the traceback)"]
    r = CliRunner().invoke(main, ["--debug", "score", chips_csv])
    assert isinstance(r.exception, ZeroDivisionError)
