"""Keeping pandas out of the processes that do not need it (start-up time).

pyarrow imports pandas (about 0.2 s) the first time it converts any Python object
(``pa.array``, ``pa.scalar``, a compute call with a Python scalar), only to ask whether the
object is a pandas one. :func:`defer_pandas` lets pyarrow record "no pandas" for that question
(it asks without insisting); pyarrow still imports pandas, and says so again, as soon as
something really converts to or from pandas (its own calls then insist). :func:`import_pandas`
imports pandas for chipclass code and tells pyarrow at once, so a pandas object handed to
pyarrow afterwards is recognised as one.

Only the CLI's ``score`` to a machine format calls :func:`defer_pandas` (its whole path is
Arrow and numpy); nothing changes for a process that has imported pandas already.
"""

from __future__ import annotations

import sys

__all__ = ["defer_pandas", "import_pandas", "arrow_backed_series"]


class _NoPandas:  # a meta path finder (importlib.abc is not imported: start-up time)
    def find_spec(self, name, path, target=None):
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("pandas deferred by chipclass")
        return None


def defer_pandas() -> None:
    """Let pyarrow's first "is this a pandas object?" check pass without importing pandas."""
    if "pandas" in sys.modules:
        return
    import pyarrow as pa

    block = _NoPandas()
    sys.meta_path.insert(0, block)
    try:
        pa.array([0])  # pyarrow's lazy pandas check runs here, and finds none
    finally:
        sys.meta_path.remove(block)


def import_pandas():
    """``import pandas``, and tell pyarrow it is there (after :func:`defer_pandas`)."""
    import pandas as pd
    import pyarrow.lib

    api = getattr(pyarrow.lib, "_pandas_api", None)
    if api is not None and not api.have_pandas:
        api.series([])  # an insisting call: pyarrow imports (finds) pandas again
    return pd


def arrow_backed_series(slot: str, doc: str | None = None) -> property:
    """A property holding an Arrow string array or a pandas Series in ``__dict__[slot]`` and
    reading as a Series (StringDtype backed by pyarrow), converted once, on first read; ``doc``
    is its docstring."""

    def get(self):
        raw = self.__dict__[slot]
        import pyarrow as pa

        if isinstance(raw, (pa.Array, pa.ChunkedArray)):
            pd = import_pandas()
            raw = raw.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
            self.__dict__[slot] = raw
        return raw

    def set(self, value):
        self.__dict__[slot] = value

    return property(get, set, doc=doc)
