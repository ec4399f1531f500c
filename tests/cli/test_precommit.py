"""The pre-commit example of docs/pipelines.md, run for real.

The fast test checks that the documented ``rev:`` is the release tag of this version and that
its hook ids exist. The slow one runs the real ``pre-commit`` (the ``ci`` extra installs it)
with the documented configuration against this repository at its current commit (``repo:`` a
local path, ``rev:`` the commit hash; a tag works the same), in a temporary git repository,
without network: the hook environment sees the installed packages
(``VIRTUALENV_SYSTEM_SITE_PACKAGES``) and pip may not reach an index (``PIP_NO_INDEX``) nor
build in isolation. Uncommitted changes of this repository are not part of what it tests.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import chipclass

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "pipelines.md"


def documented_config() -> dict:
    """The ``.pre-commit-config.yaml`` block of docs/pipelines.md, parsed."""
    block = re.search(r"```yaml\n(# \.pre-commit-config\.yaml\n.*?)```", PAGE.read_text(encoding="utf-8"), re.S)
    assert block, "docs/pipelines.md has no .pre-commit-config.yaml example"
    return yaml.safe_load(block.group(1))


def test_documented_revision_is_this_release_and_hooks_exist():
    (repo,) = documented_config()["repos"]
    assert repo["rev"] == f"v{chipclass.__version__}"
    shipped = {h["id"] for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert {h["id"] for h in repo["hooks"]} <= shipped


def _git(cwd, *args) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.mark.slow
def test_real_pre_commit_runs_the_documented_hooks(tmp_path):
    if importlib.util.find_spec("pre_commit") is None:
        if os.environ.get("CHIPCLASS_CI"):
            pytest.fail("pre-commit is not installed (pip install -e '.[ci]')")
        pytest.skip("pre-commit is not installed (pip install -e '.[ci]')")
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    config = documented_config()
    config["repos"][0]["repo"] = str(ROOT)
    config["repos"][0]["rev"] = _git(ROOT, "rev-parse", "HEAD")
    project = tmp_path / "project"
    (project / "catalogue").mkdir(parents=True)
    _git(project, "init", "-q")
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    head, *rows = (ROOT / "data" / "chips.csv").read_text(encoding="utf-8").splitlines()
    h100 = next(r for r in rows if r.startswith("H100 SXM,"))  # 3A090.a.1 (TPP 15,832)
    h20 = next(r for r in rows if r.startswith("H20,"))        # 3A991.p (TPP 2,368)
    # The hook's own environment is installed offline: its dependencies come from this test's
    # environment (its site-packages on PYTHONPATH, seen by pip as installed and by the hook at
    # run time), so no package is downloaded and the base interpreter needs none of them.
    import sysconfig

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(PRE_COMMIT_HOME=str(tmp_path / "cache"), VIRTUALENV_SYSTEM_SITE_PACKAGES="1", PIP_NO_INDEX="1",
               PIP_NO_BUILD_ISOLATION="0", PIP_DISABLE_PIP_VERSION_CHECK="1",
               PYTHONPATH=os.pathsep.join(dict.fromkeys([sysconfig.get_paths()["purelib"],
                                                         sysconfig.get_paths()["platlib"]])))

    def run(lines: list[str]) -> subprocess.CompletedProcess:
        (project / "catalogue" / "chips.csv").write_text("\n".join([head, *lines]) + "\n", encoding="utf-8")
        _git(project, "add", "-A")
        return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"],
                              cwd=project, env=env, capture_output=True, text=True, timeout=900)

    r = run([h20, h100])
    assert r.returncode == 1, r.stdout + r.stderr
    assert re.search(r"chipclass check\.+Passed", r.stdout), r.stdout
    assert re.search(r"chipclass score --fail-on\.+Failed", r.stdout), r.stdout
    assert "3A090.a matched 1 device: 'H100 SXM'" in r.stdout and "catalogue/chips.csv: devices matched --fail-on" in r.stdout

    r = run([h20])
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"chipclass score --fail-on\.+Passed", r.stdout), r.stdout

    r = run([h20.replace("H20,", "H20 copy,", 1).replace(",296,", ",296 parsecs,", 1)])
    assert r.returncode == 1 and re.search(r"chipclass check\.+Failed", r.stdout), r.stdout
    assert "catalogue/chips.csv" in r.stdout
