"""``python -m chipclass``: the command line."""

from chipclass.cli import run

run()
