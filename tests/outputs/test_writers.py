"""Writers (issue 20 item 10): never remove a path this run did not create; strict JSON with
one float format and one meta block in every engine; input columns never overwritten."""

import json
import os
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

import chipclass
from chipclass.cli import main

CHIPS = Path(chipclass.__file__).parent / "data" / "chips.csv"


def run(*args):
    return CliRunner().invoke(main, [*map(str, args)])


@pytest.mark.parametrize("fmt", ["parquet", "csv", "json", "jsonl"])
def test_a_fifo_that_fails_is_never_removed(tmp_path, fmt):
    # the reader takes a few bytes and leaves: the write fails (broken pipe) and pyarrow, given
    # a path, would remove it; the FIFO must still be there
    fifo = tmp_path / "out"
    os.mkfifo(fifo)

    def reader():
        with open(fifo, "rb") as fh:
            fh.read(4)
    t = threading.Thread(target=reader)
    t.start()
    run("score", CHIPS, "-f", fmt, "-o", fifo)
    t.join(timeout=30)
    assert fifo.exists() and not fifo.is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_fifo_is_written_in_place(tmp_path):
    fifo = tmp_path / "out"
    os.mkfifo(fifo)
    got = []

    def reader():
        with open(fifo, "rb") as fh:
            got.append(fh.read())
    t = threading.Thread(target=reader)
    t.start()
    r = run("score", CHIPS, "-f", "parquet", "-o", fifo)
    t.join(timeout=30)
    assert r.exit_code == 0, r.stderr
    assert got and got[0][:4] == b"PAR1" and fifo.exists()


def _strict(text):
    def refuse(c):
        raise ValueError(f"not strict JSON: {c}")
    return json.loads(text, parse_constant=refuse)


def test_json_is_strict_and_the_same_bytes_in_every_engine(tmp_path):
    # 1.234567891e-8 TOPS: pandas' double_precision=15 printed 0.000000012345679 (digits lost)
    f = tmp_path / "c.csv"
    f.write_text("name,fp8,die_area\nA,0.00000001234567891,1\nB,300,800\n")
    outs = {}
    for name, engine in (("memory", []), ("dask", ["--engine", "dask"])):
        o = tmp_path / f"{name}.json"
        r = run("score", f, "-f", "json", "-o", o, "--as-of", "2025-06-01", *engine)
        assert r.exit_code == 0, r.stderr
        outs[name] = o.read_bytes()
    assert outs["memory"] == outs["dask"]
    data = _strict(outs["memory"])
    assert data["meta"]["rule_sets"] and data["rows"][0]["tpp"] == pytest.approx(8 * 1.234567891e-8, rel=1e-15)
    assert b"0.0000000" not in outs["memory"]
    lines = {}
    for name, engine in (("memory", []), ("stream", ["--stream", "--batch-rows", "1"]), ("dask", ["--engine", "dask"])):
        o = tmp_path / f"{name}.jsonl"
        r = run("score", f, "-f", "jsonl", "-o", o, "--as-of", "2025-06-01", *engine)
        assert r.exit_code == 0, r.stderr
        lines[name] = o.read_bytes()
    assert lines["memory"] == lines["stream"] == lines["dask"]
    first = _strict(lines["memory"].splitlines()[0])
    assert "_meta" in first


def test_no_nan_or_infinity_in_any_json(tmp_path):
    for args in (["headroom", CHIPS, "-f", "json"], ["explain", "H20", "-f", "json", "--view", "foundry"],
                 ["envelope", "H20", "--free", "fp8", "--target", "not controlled", "-f", "json"],
                 ["sweep", "H20", "--vary", "fp8=0:600:4", "-f", "json"], ["diff", "--before", "2023-01-01",
                                                                           "--after", "2025-01-01", "-f", "json"]):
        r = run(*args, "--as-of", "2025-06-01") if args[0] != "diff" else run(*args)
        assert r.exit_code == 0, (args, r.stderr)
        _strict(r.stdout)


def test_input_columns_are_never_overwritten(tmp_path):
    # reproducer: an input 'tpp (input)' was overwritten when the input also had 'tpp'
    f = tmp_path / "c.csv"
    f.write_text("name,fp8,tpp (input),tpp,tpp (input 2)\nA,300,first,second,third\n")
    for engine in ([], ["--stream"], ["--engine", "dask"]):
        r = run("score", f, "-f", "jsonl", *engine)
        assert r.exit_code == 0, r.stderr
        row = _strict(r.stdout.splitlines()[-1])
        assert row["tpp"] == 2400  # the output's own TPP: 300 x 8
        values = {k: v for k, v in row.items() if k.startswith("tpp (")}
        assert sorted(values.values()) == ["first", "second", "third"], (engine, values)
        assert values["tpp (input)"] == "first" and values["tpp (input 2)"] == "third"
    frame = chipclass.score(str(f))
    assert sorted(frame.filter(like="tpp (").iloc[0].tolist()) == ["first", "second", "third"]


def test_passthrough_names_doctest_cases():
    from chipclass.core.names import passthrough_names

    assert passthrough_names(["a"], ["a", "a (input)", "a (input 2)"]) == ["a (input 3)", "a (input)", "a (input 2)"]
    assert passthrough_names(["a"], ["b"]) == ["b"]
