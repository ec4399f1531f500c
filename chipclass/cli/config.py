"""Project configuration: defaults for the command-line options, from a file in the project.

Where it is found
-----------------
From the working directory upwards, the first directory holding either ``chipclass.toml`` (its
keys at the top level) or a ``pyproject.toml`` with a ``[tool.chipclass]`` table; in one
directory ``chipclass.toml`` wins. A ``pyproject.toml`` without the table is passed over (the
search goes on upwards), as ruff and black do. ``--config FILE`` names the file instead (a
``pyproject.toml`` by that name is read at ``[tool.chipclass]``, any other file at its top
level); ``--no-config`` ignores every file. Both are accepted before the command
(``chipclass --no-config score``) and after it (``chipclass score --no-config``); the
command's own wins.

What it holds
-------------
==============  ==================================  =========================================
key             option                              example
==============  ==================================  =========================================
``as_of``       ``--as-of``                         ``as_of = 2025-01-15``
``fail_on``     ``--fail-on``                       ``fail_on = ["controlled"]``
``to``          ``--to`` (destinations)             ``to = ["CN", "AE"]``
``tf32_bits``   ``--tf32-bits``                     ``tf32_bits = 19``
``columns``     (none) header aliases               ``columns = { "FP8 Dense" = "fp8 [TFLOPS]" }``
==============  ==================================  =========================================

A value applies to every command that has the option; a flag on the command line wins over
the file (a given ``--fail-on`` or ``--to`` replaces the file's list, it does not add to it).
``fail_on`` selectors that only some commands offer (``license``, ``breach``, ``4E091``) apply
to those commands only. ``columns`` maps a team's own header names (matched case-insensitively,
spaces collapsed) to the vocabulary of :mod:`chipclass.core.catalogue`, optionally with a unit in
brackets, for every catalogue the command reads.

An unknown key, a wrong type, a selector, country or column that does not exist: one line
naming the file and the key (``pyproject.toml: tool.chipclass.tf32_bits: expected int <= 64``)
and exit 2, before anything runs.
"""

from __future__ import annotations

import functools
import os
import tomllib

import click

from chipclass.core.errors import ConfigError

__all__ = ["find_config", "load_config", "config_params", "group_params", "NAMES"]

#: Files looked for in each directory, in order.
NAMES = ("chipclass.toml", "pyproject.toml")
#: Selectors only some commands offer (cli.options.fail_on_option's ``extra``).
_EXTRA_SELECTORS = ("license", "breach", "model")


def _read(path: str) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror if isinstance(exc, OSError) else exc}") from None


def _section(path: str) -> tuple[dict | None, str]:
    """The configuration table of ``path`` (None if a pyproject.toml has none) and its key prefix."""
    data = _read(path)
    if os.path.basename(path) == "pyproject.toml":
        tool = data.get("tool", {})
        table = tool.get("chipclass") if isinstance(tool, dict) else None
        if table is not None and not isinstance(table, dict):
            raise ConfigError(f"{path}: tool.chipclass: expected a table")
        return table, "tool.chipclass"
    return data, ""


def find_config(start: str | None = None) -> str | None:
    """The configuration file that applies in ``start`` (default: the working directory)."""
    here = os.path.abspath(start or os.getcwd())
    while True:
        for name in NAMES:
            path = os.path.join(here, name)
            if os.path.isfile(path):
                if name == "chipclass.toml":
                    return path
                try:
                    with open(path, "rb") as fh:
                        if b"chipclass" not in fh.read():  # cheap test before parsing
                            continue
                except OSError:
                    continue
                if _section(path)[0] is not None:
                    return path
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


@functools.lru_cache(maxsize=16)
def _load(path: str, mtime: float):
    from chipclass.core.configfile import ConfigFile
    from chipclass.core.schema import convert

    table, prefix = _section(path)
    where = f"{path}: {prefix + '.' if prefix else ''}"
    conf = convert(table or {}, ConfigFile, path, prefix=prefix, error=ConfigError)
    if conf.fail_on:
        from chipclass.cli.options import known_selectors, selector_examples

        known = known_selectors(_EXTRA_SELECTORS)
        for k, s in enumerate(conf.fail_on):
            if s not in known:
                raise ConfigError(f"{where}fail_on[{k}]: {s!r} is not a status or paragraph "
                                    f"({selector_examples()}, license, breach)")
    if conf.to:
        from chipclass.core.errors import ChipclassError
        from chipclass.rules.countries import country_code

        for k, c in enumerate(conf.to):
            try:
                country_code(c)
            except ChipclassError as exc:
                raise ConfigError(f"{where}to[{k}]: {exc}") from None
    if conf.columns:
        from chipclass.core.catalogue import NUMERIC, TEXT, parse_header

        for header, target in conf.columns.items():
            name = parse_header(target, str(path))[0]
            if name not in NUMERIC and name not in TEXT:
                raise ConfigError(f"{where}columns.{header!r}: {target!r} is not a catalogue column "
                                    f"(one of: {', '.join([*TEXT, *NUMERIC])})")
    return conf


def load_config(path: str):
    """The :class:`~chipclass.core.configfile.ConfigFile` in ``path`` (validated; cached by mtime)."""
    try:
        mtime = os.stat(path).st_mtime
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    return _load(path, mtime)


def _defaults(conf, command: click.Command) -> dict:
    """The ``default_map`` of ``command`` from a configuration."""
    have = {p.name for p in command.params}
    out = {}
    if conf.as_of is not None and "as_of" in have:
        out["as_of"] = conf.as_of
    if conf.tf32_bits is not None and "tf32_bits" in have:
        out["tf32_bits"] = conf.tf32_bits
    if conf.to and "destinations" in have:
        out["destinations"] = list(conf.to)
    if conf.fail_on and "fail_on" in have:
        offered = {o for p in command.params if p.name == "fail_on" for o in _offered(p)}
        from chipclass.cli.options import known_selectors

        model_only = known_selectors(("model",)) - known_selectors(())  # the model-weights paragraph
        owner = {s: ("model" if s in model_only else s) for s in conf.fail_on}
        values = [s for s in conf.fail_on if owner[s] not in _EXTRA_SELECTORS or owner[s] in offered]
        if values:
            out["fail_on"] = values
    return out


def _offered(param) -> set[str]:
    """The command-specific selectors a --fail-on option accepts (from its help text's owner)."""
    return set(getattr(param, "chipclass_extra", ()))


def _apply(ctx: click.Context) -> None:
    """Set the command's defaults from the configuration that applies (idempotent)."""
    own = ctx.meta.get("chipclass.config.own", {})
    parent = (ctx.parent.meta.get("chipclass.config.own", {}) if ctx.parent is not None else {})
    if own.get("no_config") or (not own.get("config") and parent.get("no_config")):
        path = None
    else:
        path = own.get("config") or parent.get("config") or find_config()
    if ctx.meta.get("chipclass.config.applied") == path:
        return
    ctx.meta["chipclass.config.applied"] = path
    if path is None:
        return
    conf = load_config(path)
    ctx.default_map = {**(ctx.default_map or {}), **_defaults(conf, ctx.command)}
    if conf.columns:
        from chipclass.core.catalogue import column_aliases

        ctx.with_resource(column_aliases(dict(conf.columns)))


def _store(key: str, apply: bool):
    def callback(ctx: click.Context, param, value):
        own = ctx.meta.setdefault("chipclass.config.own", {})
        if value:
            own[key] = value
        if apply and key == "no_config":  # declared last: every eager value is known now
            _apply(ctx)
        return value
    return callback


def _options(apply: bool) -> list[click.Option]:
    return [
        click.Option(["--config", "config"], type=click.Path(dir_okay=False), default=None, is_eager=True,
                     expose_value=False, callback=_store("config", False), metavar="FILE",
                     help="Read option defaults from this file (default: chipclass.toml or pyproject.toml "
                          "[tool.chipclass], from the working directory upwards)."),
        click.Option(["--no-config", "no_config"], is_flag=True, default=False, is_eager=True,
                     expose_value=False, callback=_store("no_config", apply),
                     help="Ignore configuration files."),
    ]


def config_params() -> list[click.Option]:
    """``--config``/``--no-config`` for a command: they set its defaults before its options are read."""
    return _options(apply=True)


def group_params() -> list[click.Option]:
    """``--config``/``--no-config`` for the group: recorded for the command that follows."""
    return _options(apply=False)
