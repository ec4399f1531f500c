"""The one writer: CSV formula neutralisation, terminal-safe text, and the atomic writer's
behaviour with links, FIFOs, devices, the umask and signals, checked with real processes."""

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
from chipclass.outputs.write import guard_csv

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

def test_fail_on_is_exit_1_with_one_line_of_counts(chips_csv):
    r = run("score", chips_csv, "-f", "csv", "-o", os.devnull, "--as-of", "2025-06-01", "--fail-on", "controlled",
            "--fail-on", "3A090.a")
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "row(s) matched controlled" in lines[0] and "matched 3A090.a" in lines[0]


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
