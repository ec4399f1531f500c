"""``--help``: every option explained, one meaning per option name across commands, and no
option offered where it cannot apply."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from chipclass.cli import main


def _commands():
    out = [("chipclass", main)]
    for name, cmd in sorted(main.commands.items()):
        out.append((name, cmd))
        if isinstance(cmd, click.Group):
            out += [(f"{name} {sub}", c) for sub, c in sorted(cmd.commands.items())]
    return out


def _options(cmd):
    return [p for p in cmd.params if isinstance(p, click.Option) and not p.hidden]


COMMANDS = _commands()


@pytest.mark.parametrize("name,cmd", COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_option_has_help_text(name, cmd):
    missing = ["/".join(p.opts) for p in _options(cmd) if not (p.help or "").strip()]
    assert not missing, f"chipclass {name}: options without help text: {missing}"


def test_an_option_name_has_one_help_text_across_commands():
    seen: dict[str, dict[str, list[str]]] = {}
    for name, cmd in COMMANDS:
        for p in _options(cmd):
            for opt in p.opts + p.secondary_opts:
                if opt.startswith("--"):
                    seen.setdefault(opt, {}).setdefault(p.help.strip(), []).append(name)
    clashes = {opt: texts for opt, texts in seen.items() if len(texts) > 1}
    assert not clashes, f"option names with more than one meaning: {clashes}"


def test_no_csv_guard_only_where_csv_can_be_written():
    for name, cmd in COMMANDS:
        opts = {o: p for p in _options(cmd) for o in p.opts}
        writes_csv = "--format" in opts and "csv" in opts["--format"].type.choices
        assert ("--no-csv-guard" in opts) == writes_csv, name


@pytest.mark.parametrize("name", [n for n, _ in COMMANDS[1:]])
def test_help_runs(name):
    r = CliRunner().invoke(main, [*name.split(), "--help"])
    assert r.exit_code == 0 and "Usage:" in r.output


def test_explain_view_foundry_is_a_deprecated_alias_of_foundry():
    args = ["explain", "X", "--spec", "fp8=296 TFLOPS", "--spec", "process_node=5 nm", "--as-of", "2025-06-01"]
    new = CliRunner().invoke(main, [*args, "--foundry"])
    old = CliRunner().invoke(main, [*args, "--view", "foundry"])
    assert new.exit_code == old.exit_code == 0
    assert "deprecated" in old.stderr and "--foundry" in old.stderr and "deprecated" not in new.stderr
    assert old.stdout == new.stdout and "presum" in new.stdout.lower()
    assert "--view" not in CliRunner().invoke(main, ["explain", "--help"]).output
