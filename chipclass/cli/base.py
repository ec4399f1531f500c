"""The click group, its error handling and exit codes, and the --fail-on report."""

from __future__ import annotations

import signal
import sys

import click

from chipclass.core.errors import EXIT_ERROR, EXIT_FINDINGS, ChipclassError

__all__ = ["main", "run", "findings", "EXIT_INTERRUPTED", "EXIT_TERMINATED"]

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


class _Group(click.Group):
    """Turns every failure into an exit code and one line on stderr."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ChipclassError as exc:
            flag = _flag(self, ctx, exc.option)
            click.echo(f"chipclass: error: {flag + ': ' if flag else ''}{_one_line(exc)}", err=True)
            sys.exit(EXIT_ERROR)
        except KeyboardInterrupt:
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
    """Exit 1 with one line on stderr when rows matched ``--fail-on``; ``hit`` is a count or
    a mapping selector -> count."""
    counts = hit if isinstance(hit, dict) else {", ".join(selectors): int(hit)}
    counts = {k: int(v) for k, v in counts.items() if v}
    if counts:
        text = "; ".join(f"{v:,} row(s) matched {k}" for k, v in counts.items())
        click.echo(f"chipclass: --fail-on: {text}", err=True)
        sys.exit(EXIT_FINDINGS)


def run() -> None:
    """Console entry point."""
    main(prog_name="chipclass")

