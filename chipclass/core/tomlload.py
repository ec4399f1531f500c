"""Reading TOML as the typed records of :mod:`chipclass.core.schema`, refusing what does not fit.

:func:`load` parses a file and :func:`convert` validates parsed data with msgspec; every fault
(an unknown key, a wrong type, a missing field, a non-finite number) becomes a
:class:`~chipclass.core.errors.RuleDataError` naming the file and the key
(``rules/x.toml: clause[0].conditions[1].value: expected a finite number``). Both are also
reachable as ``chipclass.core.schema.load`` and ``.convert``.
"""

from __future__ import annotations

import functools
import re
import tomllib
import typing
from typing import Annotated, TypeVar

import msgspec

from chipclass.core.errors import RuleDataError

__all__ = ["load", "convert"]

T = TypeVar("T")



def _where(path: str) -> str:
    """msgspec's ``$.clause[0].conditions[1]`` as ``clause[0].conditions[1]``."""
    return path.removeprefix("$").lstrip(".") or "top level"


@functools.lru_cache(maxsize=None)
def _table_fields(kind) -> dict[str, type]:
    """Fields of ``kind`` that are tables keyed by name (``[diffusion.lpp_limit]``) -> value type."""
    out = {}
    for f in msgspec.structs.fields(kind):
        tp = f.type
        while typing.get_origin(tp) is Annotated:
            tp = typing.get_args(tp)[0]
        if typing.get_origin(tp) is dict:
            out[f.encode_name] = typing.get_args(tp)[1]
    return out


def convert(data: dict, kind: type[T], source: str, prefix: str = "", choices: dict | None = None,
            error: type = RuleDataError) -> T:
    """Validate parsed TOML ``data`` as ``kind``; an ``error`` (:class:`RuleDataError`, or
    :class:`~chipclass.core.errors.ConfigError` for a configuration file) naming ``source`` and
    the key otherwise (``prefix`` is where ``data`` sits in the file: ``tool.chipclass``;
    ``choices``: key name -> valid values, listed in the message for an unknown value)."""
    where = f"{prefix}." if prefix else ""
    if isinstance(data, dict):  # tables keyed by name: validate each so the message names it
        for name, value_type in _table_fields(kind).items():
            if isinstance(data.get(name), dict):
                for key, value in data[name].items():
                    _convert(value, value_type, source, f"{where}{name}.{key}", choices, error)
    return _convert(data, kind, source, prefix, choices, error)


def _convert(data, kind, source: str, prefix: str = "", choices: dict | None = None,
             error: type = RuleDataError):
    try:
        return msgspec.convert(data, kind, strict=True)
    except msgspec.ValidationError as exc:
        text = str(exc)
        m = re.search(r" - at `([^`]*)`$", text)
        message, key = (text[:m.start()], _where(m.group(1))) if m else (text, "top level")
        if prefix:
            key = prefix if key == "top level" else f"{prefix}.{key}"
        unknown = re.match(r"Object contains unknown field `([^`]*)`", message)
        if unknown:  # name the key itself: 'clause[0].colour: unknown key'
            key = unknown.group(1) if key == "top level" else f"{key}.{unknown.group(1)}"
            message = "unknown key"
        field_name = re.sub(r"\[\d+\]$", "", key).rsplit(".", 1)[-1]
        if message.startswith("Invalid enum value"):
            message = f"unknown {field_name} {message.removeprefix('Invalid enum value').strip()}"
            if field_name in (choices or {}):
                message += f" (one of: {', '.join(choices[field_name])})"
        message = message.replace("Invalid RFC3339 encoded date", "expected a date (YYYY-MM-DD)")
        raise error(f"{source}: {key}: {message[:1].lower() + message[1:]}") from None


def load(path, kind: type[T], choices: dict | None = None) -> T:
    """Read the TOML file at ``path`` (a path or an importlib resource) as ``kind`` (``choices``
    as for :func:`convert`)."""
    try:
        with path.open("rb") if hasattr(path, "open") and not isinstance(path, str) else open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise RuleDataError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleDataError(f"{path}: cannot read: {exc.__class__.__name__}: {exc}") from None
    return convert(data, kind, str(path), choices=choices)
