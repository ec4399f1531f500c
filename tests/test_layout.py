"""The package's shape: one home per stage, every import pointing down, no cycles, small modules,
and shared CLI options that read the same in every command."""

from __future__ import annotations

import ast
import re
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
                                                                   "rules": "rules_dir", "spec": "specs"}.get(option)):
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


#: Regulatory literals that belong in rule data: a paragraph or ECCN (3A090.a, 4E091), a Federal
#: Register citation (90 FR 4544), a CFR section (742.6, 15 CFR), a Supplement, a Country Group
#: (D:5, "Country Group") or a part of the EAR (part 746).
REGULATORY = re.compile(r"\b[0-9][A-E][0-9]{3}(\.[a-z0-9]+)*\b|\b[0-9]+ FR [0-9]+|\b7[0-9]{2}\.[0-9]+|\b15 CFR\b"
                        r"|Supplement No|Country Group|\b[A-E]:[0-9]\b|\bpart 7[0-9]{2}\b")
#: Modules another helper is moving (the map renderer and its colours go to outputs/ and rule data).
LITERALS_ELSEWHERE = {"design/plot.py"}


def _docstrings(tree) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                out.add(id(first.value))
    return out


def test_no_regulatory_literal_in_python():
    """Paragraph names, FR citations, CFR sections and Country Groups live in rule data: every
    string in the package's code (docstrings aside, which explain) is checked."""
    found = []
    for _, path in _modules():
        rel = str(path.relative_to(PKG))
        if rel in LITERALS_ELSEWHERE:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
                m = REGULATORY.search(node.value)
                if m:
                    found.append(f"{rel}:{node.lineno}: {m.group(0)!r}")
    assert not found, found


def test_the_literal_check_can_fail():
    for text in ("3A090.a", "4E091", "90 FR 4544", "15 CFR 742.6", "D:5", "Country Group E:1", "part 746"):
        assert REGULATORY.search(text), text
    for text in ("fp8", "TPP 4800", "2025-01-13", "row 3", "ISO 3166"):
        assert not REGULATORY.search(text), text


def test_no_import_of_another_modules_private_name():
    """``from chipclass.x import _name`` reaches into another module's insides: make it public or
    move it (aliasing a public name to a private one is fine)."""
    wrong = []
    for module, path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("chipclass"):
                wrong += [f"{module} imports {node.module}.{a.name}" for a in node.names
                          if a.name.startswith("_") and not a.name.startswith("__")]
    assert not wrong, wrong


#: Longest function (lines, decorators excluded) without a written reason.
MAX_FUNCTION_LINES = 60


def test_no_long_function_without_a_reason():
    """A function over :data:`MAX_FUNCTION_LINES` lines says why in its docstring, in a
    sentence starting ``Length:``; every other one is split by meaning."""
    long = []
    for _, path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES and "Length:" not in (ast.get_docstring(node) or ""):
                    long.append(f"{path.relative_to(PKG)}:{node.lineno} {node.name} ({n} lines)")
    assert not long, long


def test_layout_page_lists_every_module():
    """docs/layout.md names every module of the package (and none that is gone)."""
    import re

    root = Path(__file__).resolve().parents[1]
    page = (root / "docs" / "layout.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"`chipclass/([\w/]+\.py)`", page))
    modules = {p.relative_to(root / "chipclass").as_posix() for p in (root / "chipclass").rglob("*.py")}
    assert modules - listed == set(), f"docs/layout.md lacks {sorted(modules - listed)}"
    assert listed - modules == set(), f"docs/layout.md lists modules that are gone: {sorted(listed - modules)}"
