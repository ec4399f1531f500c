"""The shipped catalogue, and catalogue validation (chipclass check)."""


import chipclass
import pytest

from chipclass.api import load
from chipclass.core.catalogue import DEVICE_TYPES
from chipclass.core.validate import validate

from ..conftest import CHIPS, ROOT, write

SYSTEMS = ROOT / "data" / "systems.csv"


def test_shipped_catalogue_is_broad_sourced_and_valid():
    cat = load(str(CHIPS))
    assert len(cat) >= 150  # issue 15: at least 150 sourced devices
    assert validate(cat) == []
    vendors = set(cat.extra.column("vendor").to_pylist())
    assert {"NVIDIA", "AMD", "Intel", "Google", "AWS", "Huawei", "Cambricon", "Biren", "Moore Threads",
            "MetaX", "Cerebras", "Tenstorrent", "Microsoft", "Meta", "Tesla"} <= vendors
    assert (cat.device_type == 1).sum() >= 10  # HBM stacks for 3A090.c, HBM2 to HBM4
    for column in ("vendor", "market", "status", "launch_year", "source"):  # source_note: a remark, may be empty
        assert None not in cat.extra.column(column).to_pylist(), column


# Every device issue 15 names, by its catalogue name (Ascend 910A is the SKU name of the 2019
# Ascend 910, one row; "Ascend 800T A2" is Huawei's Atlas 800T A2 server, in systems.csv).
ISSUE_15 = ["B300", "GB300", "GH200", "H200 NVL", "Rubin", "Rubin CPX", "B30A", "MI250", "MI350X", "Trainium3",
            "TPU v3", "TPU v4i", "TPU7x (Ironwood)", "Maia 100", "MTIA v2", "Dojo D1", "GroqChip v1 (LPU)",
            "Groq 3 LPU (LP30)", "BR100", "MTT S4000", "MXC500 PCIe", "MXC500 OAM", "BI-V100", "MR-V100",
            "Kunlun K200", "Kunlun R200", "MLU370-X4", "Hanguang 800", "Ascend 910", "Ascend 910B1", "Ascend 910B2",
            "Ascend 910B3", "Ascend 910B4", "Ascend 910C", "Ascend 920", "Ascend 950PR", "Ascend 950DT", "Ascend 960",
            "Ascend 970", "Gaudi (HL-205)", "Data Center GPU Max 1550", "Data Center GPU Max 1100", "WSE-2", "WSE-3",
            "Grayskull e150", "Wormhole n150", "Wormhole n300", "Blackhole p150", "B100", "MI210", "MI300A",
            "TPU v5e", "Inferentia2", "Trainium"]


def test_every_device_the_issue_names_is_present():
    names = set(load(str(CHIPS)).names)
    assert [n for n in ISSUE_15 if n not in names] == []
    assert "Atlas 800T A2" in set(load(str(SYSTEMS)).names)


def test_announced_and_reported_parts_are_marked():
    cat = load(str(CHIPS))
    status = dict(zip(cat.names, cat.extra.column("status").to_pylist()))
    assert status["B30A"] == "reported"  # Reuters via TechPowerUp only; NVIDIA published nothing
    assert {status[n] for n in ("Rubin", "Rubin CPX", "Ascend 950PR", "Ascend 960", "Ascend 970")} == {"announced"}
    assert status["H100 SXM"] == "released"


def test_shipped_systems_load_check_and_name_catalogue_ics():
    systems = load(str(SYSTEMS))
    assert validate(systems) == []
    assert set(systems.device_type) == {DEVICE_TYPES.index("system")}
    chips = set(load(str(CHIPS)).names)
    ics = systems.extra.column("ic").to_pylist()
    assert [ic for ic in ics if ic not in chips] == []
    assert all(int(n) >= 1 for n in systems.extra.column("ic_count").to_pylist())


def test_hbm3_package_area_is_one_value():
    # One footprint for every HBM3/HBM3E stack: 10.75 x 10.75 mm (Samsung Hot Chips slide via
    # Jason's Chips), chosen over 11 x 11 mm in the catalogue's source notes.
    cat = load(str(CHIPS))
    hbm3 = [i for i, n in enumerate(cat.names) if n.startswith("HBM3")]
    assert len(hbm3) >= 5
    assert set(cat.values["package_area"][hbm3]) == {115.6}


# NVIDIA Form 8-K, 2023-10-23 (SEC filing): the Oct 2023 rules restrict A100, A800, H100, H800,
# L40, L40S and RTX 4090. The H20, L20 and RTX 4090 D were designed to fall outside them
# (press: Tom's Hardware, Nov 2023 / Dec 2023).
NAMED_IN_8K = ["A100 SXM 80GB", "A800 SXM", "H100 SXM", "H800 SXM", "L40", "L40S", "RTX 4090"]
DESIGNED_AROUND = ["H20", "L20", "RTX 4090 D"]


def test_sec_filing_products_are_3a090_on_2023_11_17():
    out = chipclass.score(str(CHIPS), as_of="2023-11-17").set_index("name")
    for name in NAMED_IN_8K:
        assert out.loc[name, "status"] == "controlled", name
        assert out.loc[name, "eccn"] in ("3A090.a", "3A090.b"), name
    for name in DESIGNED_AROUND:
        assert out.loc[name, "status"] == "not controlled", name


def test_a800_h800_change_class_in_2023():
    out = chipclass.diff(str(CHIPS), "2023-01-01", "2024-01-01").set_index("name")
    for name in ("A800 SXM", "A800 PCIe", "H800 SXM", "H800 PCIe"):
        assert out.loc[name, "from_status"] == "not controlled"
        assert out.loc[name, "to_clause"] == "3A090.a.1"
    assert "H20" not in out.index


def test_hbm_stacks_change_class_in_december_2024():
    out = chipclass.diff(str(CHIPS), "2024-11-01", "2025-01-01").set_index("name")
    hbm = [n for n in out.index if n.startswith("HBM")]
    assert len(hbm) >= 4
    assert all(out.loc[n, "from_status"] == "not controlled" for n in hbm)
    assert (out.loc[hbm, "to_clause"] == "3A090.c").sum() >= 3
    assert not any(n.startswith("H100") for n in out.index)


def test_sparse_in_the_dense_column_is_caught(tmp_path):
    p = write(tmp_path, "name,fp8,fp8_sparse,source\nA,3958,3958,https://x\nB,1979,3958,https://x\n")
    problems = validate(load(p))
    assert len(problems) == 1 and problems[0].row == 1 and problems[0].column == "fp8_sparse"


def test_missing_source_is_caught(tmp_path):
    p = write(tmp_path, "name,fp8,source\nA,1,https://x\nB,2,\n")
    problems = validate(load(p))
    assert [(x.row, x.column) for x in problems] == [(2, "source")]


def test_no_source_column(tmp_path):
    p = write(tmp_path, "name,fp8\nA,1\n")
    assert "no 'source' column" in str(validate(load(p))[0])


def _problems(tmp_path, text):
    return [(p.row, p.column) for p in validate(load(write(tmp_path, text)))]


# Sparse = 2 x dense within 5 %: 2.099 x passes, 2.101 x fails (and the same below 2).
@pytest.mark.parametrize("sparse,ok", [(209.9, True), (210.1, False), (190.1, True), (189.9, False)])
def test_sparse_ratio_tolerance_edges(tmp_path, sparse, ok):
    got = _problems(tmp_path, f"name,fp16,fp16_sparse,source\nA,100,{sparse},https://x\n")
    assert got == ([] if ok else [(1, "fp16_sparse")])


# TPP from fp8 1000 TFLOPS is 1000 x 8 bits = 8000; a published TPP within 1 % of it passes.
# 8080: |8000 - 8080| / 8080 = 0.990 %; 8082: 1.015 %; 7921: 0.997 %; 7919: 1.023 %.
@pytest.mark.parametrize("published,ok", [(8000, True), (8080, True), (8082, False), (7921, True), (7919, False)])
def test_published_tpp_within_one_percent(tmp_path, published, ok):
    got = _problems(tmp_path, f"name,fp8,tpp_published,source\nA,1000,{published},https://x\n")
    assert got == ([] if ok else [(1, "tpp_published")])


def test_published_tpp_uses_dense_from_sparse(tmp_path):
    # Only a sparse FP4 figure (GeForce "AI TOPS" style): dense = 2000 / 2, TPP = 1000 x 4 = 4000.
    assert _problems(tmp_path, "name,fp4_sparse,tpp_published,source\nA,2000,4000,https://x\n") == []
    assert _problems(tmp_path, "name,fp4_sparse,tpp_published,source\nA,2000,8000,https://x\n") == [(1, "tpp_published")]


def test_published_tpp_without_throughput(tmp_path):
    assert _problems(tmp_path, "name,tpp_published,source\nA,4800,https://x\n") == [(1, "tpp_published")]


def test_market_and_status_vocabulary(tmp_path):
    text = ("name,vendor,market,status,source\n"
            "A,V,datacenter,released,https://x\nB,V,consumer,released,https://x\n"
            "C,V,gaming,rumoured,https://x\nD,V,memory,announced,https://x\nE,V,,reported,https://x\n"
            "F,,system,released,https://x\n")
    assert _problems(tmp_path, text) == [(6, "vendor"), (5, "market"), (2, "market"), (3, "status")]


def test_provenance_columns_are_optional(tmp_path):
    # A user's own catalogue needs a source, not vendor/market/status/launch_year columns.
    assert _problems(tmp_path, "name,fp8,source\nA,1,https://x\n") == []


@pytest.mark.parametrize("year,ok", [("1990", True), ("2035", True), ("2024", True), ("1989", False),
                                     ("2036", False), ("24", False), ("2024.5", False), ("soon", False), ("", False)])
def test_launch_year_is_a_plausible_year(tmp_path, year, ok):
    got = _problems(tmp_path, f"name,launch_year,source\nA,{year},https://x\n")
    assert got == ([] if ok else [(1, "launch_year")])


@pytest.mark.parametrize("column,value,ok", [
    ("transistor_count", "80", True),               # H100: 80 billion (NVIDIA Hopper whitepaper)
    ("transistor_count", "4000", True),             # WSE-3: 4 trillion (Cerebras)
    ("transistor_count", "80 billion", True),
    ("transistor_count", "80000000000", False),     # a raw count read as billions
    ("transistor_count", "0.0009", False),
    ("process_node", "4", True),                    # TSMC N4 / 4N
    ("process_node", "1", True),
    ("process_node", "0.012 um", True),             # 12 nm with a unit
    ("process_node", "0.99", False),
    ("process_node", "1001", False),
    ("process_node", "4e-9", False),                # metres written without a unit
])
def test_transistor_count_and_process_node_units(tmp_path, column, value, ok):
    got = _problems(tmp_path, f"name,{column},source\nA,{value},https://x\n")
    assert got == ([] if ok else [(1, column)])


def test_cli_check_reports_every_problem(tmp_path):
    from click.testing import CliRunner

    from chipclass.cli import main

    p = write(tmp_path, "name,market,status,launch_year,fp8,tpp_published,source\n"
                        "A,datacenter,released,2024,1000,9000,https://x\nB,consumer,leaked,24,1,,https://x\n")
    r = CliRunner().invoke(main, ["check", p])
    assert r.exit_code == 2
    assert r.output.count("chipclass: error:") == 4
    assert "row 1, column 'tpp_published'" in r.output and "value 'consumer'" in r.output


# Issue 22 corrections. Max 1100: bf16 = Max 1550 bf16 839 (Intel, via the row's source) x 56/128
# Xe cores x 1.55/1.6 GHz = 355.6 TFLOPS -> TPP 355.6 x 16 = 5,690 >= 4,800: 3A090.a.1 under the
# rules in force from 2023-11-17 (no interconnect test any more). Blackhole p150: 332 TFLOPS BF16
# (awesomeagents.ai, press) -> TPP 5,312 -> 3A090.a.1. B300: 2,250 = the datasheet's sparse
# 4,500 / 2. Wormhole: 2 x QSFP-DD 400GbE (Tenstorrent specifications page) = 200 GB/s.
# HGX B300: 8 x the B300 row's 270 GB (NVIDIA Blackwell Ultra datasheet, HGX SKU).
def test_issue_22_corrected_rows():
    out = chipclass.score(str(CHIPS), as_of="2023-11-17").set_index("name")
    assert out.loc["Data Center GPU Max 1100", "tpp"] == pytest.approx(5690, rel=0.001)
    assert out.loc["Data Center GPU Max 1100", "clause"] == "3A090.a.1"
    # The day before, the Oct 2022 rule also needs the interconnect rate, which Intel does not
    # publish for the Max 1100: indeterminate, not "not controlled".
    before = chipclass.score(str(CHIPS), as_of="2023-11-16").set_index("name")
    assert before.loc["Data Center GPU Max 1100", "status"] == "indeterminate"
    later = chipclass.score(str(CHIPS), as_of="2025-06-01").set_index("name")
    assert later.loc["Blackhole p150", "tpp"] == pytest.approx(5312)
    assert later.loc["Blackhole p150", "clause"] == "3A090.a.1"
    cat = load(str(CHIPS))
    row = {n: i for i, n in enumerate(cat.names)}
    assert cat.values["fp16"][row["B300"]] == cat.values["bf16"][row["B300"]] == 2250
    assert cat.values["interconnect_bandwidth"][row["Wormhole n300"]] == 200
    assert cat.values["interconnect_bandwidth"][row["Wormhole n150"]] == 200
    assert cat.values["transistor_count"][row["MI210"]] == 29.1  # AnandTech table: 29.1B
    r = row["Rubin CPX"]
    assert cat.values["fp4_sparse"][r] == 30000 and cat.values["fp4"][r] != cat.values["fp4"][r]  # NaN
    # the system's own figure as written (once loaded, a system row carries its IC's figures:
    # docs/inputs.md, "Systems")
    from chipclass.core.readers import read_table
    from chipclass.core.cells import numeric_column
    table, _ = read_table(str(SYSTEMS))
    memory = numeric_column(table.column("memory"), "memory", None, "GB", source="", column="memory", offset=0)
    s = table.column("name").to_pylist().index("HGX B300")
    assert memory[s] == 8 * cat.values["memory"][row["B300"]]


# Every part issue 22 names, under its vendor (the catalogue name; the issue's "Siyuan 590/690"
# are Cambricon's MLU590/MLU690, "T-Head PPU" is the Zhenwu 810E, "RTX PRO 6000D / B40" one card,
# "Sophgo" the Sophon SC1 card, "Hygon BW" the DCU BW200 and BW1000).
ISSUE_22 = {"Maia 200": "Microsoft", "MI455X": "AMD", "Rubin Ultra": "NVIDIA", "MTIA 300": "Meta",
            "MLU590": "Cambricon", "MTT S5000": "Moore Threads", "REBEL-Quad": "Rebellions", "ATOM": "Rebellions",
            "RNGD": "FuriosaAI", "Blackhole p100a": "Tenstorrent", "Ascend 910A Pro": "Huawei",
            "Ascend 910A Premium": "Huawei", "Ascend 910B Pro": "Huawei", "Kunlun RG800": "Baidu Kunlunxin",
            "MXN100": "MetaX", "MLU370-S8": "Cambricon", "H20E": "NVIDIA", "RTX PRO 6000D": "NVIDIA",
            "Zhenwu 810E (PPU)": "Alibaba T-Head", "Gaudi 3 China PCIe (HL-388)": "Intel", "MI430X": "AMD",
            "Sohu": "Etched", "AI200": "Qualcomm", "AI250": "Qualcomm", "MXC600": "MetaX", "MXC550": "MetaX",
            "Huashan": "Moore Threads", "Kunlun P800": "Baidu Kunlunxin", "MLU690": "Cambricon",
            "Data Center GPU Max 1450": "Intel", "Trainium4": "AWS", "TPU 8t": "Google", "TPU 8i": "Google",
            "SN40L": "SambaNova", "SN50": "SambaNova", "Sophon SC1": "Sophgo", "BR106": "Biren", "BR110": "Biren",
            "Enflame S60": "Enflame", "Enflame L600": "Enflame", "DCU BW200": "Hygon", "DCU BW1000": "Hygon"}


def test_issue_22_parts_present_under_their_vendor_and_classified():
    cat = load(str(CHIPS))
    assert len(cat) >= 190  # issue 22
    vendor = dict(zip(cat.names, cat.extra.column("vendor").to_pylist()))
    assert {n: vendor.get(n) for n in ISSUE_22} == ISSUE_22
    out = chipclass.score(str(CHIPS), as_of="2026-06-01").set_index("name")
    # Published figures decide (Microsoft: 10.145 PF FP4 / 5.072 PF FP8 -> TPP 40,580; Meta MTIA 300:
    # 1.2 PF FP8 -> 9,600; FuriosaAI RNGD: 512 TFLOPS FP8 on 653 mm2 -> TPP 4,096, PD 6.27 -> a.2).
    assert out.loc["Maia 200", "clause"] == "3A090.a.1" and out.loc["MTIA 300", "tpp"] == pytest.approx(9600)
    assert out.loc["RNGD", "clause"] == "3A090.a.2"
    # A named part without published compute is indeterminate, not silently "not controlled".
    assert out.loc["Huashan", "status"] == "indeterminate" and out.loc["Kunlun P800", "status"] == "indeterminate"
