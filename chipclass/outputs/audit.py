"""Audit fields every machine-readable output carries: what produced it, from what, under which rules.

============================  =====================================================================
key                           meaning
============================  =====================================================================
``chipclass``                 the chipclass version that wrote the output
``rule_sets``                 the composed rule-set id(s) applied (``2023-11-acs+2024-12-hbm``)
``as_of``                     the date whose rules applied (YYYY-MM-DD)
``input``                     the input file as given (``<stdin>`` for stdin)
``input_sha256``              SHA-256 of the input file's bytes (null for stdin or a DataFrame)
``horizon``                   the rule data's knowledge horizon: the last day reviewed (YYYY-MM-DD)
``past_horizon``              whether ``as_of`` is after it (rules published since are unknown)
============================  =====================================================================

Where the fields go: JSON is ``{"meta": {...}, "rows": [...]}``; JSON Lines has a first line
``{"_meta": {...}}`` before one line per row; Parquet carries them as the JSON value of the
schema metadata key ``chipclass``; SARIF in ``runs[0].properties`` (and the input's hash in
``runs[0].artifacts``); JUnit as ``<properties>`` of the test suite. CSV and the table carry none
(they are for people and spreadsheets).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os

__all__ = ["audit_meta", "sha256_of", "META_KEY"]

#: Parquet schema-metadata key (and JSON Lines first-line key, with a leading underscore).
META_KEY = "chipclass"


def sha256_of(path) -> str | None:
    """Hex SHA-256 of a file's bytes, read in 1 MiB blocks; None for stdin or a non-file."""
    if not isinstance(path, (str, os.PathLike)) or str(path) == "-" or not os.path.isfile(path):
        return None
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def audit_meta(source, rule_sets, as_of=None, rules_dir: str | None = None) -> dict:
    """The audit fields for an output made from ``source`` under ``rule_sets`` on ``as_of``.

    ``rule_sets`` is one id or several (kept in first-seen order, without repeats); ``as_of``
    None means today, as for the rules themselves.

    >>> m = audit_meta("-", ["2023-11-acs+2024-12-hbm"], "2025-01-01")
    >>> m["as_of"], m["input"], m["input_sha256"]
    ('2025-01-01', '<stdin>', None)
    """
    from chipclass import __version__

    if isinstance(rule_sets, str):
        rule_sets = [rule_sets]
    if as_of is None:
        as_of = dt.date.today()
    elif isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    from chipclass.rules.horizon import horizon

    h = horizon(rules_dir).reviewed_through
    return {"chipclass": __version__, "rule_sets": list(dict.fromkeys(str(r) for r in rule_sets)),
            "as_of": as_of.isoformat(), "input": "<stdin>" if str(source) == "-" else str(source),
            "input_sha256": sha256_of(source), "horizon": h.isoformat(), "past_horizon": as_of > h}
