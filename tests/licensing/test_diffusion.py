"""The AI Diffusion framework against the rule's own numbers (90 FR 4544; digest section 5)."""

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from chipclass.cli import main
from chipclass.licensing.diffusion import fleet, framework, model, tiers

from ..conftest import CHIPS, write


def test_lpp_limit_is_about_1699_h100():
    # 26,900,000 TPP per consignee per year ~= 1,699 H100 SXM (SemiAnalysis summary of the rule)
    fw = framework("2025-03-01")
    assert fw.fig("lpp_limit").value / fw.fig("h100_equivalent").value == pytest.approx(1699, abs=1)


def test_h100_equivalent_is_the_catalogue_h100():
    import chipclass
    h100 = chipclass.score(str(CHIPS), as_of="2025-03-01").set_index("name").loc["H100 SXM", "tpp"]
    assert framework("2025-03-01").fig("h100_equivalent").value == h100 == 15832


def _fleet(rows, as_of="2025-03-01", **kw):
    return fleet(pd.DataFrame(rows), str(CHIPS), as_of, **kw)


def test_tier2_cap_is_about_49900_h100():
    res = _fleet([{"device": "H100 SXM", "count": 49_000, "country": "SA", "owner": "A"}])
    chk = res["checks"].set_index("check").loc["tier2_allocation"]
    assert chk["limit"] / 15832 == pytest.approx(49_901)
    assert bool(chk["passed"]) is True
    res = _fleet([{"device": "H100 SXM", "count": 50_000, "country": "SA", "owner": "A"}])
    assert bool(res["checks"].set_index("check").loc["tier2_allocation", "passed"]) is False
    # doubled with a government-to-government arrangement
    res = _fleet([{"device": "H100 SXM", "count": 50_000, "country": "SA", "owner": "A"}], g2g_countries=["SA"])
    assert bool(res["checks"].set_index("check").loc["tier2_allocation", "passed"]) is True


def test_lpp_and_veu_shipments_do_not_count_against_the_allocation():
    res = _fleet([{"device": "H100 SXM", "count": 60_000, "country": "SA", "owner": "A", "veu": "nveu"},
                  {"device": "H100 SXM", "count": 1_000, "country": "SA", "owner": "B", "authorization": "lpp"}])
    checks = res["checks"].set_index("check")
    assert "tier2_allocation" not in checks.index
    assert bool(checks.loc["lpp_limit", "passed"]) is True


@pytest.mark.parametrize("tier1_share,passed", [(0.74, False), (0.76, True)])
def test_uveu_tier1_share(tier1_share, passed):
    # a UVEU headquartered in Germany with the rest spread over Tier-2 countries at 2 % each
    # (device counts are whole numbers: the rest is split 13 ways in whole devices)
    first = round(tier1_share * 10_000)
    rows = [{"device": "H100 SXM", "count": first, "country": "DE", "owner": "U",
             "owner_hq": "DE", "veu": "uveu"}]
    rest = 10_000 - first
    for k, c in enumerate(("SG", "MY", "IN", "BR", "MX", "PT", "PL", "CH", "IL", "SA", "AE", "TH", "ID")):
        rows.append({"device": "H100 SXM", "count": rest // 13 if k < 12 else rest - 12 * (rest // 13),
                     "country": c, "owner": "U", "owner_hq": "DE", "veu": "uveu"})
    checks = _fleet(rows)["checks"].set_index("check")
    assert checks.loc["uveu_tier1_share", "value"] == pytest.approx(tier1_share)
    assert bool(checks.loc["uveu_tier1_share", "passed"]) is passed
    assert bool(checks.loc["uveu_max_tier2_country_share", "passed"]) is True


def test_uveu_single_tier2_country_over_7_percent_fails():
    rows = [{"device": "H100 SXM", "count": 92, "country": "US", "owner": "U", "owner_hq": "US", "veu": "uveu"},
            {"device": "H100 SXM", "count": 8, "country": "SG", "owner": "U", "owner_hq": "US", "veu": "uveu"}]
    checks = _fleet(rows)["checks"].set_index("check")
    assert bool(checks.loc["uveu_max_tier2_country_share", "passed"]) is False
    assert bool(checks.loc["uveu_us_share", "passed"]) is True


@pytest.mark.parametrize("ops,eccn", [(10 ** 26.1, "4E091"), (1e26, "4E091"), (10 ** 25.9, None)])
def test_model_weights(ops, eccn):
    # 4E091: "trained utilizing 10^26 or more 'operations'" (current CFR text)
    assert model(operations=ops, as_of="2025-03-01")["eccn"] == eccn


def test_published_weights_are_not_controlled():
    res = model(operations=10 ** 26.1, published_weights=True, as_of="2025-03-01")
    assert res["eccn"] is None and "published" in res["reason"]


def test_6nd_estimate():
    res = model(params=4e11, tokens=1.5e13, as_of="2025-03-01")
    assert res["operations"] == pytest.approx(3.6e25) and res["eccn"] is None
    assert "6 x parameters" in res["method"]


def test_every_answer_names_rule_set_citation_and_enforcement():
    # 90 FR 4544 DATES: effective 2025-01-13, no compliance required before 2025-05-15 (120 days
    # after publication, BIS page quoted in the research note); BIS stopped enforcing on
    # 2025-05-13, so the rule never bound anyone: enforced is False on every date.
    for day in ("2025-01-13", "2025-03-01", "2025-05-12", "2025-05-13", "2025-05-14", "2025-05-15",
                "2025-06-01"):
        for out in (model(operations=1e26, as_of=day), _fleet([{"device": "H100 SXM", "count": 1,
                                                                  "country": "SG"}], as_of=day),
                    tiers(["SG"], day).iloc[0].to_dict()):
            assert out["rule_set"] == "2025-01-diffusion" and "90 FR 4544" in out["citation"]
            assert out["enforced"] is False or out["enforced"] == False  # noqa: E712
            assert out["in_cfr"] is True or out["in_cfr"] == True  # noqa: E712
            assert out["enforcement"].startswith("written in the CFR but not enforced"), out["enforcement"]


def test_model_never_says_4e091_is_enforced():
    before = model(operations=1e26, as_of="2025-03-01")
    assert before["eccn"] == "4E091" and "written rules only" in before["reason"]
    assert "2025-05-15" in before["enforcement"]
    after = model(operations=1e26, as_of="2025-06-01")
    assert "never bound anyone" in after["enforcement"]


def test_tiers_by_date():
    t = tiers(["CN", "DE", "SG", "MO", "US"], "2025-03-01").set_index("country")["tier"]
    assert t.to_dict() == {"CN": 3, "DE": 1, "SG": 2, "MO": 3, "US": 1}
    before = tiers(["DE"], "2024-12-31").iloc[0]
    assert pd.isna(before["tier"]) and bool(before["enforced"]) is False


def test_cli_tier_json():
    r = CliRunner().invoke(main, ["tier", "CN", "DE", "SG", "--as-of", "2025-03-01", "-f", "json"])
    rows = json.loads(r.stdout)
    assert [(x["country"], x["tier"]) for x in rows] == [("CN", 3), ("DE", 1), ("SG", 2)]


def test_cli_fleet_fail_on_breach(tmp_path):
    p = write(tmp_path, "device,count,country,owner\nH100 SXM,60000,SA,A\n")
    r = CliRunner().invoke(main, ["fleet", p, "--as-of", "2025-03-01", "--fail-on", "breach", "-f", "json"])
    assert r.exit_code == 1
    out = json.loads(r.stdout)
    assert out["checks"][0]["check"] == "tier2_allocation" and out["checks"][0]["passed"] is False


def test_cli_fleet_unknown_device(tmp_path):
    p = write(tmp_path, "device,count,country\nH900,1,SA\n")
    r = CliRunner().invoke(main, ["fleet", p])
    assert r.exit_code == 2 and "row 1" in r.stderr and "H900" in r.stderr


def test_cli_fleet_inline_specs(tmp_path):
    p = write(tmp_path, "device,count,country,fp8\nMyChip,1000,SG,1979 TFLOPS\n")
    r = CliRunner().invoke(main, ["fleet", p, "-f", "json", "--as-of", "2025-03-01"])
    assert json.loads(r.stdout)["total"]["h100_equivalents"] == pytest.approx(1000)


def test_cli_model_device():
    r = CliRunner().invoke(main, ["model", "--device", "H100 SXM", "--count", "20000", "--utilisation", "0.4",
                                  "--days", "90", "-f", "json"])
    out = json.loads(r.stdout)
    # H100 SXM dense FP16 989.5 TFLOPS (datasheet 1,979 with sparsity) x 20,000 x 0.4 x 90 days
    assert out["operations"] == pytest.approx(989.5e12 * 20000 * 0.4 * 90 * 86400)
    assert out["eccn"] is None and out["enforced"] is False


def test_uveu_capacity_in_tier_3_is_flagged_and_marked_unconfirmed():
    rows = [{"device": "H100 SXM", "count": 100, "country": "US", "owner": "C", "owner_hq": "US", "veu": "uveu"},
            {"device": "H100 SXM", "count": 1, "country": "CN", "owner": "C", "owner_hq": "US", "veu": "uveu"}]
    checks = _fleet(rows, as_of="2025-03-01")["checks"].set_index("check")
    assert bool(checks.loc["uveu_max_tier3_share", "passed"]) is False
    assert checks.loc["uveu_max_tier3_share", "confidence"] == "unconfirmed"
    clean = _fleet(rows[:1], as_of="2025-03-01")["checks"].set_index("check")
    assert bool(clean.loc["uveu_max_tier3_share", "passed"]) is True


def test_4e091_technical_note_3_is_shown():
    res = model(operations=1e26, as_of="2025-06-01")
    assert "Technical Note 3" in res["counting"] and "ten percent" in res["counting"]


def test_aca_extends_to_tier_2_in_the_written_view_only():
    import pandas as pd

    from chipclass.api import license_table as determine

    df = pd.DataFrame([{"name": "RTX 4090", "fp8": 660.6, "die_area": 608.5, "datacenter": "no"}])
    w = determine(df, ["SG"], None, "2025-03-01", view="written").iloc[0]
    assert bool(w["license_required"]) and "ACA" in w["exceptions"]
    before = determine(df, ["SG"], None, "2025-01-12", view="written").iloc[0]
    assert not bool(before["license_required"])
    e = determine(df, ["SG"], None, "2025-03-01").iloc[0]
    assert not bool(e["license_required"])   # enforced: Diffusion never bound
