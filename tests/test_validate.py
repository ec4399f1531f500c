"""The shipped catalogue, and catalogue validation (chipclass check)."""


import chipclass
from chipclass.api import load
from chipclass.core.validate import validate

from .conftest import CHIPS, write


def test_shipped_catalogue_is_broad_sourced_and_valid():
    cat = load(str(CHIPS))
    assert len(cat) >= 60
    assert validate(cat) == []
    vendors = set(cat.extra.column("vendor").to_pylist())
    assert {"NVIDIA", "AMD", "Intel", "Google", "AWS", "Huawei", "Cambricon"} <= vendors
    assert (cat.device_type == 1).sum() >= 4  # HBM stacks for 3A090.c


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
