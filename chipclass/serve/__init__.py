"""``chipclass serve``: a local web explorer over the Python API (``pip install 'chipclass[serve]'``).

A small Starlette (ASGI) application run by uvicorn. Pages are rendered on the server from
Jinja2 templates with autoescaping; the browser gets HTML, one JavaScript file of our own and
plotly.js read from the installed ``plotly`` wheel. Nothing is fetched from a network.

The web layer decides nothing: :mod:`chipclass.serve.data` calls the API
(:func:`chipclass.api.explain`, :func:`chipclass.licensing.determine.determine`, the envelope, the
headroom, the foundry presumption) and the words and tables come from :mod:`chipclass.outputs`.
:mod:`chipclass.serve.app` holds the routes, the security headers, the upload limits and the
error pages (one line, never a traceback).

This package is imported only by the ``serve`` command (and its tests): the rest of chipclass
works without its dependencies.
"""

from chipclass.serve.app import create_app

__all__ = ["create_app"]
