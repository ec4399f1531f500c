"""The ``--fail-on`` report: which devices matched which selector (stderr of every command and of
the pre-commit hooks)."""

from __future__ import annotations

import numpy as np

__all__ = ["fail_on_lines", "Matches", "MAX_NAMED"]

#: Devices named per selector in the --fail-on report (the rest are counted).
MAX_NAMED = 10


class Matches:
    """Devices matching each ``--fail-on`` selector: a count and the first :data:`MAX_NAMED` names,
    gathered batch by batch (streaming) or at once."""

    def __init__(self, selectors):
        self.count = dict.fromkeys(selectors, 0)
        self.names: dict[str, list[str]] = {s: [] for s in selectors}

    def add(self, selector: str, mask, names) -> None:
        """Rows of ``mask`` (booleans) matched ``selector``; ``names`` the rows' device names
        (a pandas Series, numpy array, list or Arrow array)."""
        rows = np.flatnonzero(np.asarray(mask, dtype=bool))
        self.count[selector] += len(rows)
        room = MAX_NAMED - len(self.names[selector])
        if room > 0 and len(rows):
            take = rows[:room]
            if hasattr(names, "take") and hasattr(names, "to_pylist"):  # Arrow
                picked = names.take(take).to_pylist()
            elif hasattr(names, "iloc"):
                picked = names.iloc[take].tolist()
            else:
                picked = [names[i] for i in take]
            self.names[selector] += [str(n) for n in picked]

    def merge(self, other: "Matches") -> None:
        """Add another batch's matches (names kept up to :data:`MAX_NAMED`)."""
        for s, n in other.count.items():
            self.count[s] = self.count.get(s, 0) + n
            names = self.names.setdefault(s, [])
            names += other.names[s][:max(MAX_NAMED - len(names), 0)]

    def add_all(self, hits, names) -> None:
        """``hits``: selector -> boolean mask over the rows named by ``names``."""
        for s, mask in hits.items():
            self.add(s, mask, names)



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
