"""Headroom against hand-solved frontiers; a variant just past each frontier changes class."""

import pytest

import chipclass
from chipclass.core.catalogue import FLAGS
from chipclass.core.readers import load, spec_catalogue
from chipclass.design.headroom import headroom
from chipclass.rules.instruments import rules_in_force

from ..conftest import CHIPS

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


# --- exact at and near every line: brute-force evaluation of every answer ---------------------

import datetime as dt  # noqa: E402

import numpy as np  # noqa: E402
from hypothesis import given, settings, strategies as st  # noqa: E402

from chipclass.classification.engine import classify  # noqa: E402
from chipclass.core.formats import FORMATS  # noqa: E402
from chipclass.rules.instruments import load_instruments  # noqa: E402

HAIR = 1e-9
DATES = sorted({i.effective for i in load_instruments() if i.clauses})


def _labels(cat, rules):
    return classify(cat, rules).label()


def _probe(cat, rows, spec, values):
    p = cat.take(np.asarray(rows))
    p.values = {k: np.array(v, dtype=float, copy=True) for k, v in p.values.items()}
    p.values[spec][:] = values
    if spec in FORMATS:
        p.values[f"{spec}_sparse"][:] = np.nan
    p.headers = {**p.headers, spec: spec}
    return p


def brute_force_check(cat, rules, room):
    """Every headroom row confirmed by evaluating the rules: between the current value and the
    limit (200 points and a hair inside it) the class is kept; at the limit it is kept or not as
    reported; a hair past it is what the row says; with no limit, 200 points out to 1000x (or
    1/1000) keep the class. Returns the number of rows checked."""
    index = {str(n): i for i, n in enumerate(cat.names)}
    rows, specs, values, want, where = [], [], [], [], []
    for r in room.to_dict("records"):
        i, cur, up = index[r["name"]], r["current"], r["direction"] == "up"
        sign = 1 if up else -1
        if pd.isna(r["limit"]):
            pts = cur * np.geomspace(1, 1e3 if up else 1e-3, 200)[1:]
            rows += [i] * len(pts); values += list(pts); want += [r["current_class"]] * len(pts)
        else:
            lim = r["limit"]
            inside = list(cur + (lim - cur) * np.linspace(0, 1, 200)[1:-1]) + ([lim * (1 - sign * HAIR)] if lim != cur else [])
            rows += [i] * len(inside); values += inside; want += [r["current_class"]] * len(inside)
            rows += [i, i]; values += [lim, lim * (1 + sign * HAIR)]
            at = r["current_class"] if r["limit_inclusive"] else r["becomes"]
            want += [at, r["becomes"]]
            assert r["becomes"] != r["current_class"]
            assert r["on_line"] == bool(r["limit_inclusive"] and lim == cur)
        specs += [r["spec"]] * (len(rows) - len(specs))
        where += [r] * (len(rows) - len(where))
    specs_arr = np.asarray(specs)
    got = np.empty(len(rows), dtype=object)
    rows, values = np.asarray(rows), np.asarray(values)
    for spec in dict.fromkeys(specs):
        k = np.flatnonzero(specs_arr == spec)
        got[k] = _labels(_probe(cat, rows[k], spec, values[k]), rules)
    bad = [(where[j]["name"], where[j]["spec"], where[j]["direction"], values[j], got[j], want[j])
           for j in range(len(rows)) if got[j] != want[j]]
    assert not bad, bad[:5]
    return len(room)


def _near_lines(rules, hair=HAIR):
    """Devices on, a hair above and a hair below every TPP and PD threshold of ``rules`` (and
    their crossings), datacenter or not, with a second format on some; plus the HBM and
    interconnect thresholds."""
    tpp_t = sorted({c.value for c in conditions_of(rules) if c.metric == "tpp"} | {1000.0})
    pd_t = sorted({c.value for c in conditions_of(rules) if c.metric == "performance_density"} | {1.0, 10.0})
    specs = []
    for t in tpp_t:
        for p in pd_t:
            for et in (-hair, 0, hair):
                for ep in (-hair, 0, hair):
                    tpp, pdens = t * (1 + et), p * (1 + ep)
                    for dc in (True, False):
                        specs.append(dict(fp8=tpp / 8, die_area=tpp / pdens, datacenter=dc,
                                          interconnect_bandwidth=900))
                    specs.append(dict(fp8=tpp / 8, fp16=tpp / 16 * 0.9, die_area=tpp / pdens))
    for c in conditions_of(rules):
        for e in (-hair, 0, hair):
            if c.metric == "memory_bandwidth_density":
                specs.append(dict(device_type="hbm", memory_bandwidth=c.value * 100 * (1 + e), package_area=100))
                specs.append(dict(device_type="hbm", memory_bandwidth=c.value * 100 * (1 + e), die_area=100))
            if c.metric == "interconnect_bandwidth":
                specs.append(dict(fp8=700, die_area=800, interconnect_bandwidth=c.value * (1 + e)))
    return specs


def conditions_of(rules):
    return [c for cl in rules.clauses for c in cl.conditions] + [c for e in rules.exclusions for c in e.conditions]


def _catalogue(specs):
    rows = [{"name": f"d{k}", **s} for k, s in enumerate(specs)]
    return chipclass.api.load(pd.DataFrame(rows))


import pandas as pd  # noqa: E402


@pytest.mark.parametrize("day", DATES, ids=str)
def test_every_threshold_of_every_rule_set_on_and_a_hair_either_side(day):
    rules = rules_in_force(day)
    cat = _catalogue(_near_lines(rules))
    room = headroom(cat, rules)
    assert brute_force_check(cat, rules, room) > 0
    # and the day before each change still answers under the older rules
    if day > DATES[0]:
        older = rules_in_force(day - dt.timedelta(days=1))
        brute_force_check(cat, older, headroom(cat, older))


def test_issue_example_on_the_4800_line():
    # fp8 600 TFLOPS x 8 bits = TPP 4800 exactly (3A090.a.1: TPP >= 4800); PD = 4800 / 600 = 8 >= 5.92,
    # so any decrease of FP8 leaves a.1 for a.2 (TPP >= 1600, PD >= 5.92).
    r = room(fp8=600, die_area=600).loc[("fp8", "down")]
    assert r["on_line"] and r["limit"] == 600 and r["limit_inclusive"] is True
    assert r["becomes"] == "3A090.a.2" and r["line"] == "tpp 4800"
    from chipclass.outputs.reports import describe_headroom
    text = describe_headroom({**r.to_dict(), "spec": "fp8", "direction": "down"})
    assert "on the tpp 4800 line: any decrease makes it 3A090.a.2" in text
    # a hair lower is a.2 (brute force)
    assert chipclass.classify_spec(as_of=AS_OF, fp8=599.9, die_area=600)["clause"] == "3A090.a.2"


def test_issue_example_on_the_3_2_density_line():
    # fp8 250 x 8 = TPP 2000 on 625 mm²: PD = 3.2 exactly (3A090.b.2: 1600 <= TPP, 3.2 <= PD < 5.92).
    # 626 mm² or fp8 249 is already below PD 3.2: not controlled.
    r = room(fp8=250, die_area=625)
    up = r.loc[("die_area", "up")]
    assert up["on_line"] and up["limit"] == 625 and up["becomes"] == "not controlled"
    down = r.loc[("fp8", "down")]
    assert down["on_line"] and down["limit"] == 250 and down["becomes"] == "not controlled"
    # fp8 up: TPP reaches 2400 at fp8 = 300 (PD 3.84), and b.1 comes first in rule order
    assert r.loc[("fp8", "up")]["limit"] == pytest.approx(300) and r.loc[("fp8", "up")]["becomes"] == "3A090.b.1"
    assert chipclass.classify_spec(as_of=AS_OF, fp8=250, die_area=626)["status"] == "not controlled"


def test_shipped_catalogue_every_row_confirmed():
    rules = rules_in_force(AS_OF)
    cat = load(str(CHIPS))
    brute_force_check(cat, rules, headroom(cat, rules))


THRESH = st.sampled_from([1600.0, 2400.0, 4800.0, 1000.0])
DENS = st.sampled_from([1.6, 3.2, 5.92, 1.0, 8.0])
OFFSET = st.sampled_from([0.0, HAIR, -HAIR, 1e-6, -1e-6, 1e-3, -1e-3, 0.05, -0.05])


def _random_near_lines(draw_list):
    specs = []
    for t, p, et, ep, dc, second in draw_list:
        tpp = t * (1 + et)
        s = dict(fp8=tpp / 8, die_area=tpp / (p * (1 + ep)), datacenter=dc)
        if second:
            s["fp16"] = tpp / 16 * second
        specs.append(s)
    return specs


DESIGN = st.tuples(THRESH, DENS, OFFSET, OFFSET, st.booleans(), st.sampled_from([None, 0.5, 0.99, 1.0, 1.2]))


@settings(max_examples=20, deadline=None)
@given(designs=st.lists(DESIGN, min_size=10, max_size=10), day=st.sampled_from(DATES))
def test_random_designs_near_the_lines(designs, day):
    rules = rules_in_force(day)
    cat = _catalogue(_random_near_lines(designs))
    brute_force_check(cat, rules, headroom(cat, rules))


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(designs=st.lists(DESIGN, min_size=10, max_size=10), day=st.sampled_from(DATES))
def test_1000_random_designs_near_the_lines(designs, day):
    rules = rules_in_force(day)
    cat = _catalogue(_random_near_lines(designs))
    brute_force_check(cat, rules, headroom(cat, rules))


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl"])
def test_headroom_written_in_batches_equals_one_frame(tmp_path, fmt):
    """Batches of 7 catalogue rows (a batch with no limit found included) write what one frame
    of the whole catalogue writes."""
    import pandas as pd
    from click.testing import CliRunner

    from chipclass.cli import main
    from chipclass.outputs.write import write_frame

    out = tmp_path / f"h.{fmt}"
    r = CliRunner(env={"CHIPCLASS_HEADROOM_BATCH": "7"}).invoke(
        main, ["headroom", str(CHIPS), "-f", fmt, "-o", str(out), "--as-of", "2025-06-01", "-q"])
    assert r.exit_code == 0, r.stderr
    whole = tmp_path / f"w.{fmt}"
    write_frame(headroom(load(str(CHIPS)), rules_in_force("2025-06-01")), fmt, str(whole))
    if fmt == "parquet":
        pd.testing.assert_frame_equal(pd.read_parquet(out), pd.read_parquet(whole))
    else:
        assert out.read_bytes() == whole.read_bytes()


# --- devices repeated in the catalogue are walked once ------------------------------------------

def _shipped_with_repeats():
    cat = load(str(CHIPS))
    rows = np.concatenate([np.arange(len(cat)), np.arange(0, len(cat), 3), [5, 5, 0]])
    return cat.take(rows)


def test_repeated_rows_give_the_frame_walked_row_by_row(monkeypatch):
    import chipclass.design.headroom as hr

    cat, rules = _shipped_with_repeats(), rules_in_force(AS_OF)
    walked_once = headroom(cat, rules)
    assert hr._distinct(cat, hr.class_codes(cat, rules)) is not None  # repeats were found
    monkeypatch.setattr(hr, "_distinct", lambda cat, base: None)  # every row its own device
    pd.testing.assert_frame_equal(walked_once, headroom(cat, rules), check_exact=True)


def test_equal_hashes_never_merge_different_devices(monkeypatch):
    """Every row hashed alike: the column-by-column check splits them back into devices."""
    import chipclass.core.cells as cells
    import chipclass.design.headroom as hr

    cat, rules = _shipped_with_repeats(), rules_in_force(AS_OF)
    want = headroom(cat, rules)
    monkeypatch.setattr(cells, "splitmix64", lambda x: np.zeros_like(x))
    first, group = hr._distinct(cat, hr.class_codes(cat, rules))
    assert len(first) < len(cat) and group[-1] == group[0]  # the repeat of row 0 still merged
    pd.testing.assert_frame_equal(headroom(cat, rules), want, check_exact=True)


@pytest.mark.parametrize("k", range(1, 10))
def test_sorting_network_sorts_like_numpy(k):
    from chipclass.design.walk import sort_columns

    # 0-1 principle: a network that sorts every 0/1 column sorts every column
    bits = ((np.arange(2 ** k)[None, :] >> np.arange(k)[:, None]) & 1).astype(float)
    rng = np.random.default_rng(k)
    rand = rng.uniform(-5, 5, (k, 500))
    rand[rng.random((k, 500)) < 0.3] = np.nan
    rand[:, :3] = np.nan
    inf = rand.copy()
    inf[0, 0] = np.inf
    for x in (bits, np.where(bits > 0, np.nan, bits), rand, inf):
        got = x.copy()
        sort_columns(got)
        np.testing.assert_array_equal(got, np.sort(x, axis=0))
