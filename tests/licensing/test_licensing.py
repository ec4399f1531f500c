"""Licence determination against published cases (sources in comments) and every boundary date."""

import datetime as dt

import pandas as pd

from chipclass.api import license_table as determine
from chipclass.rules.licences import tier_of

# Dense figures: H100 SXM (NVIDIA datasheet: FP8 3,958 with sparsity, 814 mm², NVLink 900 GB/s,
# 3.35 TB/s); H20 (296 dense FP8, 4.0 TB/s, NVLink 900; press); RTX 4090 (Ada whitepaper FP8
# 660.6 dense, AD102 608.5 mm², PCIe 4.0 x16 = 64 GB/s); RTX 4090 D (FP8 588.4 dense, press);
# A800 SXM (INT8 624 dense, NVLink 400); an HBM3 stack (819 GB/s on 121 mm²).
DEVICES = pd.DataFrame([
    {"name": "H100 SXM", "fp8_sparse": 3958, "die_area": 814, "interconnect_bandwidth": 900, "memory_bandwidth": 3350},
    {"name": "H20", "fp8": 296, "die_area": 814, "interconnect_bandwidth": 900, "memory_bandwidth": 4000},
    {"name": "RTX 4090", "fp8": 660.6, "die_area": 608.5, "interconnect_bandwidth": 64, "datacenter": "no"},
    # RTX 4090 D memory bandwidth 1,008 GB/s (NVIDIA product page, as the RTX 4090)
    {"name": "RTX 4090 D", "fp8": 588.4, "die_area": 608.5, "interconnect_bandwidth": 64, "datacenter": "no",
     "memory_bandwidth": 1008},
    {"name": "A800 SXM", "int8": 624, "die_area": 826, "interconnect_bandwidth": 400, "memory_bandwidth": 2039},
    {"name": "HBM3 stack", "device_type": "hbm", "memory_bandwidth": 819, "package_area": 121},
    {"name": "H200", "fp8_sparse": 3958, "die_area": 814, "interconnect_bandwidth": 900, "memory_bandwidth": 4800},
])


def need(name, to, day, hq=None, view="enforced", field="license_required"):
    out = determine(DEVICES, [to], hq, day, view=view).set_index("name")
    value = out.loc[name, field]
    if pd.isna(value):
        return None
    return bool(value) if field == "license_required" else value


# --- the acceptance cases ---------------------------------------------------------------

def test_h100_to_china_from_the_first_rule():
    assert need("H100 SXM", "CN", "2022-10-07") is True


def test_h100_to_saudi_arabia_only_from_2023_11_17():
    assert need("H100 SXM", "SA", "2023-11-16") is False
    assert need("H100 SXM", "SA", "2023-11-17") is True


def test_h100_to_israel_not_under_the_2023_destination_rule():
    # Israel is in D:4 but also A:6, which the 2023 scope excludes (digest s.4)
    assert need("H100 SXM", "IL", "2024-06-01") is False


def test_h100_to_germany_never_enforced():
    for day in ("2022-10-07", "2023-11-17", "2024-06-01", "2025-06-01", "2026-08-01"):
        assert need("H100 SXM", "DE", day) is False, day


def test_germany_under_the_written_diffusion_rule_is_tier_1_with_aia():
    out = determine(DEVICES, ["DE"], None, "2025-06-01", view="written").set_index("name")
    assert bool(out.loc["H100 SXM", "license_required"]) is True
    assert "AIA" in out.loc["H100 SXM", "exceptions"]


def test_rtx_4090_to_china_from_2023_11_17():
    # Oct 2022 rule also needed >= 600 GB/s interconnect; the RTX 4090 has PCIe only
    assert need("RTX 4090", "CN", "2023-11-16") is False
    assert need("RTX 4090", "CN", "2023-11-17") is True
    assert "NAC" in need("RTX 4090", "CN", "2023-11-17", field="exceptions")


def test_h20_and_rtx_4090_d_need_none_under_the_eccn_rules():
    for day in ("2023-11-17", "2025-06-01", "2026-08-01"):
        assert need("H20", "CN", day) is False
        assert need("RTX 4090 D", "CN", day) is False


def test_h20_carries_the_april_2025_note():
    assert need("H20", "CN", "2025-04-08", field="notes") is None
    assert "2025-04-h20-mi308" in need("H20", "CN", "2025-04-09", field="notes")
    assert need("RTX 4090 D", "CN", "2025-06-01", field="notes") is None


def test_d5_headquartered_buyer_anywhere_from_2023_11_17():
    assert need("H100 SXM", "DE", "2023-11-16", hq="CN") is False
    assert need("H100 SXM", "DE", "2023-11-17", hq="CN") is True
    assert "744.23(a)(3)" in need("H100 SXM", "DE", "2023-11-17", hq="CN", field="basis")
    # from the Diffusion rule the .a requirement sits in 742.6(a)(6)(iii)(A), still enforced
    assert "742.6(a)(6)(iii)(A)" in need("H100 SXM", "SG", "2025-06-01", hq="MO", field="basis")


# --- a test per boundary date: changing only the date walks through every instrument -----

def test_macau_from_2023_01_17():
    assert need("H100 SXM", "MO", "2023-01-16") is False
    assert need("H100 SXM", "MO", "2023-01-17") is True


def test_nac_splits_into_aca_on_2024_04_04():
    assert "NAC" in need("RTX 4090", "SA", "2024-04-03", field="exceptions")
    assert need("RTX 4090", "SA", "2024-04-04", field="exceptions").startswith("ACA")
    assert need("RTX 4090", "CN", "2024-04-04", field="exceptions").startswith("NAC")


def test_hbm_to_china_enforced_from_its_compliance_date_2024_12_31():
    # 89 FR 96790 DATES: effective 2024-12-02, compliance for the HBM amendments 2024-12-31
    assert need("HBM3 stack", "CN", "2024-12-30") is False
    assert need("HBM3 stack", "CN", "2024-12-31") is True
    assert need("HBM3 stack", "CN", "2024-12-01", view="written") is False
    assert need("HBM3 stack", "CN", "2024-12-02", view="written") is True
    out = determine(DEVICES, ["CN"], None, "2024-12-02").set_index("name")
    assert bool(out.loc["HBM3 stack", "written_differs"]) is True
    assert "2024-12-31" in out.loc["HBM3 stack", "not_enforced"]
    assert need("HBM3 stack", "SA", "2024-12-31") is False  # 3A090.c scope: Macau and D:5 only


def test_diffusion_written_from_2025_01_13_but_never_binding():
    # 90 FR 4544: effective 2025-01-13, compliance 2025-05-15; not enforced from 2025-05-13
    assert need("H100 SXM", "SG", "2025-01-12", view="written") is False
    assert need("H100 SXM", "SG", "2025-01-13", view="written") is True
    for day in ("2025-01-13", "2025-03-01", "2025-05-12", "2025-05-13", "2025-05-14", "2025-05-15"):
        assert need("H100 SXM", "SG", day) is False, day     # enforced: never bound
    assert need("H100 SXM", "DE", "2025-03-01") is False       # no Tier 1 licence either
    assert need("H100 SXM", "SG", "2025-05-13", view="written") is True
    out = determine(DEVICES, ["SG"], None, "2025-05-13").set_index("name")
    assert bool(out.loc["H100 SXM", "written_differs"]) is True
    assert bool(out.loc["H100 SXM", "written_license_required"]) is True


def test_case_by_case_for_h200_class_to_china_from_2026_01_15():
    assert need("H200", "CN", "2026-01-14", field="review_policy").startswith("presumption of denial")
    assert need("H200", "CN", "2026-01-15", field="review_policy").startswith("case-by-case")


def test_uae_stays_in_scope_after_moving_to_a5_on_2026_07_10():
    assert need("H100 SXM", "AE", "2026-07-09") is True
    assert need("H100 SXM", "AE", "2026-07-10") is True
    assert "United Arab Emirates" in need("H100 SXM", "AE", "2026-07-10", field="basis")


def test_uae_a_items_cite_iii_a_and_b_items_iii_b():
    # eCFR 2026-07-23: .a rows "any destination worldwide, see 742.6(a)(6)(iii)(A)"; .b rows name
    # the UAE, "see 742.6(a)(6)(iii)(B)"
    df = pd.DataFrame([{"name": "H100 SXM", "fp8_sparse": 3958, "die_area": 814},
                       {"name": "band b.1", "fp8": 375, "die_area": 1000, "datacenter": "yes"}])
    out = determine(df, ["AE"], None, "2026-07-10").set_index("name")
    assert "742.6(a)(6)(iii)(A)" in out.loc["H100 SXM", "basis"]
    assert "(iii)(B)" not in out.loc["H100 SXM", "basis"]
    assert "742.6(a)(6)(iii)(B)" in out.loc["band b.1", "basis"]


def test_uae_move_from_d4_to_a5_drops_aca_and_the_d4_review_policy():
    # ACA's 2024 scope is D:1/D:4 except Macau and D:5 (CBP CSMS 61882672); the 2023 presumption
    # of approval is for D:1/D:4 destinations. From 2026-07-10 the UAE is in A:5, not D:4.
    df = pd.DataFrame([{"name": "band b.1", "fp8": 375, "die_area": 1000, "datacenter": "yes"}])
    before = determine(df, ["AE"], None, "2026-07-09").iloc[0]
    on = determine(df, ["AE"], None, "2026-07-10").iloc[0]
    assert "ACA" in before["exceptions"] and before["review_policy"].startswith("presumption of approval")
    assert "ACA" not in on["exceptions"]
    assert on["review_policy"].startswith("not determined") and "[unconfirmed]" in on["review_policy"]
    assert "UAE approved recipients" in on["exceptions"]
    # a buyer headquartered in D:5 cannot use the approved-recipient route
    cn = determine(df, ["AE"], "CN", "2026-07-10").iloc[0]
    assert "UAE approved recipients" not in (cn["exceptions"] or "")


def test_nicaragua_review_policy_follows_its_group_change():
    assert need("H100 SXM", "NI", "2024-03-14") is False
    assert need("H100 SXM", "NI", "2024-03-15") is True


def test_cambodia_leaving_d5_on_2025_11_07_changes_the_review_policy():
    # ITAR 126.1 change of 2025-11-07 controls D:5 (note to D:5); not the EAR edit of 2026-02-03
    assert need("H100 SXM", "KH", "2025-11-06", field="review_policy").startswith("presumption of denial")
    assert need("H100 SXM", "KH", "2025-11-07", field="review_policy").startswith("presumption of approval")


def test_cambodia_headquartered_buyer_is_not_a_d5_buyer_on_2025_12_01():
    assert need("H100 SXM", "DE", "2025-11-06", hq="KH") is True   # D:5-headquartered buyer
    assert need("H100 SXM", "DE", "2025-12-01", hq="KH") is False


def test_cambodia_is_tier_2_on_2025_12_01():
    assert tier_of("KH", dt.date(2025, 11, 6))[0] == 3
    assert tier_of("KH", dt.date(2025, 12, 1))[0] == 2


def test_indeterminate_device_gets_no_answer():
    df = pd.DataFrame([{"name": "x", "fp8": 375}])  # TPP 3000, no die area
    out = determine(df, ["CN"], None, "2024-06-01")
    assert pd.isna(out["license_required"][0])
    assert "die_area" in out["basis"][0]


def test_tiers():
    d = dt.date(2025, 3, 1)
    assert tier_of("DE", d)[0] == 1 and tier_of("SG", d)[0] == 2 and tier_of("CN", d)[0] == 3
    assert tier_of("MO", d)[0] == 3 and tier_of("HK", d)[0] == 3
    assert tier_of("DE", dt.date(2024, 12, 31)) == (None, None)


# --- property: more throughput never removes a licence requirement ----------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

DATES = ["2022-12-01", "2023-06-01", "2024-01-01", "2024-06-01", "2025-02-01", "2025-06-01",
         "2026-03-01", "2026-08-01"]


@settings(max_examples=40, deadline=None)
@given(fp8=st.floats(50, 3000), factor=st.floats(1, 10), area=st.floats(80, 1500), dc=st.booleans(),
       link=st.sampled_from([64.0, 400.0, 900.0]), day=st.sampled_from(DATES),
       to=st.sampled_from(["CN", "SA", "IL", "DE", "SG", "AE", "MO", "NI", "KH"]),
       hq=st.sampled_from([None, "CN", "DE"]))
def test_raising_throughput_never_removes_a_licence_requirement(fp8, factor, area, dc, link, day, to, hq):
    df = pd.DataFrame([{"name": n, "fp8": f, "die_area": area, "datacenter": dc, "interconnect_bandwidth": link}
                       for n, f in (("before", fp8), ("after", fp8 * factor))])
    for view in ("enforced", "written"):
        out = determine(df, [to], hq, day, view=view).set_index("name")["license_required"]
        assert bool(out["after"]) >= bool(out["before"]), (view, out.to_dict())


def test_review_condition_with_a_missing_input_cannot_be_decided():
    # 91 FR 1684: case-by-case below TPP 21,000 AND total DRAM bandwidth 6,500 GB/s. An H100-class
    # part (TPP 15,832) with no memory bandwidth cannot be placed: say so, as classification does.
    df = pd.DataFrame([{"name": "H100 no bandwidth", "fp8_sparse": 3958, "die_area": 814},
                       {"name": "H100 with bandwidth", "fp8_sparse": 3958, "die_area": 814, "memory_bandwidth": 3350},
                       {"name": "over the TPP line", "fp8": 2700, "die_area": 814}])  # TPP 21,600
    out = determine(df, ["CN"], None, "2026-02-01").set_index("name")
    assert out.loc["H100 no bandwidth", "review_policy"].startswith("cannot decide: needs memory_bandwidth")
    assert "presumption of denial" not in out.loc["H100 no bandwidth", "review_policy"].split("(")[0]
    assert out.loc["H100 with bandwidth", "review_policy"].startswith("case-by-case")
    # TPP already fails the first condition: the missing bandwidth does not matter (Kleene AND)
    assert out.loc["over the TPP line", "review_policy"].startswith("presumption of denial")
    assert bool(out.loc["H100 no bandwidth", "license_required"]) is True
    # the day before the rule: no condition to decide
    before = determine(df, ["CN"], None, "2026-01-14").set_index("name")
    assert before.loc["H100 no bandwidth", "review_policy"].startswith("presumption of denial")


def test_matrix_cell_shows_a_note_that_requires_a_licence():
    # NVIDIA 8-K of 2025-04-15: H20 exports to China need a licence "for the indefinite future",
    # although the H20 is outside 3A090 (TPP 2,368, PD 2.91)
    from chipclass.api import licences
    from chipclass.outputs.licence import matrix_text

    before = licences(DEVICES, ["CN", "DE"], None, "2025-04-08")
    on = licences(DEVICES, ["CN", "DE"], None, "2025-04-09")
    assert not determine(DEVICES, ["CN", "DE"], None, "2025-04-08").set_index("name").loc["H20", "note_requires_license"].any()
    rows = {line.split("  ")[0]: line for line in matrix_text(on).splitlines()}
    cells = rows["H20"].split()
    assert cells[-2:] == ["-!", "-"]            # CN flagged, DE (no note) plain
    assert "-!" not in rows["RTX 4090 D"]
    assert "-! none under the ECCN rules" in matrix_text(on)
    before_rows = {line.split("  ")[0]: line for line in matrix_text(before).splitlines()}
    assert "-!" not in before_rows["H20"]


# Trainium2-like specs (hand-made from press figures: 1,299 dense FP8, 667 dense BF16 and TF32
# TFLOPS, 2.9 TB/s HBM; die area illustrative). TPP: FP8 10,392; BF16 10,672; TF32 21,344 at
# 32 bits, 12,673 at 19 bits. The TF32 reading alone moves it across 91 FR 1684's TPP 21,000.
TRN2 = pd.DataFrame([{"name": "Trainium2-like", "fp8": 1299, "bf16": 667, "tf32": 667,
                      "die_area": 1600, "memory_bandwidth": 2900}])


def test_tf32_bits_reach_licensing_across_the_21000_line():
    at32 = determine(TRN2, ["CN"], None, "2026-02-01").iloc[0]
    at19 = determine(TRN2, ["CN"], None, "2026-02-01", bit_lengths={"tf32": 19}).iloc[0]
    assert at32["review_policy"].startswith("presumption of denial")
    assert at19["review_policy"].startswith("case-by-case")
    assert bool(at32["license_required"]) and bool(at19["license_required"])


def test_tf32_bits_option_reaches_the_license_command(tmp_path):
    import json

    from click.testing import CliRunner

    from chipclass.cli import main

    path = tmp_path / "trn2.csv"
    TRN2.to_csv(path, index=False)
    runner = CliRunner()
    args = ["license", str(path), "--to", "CN", "--as-of", "2026-02-01", "-f", "json"]
    default = json.loads(runner.invoke(main, args).stdout)["rows"][0]
    nineteen = json.loads(runner.invoke(main, args + ["--tf32-bits", "19"]).stdout)["rows"][0]
    assert default["review_policy"].startswith("presumption of denial")
    assert nineteen["review_policy"].startswith("case-by-case")


# --- the ECCN ladder in licensing ------------------------------------------------------------
LADDER = pd.DataFrame([
    {"name": "H20", "fp8": 296, "die_area": 814, "interconnect_bandwidth": 900, "memory_bandwidth": 4000},
    {"name": "H100 + crypto", "fp8_sparse": 3958, "die_area": 814, "base_eccn": "5A992.c", "memory_bandwidth": 3350},
    {"name": "gaming + crypto", "fp8": 660.6, "die_area": 608.5, "datacenter": "no", "base_eccn": "5A992.c"},
    {"name": "H100 server", "device_type": "system", "ic": "H100 SXM", "ic_count": 8},
    {"name": "H100 SXM", "fp8_sparse": 3958, "die_area": 814, "memory_bandwidth": 3350},
    {"name": "slow part", "int8": 4, "interconnect_bandwidth": 32},
])


def test_z_and_system_items_are_licensed_as_the_paragraph_they_meet():
    out = determine(LADDER, ["SA"], None, "2024-06-01").set_index("name")
    assert out.loc["H100 + crypto", "eccn"] == "5A992.z.1" and bool(out.loc["H100 + crypto", "license_required"])
    assert out.loc["H100 server", "eccn"] == "4A090.a" and bool(out.loc["H100 server", "license_required"])
    assert out.loc["H100 server", "clause"] == "3A090.a.1"
    assert out.loc["H20", "eccn"] == "3A991.p" and not bool(out.loc["H20", "license_required"])
    assert out.loc["H20", "basis"].startswith("3A991.p: no licence")
    assert out.loc["slow part", "eccn"] == "EAR99"


def test_z_items_keep_only_their_listed_exceptions():
    # non-datacenter 3A090.a with 5A992.c -> 5A992.z.1: NAC/ACA allowed (740.8 covers .z items)
    out = determine(LADDER, ["CN"], None, "2024-06-01").set_index("name")
    assert "NAC" in out.loc["gaming + crypto", "exceptions"]
    # written Diffusion view: AIA for 5A992.z.1 to Tier 1; LPP too (CCL flags)
    w = determine(LADDER, ["DE"], None, "2025-03-01", view="written").set_index("name")
    assert "AIA" in w.loc["H100 + crypto", "exceptions"] and "LPP" in w.loc["H100 + crypto", "exceptions"]


def test_exceptions_allowed_list_removes_an_exception_not_on_it(tmp_path):
    import shutil
    from importlib import resources

    src = resources.files("chipclass").joinpath("data/rules")
    for p in src.iterdir():
        if p.name.endswith(".toml"):
            shutil.copy(p, tmp_path / p.name)
    path = tmp_path / "2023-11-acs.toml"
    path.write_text(path.read_text().replace('"5A992.z.1" = ["NAC", "ACA", "AIA", "ACM", "LPP"]',
                                             '"5A992.z.1" = ["ACM"]'))
    out = determine(LADDER, ["CN"], None, "2024-06-01", rules_dir=str(tmp_path)).set_index("name")
    assert out.loc["gaming + crypto", "exceptions"] is None


def test_russia_and_belarus_need_a_licence_for_any_ccl_item():
    # 746.8(a)(1) since 87 FR 22130: any ECCN, so 3A991.p too; EAR99 not answered
    out = determine(LADDER, ["RU", "BY", "DE"], None, "2024-06-01")
    h20 = out[out["name"] == "H20"].set_index("destination")
    assert bool(h20.loc["RU", "license_required"]) and bool(h20.loc["BY", "license_required"])
    assert "746.8(a)(1)" in h20.loc["RU", "basis"]
    assert not bool(h20.loc["DE", "license_required"])
    slow = out[out["name"] == "slow part"].set_index("destination")
    assert not bool(slow.loc["RU", "license_required"])


def test_91_fr_1684_conditions_are_shown_with_the_case_by_case_answer():
    text = need("H200", "CN", "2026-01-15", field="review_policy")
    for part in ("commercially available in the United States on 2026-01-15", "third-party testing",
                 "50 %", "re-exports and in-country transfers: presumption of denial"):
        assert part in " ".join(text.split()), part
    assert need("H200", "MO", "2026-01-15", field="review_policy").startswith("case-by-case")


def test_d5_headquartered_buyer_elsewhere_stays_presumption_of_denial_after_91_fr_1684():
    for day in ("2026-01-14", "2026-01-15"):
        assert need("H200", "DE", day, hq="CN", field="review_policy").startswith("presumption of denial")
        assert need("H200", "SG", day, hq="MO", field="review_policy").startswith("presumption of denial")


def _general(to, day, hq=None):
    return determine(DEVICES, [to], hq, day).iloc[0]["general_notes"] or ""


def test_affiliates_rule_its_suspension_and_reimposition_by_date():
    # 90 FR 47201 effective 2025-09-29; suspended 2025-11-10 through 2026-11-09 (90 FR 50857)
    assert "affiliates" not in _general("DE", "2025-09-28")
    assert "2025-09-affiliates-rule" in _general("DE", "2025-09-29")
    assert "2025-09-affiliates-rule" in _general("DE", "2025-11-09")
    assert "2025-11-affiliates-suspended" in _general("DE", "2025-11-10")
    assert "2025-09-affiliates-rule" not in _general("DE", "2025-11-10")
    assert "2025-11-affiliates-suspended" in _general("DE", "2026-11-09")
    assert "2026-11-affiliates-reimposed" in _general("DE", "2026-11-10")
    assert "suspended" not in _general("DE", "2026-11-10")


def test_bis_guidance_notes():
    # 2026-05-31 guidance: shown for D:5/Macau-headquartered buyers only, from that date
    assert "2026-05-bis-hq-enforcement" not in _general("DE", "2026-05-30", hq="CN")
    assert "2026-05-bis-hq-enforcement" in _general("DE", "2026-05-31", hq="CN")
    assert "2026-05-bis-hq-enforcement" not in _general("DE", "2026-05-31")
    assert "2025-05-bis-diversion-training" not in _general("DE", "2025-05-12")
    assert "2025-05-bis-diversion-training" in _general("DE", "2025-05-13")
    asc = pd.DataFrame([{"name": "Ascend 910B", "fp16": 320, "die_area": 665}])
    assert determine(asc, ["DE"], None, "2025-05-12").iloc[0]["notes"] is None
    assert "General Prohibition 10" in determine(asc, ["DE"], None, "2025-05-13").iloc[0]["notes"]
