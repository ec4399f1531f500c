import pytest

pytest.importorskip("matplotlib")

from click.testing import CliRunner  # noqa: E402

from chipclass.cli import main  # noqa: E402
from chipclass.design.plot import region_grid  # noqa: E402
from chipclass.rules.instruments import rules_in_force  # noqa: E402

from .conftest import CHIPS  # noqa: E402


def test_regions_come_from_the_rules():
    t, p, dc, ndc = region_grid(rules_in_force("2024-06-01"), size=60)
    assert {"3A090.a", "3A090.b", "not controlled"} <= set(dc.ravel())
    assert (dc != ndc).any()  # the non-datacenter carve-out
    t, p, dc, ndc = region_grid(rules_in_force("2023-06-01"), size=60)
    assert "3A090.b" not in set(dc.ravel()) and (dc == ndc).all()


@pytest.mark.slow  # renders the full map (the default run renders a small catalogue: test_formats)
@pytest.mark.parametrize("ext", ["png", "svg"])
def test_plot_writes_a_file(tmp_path, ext):
    out = tmp_path / f"map.{ext}"
    r = CliRunner().invoke(main, ["plot", str(CHIPS), "--as-of", "2025-06-01", "--compare", "2023-06-01",
                                  "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    head = out.read_bytes()[:8]
    assert head.startswith(b"\x89PNG") if ext == "png" else b"<?xml" in out.read_bytes()[:100]


def test_every_device_is_on_the_map_the_strip_or_named():
    import chipclass
    from chipclass.design.plot import placement
    frame = chipclass.score(str(CHIPS), as_of="2025-06-01")
    on_map, strip = placement(frame)
    assert not (on_map & strip).any()
    # every processor with a TPP is drawn (map or strip); the strip holds those without a die area
    assert (on_map | strip)[frame["tpp"].gt(0) & (frame["device_type"] == "processor")].all()
    assert frame.loc[strip, "performance_density"].isna().all() and strip.sum() > 20


def test_strip_colours_come_from_the_rules():
    import numpy as np
    from chipclass.design.plot import strip_grid
    # 2023-11 rules, PD unknown: TPP >= 4800 is 3A090.a (a.1 needs no PD); 1600 <= TPP < 4800 needs
    # PD (indeterminate); below 1600 no clause can hold (not controlled)
    lab = strip_grid(rules_in_force("2025-06-01"), np.array([1599.0, 1600.0, 4799.0, 4800.0]))
    assert list(lab) == ["not controlled", "indeterminate", "indeterminate", "3A090.a"]


def test_compare_runs_left_to_right_by_date():
    import datetime as dt
    from chipclass.design.plot import panel_dates
    assert panel_dates("2025-06-01", "2023-06-01") == [dt.date(2023, 6, 1), dt.date(2025, 6, 1)]


@pytest.mark.slow  # renders the full map (the default run renders a small catalogue: test_formats)
def test_pdf_and_envelope_overlay(tmp_path):
    env = tmp_path / "env.json"
    r = CliRunner().invoke(main, ["envelope", "H20", "--catalogue", str(CHIPS), "--free", "fp8", "--free", "die_area",
                                  "--target", "3A090.b", "--as-of", "2025-06-01", "-f", "json", "-o", str(env)])
    assert r.exit_code == 0, r.stderr
    import json
    from chipclass.design.plot import envelope_polygons
    polys = envelope_polygons(json.loads(env.read_text()))
    # H20's envelope of 3A090.b: TPP from 2400 (b.1) up to 4800, PD within [1.6, 5.92)
    allpts = np.concatenate(polys)
    assert allpts[:, 0].max() <= 4800 * (1 + 1e-9) and allpts[:, 1].min() >= 1.6 * (1 - 1e-9)
    out = tmp_path / "map.pdf"
    r = CliRunner().invoke(main, ["plot", str(CHIPS), "--as-of", "2025-06-01", "--envelope", str(env), "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    assert out.read_bytes()[:5] == b"%PDF-"
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    r = CliRunner().invoke(main, ["plot", str(CHIPS), "--envelope", str(bad), "-o", str(out)])
    assert r.exit_code == 2 and "chipclass envelope" in r.stderr


import numpy as np  # noqa: E402
