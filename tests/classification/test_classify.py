"""Classification: published cases, and the invariants as property tests."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import chipclass
from chipclass.classification.logic import ROUNDING
from chipclass.core.formats import BIT_LENGTH, FORMATS
from chipclass.rules.instruments import rules_in_force
from ..conftest import CHIPS

DATES = ["2023-01-01", "2024-06-01", "2025-06-01"]
RANK = {"3A090.a": 2, "3A090.b": 1}


# --- published figures (digest s.7; sources in tests/test_metrics.py) ----------------------

def test_published_reference_rows(chips_csv):
    out = chipclass.score(chips_csv, as_of="2025-06-01").set_index("name")
    assert out.loc["H100 SXM", "tpp"] == pytest.approx(15832)
    assert out.loc["H100 SXM", "clause"] == "3A090.a.1"
    assert out.loc["H20", "tpp"] == pytest.approx(2368)
    assert out.loc["H20", "performance_density"] == pytest.approx(2.91, abs=0.005)
    assert out.loc["H20", "status"] == "not controlled"
    assert out.loc["RTX 5090 D", "tpp"] == pytest.approx(4750)
    assert out.loc["RTX 5090 D", "status"] == "not controlled"
    assert "Non-datacenter" in out.loc["RTX 5090 D", "note"]


def test_margins_are_metric_minus_threshold():
    row = chipclass.classify_spec(fp8=296, die_area=814, as_of="2024-06-01")  # H20
    assert row["margin_tpp_2400"] == pytest.approx(2368 - 2400)
    assert row["margin_performance_density_3.2"] == pytest.approx(2368 / 814 - 3.2)
    assert row["rule_set"] == "2023-11-acs"


def test_passthrough_columns_reach_the_output():
    df = pd.DataFrame({"name": ["a"], "fp8": [1.0], "vendor": ["V"]})
    assert chipclass.score(df, as_of="2024-01-01")["vendor"].tolist() == ["V"]


# --- an independent scalar reference: plain Python over the same rule data -----------------

def reference(spec: dict, as_of: str):
    """Status and clause of one device, evaluated row by row with plain Python."""
    rules = rules_in_force(as_of)
    best = None
    for f in FORMATS:
        t = spec.get(f)
        if t is None and spec.get(f + "_sparse") is not None:
            t = spec[f + "_sparse"] / 2
        if t is not None and (best is None or t * BIT_LENGTH[f] > best):
            best = t * BIT_LENGTH[f]
    area = spec.get("die_area")
    metric = {
        "tpp": best,
        "performance_density": best / area if best is not None and area else None,
        "interconnect_bandwidth": spec.get("interconnect_bandwidth"),
        "memory_bandwidth_density": None,
        "datacenter": 1.0 if spec.get("datacenter", True) else 0.0,
    }

    def holds(cond):
        x = metric[cond.metric]
        if x is None:
            return None
        t, tol = cond.value, ROUNDING * abs(cond.value)
        return {">=": x >= t - tol, ">": x > t + tol, "<": x < t - tol, "<=": x <= t + tol,
                "==": abs(x - t) <= tol, "!=": abs(x - t) > tol}[cond.op]

    def all_of(conds):
        states = [holds(c) for c in conds]
        if any(s is False for s in states):
            return False
        return None if any(s is None for s in states) else True

    for clause in rules.clauses:
        if "processor" not in clause.applies_to:
            continue
        state = all_of(clause.conditions)
        for ex in rules.exclusions:
            if clause.id in ex.excludes:
                e = all_of(ex.conditions)
                state = False if (state is False or e is True) else (None if e is None or state is None else True)
        if state is True:
            return "controlled", clause.id
        if state is None:
            return "indeterminate", None
    return "not controlled", None


throughput = st.one_of(st.none(), st.floats(0, 5000, allow_nan=False),
                       st.sampled_from([75.0, 150.0, 200.0, 300.0, 600.0, 1979.0]))
devices = st.fixed_dictionaries(
    {"fp8": throughput, "fp16": throughput, "int8": throughput, "fp4_sparse": throughput},
    optional={"die_area": st.floats(50, 2000), "datacenter": st.booleans(),
              "interconnect_bandwidth": st.sampled_from([64.0, 400.0, 600.0, 900.0])})


def _frame(specs):
    rows = [{"name": f"d{i}", **{k: (np.nan if v is None else v) for k, v in s.items()}}
            for i, s in enumerate(specs)]
    return pd.DataFrame(rows)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=st.lists(devices, min_size=1, max_size=30), as_of=st.sampled_from(DATES))
@example(specs=[{"fp8": 600.0, "fp16": None, "int8": None, "fp4_sparse": None, "die_area": 810.0}],
         as_of="2024-06-01")
def test_vectorised_equals_scalar_reference(specs, as_of):
    out = chipclass.score(_frame(specs), as_of=as_of)
    for i, spec in enumerate(specs):
        clean = {k: v for k, v in spec.items() if v is not None}
        status, clause = reference(clean, as_of)
        assert out["status"][i] == status, (spec, out.iloc[i].to_dict())
        got = out["clause"][i]
        assert (None if pd.isna(got) else got) == clause


def _rank(row):
    return RANK.get(row["eccn"], 0) if row["status"] == "controlled" else 0


@settings(max_examples=80, deadline=None)
@given(base=st.floats(1, 3000), area=st.floats(50, 2000), dc=st.booleans(),
       fmt=st.sampled_from(["fp8", "fp16", "int8", "fp4", "tf32"]), factor=st.floats(1, 20),
       as_of=st.sampled_from(DATES), link=st.sampled_from([400.0, 900.0]))
@example(base=500.0, area=800.0, dc=False, fmt="fp8", factor=1.25, as_of="2024-06-01", link=900.0)
def test_raising_throughput_never_lowers_the_class(base, area, dc, fmt, factor, as_of, link):
    common = dict(die_area=area, datacenter=dc, interconnect_bandwidth=link, as_of=as_of)
    before = chipclass.classify_spec(fp16=200.0, **{fmt if fmt != "fp16" else "fp8": base}, **common)
    raised = {fmt if fmt != "fp16" else "fp8": base * factor}
    after = chipclass.classify_spec(fp16=200.0, **raised, **common)
    assert _rank(after) >= _rank(before)


# --- the same chip in other units gives the same answer ---------------------------------

@settings(max_examples=60, deadline=None)
@given(fp8=st.floats(1, 4000), fp16=st.floats(1, 2000), area=st.floats(50, 2000),
       bw=st.floats(100, 9000), dc=st.booleans(), style=st.sampled_from(["pflops", "cells", "sparse", "gflops"]),
       as_of=st.sampled_from(DATES))
@example(fp8=600.0, fp16=1.0, area=810.8108108108108, bw=4000.0, dc=True, style="pflops", as_of="2024-06-01")
def test_same_chip_in_other_units(tmp_path_factory, fp8, fp16, area, bw, dc, style, as_of):
    d = tmp_path_factory.mktemp("units")
    canon = d / "a.csv"
    canon.write_text(f"name,fp8,fp16,die_area,memory_bandwidth,datacenter\nx,{fp8!r},{fp16!r},{area!r},{bw!r},{dc}\n")
    other = d / "b.csv"
    if style == "pflops":
        text = (f"name,fp8 [PFLOPS],fp16 [PFLOPS],die_area [cm**2],memory_bandwidth [TB/s],datacenter\n"
                f"x,{fp8 / 1000!r},{fp16 / 1000!r},{area / 100!r},{bw / 1000!r},{dc}\n")
    elif style == "gflops":
        text = (f"name,fp8 [GFLOPS],fp16,die_area [mm^2],memory_bandwidth [MB/s],datacenter\n"
                f"x,{fp8 * 1000!r},{fp16 * 1e-3!r} PFLOPS,{area!r},{bw * 1000!r},{'yes' if dc else 'no'}\n")
    elif style == "cells":
        text = (f"name,fp8,fp16,die_area,memory_bandwidth,datacenter\n"
                f"x,{fp8 / 1000!r} PFLOPS,{fp16!r} TFLOPs,{area / 100!r} cm**2,{bw / 1000!r} TB/s,{dc}\n")
    else:
        text = (f"name,fp8_sparse,fp16_sparse,die_area,memory_bandwidth,datacenter\n"
                f"x,{fp8 * 2!r},{fp16 * 2!r},{area!r},{bw!r},{dc}\n")
    other.write_text(text)
    a = chipclass.score(str(canon), as_of=as_of).iloc[0]
    b = chipclass.score(str(other), as_of=as_of).iloc[0]
    assert (a["status"], a["clause"] if not pd.isna(a["clause"]) else None) == \
           (b["status"], b["clause"] if not pd.isna(b["clause"]) else None)
    assert math.isclose(a["tpp"], b["tpp"], rel_tol=1e-12)
    assert math.isclose(a["performance_density"], b["performance_density"], rel_tol=1e-12)


def test_score_keeps_the_callers_index_and_columns():
    import pandas as pd
    df = pd.DataFrame({"name": ["H20", "H100"], "fp8": ["296 TFLOPS", "1979 TFLOPS"], "die_area": [814, 814],
                       "owner": ["a", "b"]}, index=pd.Index([10, 20], name="sku"))
    out = chipclass.score(df, as_of="2024-01-01")
    assert list(out.index) == [10, 20] and out.index.name == "sku"
    assert list(out["fp8"]) == ["296 TFLOPS", "1979 TFLOPS"] and list(out["owner"]) == ["a", "b"]
    # H20: 296 x 8 = 2,368, below 2,400 (outside 3A090); H100: 15,832 (3A090.a.1)
    assert list(out["tpp"]) == [2368.0, 15832.0] and out.loc[20, "clause"] == "3A090.a.1"


def test_classification_renders_in_a_notebook():
    res = chipclass.classify(chipclass.load(str(CHIPS)), as_of="2024-01-01")
    html = res._repr_html_()
    assert "<table" in html and "H100 SXM" in html and "2023-11-acs" in html
    assert "<pre " in chipclass.explain(str(CHIPS), "H20", as_of="2024-01-01")._repr_html_()


def test_final_eccn_and_fail_on_selectors():
    # eccn carries the final ECCN; clause keeps the 3A090 clause; --fail-on 3A090.a still matches
    import pandas as pd

    from chipclass.classification.result import matches

    df = pd.DataFrame([{"name": "server", "device_type": "system", "fp8_sparse": 3958, "die_area": 814},
                       {"name": "crypto", "fp8_sparse": 3958, "die_area": 814, "base_eccn": "5A992.c"},
                       {"name": "H20", "fp8": 296, "die_area": 814}])
    frame = chipclass.score(df, as_of="2026-08-01")
    assert list(frame["eccn"].astype(str)) == ["4A090.a", "5A992.z.1", "3A991.p"]
    assert list(frame["clause"].astype(object)[:2]) == ["3A090.a.1", "3A090.a.1"]
    assert list(matches(frame, ["3A090.a"])) == [True, True, False]
    assert list(matches(frame, ["4A090"])) == [True, False, False]
    assert list(matches(frame, ["3A991.p"])) == [False, False, True]


def test_system_naming_an_unknown_ic_is_refused():
    import pandas as pd

    from chipclass.core.errors import InputError

    df = pd.DataFrame([{"name": "server", "device_type": "system", "ic": "H999"}])
    with pytest.raises(InputError, match="H999"):
        chipclass.score(df, as_of="2026-08-01")


def test_shipped_systems_classify_through_their_ic():
    # data/systems.csv names its ICs as in chips.csv: DGX H100 (8 x H100 SXM, 3A090.a.1) is
    # 4A090.a; HGX H20 (H20: TPP 2,368, outside 3A090, >= 8 TOPS) is 4A994.l
    from pathlib import Path

    frame = chipclass.score(str(Path(chipclass.__file__).parent / "data" / "systems.csv"),
                            as_of="2026-08-01").set_index("name")
    assert frame.loc["DGX H100", "eccn"] == "4A090.a"
    assert frame.loc["HGX H20", "eccn"] == "4A994.l"
    assert frame.loc["Alienware Aurora R15 (RTX 4090)", "eccn"] == "4A090.a"


def test_system_totals_do_not_stand_in_for_the_ic():
    # 2023-06-01 (87 FR 62186): an 8 x A800 server has 8 x 400 = 3,200 GB/s in total, but the
    # A800 itself (NVLink 400 GB/s) misses the 600 GB/s lead-in: not 4A090.a; still 4A994.l
    import pandas as pd

    df = pd.DataFrame([{"name": "A800", "int8": 624, "interconnect_bandwidth": 400},
                       {"name": "8x A800 server", "device_type": "system", "ic": "A800", "ic_count": 8,
                        "interconnect_bandwidth": 3200}])
    frame = chipclass.score(df, as_of="2023-06-01").set_index("name")
    assert frame.loc["8x A800 server", "eccn"] == "4A994.l"
    assert frame.loc["8x A800 server", "status"] == "not controlled"
