"""Progress on stderr (drawn by `tqdm`_), only when stderr is a terminal and not ``-q``.

.. _tqdm: https://tqdm.github.io/
"""

from __future__ import annotations

import sys

__all__ = ["progress"]


def progress(quiet: bool, unit: str = "rows", total: int | None = None):
    """A callable ``show(done_so_far, done=False)``; a no-op in pipes, CI logs and with ``-q``."""
    if quiet or not sys.stderr.isatty():
        return lambda count, done=False: None
    from tqdm import tqdm

    bar = tqdm(unit=f" {unit}", unit_scale=True, total=total, file=sys.stderr, leave=False,
               mininterval=0.2)

    def show(count, done=False):
        bar.update(count - bar.n)
        if done:
            bar.refresh()
            bar.close()
    return show
