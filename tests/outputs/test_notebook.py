"""What a notebook shows: ``explain``'s HTML keeps the text report's monospace layout."""

from __future__ import annotations

import html
import re
from pathlib import Path

import chipclass

CHIPS = Path(__file__).resolve().parents[2] / "data" / "chips.csv"


def _one_pre(markup: str) -> tuple[str, str]:
    """(style, body) of the single <pre> block that must be the whole of ``markup``."""
    m = re.fullmatch(r'<pre style="([^"]*)">(.*)</pre>', markup, re.S)
    assert m, f"not a single <pre> block: {markup[:120]!r}"
    return m.group(1), m.group(2)


def test_explain_html_is_the_text_report_in_a_monospace_unwrapped_pre():
    ex = chipclass.explain(str(CHIPS), "H20", as_of="2025-06-01")
    style, body = _one_pre(ex._repr_html_())
    declarations = dict(d.split(":", 1) for d in (p.strip() for p in style.split(";")) if d)
    assert "monospace" in declarations["font-family"]
    # JupyterLab styles <pre> with pre-wrap: the inline style must keep lines unwrapped
    assert declarations["white-space"].strip() == "pre"
    # the text report, escaped, exactly: '<- TPP' marks the deciding format in the text
    text = ex.to_text()
    assert "<- TPP" in text
    assert "<" not in body and html.unescape(body) == text


def test_explain_html_escapes_markup_in_a_device_name():
    ex = chipclass.explain(name="<b>X & Y</b>", fp8="296 TFLOPS", as_of="2025-06-01")
    _, body = _one_pre(ex._repr_html_())
    assert "<b>" not in body and "&lt;b&gt;X &amp; Y&lt;/b&gt;" in body
