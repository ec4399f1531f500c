"""The foundry presumption (Note 1 to 3A090.a) as shown by ``explain --view foundry``.

The acceptance example: a made-up 5 nm design with 45 billion transistors and HBM. With HBM the
count threshold is 30 bn in every year (Note 1 b.(a)), so only a designer's attestation can
overcome the presumption; authorized-designer status runs "prior to December 31, 2026"
(91 FR 17851), so on 2027-01-02 only an approved designer (or an applicant) still does.
"""

import json

from click.testing import CliRunner

from chipclass.cli import main

SPEC = ["made-up 5 nm", "--spec", "process_node=5 nm", "--spec", "transistor_count=45",
        "--spec", "has_hbm=yes", "--foundry"]


def _answers(day):
    r = CliRunner().invoke(main, ["explain", *SPEC, "--as-of", day, "-f", "json"])
    assert r.exit_code == 0, r.output
    return {a["designer"]: a["presumed_3a090a"] for a in json.loads(r.stdout)["foundry"]}


def test_made_up_design_with_and_without_an_approved_designer():
    assert _answers("2026-12-30") == {"approved": False, "authorized": False, "applicant": False, "none": True}
    assert _answers("2027-01-02") == {"approved": False, "authorized": True, "applicant": True, "none": True}


def test_explain_text_shows_the_foundry_block():
    r = CliRunner().invoke(main, ["explain", *SPEC, "--as-of", "2027-01-02"])
    assert r.exit_code == 0
    text = r.stdout
    assert "Foundry presumption (Note 1 to 3A090.a) as of 2027-01-02" in text
    assert "threshold on this date 30 bn (with HBM: no relaxation)" in text
    assert "authorized status ended" in text


def test_foundry_before_the_rule_is_refused_plainly():
    r = CliRunner().invoke(main, ["explain", *SPEC, "--as-of", "2025-01-15"])
    assert r.exit_code == 2 and "90 FR 5298" in r.stderr
