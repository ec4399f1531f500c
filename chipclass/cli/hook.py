"""Run one chipclass command on each of several files: the pre-commit hooks' entry point.

pre-commit passes every changed file at once (``chipclass score --fail-on controlled a.csv
b.csv``), but ``check`` and ``score`` read one catalogue. ``python -m chipclass.cli.hook
COMMAND [OPTIONS] FILE...`` runs ``chipclass COMMAND [OPTIONS] FILE`` for each trailing
argument that names a catalogue file (``.csv``, ``.tsv``, ``.parquet``, ``.pq``), in one
process, and exits with the highest exit code (0 clean, 1 a ``--fail-on`` match, 2 an error).
"""

from __future__ import annotations

import sys

SUFFIXES = (".csv", ".tsv", ".parquet", ".pq")


def split(argv: list[str]) -> tuple[list[str], list[str]]:
    """(command and options, files): the files are the trailing catalogue-file arguments.

    >>> split(["score", "--fail-on", "controlled", "a.csv", "b.parquet"])
    (['score', '--fail-on', 'controlled'], ['a.csv', 'b.parquet'])
    """
    k = len(argv)
    while k > 1 and argv[k - 1].lower().endswith(SUFFIXES):
        k -= 1
    return argv[:k], argv[k:]


def run(argv: list[str] | None = None) -> int:
    """Run ``chipclass COMMAND [OPTIONS] FILE`` for each trailing catalogue file (the hooks' entry).

    Parameters
    ----------
    argv : list of str, optional
        ``COMMAND [OPTIONS] FILE...`` (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The highest exit code of the runs: 0 clean, 1 a ``--fail-on`` match, 2 an error or no
        command given.
    """
    from chipclass.cli import main

    args, files = split(list(sys.argv[1:] if argv is None else argv))
    if not args:
        print("usage: python -m chipclass.cli.hook COMMAND [OPTIONS] FILE...", file=sys.stderr)
        return 2
    worst = 0
    for f in files:
        try:
            main.main(args=[*args, f], prog_name="chipclass", standalone_mode=True)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        if code:
            what = "devices matched --fail-on (named above)" if code == 1 else "failed"
            print(f"chipclass: {f}: {what} (exit {code})", file=sys.stderr)
        worst = max(worst, code)
    return worst


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
