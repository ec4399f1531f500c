"""The click group, its error handling and exit codes, and the --fail-on report."""

from __future__ import annotations

import signal
import sys

import click

from chipclass.core.errors import EXIT_ERROR, EXIT_FINDINGS, ChipclassError
from chipclass.outputs.findings import MAX_NAMED, Matches  # noqa: F401  (re-exported for the commands)

__all__ = ["main", "run", "findings", "with_horizon_notice", "Matches", "MAX_NAMED", "EXIT_INTERRUPTED", "EXIT_TERMINATED", "Interrupted", "interrupted"]

#: Exit code on Ctrl-C (128 + SIGINT) and on SIGTERM (128 + SIGTERM).
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


def _one_line(text: str) -> str:
    from chipclass.outputs.tables import safe

    return safe(" ".join(str(text).split()))


def _flag(group, ctx, option: str | None) -> str | None:
    """The command-line flag of the invoked command for a library parameter name (the library
    never names flags: ``max_variants`` -> ``--max-variants``, ``precision`` -> ``--precision``)."""
    cmd = group.commands.get(ctx.invoked_subcommand or "") if option else None
    for p in getattr(cmd, "params", ()):
        if isinstance(p, click.Option) and (p.name == option or f"--{option.replace('_', '-')}" in p.opts):
            return max(p.opts, key=len)
    return None


def _terminate(signum, frame):  # pragma: no cover - exercised through a real process
    raise SystemExit(EXIT_TERMINATED)


class Interrupted(BaseException):
    """Ctrl-C in the command line (SIGINT, from :func:`run`): not a ``KeyboardInterrupt``, which
    click would turn into "Aborted!" and exit 1 while it parses options. It unwinds like any
    exception, so every temporary file is removed on the way out (``atomic_path``)."""


def _interrupt(signum, frame):  # pragma: no cover - exercised through a real process
    from chipclass.core.interrupt import note

    note()
    raise Interrupted()


def _unraisable(info) -> None:  # pragma: no cover - exercised through a real process
    """Ctrl-C that lands in a finalizer or weakref callback, where Python can only print it
    ("Exception ignored in ..."): say nothing here; the interrupt is noted, so the run still
    ends with one line and exit 130 (:func:`run`) and no output is made final."""
    if isinstance(info.exc_value, (Interrupted, KeyboardInterrupt)):
        return
    sys.__unraisablehook__(info)


def interrupted() -> None:
    """Say so and exit 130, at once (threads of a pool are not waited for)."""
    import os

    from chipclass.core.interrupt import remove_held

    try:
        remove_held()
        sys.stderr.write("chipclass: interrupted\n")
        sys.stderr.flush()
    finally:
        os._exit(EXIT_INTERRUPTED)


class _Group(click.Group):
    """Turns every failure into an exit code and one line on stderr."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ChipclassError as exc:
            flag = _flag(self, ctx, exc.option)
            click.echo(f"chipclass: error: {flag + ': ' if flag else ''}{_one_line(exc)}", err=True)
            sys.exit(EXIT_ERROR)
        except (KeyboardInterrupt, Interrupted):
            click.echo("chipclass: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except BrokenPipeError:
            sys.stderr.close()  # the reader left (| head): not an error
            sys.exit(0)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except MemoryError:
            click.echo("chipclass: error: out of memory (a smaller input, --stream, or fewer variants)", err=True)
            sys.exit(EXIT_ERROR)
        except OSError as exc:
            if (ctx.obj or {}).get("debug"):
                raise
            where = f" {_one_line(exc.filename)}:" if getattr(exc, "filename", None) else ""
            click.echo(f"chipclass: error:{where} {_one_line(exc.strerror or exc)}", err=True)
            sys.exit(EXIT_ERROR)
        except Exception as exc:
            from chipclass.core.extras import missing_extra

            hint = missing_extra(exc)  # an optional library (an extra) not installed
            if hint:
                click.echo(f"chipclass: error: {hint}", err=True)
                sys.exit(EXIT_ERROR)
            if (ctx.obj or {}).get("debug"):
                raise
            click.echo(f"chipclass: internal error: {type(exc).__name__}: {_one_line(exc)} "
                       "(run with --debug for the traceback)", err=True)
            sys.exit(EXIT_ERROR)


def _group_config(fn):
    from chipclass.cli.config import group_params

    for param in reversed(group_params()):
        click.decorators._param_memo(fn, param)
    return fn


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="chipclass")
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
@_group_config
@click.pass_context
def main(ctx, debug):
    """How US export controls (ECCN 3A090) treat a chip, from its specification sheet."""
    ctx.obj = {"debug": debug}
    try:
        signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread (tests)
        pass


def findings(hit, selectors) -> None:
    """Exit 1 with one line per matched selector on stderr when results matched ``--fail-on``:
    the devices (the first :data:`MAX_NAMED` and a count) when ``hit`` is a :class:`Matches`, else
    counts (``hit`` a count or a mapping selector -> count)."""
    from chipclass.outputs.findings import Matches, fail_on_lines

    if isinstance(hit, Matches):
        lines = fail_on_lines({s: (n, hit.names[s]) for s, n in hit.count.items() if n})
    else:
        counts = hit if isinstance(hit, dict) else {", ".join(selectors): int(hit)}
        lines = fail_on_lines({k: (int(v), []) for k, v in counts.items() if v})
    if lines:
        for line in lines:
            click.echo(f"chipclass: --fail-on: {_one_line(line)}", err=True)
        sys.exit(EXIT_FINDINGS)


def with_horizon_notice(callback):
    """Wrap a command with an ``--as-of`` option: when its date (today by default) is after the
    rule data's knowledge horizon, say so once on stderr (not with ``-q``). Said after the
    command has answered (also before a ``--fail-on`` exit 1), never on a run that failed: an
    error stays one line."""
    import functools

    def notice(kwargs):
        if kwargs.get("quiet"):
            return
        from chipclass.outputs.timeline import horizon_notice
        from chipclass.rules.horizon import horizon
        from chipclass.rules.instruments import as_date

        between = kwargs.get("between")  # rules --diff A B: the later date
        day = max(as_date(d) for d in between) if between else as_date(kwargs.get("as_of"))
        h = horizon(kwargs.get("rules_dir"))
        if day > h.reviewed_through:
            click.echo(horizon_notice(h, day), err=True)

    @functools.wraps(callback)
    def wrapped(*args, **kwargs):
        try:
            result = callback(*args, **kwargs)
        except SystemExit as exc:
            if exc.code == EXIT_FINDINGS:
                notice(kwargs)
            raise
        notice(kwargs)
        return result
    return wrapped


def run() -> None:
    """Console entry point: Ctrl-C at any moment (options, configuration, reading, writing)
    exits 130 with one line and no traceback; temporary files are removed first."""
    try:
        signal.signal(signal.SIGINT, _interrupt)
    except ValueError:  # not the main thread
        pass
    sys.unraisablehook = _unraisable
    from chipclass.core.interrupt import seen

    try:
        main(prog_name="chipclass")
    except (KeyboardInterrupt, Interrupted):
        interrupted()
    except SystemExit as exc:
        if seen() and exc.code != EXIT_INTERRUPTED:  # swallowed somewhere; nothing was made final
            interrupted()
        raise
    finally:
        from chipclass.core.interrupt import remove_held

        remove_held()  # a temporary file a signal (SIGTERM) caught in the making
        _quick_exit()


def _quick_exit() -> None:
    """Let the interpreter's shutdown pass over what the command built: every object alive now
    goes to the collector's permanent generation (``gc.freeze``), so the collections run while
    modules are torn down do not walk matplotlib's or Arrow's object graphs again (0.3 s of
    ``plot``'s 2 s). Outputs are written and closed by now; stdout and stderr are still flushed
    by the interpreter, and reference counting still frees what it frees."""
    import gc

    gc.freeze()

