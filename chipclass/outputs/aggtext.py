"""The map's text on the Agg canvas, a string at a time (Pillow's FreeType) rather than a glyph at a time.

matplotlib 3.11 shapes every string twice (to measure it, then to draw it) and draws each glyph
through Python: about 1 ms a label, over half the time of writing the map's PNG. Here a string
is measured and rasterised in one call to Pillow (which matplotlib already needs) and the grey
bitmap goes to the same Agg call matplotlib used for whole strings until 3.10
(``draw_text_image``: colour, alpha, rotation and clipping stay matplotlib's). Pillow's basic
layout (advances and kerning from FreeType, no shaping) gives the widths matplotlib gives, to
the pixel. Only the PNG canvas changes: SVG and PDF keep text as text.

Strings this path cannot draw as matplotlib would go to matplotlib's own drawing: mathtext,
TeX, a character the font has no glyph for (matplotlib takes a fallback font), and scripts or
marks that need shaping (anything outside Latin, Greek, Cyrillic and the symbol blocks, and
combining or format characters).
"""

from __future__ import annotations

import math
import unicodedata
from functools import lru_cache

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.font_manager import findfont

__all__ = ["TextCanvas"]


@lru_cache(maxsize=64)
def _pillow_font(path: str, size_px: float):
    from PIL import ImageFont

    return ImageFont.truetype(path, size=size_px, layout_engine=ImageFont.Layout.BASIC)


@lru_cache(maxsize=4096)
def _unshaped(char: str) -> bool:
    """Whether a character is drawn alike with and without shaping (see the module's docstring)."""
    c = ord(char)
    block = c < 0x300 or 0x370 <= c < 0x590 or 0x2000 <= c < 0x2C00
    return block and unicodedata.category(char) not in ("Mn", "Me", "Cf")


@lru_cache(maxsize=16)
def _cmap(path: str) -> frozenset:
    from matplotlib.ft2font import FT2Font

    return frozenset(FT2Font(path).get_charmap())


_FONT_FILES: dict[tuple, str] = {}


def _font_file(prop) -> str:
    """The font file matplotlib takes for ``prop``, cached by the values that choose it (not by
    the object: a FontProperties can change after it was asked about)."""
    key = (tuple(prop.get_family()), prop.get_style(), prop.get_variant(), prop.get_weight(), prop.get_stretch(),
           prop.get_file())
    path = _FONT_FILES.get(key)
    if path is None:
        path = _FONT_FILES[key] = findfont(prop)
    return path


@lru_cache(maxsize=1024)
def _bbox(path: str, size_px: float, s: str) -> tuple[int, int, int, int]:
    """The ink box of ``s`` relative to the left end of its baseline [px, y down]."""
    return _pillow_font(path, size_px).getbbox(s, anchor="ls")


@lru_cache(maxsize=1024)
def _bitmap(path: str, size_px: float, s: str):
    """(grey bitmap, its top-left corner relative to the left end of the baseline [px, y down])."""
    from PIL import Image, ImageDraw

    font = _pillow_font(path, size_px)
    x0, y0, x1, y1 = _bbox(path, size_px, s)
    image = Image.new("L", (max(x1 - x0, 1), max(y1 - y0, 1)))
    ImageDraw.Draw(image).text((-x0, -y0), s, font=font, fill=255, anchor="ls")
    return np.array(image), (x0, y0)


class _Renderer(RendererAgg):
    """Agg with whole-string text (see the module's docstring)."""

    def _font(self, s: str, prop, ismath):
        """(font path, size [px]) when this text is drawn here, else None."""
        if ismath or not s.strip():
            return None
        path = _font_file(prop)
        if not (all(map(_unshaped, s)) and set(map(ord, s)) <= _cmap(path)):
            return None
        return path, prop.get_size_in_points() * self.dpi / 72.0

    def get_text_width_height_descent(self, s, prop, ismath):
        font = self._font(s, prop, ismath)
        if font is None:
            return super().get_text_width_height_descent(s, prop, ismath)
        x0, y0, x1, y1 = _bbox(*font, s)
        return float(x1 - x0), float(y1 - y0), float(y1)

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        font = self._font(s, prop, ismath)
        if font is None:
            return super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
        image, (ox, oy) = _bitmap(*font, s)
        if not gc.get_antialiased():
            image = np.where(image >= 128, 255, 0).astype(np.uint8)
        # the bitmap's bottom-left corner, relative to (x, y) (y down), turned by the angle
        dy = oy + image.shape[0]
        c, s_ = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        self._renderer.draw_text_image(image, round(x + ox * c + dy * s_), round(y - ox * s_ + dy * c), angle, gc)


class TextCanvas(FigureCanvasAgg):
    """The Agg canvas with :class:`_Renderer` (PNG and the figure's own drawing)."""

    def get_renderer(self):
        """The renderer for the figure's current size and dpi (made anew when either changes)."""
        w, h = self.get_width_height(physical=True)
        key = (w, h, self.figure.dpi)
        if getattr(self, "_text_key", None) != key:
            self.renderer = _Renderer(w, h, self.figure.dpi)
            self._text_key = key
        return self.renderer
