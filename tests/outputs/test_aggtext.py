"""The map's whole-string Agg text draws where matplotlib's own Agg text draws, the same size,
colour and turn; mathtext and characters the font lacks go to matplotlib."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import matplotlib  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from chipclass.outputs.aggtext import TextCanvas  # noqa: E402

TEXTS = [  # (text, keyword arguments of Figure.text)
    ("H100 SXM / H800 SXM", {"ha": "left", "va": "baseline"}),
    ("Radeon PRO W7900 (TPP 1,000,000 →)", {"ha": "right", "va": "center"}),
    ("Performance density (TPP per mm² of die)", {"ha": "center", "va": "center", "rotation": 90}),
    ("no die area\n(TPP only)", {"ha": "center", "va": "top", "rotation": 90, "fontsize": 7}),
    ("3A090.a", {"ha": "center", "va": "bottom", "fontsize": 12, "fontweight": "bold"}),
    ("gyp Qj", {"ha": "left", "va": "center_baseline", "rotation": 30}),
    ("12", {"ha": "center", "va": "top", "color": "#1f3a93"}),
]


def _ink(canvas_cls, text, kw, dpi=130):
    """The grey image of one text drawn alone (1 = ink)."""
    fig = Figure(figsize=(4, 4), dpi=dpi)
    canvas = canvas_cls(fig)
    fig.text(0.5, 0.5, text, **{"fontsize": 6.5, **kw})
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    return 1.0 - rgba[..., :3].mean(axis=2) / 255.0


def _box(ink):
    rows, cols = np.nonzero(ink > 0.25)
    return np.array([cols.min(), rows.min(), cols.max(), rows.max()])


@pytest.mark.parametrize("text,kw", TEXTS, ids=[t for t, _ in TEXTS])
def test_text_lands_where_matplotlib_draws_it(text, kw):
    ours, theirs = _ink(TextCanvas, text, kw), _ink(FigureCanvasAgg, text, kw)
    # the same box within 2 px on each side (hinting and rounding differ; a text 130 px wide
    # drawn at the wrong anchor or turned the wrong way is off by tens of pixels)
    assert np.abs(_box(ours) - _box(theirs)).max() <= 2, (_box(ours), _box(theirs))
    # about the same amount of ink: same size and weight
    assert ours.sum() == pytest.approx(theirs.sum(), rel=0.15)


def test_colour_and_alpha_are_matplotlib_s():
    fig = Figure(figsize=(2, 1), dpi=130)
    canvas = TextCanvas(fig)
    fig.text(0.1, 0.3, "MMMM", fontsize=20, color="#ff0000", alpha=0.5)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba()).astype(int)
    darkest = rgba[rgba[..., 1].argmin() // rgba.shape[1], rgba[..., 1].argmin() % rgba.shape[1]]
    # red at half alpha over white: (255, ~128, ~128)
    assert darkest[0] == 255 and abs(darkest[1] - 128) <= 3 and abs(darkest[2] - 128) <= 3


@pytest.mark.parametrize("text", ["$x^2$", "名前 H100", "RTX\u200b4090"])
def test_mathtext_and_missing_glyphs_go_to_matplotlib(text, monkeypatch):
    """Strings the whole-string path does not take are drawn by matplotlib, not dropped."""
    from chipclass.outputs import aggtext

    drawn = []
    monkeypatch.setattr(aggtext.RendererAgg, "draw_text", lambda self, gc, x, y, s, *a, **k: drawn.append(s))
    fig = Figure(figsize=(2, 1), dpi=100)
    canvas = TextCanvas(fig)
    with matplotlib.rc_context({"text.parse_math": True}):
        fig.text(0.1, 0.5, text)
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Glyph missing from font"
            canvas.draw()
    assert drawn == [text]


def test_font_file_follows_properties_changed_after_a_first_ask():
    from matplotlib.font_manager import FontProperties, findfont

    from chipclass.outputs.aggtext import _font_file

    prop = FontProperties(family="DejaVu Sans")
    assert _font_file(prop) == findfont(prop)
    prop.set_weight("bold")  # the same object, now asking for another file
    assert _font_file(prop) == findfont(prop) != findfont(FontProperties(family="DejaVu Sans"))
