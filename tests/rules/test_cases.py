"""Rule cases as data: tests/cases/<instrument>.yml lists devices that must and must not
trigger each clause. Adding a rule year adds a rule file and a case file, no test code."""

from pathlib import Path

import pytest
import yaml

import chipclass
from chipclass.rules.instruments import load_instruments

CASES = Path(__file__).resolve().parents[1] / "cases"


def _load():
    for path in sorted(CASES.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in data["cases"]:
            case = {"kind": data.get("kind", "clause"), **case}
            yield pytest.param(path.stem, case.get("as_of", data.get("as_of")), case,
                               id=f"{path.stem}: {case['name']} {case.get('as_of', '')}".rstrip())


def test_every_instrument_has_cases():
    assert {i.id for i in load_instruments()} <= {p.stem for p in CASES.glob("*.yml")}


def _licence_case(instrument, as_of, case):
    """kind: licence -- a device to a destination (buyer HQ), one view: the licence answer as
    codes and record ids (``records``: licence records that require it, among others;
    ``review``: the review policy record, with its ``stance`` and the inputs it still needs,
    ``review_missing``, none unless listed; ``exceptions`` / ``no_exceptions``: exception ids)."""
    import pandas as pd

    from chipclass.api import licences
    from chipclass.classification.logic import bit_names
    from chipclass.core.errors import ChipclassError

    if "error" in case:  # refused, one line naming why (a date before coverage, an ambiguous place)
        with pytest.raises(ChipclassError, match=case["error"]):
            licences(pd.DataFrame([{"name": case["name"], **case["specs"]}]), [case["to"]], case.get("hq"), as_of)
        return
    res = licences(pd.DataFrame([{"name": case["name"], **case["specs"]}]), [case["to"]], case.get("hq"),
                   as_of, view=case.get("view", "enforced"))
    v = res.view
    got = {1: True, 0: False, -1: None}[int(v.required[0])]
    relied = list(bit_names(v.instruments[0], v.instrument_ids))
    assert got == case["license"], (v.licence_ids(0), relied)
    if "records" in case:
        assert set(case["records"]) <= set(v.licence_ids(0)), v.licence_ids(0)
    if "review" in case:
        assert v.review_id(0) == case["review"], v.review_id(0)
        assert bit_names(v.review_missing[0]) == tuple(case.get("review_missing", ())), v.review_missing[0]
    if "stance" in case:
        assert v.records.review[v.review[0]].stance == case["stance"]
    for e in case.get("exceptions", []):
        assert e in v.exception_ids(0), v.exception_ids(0)
    for e in case.get("no_exceptions", []):
        assert e not in v.exception_ids(0), v.exception_ids(0)
    notes = [n["id"] for k, n in enumerate(res.notes) if int(res.note_bits[0]) >> k & 1] if len(res.notes) else []
    for note in case.get("notes", []):
        assert note in notes, notes
    for note in case.get("no_notes", []):
        assert note not in notes, notes
    if "note_requires_license" in case:
        assert bool(res.note_requires_licence[0]) is case["note_requires_license"]
    if case.get("relies", True) and got:
        assert instrument in relied, relied


def _foundry_case(instrument, as_of, case):
    """kind: foundry -- Note 1 to 3A090.a: presumed 3A090.a for a fabricator/OSAT, or not."""
    import pandas as pd

    from chipclass.licensing.foundry import presumption
    from chipclass.rules.instruments import rules_in_force

    in_force = [v[1].id for v in rules_in_force(as_of).foundry.values()]
    assert (instrument in in_force) != bool(case.get("before_instrument")), in_force
    res = presumption(pd.DataFrame([{"name": case["name"], **case["specs"]}]), as_of,
                      designer=case.get("designer", "none"), applied_on=case.get("applied_on"))
    row = res.frame.iloc[0]
    want = case["presumed"]
    got = None if pd.isna(row["presumed"]) else bool(row["presumed"])
    assert got == want, (row["designer_reason"], row["count_overcomes"], row["needs"])
    if "limit" in case:
        assert row["count_limit_bn"] == case["limit"]


@pytest.mark.parametrize("instrument,as_of,case", list(_load()))
def test_case(instrument, as_of, case):
    if case["kind"] == "foundry":
        return _foundry_case(instrument, as_of, case)
    if case["kind"] == "licence":
        return _licence_case(instrument, as_of, case)
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
