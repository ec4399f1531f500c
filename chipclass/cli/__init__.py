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

try:  # Ctrl-C while the command line is still being imported: one line, exit 130
    from chipclass.cli import catalogue, design, licensing, rules, serve  # noqa: F401  (they register their commands)
    from chipclass.cli.base import findings, main, run, with_horizon_notice
    from chipclass.cli.config import config_params
except KeyboardInterrupt:  # pragma: no cover - exercised through a real process
    import os as _os
    import sys as _sys

    _sys.stderr.write("chipclass: interrupted\n")
    _sys.stderr.flush()
    _os._exit(130)

for _cmd in {id(c): c for c in main.commands.values()}.values():  # --config/--no-config on every command
    _cmd.params.extend(config_params())
    if any(p.name == "as_of" for p in _cmd.params):  # a date past the knowledge horizon is said once
        _cmd.callback = with_horizon_notice(_cmd.callback)

__all__ = ["main", "run", "findings"]

if __name__ == "__main__":  # pragma: no cover
    run()
