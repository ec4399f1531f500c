"""Options shared by the commands: defined once here, so each means the same everywhere.

``-f/--format`` (from :class:`~chipclass.outputs.formats.Format`; default from the ``-o``
suffix), ``-o/--output``, ``-q/--quiet``, ``--as-of``, ``--rules``, ``--tf32-bits``,
``--catalogue``, ``--to`` (always a destination), ``--headquarters`` and ``--fail-on``.
"""

from __future__ import annotations

import datetime as dt
import os

import click

from chipclass.outputs.formats import Format

__all__ = ["format_option", "output_option", "quiet_option", "as_of_option", "rules_option",
           "tf32_option", "catalogue_option", "to_option", "headquarters_option", "fail_on_option",
           "shipped_catalogue", "bit_lengths", "date_type"]

#: Wording of each shared option, the same in every command's --help.
HELP = {
    "format": "Output format (default: from the -o suffix, else table).",
    "output": "Write to this file (atomically; a link's target, a FIFO or device in place) instead of stdout.",
    "no_csv_guard": ("CSV output: keep text cells starting with = + - @ as they are (by default they get a "
                  "leading ' so spreadsheets do not run them as formulas)."),
    "quiet": "No progress display and no warnings on stderr.",
    "as_of": "Apply the rules in force on this date (default: today).",
    "rules": "Read rule and data files from this directory instead of the shipped ones (env CHIPCLASS_RULES).",
    "tf32_bits": "Bit length counted for TF32 (default 32, the storage width; 19 is the other reading).",
    "catalogue": "Catalogue to look device names up in (default: the shipped catalogue).",
    "to": "Destination: ISO 3166 alpha-2/alpha-3 code or English name. Repeatable.",
    "headquarters": "Where the buyer (or its ultimate parent) is headquartered (default: the destination).",
    "fail_on": ("Exit 1 if any result matches: a status (controlled, indeterminate), a paragraph or clause id "
                "of the rules (it and everything under it), or where the command offers them license, breach "
                "or the model-weights entry. Repeatable."),
}


def shipped_catalogue() -> str:
    """Path of the catalogue shipped as package data (``chipclass/data/chips.csv``)."""
    from importlib import resources

    return str(resources.files("chipclass").joinpath("data/chips.csv"))


def bit_lengths(tf32_bits: int | None) -> dict[str, int] | None:
    return {"tf32": tf32_bits} if tf32_bits else None


class _Date(click.ParamType):
    """YYYY-MM-DD, parsed by the standard library; click reports a bad one (exit 2)."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not a date (YYYY-MM-DD)", param, ctx)


date_type = _Date()


def format_option(*choices: Format):
    names = [str(Format(c)) for c in choices]
    return click.option("-f", "--format", "fmt", type=click.Choice(names), default=None, help=HELP["format"])


def _csv_guard(ctx, param, value):
    from chipclass.outputs import write

    write.CSV_GUARD = not value
    return value


def output_option(fn):
    fn = click.option("--no-csv-guard", is_flag=True, expose_value=False, callback=_csv_guard,
                      help=HELP["no_csv_guard"])(fn)
    return click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
                        help=HELP["output"])(fn)


def quiet_option(fn):
    return click.option("-q", "--quiet", is_flag=True, help=HELP["quiet"])(fn)


def as_of_option(fn):
    return click.option("--as-of", "as_of", type=date_type, default=None, help=HELP["as_of"])(fn)


def rules_option(fn):
    return click.option("--rules", "rules_dir", type=click.Path(exists=True, file_okay=False),
                        default=None, envvar="CHIPCLASS_RULES", help=HELP["rules"])(fn)


def tf32_option(fn):
    return click.option("--tf32-bits", type=click.IntRange(1, 64), default=None, help=HELP["tf32_bits"])(fn)


def catalogue_option(fn):
    return click.option("--catalogue", default=None, metavar="FILE", help=HELP["catalogue"])(fn)


def to_option(fn):
    return click.option("--to", "destinations", multiple=True, metavar="COUNTRY", help=HELP["to"])(fn)


def headquarters_option(fn):
    return click.option("--headquarters", default=None, metavar="COUNTRY", help=HELP["headquarters"])(fn)


def known_selectors(extra) -> set[str]:
    """Every ``--fail-on`` selector: the statuses, every paragraph and clause id (and their
    prefixes) of the rule data, and the command's own ``extra`` (``model``: the model-weights
    paragraph of the rule data)."""
    from chipclass.classification.logic import STATUSES
    from chipclass.rules.instruments import load_instruments

    out = set(STATUSES) | {e for e in extra if e != "model"}
    for inst in load_instruments():
        for c in inst.clauses:
            parts = c.id.split(".")
            out.update(".".join(parts[:k]) for k in range(1, len(parts) + 1))
            out.add(c.eccn)
        weights = inst.file.diffusion.get("model_weights") if "model" in extra else None
        if weights is not None and weights.paragraph:
            out.add(weights.paragraph)
    return out


def selector_examples() -> str:
    """A few selectors of the rule data, for messages: the statuses, an entry, a paragraph, a clause."""
    from chipclass.rules.instruments import load_instruments

    clauses = [c for inst in load_instruments() for c in inst.clauses]
    if not clauses:
        return "controlled, indeterminate"
    last = clauses[-1]
    return ", ".join(dict.fromkeys(["controlled", "indeterminate", last.eccn.split(".")[0], last.eccn, last.id]))


def fail_on_option(*extra: str):
    """``--fail-on SELECTOR``; ``extra`` are the command's own selectors (license, breach, model)."""

    def check(ctx, param, values):
        if not values:
            return values
        known = known_selectors(extra)
        for v in values:
            if v not in known:
                more = f", {', '.join(extra)}" if extra else ""
                raise click.BadParameter(f"{v!r} is not a status or paragraph ({selector_examples()}{more})")
        return values

    return click.option("--fail-on", multiple=True, callback=check, metavar="SELECTOR", help=HELP["fail_on"],
                        cls=_FailOnOption, chipclass_extra=extra)


class _FailOnOption(click.Option):
    """``--fail-on``, remembering the command's own selectors (for the configuration file)."""

    def __init__(self, *args, chipclass_extra=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.chipclass_extra = tuple(chipclass_extra)


def env_int(name: str, default: int) -> int:
    """An integer setting from the environment; a bad value is a usage error, not a crash."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
        if value <= 0:
            raise ValueError
        return value
    except ValueError:
        raise click.UsageError(f"environment variable {name}={raw!r} is not a positive integer") from None
