"""HTML for notebooks: the plain-text reports shown in Jupyter without losing their layout."""

from __future__ import annotations

import html

__all__ = ["PRE_STYLE", "preformatted"]

#: Inline style of the ``<pre>`` block. Jupyter front ends style ``<pre>`` in HTML output
#: differently (JupyterLab wraps long lines with ``white-space: pre-wrap``; some themes set a
#: proportional font), which breaks the column alignment of a report; an inline style wins over
#: the front end's stylesheet. Long lines scroll sideways instead of wrapping.
PRE_STYLE = ("font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', "
             "'Liberation Mono', monospace; white-space: pre; overflow-x: auto; "
             "line-height: 1.3; text-align: left")


def preformatted(text: str) -> str:
    """``text`` as one ``<pre>`` block, escaped, in a monospace font and without line wrapping.

    >>> preformatted("a < b & c").endswith(">a &lt; b &amp; c</pre>")
    True
    """
    return f'<pre style="{PRE_STYLE}">{html.escape(text, quote=False)}</pre>'
