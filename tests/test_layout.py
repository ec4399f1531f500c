"""The package's shape: one home per stage, every import pointing down, no cycles, small modules,
and shared CLI options that read the same in every command."""

from __future__ import annotations

import ast
from pathlib import Path

import click
import pytest

from chipclass.cli import main
from chipclass.cli.options import HELP

PKG = Path(__file__).resolve().parent.parent / "chipclass"
#: The stages, bottom to top: a module may import its own stage or any stage below it.
LAYERS = ["core", "rules", "classification", "licensing", "design", "outputs", "explanation", "api",
          "dask", "serve", "cli"]


def _modules():
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def _imports(path: Path, module: str, top_only: bool):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("chipclass"):
            yield node.module
            for alias in node.names:  # 'from chipclass.cli import catalogue' imports a module too
                yield f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("chipclass"):
                    yield alias.name


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def test_every_import_points_down():
    wrong = []
    for module, path in _modules():
        here = _stage(module)
        if here is None:
            continue
        for target in _imports(path, module, top_only=False):
            there = _stage(target)
            if there is not None and LAYERS.index(there) > LAYERS.index(here):
                wrong.append(f"{module} imports {target}")
    assert not wrong, wrong


def test_no_import_cycle():
    """No cycle among the package's modules, counting imports inside functions: a lazy import
    keeps start-up fast, it does not make a circle of dependencies acceptable."""
    known = {m for m, _ in _modules()}
    graph = {m: {t for t in _imports(p, m, top_only=False) if t in known and t != m} for m, p in _modules()}
    state: dict[str, int] = {}

    def visit(m, stack):
        state[m] = 1
        for t in sorted(graph[m]):
            if state.get(t) == 1:
                raise AssertionError(" -> ".join(stack + [m, t]))
            if t not in state:
                visit(t, stack + [m])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [])


def _commands():
    for name, cmd in main.commands.items():
        yield name, cmd


@pytest.mark.parametrize("option", sorted(HELP))
def test_shared_options_read_the_same_everywhere(option):
    seen = {}
    for name, cmd in _commands():
        for p in cmd.params:
            if isinstance(p, click.Option) and p.name in (option, {"format": "fmt", "to": "destinations",
                                                                   "rules": "rules_dir"}.get(option)):
                seen[name] = p.help
    assert seen, f"no command has {option}"
    assert set(seen.values()) == {HELP[option]}, seen


def test_to_is_always_a_destination():
    for name, cmd in _commands():
        for p in cmd.params:
            if isinstance(p, click.Option) and "--to" in p.opts:
                assert p.help == HELP["to"], name


@pytest.mark.parametrize("name", ["score", "explain", "check", "diff", "license", "tier", "model", "fleet",
                                  "sweep", "headroom", "plot"])
def test_every_command_has_quiet_and_format(name):
    opts = {o for p in main.commands[name].params if isinstance(p, click.Option) for o in p.opts}
    assert {"-q", "--quiet", "-f", "--format"} <= opts
