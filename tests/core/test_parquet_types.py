"""Every Parquet/Arrow column type is read through the cell grammar, converted exactly, or
refused naming the column and its type (issue 20 item 8), the same in every engine."""

import datetime as dt
import decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from chipclass.cli import main

ENGINES = [[], ["--stream", "--batch-rows", "1"], ["--engine", "dask"]]
BAD_TEXT = {  # a bad second cell in every string kind: refused at row 2 with the text as written
    "dictionary": pa.array(["300", "3 000"]).dictionary_encode(),
    "binary": pa.array([b"300", b"3 000"]),
    "large_binary": pa.array([b"300", b"3 000"], pa.large_binary()),
    "string_view": pa.array(["300", "3 000"], pa.string_view()),
    "large_string": pa.array(["300", "3 000"], pa.large_string()),
}
REFUSED = {  # types no figure is: refused naming the column and the type
    "timestamp": (pa.array([dt.datetime(2024, 1, 1)] * 2), "timestamp"),
    "date": (pa.array([dt.date(2024, 1, 1)] * 2), "date32"),
    "time": (pa.array([dt.time(1, 2)] * 2), "time64"),
    "duration": (pa.array([dt.timedelta(1)] * 2), "duration"),
    "bool": (pa.array([True, False]), "bool"),
    "list": (pa.array([[1], [2]]), "list"),
    "struct": (pa.array([{"a": 1}, {"a": 2}]), "struct"),
    "map": (pa.array([[("a", 1)], [("b", 2)]], pa.map_(pa.string(), pa.int64())), "map"),
}


def write(tmp_path, col, name="fp8", extra=None):
    path = tmp_path / "c.parquet"
    pq.write_table(pa.table({"name": ["A", "B"], name: col, "die_area": [800.0, 800.0], **(extra or {})}), path)
    return path


def run(path, *engine):
    return CliRunner().invoke(main, ["score", str(path), "-f", "csv", "--as-of", "2025-06-01", *engine])


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("kind", sorted(BAD_TEXT))
def test_every_string_kind_goes_through_the_grammar(tmp_path, kind, engine):
    r = run(write(tmp_path, BAD_TEXT[kind]), *engine)
    assert r.exit_code == 2, r.stdout
    assert "row 2, column 'fp8': value '3 000'" in r.stderr and "digits grouped" in r.stderr


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("kind", sorted(REFUSED))
def test_types_that_are_no_figure_are_refused_by_name(tmp_path, kind, engine):
    col, shown = REFUSED[kind]
    r = run(write(tmp_path, col), *engine)
    assert r.exit_code == 2 and "column 'fp8': has Arrow type " + shown in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr


@pytest.mark.parametrize("kind", ["list", "struct", "map"])
def test_nested_pass_through_columns_are_refused_too(tmp_path, kind):
    col, shown = REFUSED[kind]
    r = run(write(tmp_path, [300.0, 400.0], extra={"notes": col}))
    assert r.exit_code == 2 and f"column 'notes': has Arrow type {shown}" in r.stderr


def test_dates_pass_through_outside_the_vocabulary(tmp_path):
    r = run(write(tmp_path, [300.0, 400.0], extra={"launch": pa.array([dt.date(2024, 5, 1)] * 2)}))
    assert r.exit_code == 0 and "2024-05-01" in r.stdout


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("col", [pa.array([300, 2 ** 53 + 1]), pa.array([300, 2 ** 63], pa.uint64()),
                                 pa.array([300, -(2 ** 60)])])
def test_integers_beyond_two_to_the_53_are_refused_at_their_row(tmp_path, col, engine):
    r = run(write(tmp_path, col), *engine)
    assert r.exit_code == 2 and "row 2, column 'fp8'" in r.stderr and "2**53" in r.stderr


def test_binary_that_is_not_utf8_is_refused_at_its_row(tmp_path):
    r = run(write(tmp_path, pa.array([b"300", b"\xff"])))
    assert r.exit_code == 2 and "row 2, column 'fp8'" in r.stderr and "UTF-8" in r.stderr


@pytest.mark.parametrize("col", [
    pa.array([300, 2 ** 53]),                                           # exact integers, at the edge
    pa.array([300.0, 9007199254740992.0]),
    pa.array([decimal.Decimal("300.0"), decimal.Decimal("9007199254740992")]),
    pa.array(["300", "9007199254740992"]).dictionary_encode(),
    pa.array([b"300", b"9007199254740992"]),
    pa.array([300, 2 ** 53], pa.uint64()),
])
def test_good_columns_of_every_kind_score_the_same(tmp_path, col):
    r = run(write(tmp_path, col))
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    tpp = lines[0].split(",").index('"tpp"')
    got = [float(ln.split(",")[tpp]) for ln in lines[1:]]
    assert got == [2400.0, 8.0 * 2 ** 53]  # 300 x 8; 2**53 x 8, exactly


def test_pandas_category_and_bool_yes_no(tmp_path):
    import pandas as pd

    df = pd.DataFrame({"name": ["A", "B"], "fp8": pd.Series(["300", "3 000"], dtype="category"),
                       "datacenter": [True, False]})
    path = tmp_path / "c.parquet"
    df.to_parquet(path)
    r = run(path)
    assert r.exit_code == 2 and "row 2, column 'fp8': value '3 000'" in r.stderr
    df["fp8"] = pd.Series(["300", "400"], dtype="category")
    df.to_parquet(path)
    r = run(path)
    assert r.exit_code == 0 and "true" in r.stdout and "false" in r.stdout
