"""chipclass: how US export controls (ECCN 3A090/4A090) treat a chip, from its spec sheet.

Data flows top to bottom: :mod:`~chipclass.units` -> :mod:`~chipclass.catalogue` ->
:mod:`~chipclass.metrics` -> :mod:`~chipclass.rulesets` -> :mod:`~chipclass.classify` ->
:mod:`~chipclass.outputs`; the CLI (:mod:`~chipclass.cli`) is a thin layer over
:mod:`~chipclass.api`.
"""

from chipclass.api import classify_spec, diff, explain, score, tpp
from chipclass.rules.instruments import rules_in_force
from chipclass.core.units import ureg

__all__ = ["score", "diff", "explain", "tpp", "classify_spec", "rules_in_force", "ureg"]
__version__ = "0.1.0"
