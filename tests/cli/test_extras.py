"""Optional features name their extra in one line when its library is missing (exit 2).

The import failing is simulated in process: a ``None`` in ``sys.modules`` makes ``import
matplotlib`` (and every ``import matplotlib.x``) raise ModuleNotFoundError, as on a lean install.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from chipclass.cli import main
from chipclass.core.extras import OPTIONAL

ROOT = Path(__file__).resolve().parents[2]


def _block(monkeypatch, top: str) -> None:
    for name in [m for m in sys.modules if m == top or m.startswith(top + ".")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, top, None)


@pytest.mark.parametrize("args,top,line", [
    (["plot", "data/chips.csv", "--as-of", "2025-06-01", "-o", "{tmp}/map.png", "-q"], "matplotlib",
     "chipclass: error: plot needs matplotlib: pip install 'chipclass[plot]'"),
    (["score", "data/chips.csv", "--engine", "dask", "--as-of", "2025-06-01", "-f", "csv", "-o", "{tmp}/out.csv",
      "-q"], "dask", "chipclass: error: --engine dask needs dask: pip install 'chipclass[dask]'"),
])
def test_a_missing_extra_is_named_in_one_line(monkeypatch, tmp_path, args, top, line):
    monkeypatch.chdir(ROOT)
    _block(monkeypatch, top)
    r = CliRunner().invoke(main, [a.replace("{tmp}", str(tmp_path)) for a in args])
    assert r.exit_code == 2, r.output
    assert r.stderr.splitlines() == [line]
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_a_missing_core_library_stays_an_internal_error(monkeypatch):
    from chipclass.core.extras import missing_extra

    assert missing_extra(ModuleNotFoundError("No module named 'numpy'", name="numpy")) is None
    assert missing_extra(ImportError("cannot import name 'x' from 'matplotlib'", name="matplotlib")) is None


def test_optional_table_agrees_with_pyproject():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]

    def dist(req: str) -> str:
        return re.split(r"[\[<>=!~; ]", req, maxsplit=1)[0].lower()

    from chipclass.core.extras import DISTRIBUTIONS

    for module, (extra, _feature) in OPTIONAL.items():
        assert DISTRIBUTIONS.get(module, module) in {dist(r) for r in extras[extra]}, (module, extra)
    # every library of a feature extra (not the test/docs/ci tooling) has a hint
    for extra, reqs in extras.items():
        if extra in ("test", "docs", "ci", "bench"):  # tooling, not features
            continue
        for r in reqs:
            if not dist(r).startswith("chipclass"):
                assert dist(r) in {DISTRIBUTIONS.get(m, m) for m in OPTIONAL}, f"extra {extra!r}: no hint for {dist(r)} in chipclass.core.extras.OPTIONAL"


def test_the_scoring_install_needs_no_extra():
    # what `pip install -e .` installs is enough to score: no optional library among the
    # dependencies, and scoring the catalogue imports none of them
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert not {re.split(r"[\[<>=!~; ]", d, maxsplit=1)[0].lower() for d in deps} & set(OPTIONAL)
    import subprocess

    code = ("import sys; from chipclass.cli import main\n"
            "try:\n main(['score', 'data/chips.csv', '-q', '-f', 'json', '-o', '/dev/null'])\n"
            "except SystemExit as e: assert not e.code, e.code\n"
            f"print(sorted(m for m in {sorted(OPTIONAL)!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
