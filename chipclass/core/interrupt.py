"""Whether the command line has seen Ctrl-C.

The CLI's SIGINT handler notes it here before raising. An exception raised from a signal
handler can be swallowed when it lands in code that ignores exceptions (a ``__del__``, a weakref
callback, a C library's callback); the writers look here before making an output final, so an
interrupted run never leaves a finished-looking file, and the CLI exits 130 even then.
"""

from __future__ import annotations

__all__ = ["note", "seen"]

_SEEN = [False]


def note() -> None:
    """Record that Ctrl-C was pressed."""
    _SEEN[0] = True


def seen() -> bool:
    """Whether Ctrl-C was pressed in this process (only the CLI's handler notes it)."""
    return _SEEN[0]
