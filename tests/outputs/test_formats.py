"""Output formats (chipclass/outputs/formats.py): the -o suffix decides when -f is not given, a
binary format never goes to a terminal, and every command writes what it says."""

from __future__ import annotations

import io
import json

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from chipclass.cli import main
from chipclass.core.errors import UsageError
from chipclass.outputs.formats import Format, choose

from ..conftest import CHIPS

ALL = list(Format)


@pytest.mark.parametrize("output,expected", [
    ("out.parquet", Format.PARQUET), ("out.PQ", Format.PARQUET), ("out.csv", Format.CSV),
    ("out.json", Format.JSON), ("out.jsonl", Format.JSONL), ("out.ndjson", Format.JSONL),
    ("out.txt", Format.TABLE), ("out", Format.TABLE), ("map.pdf", Format.PDF), ("map.svg", Format.SVG),
    (None, Format.TABLE), ("-", Format.TABLE),
])
def test_suffix_decides_without_f(output, expected):
    assert choose(None, output, ALL) is expected


def test_f_wins_over_the_suffix():
    assert choose("csv", "out.json", ALL) is Format.CSV


def test_a_suffix_the_command_does_not_write_falls_back_to_its_default():
    assert choose(None, "out.parquet", [Format.TABLE, Format.JSON]) is Format.TABLE


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_binary_never_goes_to_a_terminal():
    with pytest.raises(UsageError, match="terminal"):
        choose("parquet", None, ALL, stdout=_Tty())
    assert choose("parquet", None, ALL, stdout=io.StringIO()) is Format.PARQUET  # a pipe is fine
    assert choose("json", None, ALL, stdout=_Tty()) is Format.JSON


def test_score_o_parquet_writes_parquet(tmp_path):
    out = tmp_path / "out.parquet"
    r = CliRunner().invoke(main, ["score", str(CHIPS), "--as-of", "2025-06-01", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert pq.read_table(out).num_rows == len(CHIPS.read_text().splitlines()) - 1


def test_sweep_table_to_a_file_is_the_table(tmp_path):
    out = tmp_path / "sweep.txt"
    r = CliRunner().invoke(main, ["sweep", "H20", "--vary", "fp8=200:600:3", "--as-of", "2025-06-01", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_text().startswith("3 variants of H20")
    out = tmp_path / "sweep.json"
    r = CliRunner().invoke(main, ["sweep", "H20", "--vary", "fp8=200:600:3", "--as-of", "2025-06-01", "-o", str(out)])
    assert [row["fp8"] for row in json.loads(out.read_text())] == [200.0, 400.0, 600.0]


@pytest.mark.parametrize("suffix,magic", [
    ("png", b"\x89PNG"),
    pytest.param("svg", b"<?xml", marks=pytest.mark.slow),  # each renders for tens of seconds today
    pytest.param("pdf", b"%PDF", marks=pytest.mark.slow),
])
def test_plot_writes_the_suffixs_format(tmp_path, few_chips_csv, suffix, magic):
    pytest.importorskip("matplotlib")
    out = tmp_path / f"map.{suffix}"
    r = CliRunner().invoke(main, ["plot", few_chips_csv, "--as-of", "2025-06-01", "-o", str(out), "-q"])
    assert r.exit_code == 0, r.output
    assert out.read_bytes().startswith(magic), suffix


@pytest.mark.slow
def test_plot_of_the_whole_catalogue_writes_each_suffixs_format(tmp_path):
    pytest.importorskip("matplotlib")
    for suffix, magic in (("pdf", b"%PDF"), ("svg", b"<?xml"), ("png", b"\x89PNG")):
        out = tmp_path / f"map.{suffix}"
        r = CliRunner().invoke(main, ["plot", str(CHIPS), "--as-of", "2025-06-01", "-o", str(out), "-q"])
        assert r.exit_code == 0, r.output
        assert out.read_bytes().startswith(magic), suffix


def test_explain_table_and_json(tmp_path):
    r = CliRunner().invoke(main, ["explain", "H20", "--as-of", "2025-06-01", "-f", "json"])
    assert r.exit_code == 0 and json.loads(r.output)["metrics"]["tpp"] == 2368.0   # 296 dense FP8 x 8
    r = CliRunner().invoke(main, ["explain", "H20", "--as-of", "2025-06-01", "-f", "text"])
    assert r.exit_code == 2 and "text" in r.output
