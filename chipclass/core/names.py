"""Names of the pass-through columns in a result table."""

from __future__ import annotations

__all__ = ["passthrough_names"]


def passthrough_names(outputs, inputs) -> list[str]:
    """The name each input column gets beside the ``outputs`` columns: its own, or, when an
    output column has it, ``<name> (input)``, ``<name> (input 2)``, ... the first that neither an
    output column nor another input column has. An input column is never overwritten and never
    overwrites: with inputs ``tpp`` and ``tpp (input)`` the first becomes ``tpp (input 2)``.

    >>> passthrough_names(["name", "tpp"], ["tpp (input)", "tpp", "vendor"])
    ['tpp (input)', 'tpp (input 2)', 'vendor']
    """
    taken = set(outputs) | set(inputs)
    out = []
    for name in inputs:
        if name in outputs:
            new, k = f"{name} (input)", 1
            while new in taken:
                k += 1
                new = f"{name} (input {k})"
            taken.add(new)
            name = new
        out.append(name)
    return out
