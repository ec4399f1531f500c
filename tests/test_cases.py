"""Rule cases as data: tests/cases/<instrument>.yml lists devices that must and must not
trigger each clause. Adding a rule year adds a rule file and a case file, no test code."""

from pathlib import Path

import pytest
import yaml

import chipclass
from chipclass.rules.instruments import load_instruments

CASES = Path(__file__).parent / "cases"


def _load():
    for path in sorted(CASES.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in data["cases"]:
            yield pytest.param(path.stem, data["as_of"], case, id=f"{path.stem}: {case['name']}")


def test_every_instrument_with_clauses_has_cases():
    with_clauses = {i.id for i in load_instruments() if i.clauses}
    assert with_clauses <= {p.stem for p in CASES.glob("*.yml")}


@pytest.mark.parametrize("instrument,as_of,case", list(_load()))
def test_case(instrument, as_of, case):
    row = chipclass.classify_spec(as_of=as_of, name=case["name"], **case["specs"])
    assert instrument in row["rule_set"].split("+")
    if "clause" in case:
        assert (row["status"], row["clause"]) == ("controlled", case["clause"])
        assert row["eccn"] == case.get("eccn", case["clause"][:7])  # the final ECCN (ladder)
    else:
        assert row["status"] == case["status"]
        assert row["clause"] is None
        if "eccn" in case:
            assert row["eccn"] == case["eccn"]
    if "missing" in case:
        assert case["missing"] in (row["missing"] or "")
    if "eccn_note" in case:
        assert case["eccn_note"] in (row["eccn_note"] or "")
    if "note" in case:
        assert case["note"] in (row["note"] or "")
