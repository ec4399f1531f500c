"""Optional features and the extra that installs each (``pip install 'chipclass[plot]'``).

``pip install chipclass`` installs only what scoring needs. A command that needs a library of
an extra imports it lazily; when it is missing, the CLI says in one line which extra to install
(exit 2) instead of reporting an internal error. Each entry of :data:`OPTIONAL` names a
top-level module, the extra of ``pyproject.toml`` that installs it and what needs it; a test
checks the table against ``pyproject.toml``.
"""

from __future__ import annotations

__all__ = ["OPTIONAL", "DISTRIBUTIONS", "missing_extra"]

#: top-level module -> (extra, the feature that needs it)
OPTIONAL = {
    "matplotlib": ("plot", "plot"),
    "PIL": ("plot", "plot"),
    "dask": ("dask", "--engine dask"),
    "distributed": ("dask", "--engine dask"),
    "starlette": ("serve", "serve"),
    "uvicorn": ("serve", "serve"),
    "jinja2": ("serve", "serve"),
    "plotly": ("serve", "serve"),
}
#: top-level module -> the distribution ``pyproject.toml`` names (and the hint says), where
#: the two differ
DISTRIBUTIONS = {"PIL": "pillow"}


def missing_extra(exc: BaseException) -> str | None:
    """The one-line hint for an import of an optional library that failed, else None.

    Parameters
    ----------
    exc : BaseException
        Any exception; only a :class:`ModuleNotFoundError` for a module of :data:`OPTIONAL`
        (or one of its submodules) gives a hint.

    Returns
    -------
    str or None
        ``"plot needs matplotlib: pip install 'chipclass[plot]'"`` and the like.

    >>> missing_extra(ModuleNotFoundError("No module named 'matplotlib'", name="matplotlib.pyplot"))
    "plot needs matplotlib: pip install 'chipclass[plot]'"
    >>> missing_extra(ModuleNotFoundError("No module named 'numpy'", name="numpy")) is None
    True
    """
    if not isinstance(exc, ModuleNotFoundError):
        return None
    top = (exc.name or "").split(".", 1)[0]
    if top not in OPTIONAL:
        return None
    extra, feature = OPTIONAL[top]
    return f"{feature} needs {DISTRIBUTIONS.get(top, top)}: pip install 'chipclass[{extra}]'"
