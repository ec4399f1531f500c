"""No absolute path of any machine in any tracked file of the project (issue 22)."""

import re
import subprocess

import pytest

from .conftest import ROOT

#: A machine location: a home, work, temp or mount directory, or a Windows drive, at the start of
#: a path (after a space, quote, bracket, '=' or line start). URLs (``https://x.org/home/``) do not
#: match: their ``/home/`` follows a host name, not one of these characters.
MACHINE_PATH = re.compile(
    r"""(?:^|[\s"'`(\[=,:;])(?:/(?:home|work|Users|root|tmp|mnt|media|opt|var/folders|private/var|srv|scratch)/"""
    r"""[\w.\-]+|~/[\w.\-]+/|[A-Za-z]:\\\\?[\w.\-]+\\)""", re.MULTILINE)
#: Where a path-looking text is the point (the pattern itself and its tests).
EXEMPT = {"tests/test_paths.py"}


def tracked() -> list[str]:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [p for p in out.decode().split("\0") if p]


@pytest.mark.parametrize("text, hit", [
    ("wrote /work/main/benchmarks/out/results.json", True),
    ('"see /home/alice/chips.csv"', True),
    ("cd C:\\Users\\bob\\chips", True),
    ("(/tmp/build/x.csv)", True),
    ("read ~/projects/chips.csv", True),
    ("https://example.org/home/index.html", False),
    ("data/chips.csv and benchmarks/out/results.json", False),
    ("a ratio 3/4 and TB/s", False),
])
def test_pattern(text, hit):
    assert bool(MACHINE_PATH.search(text)) is hit


def test_no_tracked_file_names_a_machine_path():
    found = []
    for rel in tracked():
        if rel in EXEMPT:
            continue
        path = ROOT / rel
        if path.is_symlink() or not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:  # binary (images, Parquet)
            continue
        text = data.decode("utf-8", errors="replace")
        for m in MACHINE_PATH.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            found.append(f"{rel}:{line}: {m.group(0).strip()}")
    assert found == []
