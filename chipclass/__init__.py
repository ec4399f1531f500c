"""chipclass: how US export controls (ECCN 3A090/4A090) treat a chip, from its spec sheet.

Data flows top to bottom, one package per stage, every import pointing down:
:mod:`chipclass.core` (units, schema, formats, catalogue, readers, metrics) ->
:mod:`chipclass.rules` (dated rule data) -> :mod:`chipclass.classification` ->
:mod:`chipclass.licensing` -> :mod:`chipclass.design` -> :mod:`chipclass.outputs` ->
:mod:`chipclass.api` / :mod:`chipclass.explanation` -> :mod:`chipclass.cli` and :mod:`chipclass.dask`.

The names below are imported on first use, so ``import chipclass`` (and the CLI) start fast.
"""

from __future__ import annotations

import importlib

__all__ = ["score", "classify", "diff", "explain", "tpp", "classify_spec", "load", "rules_in_force", "envelope",
           "licences", "license_table",
           "ureg", "__version__"]
__version__ = "0.2.0"

_HOME = {"score": "chipclass.api", "classify": "chipclass.api", "diff": "chipclass.api",
         "explain": "chipclass.api", "tpp": "chipclass.api", "classify_spec": "chipclass.api",
         "load": "chipclass.api", "envelope": "chipclass.api", "licences": "chipclass.api", "license_table": "chipclass.api",
         "rules_in_force": "chipclass.rules.instruments", "ureg": "chipclass.core.units"}


def __getattr__(name: str):
    if name in _HOME:
        value = getattr(importlib.import_module(_HOME[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'chipclass' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_HOME))
