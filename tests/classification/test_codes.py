"""Decide in codes, speak at the door: changing the wording of one licence exception in a copy of
the rule data changes the SARIF, JUnit and JSON licence outputs only in that text, never in which
rows they report or how."""

import json
import re
import shutil
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner

from chipclass.cli import main

CHIPS = Path(__file__).resolve().parents[2] / "chipclass" / "data" / "chips.csv"
#: The notification wording of licence exception NAC (15 CFR 740.8) in the shipped rule data.
OLD = "prior notification to BIS, 25-day review [summary]"
NEW = "REWORDED: notify BIS first and wait out its review"


def _rules_copy(tmp_path: Path, name: str, new: str | None) -> str:
    out = tmp_path / name
    shutil.copytree(resources.files("chipclass").joinpath("data/rules"), out)
    if new is not None:
        f = out / "2023-11-acs.toml"
        text = f.read_text(encoding="utf-8")
        assert text.count(f'notification = "{OLD}"') == 1  # the wording this test changes is there
        f.write_text(text.replace(f'notification = "{OLD}"', f'notification = "{new}"'), encoding="utf-8")
    return str(out)


def _run(fmt: str, rules: str) -> str:
    r = CliRunner().invoke(main, ["license", str(CHIPS), "--to", "CN", "--to", "SA", "--to", "DE",
                                  "--as-of", "2024-01-01", "-f", fmt, "--rules", rules])
    assert r.exit_code == 0, r.stderr
    return r.stdout


@pytest.mark.parametrize("fmt", ["json", "sarif", "junit"])
def test_rewording_an_exception_changes_only_that_text(tmp_path, fmt):
    before = _run(fmt, _rules_copy(tmp_path, "same", None))
    after = _run(fmt, _rules_copy(tmp_path, "reworded", NEW))
    if fmt == "junit":  # the suite's timestamp is the time of writing
        before, after = (re.sub(r'timestamp="[^"]*"', "", x) for x in (before, after))
    assert OLD in before or fmt != "json"  # JSON lists the exceptions with their wording
    assert before.replace(OLD, NEW) == after
    if fmt == "sarif":  # licence-required rows are reported (and still are)
        assert len(json.loads(after)["runs"][0]["results"]) > 0
    if fmt == "junit":
        assert "<failure" in after
    if fmt == "json":
        rows_before, rows_after = json.loads(before)["rows"], json.loads(after)["rows"]
        assert [r["exception_ids"] for r in rows_before] == [r["exception_ids"] for r in rows_after]
        assert any("NAC" in r["exception_ids"] for r in rows_before)
