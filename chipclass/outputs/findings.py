"""The ``--fail-on`` report: which devices matched which selector (stderr of every command and of
the pre-commit hooks)."""

from __future__ import annotations

__all__ = ["fail_on_lines"]


def fail_on_lines(found: dict) -> list[str]:
    """The ``--fail-on`` report, one line per matched selector: ``found`` maps selector ->
    (count, first device names). ``3A090.a matched 2 devices: 'Falcon-A', 'Falcon-B'``; a count
    alone where no names are known (``1 row(s) matched license``)."""
    out = []
    for selector, (count, names) in found.items():
        if not names:
            out.append(f"{count:,} row(s) matched {selector}")
            continue
        more = f" and {count - len(names):,} more" if count > len(names) else ""
        shown = ", ".join(repr(n) for n in names)
        out.append(f"{selector} matched {count:,} device{'s' if count != 1 else ''}: {shown}{more}")
    return out
