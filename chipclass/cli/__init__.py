"""The command line: a thin click layer over :mod:`chipclass.api`.

Exit codes (as ruff defines them, :mod:`chipclass.core.errors`): **0** done and nothing
matched ``--fail-on``; **1** some result matched ``--fail-on`` (one line on stderr says how
many rows matched which selector); **2** bad usage, bad input, bad rule data or an internal
error (one line on stderr; the traceback only with ``--debug``; no output file written);
**130** interrupted (Ctrl-C); **143** terminated (SIGTERM). Temporary files are removed on
either signal.

Commands live beside this file by the stage they serve: :mod:`.catalogue` (score, check, diff,
explain), :mod:`.licensing` (license, tier, fleet, model) and :mod:`.design` (sweep, headroom,
plot); their shared options are in :mod:`.options`.
"""

from chipclass.cli import catalogue, design, licensing, serve  # noqa: F401  (they register their commands)
from chipclass.cli.base import findings, main, run
from chipclass.cli.config import config_params

for _cmd in {id(c): c for c in main.commands.values()}.values():  # --config/--no-config on every command
    _cmd.params.extend(config_params())

__all__ = ["main", "run", "findings"]

if __name__ == "__main__":  # pragma: no cover
    run()
