"""``python -m chipclass``: the command line (Ctrl-C while it is imported: exit 130, no traceback)."""

try:
    from chipclass.cli import run
except KeyboardInterrupt:  # pragma: no cover - exercised through a real process
    import os
    import sys

    sys.stderr.write("chipclass: interrupted\n")
    sys.stderr.flush()
    os._exit(130)

run()
