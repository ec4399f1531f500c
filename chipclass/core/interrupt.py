"""Ctrl-C in the command line: whether it was seen, and the temporary files to remove if so.

The CLI's SIGINT handler notes it here before raising. An exception raised from a signal
handler can be swallowed when it lands in code that ignores exceptions (a ``__del__``, a weakref
callback, a C library's callback); the writers look here before making an output final, so an
interrupted run never leaves a finished-looking file, and the CLI exits 130 even then.

Temporary files are registered here by name *before* they are created (:func:`hold`), and
given up once they are renamed or removed (:func:`release`): a signal that lands between the
creation of a file and the ``try`` that would remove it cannot leave it behind, since the CLI
removes whatever is still held (:func:`remove_held`) before it exits.
"""

from __future__ import annotations

import os

__all__ = ["note", "seen", "hold", "release", "remove_held", "temporary_file"]

_SEEN = [False]
_HELD: set[str] = set()


def note() -> None:
    """Record that Ctrl-C was pressed."""
    _SEEN[0] = True


def seen() -> bool:
    """Whether Ctrl-C was pressed in this process (only the CLI's handler notes it)."""
    return _SEEN[0]


def hold(path: str) -> None:
    """Register a temporary file, before it is created, for removal if the run is interrupted."""
    _HELD.add(path)


def release(path: str) -> None:
    """The file at ``path`` was renamed or removed: nothing to remove for it any more."""
    _HELD.discard(path)


def remove_held() -> None:
    """Remove every temporary file still registered (the CLI, as it exits on a signal); one
    never created, or gone already, is passed over."""
    for path in list(_HELD):
        try:
            os.unlink(path)
        except OSError:
            pass
        _HELD.discard(path)


def temporary_file(directory: str, name: str) -> str:
    """A new empty file ``.NAME.RANDOM.tmp`` in ``directory`` (mode 0600, as ``mkstemp``), held
    for removal (:func:`hold`) before it exists, so a signal at any moment of its making
    leaves nothing behind; :func:`release` it once it is renamed or removed."""
    import secrets

    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    while True:
        tmp = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.tmp")
        hold(tmp)
        try:
            os.close(os.open(tmp, flags, 0o600))
        except FileExistsError:  # someone else's: not ours to remove
            release(tmp)
            continue
        return tmp  # any other failure leaves it held: removing a file never made is a no-op
