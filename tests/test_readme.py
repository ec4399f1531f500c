"""The README and the documentation pages cannot drift from the program: every ``$ command``
shown in a ```text block of README.md or of any ``docs/**/*.md`` page is run (from the
repository root) and its output compared with what the page shows.

A line that is only ``...`` stands for any number of lines (an output shortened in the README);
a command followed directly by another command (or the block's end) must merely succeed.
``chipclass`` commands run in process through click's CliRunner (stdout and stderr together, as
a terminal shows them); others (``cat``) through the shell.

To refresh the outputs after a deliberate change: ``python tests/test_readme.py --update``
(then read the diff: the pages are documentation, not a snapshot to accept blindly).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
#: Every page whose examples are checked: the README, then the docs site's pages.
PAGES = [README, *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"^```text\n(.*?)^```", re.S | re.M)


def examples(text: str):
    """(command, shown output lines, line number) for every ``$`` line of every text block."""
    out = []
    for block in FENCE.finditer(text):
        start = text[:block.start()].count("\n") + 2
        lines = block.group(1).splitlines()
        i = 0
        while i < len(lines):
            if lines[i].startswith("$ "):
                j = i + 1
                while j < len(lines) and not lines[j].startswith("$ "):
                    j += 1
                out.append((lines[i][2:], lines[i + 1:j], start + i))
                i = j
            else:
                i += 1
    return out


SHELL = re.compile(r"[|;&<>`$]")


def run(command: str) -> tuple[int, str]:
    if command.startswith("chipclass ") and SHELL.search(command):
        # a pipeline (chipclass ... | grep X): through the shell, with this checkout's chipclass
        import os

        env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80"}
        line = f"{shlex.quote(sys.executable)} -m chipclass {command[len('chipclass '):]}"
        p = subprocess.run(line, shell=True, cwd=ROOT, capture_output=True, text=True, env=env)
        return p.returncode, p.stdout + p.stderr
    if command.startswith("chipclass "):
        from click.testing import CliRunner

        from chipclass.cli import main

        import os
        cwd = os.getcwd()
        os.chdir(ROOT)
        try:
            r = CliRunner(env={"COLUMNS": "80"}).invoke(main, shlex.split(command)[1:], prog_name="chipclass")
        finally:
            os.chdir(cwd)
        return r.exit_code, r.output
    p = subprocess.run(command, shell=True, cwd=ROOT, capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def matches(shown: list[str], got: list[str]) -> bool:
    """Whether ``got`` fits ``shown``, where a lone '...' line matches any run of lines."""
    shown = [s.rstrip() for s in shown]
    got = [g.rstrip() for g in got]
    while shown and not shown[-1]:
        shown.pop()
    while got and not got[-1]:
        got.pop()

    def fit(i, j):
        if i == len(shown):
            return j == len(got)
        if shown[i] == "...":
            return any(fit(i + 1, k) for k in range(j, len(got) + 1))
        return j < len(got) and shown[i] == got[j] and fit(i + 1, j + 1)

    return fit(0, 0)


CASES = [(page.relative_to(ROOT).as_posix(), *case) for page in PAGES
         for case in examples(page.read_text(encoding="utf-8"))]


def test_pages_have_examples():
    per_page = {page: sum(1 for c in CASES if c[0] == page) for page in {c[0] for c in CASES}}
    assert per_page.get("README.md", 0) >= 2 and len(CASES) >= 30, per_page


@pytest.mark.parametrize("page,command,shown,line", CASES, ids=[f"{c[0]}:L{c[3]}" for c in CASES])
def test_page_example(page, command, shown, line):
    code, output = run(command)
    # an example that shows an error shows the one-line refusal, exit 2; every other exits 0 or 1
    expected = (2,) if shown and shown[0].startswith("chipclass: error:") else (0, 1)
    assert code in expected, f"{page} line {line}: `{command}` exited {code}:\n{output}"
    if shown:
        assert matches(shown, output.splitlines()), (
            f"{page} line {line}: `{command}` prints something else now:\n{output}")


def update(page: Path = README) -> None:
    """Rewrite the shown outputs with what the commands print (keeps '...' shortening rules out)."""
    text = page.read_text(encoding="utf-8")
    pieces, pos = [], 0
    for block in FENCE.finditer(text):
        body = block.group(1).splitlines()
        new, i = [], 0
        while i < len(body):
            if body[i].startswith("$ "):
                j = i + 1
                while j < len(body) and not body[j].startswith("$ "):
                    j += 1
                new.append(body[i])
                shown = body[i + 1:j]
                if shown:
                    _, output = run(body[i][2:])
                    got = output.rstrip("\n").splitlines()
                    if "..." in [s.strip() for s in shown] and matches(shown, got):
                        new += shown  # shortened and still true: keep the shortening
                    else:
                        new += [g.rstrip() for g in got]
                i = j
            else:
                new.append(body[i])
                i += 1
        pieces.append(text[pos:block.start(1)] + "\n".join(new) + "\n")
        pos = block.end(1)
    pieces.append(text[pos:])
    page.write_text("".join(pieces), encoding="utf-8")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    if "--update" in sys.argv:
        for one in PAGES:
            update(one)
