"""`chipclass rules`, `rules --diff`, the Python timeline API and the knowledge horizon, checked
against the rule files themselves (the expected values come from the TOML, not the code)."""

import json
import tomllib
from importlib import resources

import pytest
from click.testing import CliRunner

import chipclass
from chipclass.cli import main

RULES = resources.files("chipclass").joinpath("data/rules")
FILES = [p for p in RULES.iterdir() if p.name.endswith(".toml")
         and p.name not in ("country_groups.toml", "product_notes.toml", "horizon.toml")]
DATA = {p.name: tomllib.loads(p.read_text(encoding="utf-8")) for p in FILES}
HORIZON = tomllib.loads(RULES.joinpath("horizon.toml").read_text(encoding="utf-8"))["horizon"]["reviewed_through"]


def cli(*args):
    try:
        r = CliRunner(mix_stderr=False).invoke(main, list(args), prog_name="chipclass")
    except TypeError:  # click >= 8.2 keeps stderr apart by default
        r = CliRunner().invoke(main, list(args), prog_name="chipclass")
    return r.exit_code, r.stdout, r.stderr


def test_every_instrument_appears_with_its_citation_in_the_table():
    code, out, _ = cli("rules", "--as-of", "2025-06-01")
    assert code == 0
    for d in DATA.values():
        line = next(l for l in out.splitlines() if f" {d['id']} " in l)
        assert " ".join(d["citation"].split()) in line


def test_json_entries_carry_the_dates_of_the_rule_files():
    code, out, _ = cli("rules", "--as-of", "2025-06-01", "-f", "json", "-q")
    entries = {e["id"]: e for e in json.loads(out)["entries"] if e["kind"] == "instrument"}
    assert set(entries) == {d["id"] for d in DATA.values()}
    for d in DATA.values():
        e = entries[d["id"]]
        assert e["effective"] == d["effective"].isoformat() and e["published"] == d["published"].isoformat()
        assert e["compliance"] == (d["compliance"].isoformat() if "compliance" in d else None)
        assert e["confidence"] == d.get("confidence", "summary")


@pytest.mark.parametrize("day,inst,status", [
    ("2025-01-30", "2025-01-foundry", "not_enforced"),    # 90 FR 5298: effective 2025-01-16, compliance 2025-01-31
    ("2025-01-31", "2025-01-foundry", "in_force"),
    ("2025-05-12", "2025-01-diffusion", "not_enforced"),  # compliance 2025-05-15 not reached
    ("2025-05-13", "2025-01-diffusion", "suspended"),     # BIS non-enforcement from 2025-05-13
    ("2023-11-16", "2023-11-acs", "future"),
    ("2023-11-17", "2023-11-acs", "in_force"),
    ("2025-09-01", "2025-09-syria", "future"),
    ("2025-09-02", "2025-09-syria", "in_force"),
    ("2024-12-30", "2024-12-hbm", "not_enforced"),        # 89 FR 96790: compliance 2024-12-31
    ("2024-12-31", "2024-12-hbm", "in_force"),
])
def test_status_on_each_side_of_a_date(day, inst, status):
    rows = {r["id"]: r for r in chipclass.rules_timeline(day)}
    assert rows[inst]["status"] == status


def test_diff_2023_11_16_to_17_lists_the_ac_s_rule_and_its_new_clauses():
    code, out, _ = cli("rules", "--diff", "2023-11-16", "2023-11-17", "-f", "json", "-q")
    changes = json.loads(out)["changes"]
    acs = next(c for c in changes if c["id"] == "2023-11-acs")
    assert acs["citation"] == DATA["2023-11-acs.toml"]["citation"]
    assert (acs["before"], acs["after"]) == ("not yet in force", "in force")
    new = {c["id"] for c in changes if c["kind"] == "clause"}
    assert {c["id"] for c in DATA["2023-11-acs.toml"]["clause"]} <= new
    assert "2025-01-foundry" not in {c["id"] for c in changes}
    code, text, _ = cli("rules", "--diff", "2023-11-16", "2023-11-17", "-q")
    assert "88 FR 73458" in text and "knowledge horizon" in text


def test_diff_of_a_date_with_itself_is_empty():
    assert chipclass.rules_diff("2024-06-01", "2024-06-01") == []


def test_horizon_in_json_meta_footer_and_stderr_once():
    code, out, err = cli("rules", "-f", "json", "--as-of", "2030-01-01")
    assert json.loads(out)["meta"]["horizon"]["reviewed_through"] == HORIZON.isoformat()
    assert err.count("knowledge horizon") == 1 and HORIZON.isoformat() in err
    code, out, err = cli("rules", "-f", "json", "--as-of", "2030-01-01", "-q")
    assert err == ""
    code, out, err = cli("rules", "--as-of", HORIZON.isoformat())  # on the horizon: no notice
    assert err == "" and f"reviewed through {HORIZON.isoformat()}" in out


def test_score_past_the_horizon_says_so_once_and_meta_carries_it():
    day = (HORIZON.replace(day=1) if HORIZON.day > 1 else HORIZON).isoformat()
    code, out, err = cli("score", "-f", "json", "--as-of", "2027-01-01")
    assert code == 0 and err.count("knowledge horizon") == 1
    meta = json.loads(out)["meta"]
    assert meta["horizon"] == HORIZON.isoformat() and meta["past_horizon"] is True
    code, out, err = cli("score", "-f", "json", "--as-of", day)
    assert err == "" and json.loads(out)["meta"]["past_horizon"] is False
    code, out, err = cli("score", "--as-of", "2027-01-01", "-q")
    assert err == "" and "knowledge horizon" in out.splitlines()[-1]


def test_api_horizon():
    assert chipclass.api.horizon()["reviewed_through"] == HORIZON.isoformat()


def test_fleet_never_fails_on_a_rule_not_in_force(tmp_path):
    # a UVEU with everything in one Tier-2 country breaches the placement shares of 90 FR 4544 ...
    dep = tmp_path / "fleet.csv"
    dep.write_text("device,count,country,owner,veu\nH100 SXM,1000,SG,A,uveu\n", encoding="utf-8")
    assert cli("fleet", str(dep), "--as-of", "2025-03-01", "--fail-on", "breach", "-q")[0] == 1
    # ... but on 2024-06-01 that rule was not in force: shown, never a failure
    assert cli("fleet", str(dep), "--as-of", "2024-06-01", "--fail-on", "breach", "-q")[0] == 0


def test_explain_lists_licence_and_foundry_rule_sets():
    code, out, _ = cli("explain", "--spec", "fp8=1979", "--spec", "die_area=814", "--spec", "process_node=5",
                       "--to", "CU", "--view", "foundry", "--as-of", "2025-06-01", "-f", "json", "-q")
    ids = {i["id"] for i in json.loads(out)["rule_sets"]}
    assert {"1996-03-cuba", "2025-01-foundry", "2023-11-acs"} <= ids


def test_license_table_lists_the_rule_sets_relied_on():
    code, out, _ = cli("license", "--to", "IR", "--as-of", "2025-06-01", "-q")
    line = next(l for l in out.splitlines() if l.startswith("rule sets relied on:"))
    assert "2009-01-iran" in line and "2023-11-acs" in line


def test_license_table_to_named_regions():
    # 15 CFR 746.6: the Crimea region and the so-called DNR/LNR, named as the user writes them
    code, out, err = cli("license", "--to", "Crimea", "--to", "DNR", "--to", "HK", "--as-of", "2026-06-01", "-q")
    assert code == 0, err
    assert "UA-43" in out and "UA-DNR" in out and "2015-01-crimea" in out
    code, out, err = cli("license", "--to", "UA-14", "--as-of", "2026-06-01", "-q")
    assert code == 2 and "UA-DNR" in err and len(err.strip().splitlines()) == 1
