"""Headroom against hand-solved frontiers; a variant just past each frontier changes class."""

import pytest

import chipclass
from chipclass.core.catalogue import FLAGS
from chipclass.core.readers import load, spec_catalogue
from chipclass.design.headroom import headroom
from chipclass.rules.instruments import rules_in_force

from .conftest import CHIPS

AS_OF = "2025-06-01"


def room(name=None, **specs):
    cat = load(str(CHIPS)) if name else spec_catalogue("x", **specs)
    if name:
        cat = cat.take([list(cat.names).index(name)])
    return headroom(cat, rules_in_force(AS_OF)).set_index(["spec", "direction"])


def test_h20_fp8_up_to_3a090_b1():
    # H20: TPP 2,368 (296 dense FP8 x 8; FP16 148 x 16 and TF32 74 x 32 tie). b.1 needs TPP >= 2400
    # -> FP8 = 2400 / 8 = 300 TFLOPS; PD then 2400 / 814 = 2.95, inside [1.6, 5.92).
    r = room("H20").loc[("fp8", "up")]
    assert r["limit"] == pytest.approx(300.0) and r["limit_inclusive"] is False
    assert r["becomes"] == "3A090.b.1" and "tpp >= 2400" in r["binding"]


def test_h20_die_area_down_to_3a090_b2():
    # b.2 needs PD >= 3.2: 2368 / 3.2 = 740 mm²
    r = room("H20").loc[("die_area", "down")]
    assert r["limit"] == pytest.approx(740.0) and r["becomes"] == "3A090.b.2"


def test_rtx_4090_d_fp8_up_to_4800():
    # RTX 4090 D: 1,177 sparse FP8 AI TOPS -> 588.5 dense -> 4,708; not for datacenters, so
    # nothing below TPP 4800 applies. a.1 at 4800 / 8 = 600.
    r = room("RTX 4090 D").loc[("fp8", "up")]
    assert r["limit"] == pytest.approx(600.0) and r["becomes"] == "3A090.a.1"


def test_h100_fp8_alone_cannot_change_it():
    # FP16 989.5 x 16 = 15,832 keeps TPP there whatever FP8 does
    r = room("H100 SXM").loc[("fp8", "down")]
    assert r["limit"] is None or r["limit"] != r["limit"]


def test_hbm_bandwidth_down_is_exclusive():
    # 3A090.c is MBD > 2 (strict): on 121 mm², 242 GB/s is already out
    r = room(device_type="hbm", memory_bandwidth=819.2, package_area=121).loc[("memory_bandwidth", "down")]
    assert r["limit"] == pytest.approx(242.0) and r["limit_inclusive"] is False
    assert r["becomes"] == "not controlled"


@pytest.mark.parametrize("name,spec,direction", [("H20", "fp8", "up"), ("H20", "die_area", "down"),
                                                 ("RTX 4090 D", "fp8", "up"), ("L40", "fp16", "up"),
                                                 ("A30", "die_area", "down"), ("L20", "fp8", "up")])
def test_just_before_keeps_and_just_past_changes(name, spec, direction):
    r = room(name).loc[(spec, direction)]
    cat = load(str(CHIPS))
    i = list(cat.names).index(name)
    # The yes/no flags (non_planar, has_hbm; 1.0/0.0 in cat.values) take words, not numbers, and no
    # 3A090 rule reads them: leave them out of the spec.
    specs = {k: v[i] for k, v in cat.values.items() if v[i] == v[i] and k not in FLAGS}
    specs["datacenter"] = bool(cat.datacenter[i])
    step = 1e-6 * (1 if direction == "up" else -1)

    def cls(value):
        s = dict(specs)
        s[spec] = value
        s.pop(f"{spec}_sparse", None)
        row = chipclass.classify_spec(as_of=AS_OF, **s)
        return row["clause"] or row["status"]

    before = r["limit"] * (1 - step) if not r["limit_inclusive"] else r["limit"]
    assert cls(before) == r["current_class"]
    assert cls(r["limit"] * (1 + step)) == r["becomes"]


def test_cli_headroom_json(tmp_path):
    import json
    from click.testing import CliRunner
    from chipclass.cli import main
    r = CliRunner().invoke(main, ["headroom", str(CHIPS), "-f", "json", "--as-of", AS_OF])
    rows = json.loads(r.stdout)
    h20 = [x for x in rows if x["name"] == "H20" and x["spec"] == "fp8" and x["direction"] == "up"][0]
    assert {"name", "spec", "direction", "limit", "becomes", "binding"} <= set(h20)
    assert h20["limit"] == pytest.approx(300.0)
