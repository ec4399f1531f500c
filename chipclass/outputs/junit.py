"""JUnit XML output (``-f junit``): one test case per device, so a CI test view lists them.

``score``: a ``<testsuite name="chipclass score">`` with one ``<testcase classname=FILE
name=DEVICE>`` per row. A row matching ``--fail-on`` is a ``<failure>``; without ``--fail-on``
every *controlled* row is a failure (the report then shows what the rules control), but the exit
code stays 0: only ``--fail-on`` decides the exit code, the report only displays. An
indeterminate row that does not match is ``<skipped>`` (the rules could not decide it: a figure
is missing). ``license``: one test case per device x destination (``name="DEVICE -> DEST"``);
failures are rows matching ``--fail-on``, else rows that need a licence; undecidable rows are
skipped.

The audit fields (:mod:`chipclass.outputs.audit`) are the suite's ``<properties>``. The layout
follows the Ant/Jenkins JUnit schema (``tests/data/schemas/junit-10.xsd``): ``testsuites`` >
``testsuite`` (``name tests failures errors skipped time timestamp``) > ``properties``,
``testcase`` (``classname name time``) > ``failure``/``skipped`` (``message type``).
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from chipclass.outputs.sarif import column

__all__ = ["junit_xml", "Case"]


class Case:
    """One test case: ``failure`` or ``skipped`` is a message (None: passed)."""

    __slots__ = ("classname", "name", "failure", "skipped", "detail")

    def __init__(self, classname: str, name: str, failure: str | None = None, skipped: str | None = None,
                 detail: str = ""):
        self.classname, self.name, self.failure, self.skipped, self.detail = classname, name, failure, skipped, detail


def _clean(text) -> str:
    """XML 1.0 cannot hold most control characters: drop them."""
    return "".join(ch for ch in str(text) if ch in "\t\n\r" or ord(ch) >= 0x20)


def junit_xml(suite: str, cases: list[Case], meta: dict) -> str:
    """The JUnit XML document of ``cases`` with the audit fields ``meta`` as suite properties."""
    failures = sum(c.failure is not None for c in cases)
    skipped = sum(c.failure is None and c.skipped is not None for c in cases)
    stamp = dt.datetime.now(dt.timezone.utc).replace(microsecond=0, tzinfo=None).isoformat()
    root = ET.Element("testsuites", name="chipclass", tests=str(len(cases)), failures=str(failures),
                      errors="0", skipped=str(skipped), time="0")
    ts = ET.SubElement(root, "testsuite", name=suite, tests=str(len(cases)), failures=str(failures),
                       errors="0", skipped=str(skipped), time="0", timestamp=stamp)
    props = ET.SubElement(ts, "properties")
    for key, value in meta.items():
        if isinstance(value, (list, tuple)):
            value = ",".join(map(str, value))
        ET.SubElement(props, "property", name=key, value=_clean("" if value is None else value))
    for c in cases:
        tc = ET.SubElement(ts, "testcase", classname=_clean(c.classname), name=_clean(c.name), time="0")
        if c.failure is not None:
            f = ET.SubElement(tc, "failure", message=_clean(c.failure), type="chipclass.finding")
            f.text = _clean(c.detail or c.failure)
        elif c.skipped is not None:
            ET.SubElement(tc, "skipped", message=_clean(c.skipped))
    ET.indent(root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def score_cases(frame, meta: dict, hit, fail_on) -> list[Case]:
    """Test cases of a ``score`` table (see the module docstring for what fails)."""
    import os

    classname = os.path.basename(meta["input"]) or meta["input"]
    status = [str(x) for x in column(frame, "status")]
    clause = column(frame, "clause")
    missing = column(frame, "missing")
    names = [str(x) for x in column(frame, "name")]
    out = []
    for i in range(len(frame)):
        label = clause[i] if isinstance(clause[i], str) else status[i]
        failed = bool(hit[i]) if fail_on else status[i] == "controlled"
        what = f"; matches --fail-on {', '.join(fail_on)}" if fail_on else ""
        if failed:
            out.append(Case(classname, names[i], failure=f"{label} ({status[i]}{what})",
                            detail=f"row {i + 1}: {names[i]} is {label} under {meta['rule_sets'][0]} "
                                   f"as of {meta['as_of']}"))
        elif status[i] == "indeterminate":
            need = missing[i] if isinstance(missing[i], str) and missing[i] else "a figure"
            out.append(Case(classname, names[i], skipped=f"indeterminate: needs {need}"))
        else:
            out.append(Case(classname, names[i]))
    return out


def license_cases(frame, required, meta: dict, hit, fail_on) -> list[Case]:
    """Test cases of a ``license`` table: one per device x destination; ``required`` is each
    row's licence code (1 yes, 0 no, -1 unknown)."""
    import os

    classname = os.path.basename(meta["input"]) or meta["input"]
    names = [str(x) for x in column(frame, "name")]
    dest = [str(x) for x in column(frame, "destination")]
    basis = column(frame, "basis")
    out = []
    for i in range(len(frame)):
        unknown, need = required[i] < 0, required[i] == 1
        failed = bool(hit[i]) if fail_on else need
        name = f"{names[i]} -> {dest[i]}"
        why = basis[i] if isinstance(basis[i], str) else ""
        if failed:
            out.append(Case(classname, name, failure=("licence required" if need else "matches --fail-on")
                            + (f": {why}" if why else "")))
        elif unknown:
            out.append(Case(classname, name, skipped="licence need cannot be decided" + (f": {why}" if why else "")))
        else:
            out.append(Case(classname, name))
    return out
