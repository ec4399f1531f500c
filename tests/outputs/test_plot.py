import datetime as dt
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from click.testing import CliRunner  # noqa: E402

from chipclass.cli import main  # noqa: E402
from chipclass.design.regions import paragraphs, placement, region_grid, strip_grid  # noqa: E402
from chipclass.outputs.maplayout import overlapping_pairs  # noqa: E402
from chipclass.rules.instruments import rules_in_force  # noqa: E402

from ..conftest import CHIPS  # noqa: E402

#: A small catalogue for rendering tests: a crowd of twelve near one point (names must give way
#: to numbers), two coincident parts, parts far apart, two without a die area, one HBM stack,
#: one processor without a throughput. fp8 x 8 = TPP; TPP / die_area = PD.
FIXTURE = """name,datacenter,device_type,fp8,die_area,memory_bandwidth,interconnect_bandwidth
Lonely Low,true,processor,20,100,,900
Far High,true,processor,2000,700,,900
""" + "".join(f"Crowd {k:02d} with a long marketing name,{str(k % 2 == 0).lower()},processor,{400 + k},"
              f"{500 + 3 * k},,900\n" for k in range(12)) + """Twin A,true,processor,300,800,,900
Twin B,true,processor,300,800,,900
No Die One,true,processor,700,,,900
No Die Two,false,processor,90,,,900
Stack HBM,true,hbm,,100,1000,
No Throughput,true,processor,,800,,900
"""


@pytest.fixture
def small(tmp_path):
    path = tmp_path / "small.csv"
    path.write_text(FIXTURE)
    return str(path)


def _check_layout(fig):
    """Every device drawn has a label or a key number on the figure; no two texts overlap; each
    text lies inside its axes; no leader line runs through another text."""
    for panel in fig.panels:
        shown = set()
        for ax, lay in zip((panel.ax, panel.strip), panel.layouts):
            boxes = [p.box for p in lay.placed]
            assert overlapping_pairs(boxes) == [], [(lay.placed[i].text, lay.placed[j].text)
                                                     for i, j in overlapping_pairs(boxes)]
            x0, y0, x1, y1 = ax.get_window_extent().extents
            for p in lay.placed:
                assert x0 <= p.box[0] and p.box[2] <= x1 and y0 <= p.box[1] and p.box[3] <= y1, p.text
                if p.key is not None:
                    assert fig.key[p.key] == p.names and p.text == str(p.key)
                if p.leader:
                    for q in lay.placed:
                        if q is not p:
                            assert not _segment_hits(p.anchor, p.box, q.box), (p.text, q.text)
            shown |= lay.names()
        assert set(panel.drawn) <= shown, set(panel.drawn) - shown


def _segment_hits(pt, box, other) -> bool:
    end = (min(max(pt[0], box[0]), box[2]), min(max(pt[1], box[1]), box[3]))
    t = np.linspace(0, 1, 200)[:, None]
    xy = np.asarray(pt) + t * (np.asarray(end) - np.asarray(pt))
    inside = (xy[:, 0] > other[0]) & (xy[:, 0] < other[2]) & (xy[:, 1] > other[1]) & (xy[:, 1] < other[3])
    return bool(inside.any())


def test_every_device_labelled_or_keyed_and_no_overlap(small):
    from chipclass.outputs.map import build_map

    fig = build_map(small, as_of="2025-06-01", compare="2023-06-01")
    _check_layout(fig)
    drawn = set(fig.panels[0].drawn)
    # the crowd, the twins and the parts without a die area are drawn; HBM and no-throughput are not
    assert {"Lonely Low", "Twin A", "Twin B", "No Die One", "No Die Two"} <= drawn
    assert "Crowd 05 with a long marketing name" in drawn
    assert fig.off_axes == {"HBM stacks (by bandwidth density)": ["Stack HBM"],
                            "no throughput given": ["No Throughput"]}
    assert fig.key, "the crowd of twelve long names cannot all be written beside their points"
    # coincident parts share one label; a number is the same in both panels
    texts = [p for lay in fig.panels[1].layouts for p in lay.placed]
    assert any(p.names == ("Twin A", "Twin B") for p in texts)
    keyed = [{p.names: p.key for lay in pnl.layouts for p in lay.placed if p.key} for pnl in fig.panels]
    for names in set(keyed[0]) & set(keyed[1]):
        assert keyed[0][names] == keyed[1][names]


@pytest.mark.parametrize("canvas_kind", ["matplotlib", "aggtext"])
def test_estimated_text_boxes_cover_the_rendered_text(canvas_kind):
    """The layout's font-metric estimate is never narrower than what the renderer draws
    (matplotlib's own Agg text, and the map's whole-string text)."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from chipclass.outputs.aggtext import TextCanvas

    from chipclass.outputs.map import DPI, LABEL_PT, RC
    from chipclass.outputs.maplayout import TextMetrics

    metrics = TextMetrics(LABEL_PT, DPI)
    with matplotlib.rc_context(RC):
        fig = Figure(dpi=DPI)
        canvas = (FigureCanvasAgg if canvas_kind == "matplotlib" else TextCanvas)(fig)
        renderer = canvas.get_renderer()
        for s in ["H100 SXM / H800 SXM", "WWWWWWWW", "iiiiiiii", "Radeon PRO W7900 / Radeon RX 7900 XTX", "12"]:
            t = fig.text(0, 0, s, fontsize=LABEL_PT)
            ext = t.get_window_extent(renderer)
            assert ext.width <= metrics.width(s) <= ext.width * 1.12 + 2, s
            assert ext.height <= metrics.height() + 0.5, s


def test_a_new_paragraph_draws_and_scores_without_code_changes(tmp_path, small):
    """A copy of the rule files with a paragraph 3A090.d: the map gives it a colour and a legend
    entry, and score reports it."""
    rules = tmp_path / "rules"
    import chipclass

    shutil.copytree(Path(chipclass.__file__).parent / "data" / "rules", rules)
    (rules / "2027-01-test.toml").write_text('''id = "2027-01-test"
title = "A made-up amendment adding 3A090.d (test only)"
citation = "99 FR 1"
published = 2027-01-01
effective = 2027-01-01
mode = "amend"
confidence = "unconfirmed"

[[clause]]
id = "3A090.d"
eccn = "3A090.d"
confidence = "unconfirmed"
text = "A 'total processing performance' of 400 or more and less than 1600."
conditions = [{ metric = "tpp", op = ">=", value = 400 }, { metric = "tpp", op = "<", value = 1600 }]
''')
    assert paragraphs(str(rules))[-1] == "3A090.d"
    t, p, dc, ndc = region_grid(rules_in_force("2027-06-01", str(rules)), size=40)
    assert "3A090.d" in set(dc.ravel())
    from chipclass.outputs.map import build_map, colours

    pal = colours(str(rules))
    assert len({pal[k] for k in paragraphs(str(rules))}) == len(paragraphs(str(rules)))
    fig = build_map(small, as_of="2027-06-01", rules_dir=str(rules))
    _check_layout(fig)
    out = tmp_path / "map.png"
    r = CliRunner().invoke(main, ["plot", small, "--as-of", "2027-06-01", "--rules", str(rules), "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    assert out.read_bytes()[:4] == b"\x89PNG"
    r = CliRunner().invoke(main, ["score", small, "--as-of", "2027-06-01", "--rules", str(rules), "-f", "json"])
    assert r.exit_code == 0, r.stderr
    rows = {row["name"]: row for row in json.loads(r.stdout)["rows"]}
    assert rows["No Die Two"]["clause"] == "3A090.d"  # fp8 90 x 8 = TPP 720, in [400, 1600)
    assert rows["Far High"]["clause"] == "3A090.a.1"  # TPP 16000 >= 4800: a.1 comes first


def test_regions_come_from_the_rules():
    t, p, dc, ndc = region_grid(rules_in_force("2024-06-01"), size=60)
    assert {"3A090.a", "3A090.b", "not controlled"} <= set(dc.ravel())
    assert (dc != ndc).any()  # the non-datacenter carve-out
    t, p, dc, ndc = region_grid(rules_in_force("2023-06-01"), size=60)
    assert "3A090.b" not in set(dc.ravel()) and (dc == ndc).all()


@pytest.mark.parametrize("ext", ["png", "svg"])
def test_plot_writes_a_file(tmp_path, small, ext):
    out = tmp_path / f"map.{ext}"
    r = CliRunner().invoke(main, ["plot", small, "--as-of", "2025-06-01", "--compare", "2023-06-01",
                                  "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    data = out.read_bytes()
    if ext == "png":
        assert data.startswith(b"\x89PNG")
    else:  # text stays text (searchable), regions are one embedded image
        assert b"<?xml" in data[:100] and b"Lonely Low" in data and b"<image" in data


@pytest.mark.slow
def test_the_shipped_catalogue_map(tmp_path):
    """The full map: every device labelled or keyed, no overlap, the SVG small."""
    from chipclass.outputs.map import build_map

    fig = build_map(str(CHIPS), as_of="2025-06-01", compare="2023-06-01")
    _check_layout(fig)
    assert len(fig.panels[1].drawn) > 140
    svg = fig.save("svg")
    assert len(svg) < 2_000_000


def test_the_shipped_catalogue_map_on_the_latest_rules():
    """The map ``plot`` draws by default (the latest rule set): every device drawn is labelled
    or numbered on the figure, none only in the table (the strip once lost one)."""
    from chipclass.outputs.map import build_map

    fig = build_map(str(CHIPS), as_of="2026-07-23")  # the rule data's horizon: the latest rule set
    _check_layout(fig)
    assert len(fig.panels[0].drawn) > 140


def test_plot_without_matplotlib_names_the_extra(monkeypatch, small, tmp_path):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name, *a))
    r = CliRunner().invoke(main, ["plot", small, "-o", str(tmp_path / "m.png")])
    assert r.exit_code == 2
    assert r.stderr.strip().splitlines() == ["chipclass: error: plot needs matplotlib: pip install 'chipclass[plot]'"]


def test_every_device_is_on_the_map_the_strip_or_named():
    import chipclass
    frame = chipclass.score(str(CHIPS), as_of="2025-06-01")
    on_map, strip = placement(frame)
    assert not (on_map & strip).any()
    # every processor with a TPP is drawn (map or strip); the strip holds those without a die area
    assert (on_map | strip)[frame["tpp"].gt(0) & (frame["device_type"] == "processor")].all()
    assert frame.loc[strip, "performance_density"].isna().all() and strip.sum() > 20


def test_strip_colours_come_from_the_rules():
    # 2023-11 rules, PD unknown: TPP >= 4800 is 3A090.a (a.1 needs no PD); 1600 <= TPP < 4800 needs
    # PD (indeterminate); below 1600 no clause can hold (not controlled)
    lab = strip_grid(rules_in_force("2025-06-01"), np.array([1599.0, 1600.0, 4799.0, 4800.0]))
    assert list(lab) == ["not controlled", "indeterminate", "indeterminate", "3A090.a"]


def test_compare_runs_left_to_right_by_date():
    from chipclass.design.regions import panel_dates
    assert panel_dates("2025-06-01", "2023-06-01") == [dt.date(2023, 6, 1), dt.date(2025, 6, 1)]


def test_pdf_and_envelope_overlay(tmp_path, small):
    env = tmp_path / "env.json"
    r = CliRunner().invoke(main, ["envelope", "H20", "--catalogue", str(CHIPS), "--free", "fp8", "--free", "die_area",
                                  "--target", "3A090.b", "--as-of", "2025-06-01", "-f", "json", "-o", str(env)])
    assert r.exit_code == 0, r.stderr
    from chipclass.design.regions import envelope_polygons
    polys = envelope_polygons(json.loads(env.read_text()))
    # H20's envelope of 3A090.b: TPP from 2400 (b.1) up to 4800, PD within [1.6, 5.92)
    allpts = np.concatenate(polys)
    assert allpts[:, 0].max() <= 4800 * (1 + 1e-9) and allpts[:, 1].min() >= 1.6 * (1 - 1e-9)
    out = tmp_path / "map.pdf"
    r = CliRunner().invoke(main, ["plot", small, "--as-of", "2025-06-01", "--envelope", str(env), "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    assert out.read_bytes()[:5] == b"%PDF-"
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    r = CliRunner().invoke(main, ["plot", small, "--envelope", str(bad), "-o", str(out)])
    assert r.exit_code == 2 and "chipclass envelope" in r.stderr


@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_sweep_overlay_is_drawn_from_a_sweep_file(tmp_path, small, ext):
    """A sweep result (csv or parquet) is drawn as a density layer with its colour bar."""
    from chipclass.design.regions import read_sweep_points
    from chipclass.outputs.map import build_map

    out = tmp_path / f"s.{ext}"
    r = CliRunner().invoke(main, ["sweep", "--spec", "fp8=296 TFLOPS", "--spec", "die_area=814", "--vary",
                                  "fp8=100:2000:40", "--as-of", "2025-06-01", "-o", str(out), "--no-config"])
    assert r.exit_code == 0, r.stderr
    pts = read_sweep_points(str(out))
    # fp8 from 100 to 2000 TFLOPS: TPP = 8 x fp8 (800 to 16,000), PD = TPP / 814 mm²
    assert len(pts["tpp"]) == 40 and pts["tpp"].min() == pytest.approx(800) and pts["tpp"].max() == pytest.approx(16000)
    assert pts["performance_density"] == pytest.approx(pts["tpp"] / 814)
    fig = build_map(small, as_of="2025-06-01", sweep=str(out))
    ax = fig.panels[0].ax
    assert any(type(c).__name__ == "PolyCollection" and len(c.get_offsets()) > 1 for c in ax.collections)
    assert [a.get_ylabel() for a in ax.child_axes] == ["sweep variants"]  # the colour bar


def test_a_sweep_file_that_is_not_one_is_refused_in_a_line(tmp_path, small):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,tpp\na,100\n")
    r = CliRunner().invoke(main, ["plot", small, "--sweep", str(bad), "-o", str(tmp_path / "m.png")])
    assert r.exit_code == 2 and "no performance_density column" in r.stderr and str(bad) in r.stderr
    bad.write_text("name,tpp,performance_density\na,100,2\nb,1e3,lots\n")
    r = CliRunner().invoke(main, ["plot", small, "--sweep", str(bad), "-o", str(tmp_path / "m.png")])
    assert r.exit_code == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "row 2" in r.stderr and "performance_density" in r.stderr and "lots" in r.stderr
    assert not (tmp_path / "m.png").exists()


def test_plot_imports_no_pandas(tmp_path):
    """The map is drawn from arrays: importing pandas was a fifth of plot's time."""
    import subprocess
    import sys

    out = tmp_path / "m.png"
    code = ("import sys\nfrom chipclass.cli import main\n"
            f"main(['plot', '--as-of', '2025-06-01', '-o', {str(out)!r}, '--no-config'], standalone_mode=False)\n"
            "print('pandas' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "False", r.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
