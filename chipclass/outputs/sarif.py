"""SARIF 2.1.0 output (``-f sarif``): findings a code-scanning view shows natively.

One *rule* per 3A090 clause of the rule set applied (its id, the clause text, and the Federal
Register citation of the instrument that wrote it as help text), plus ``indeterminate`` for
rows the rules cannot decide. One *result* per row that is controlled or indeterminate (for
``license``: per device x destination that needs a licence or cannot be decided). Levels:
``error`` for a row matching ``--fail-on``, else ``warning`` for a controlled row (a licence
required) and ``note`` for an indeterminate one.

Locations: a CSV row is a line of the file (data row *r*, counted from 1, is line *r* + 1: the
header is line 1; a quoted cell spanning lines would shift this, and the SARIF then points at the
row's first line only approximately). A Parquet file has no lines: the row is a logical location
``row[r]`` (*r* from 1, as in chipclass's messages) inside the file's artifact location. Stdin has
only the logical location. ``partialFingerprints`` carry the device name, so a code-scanning
service tracks a finding across commits that move the row.

The audit fields (:mod:`chipclass.outputs.audit`) are in ``runs[0].properties``, and the input's
SHA-256 also in ``runs[0].artifacts[0].hashes``.
"""

from __future__ import annotations

import json
import os

__all__ = ["score_sarif", "license_sarif", "column", "SCHEMA_URI", "INDETERMINATE_RULE"]


def column(frame, name: str) -> list:
    """One column of a result table (a pyarrow Table or a pandas DataFrame) as a Python list."""
    if hasattr(frame, "schema"):  # pyarrow
        return frame.column(name).to_pylist()
    return frame[name].astype(object).tolist()

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INDETERMINATE_RULE = "indeterminate"


def _rules(rules) -> list[dict]:
    cites = {i.id: i for i in rules.instruments}
    out = []
    for c in rules.clauses:
        inst = cites.get(c.instrument)
        citation = (f"{inst.citation} (FR Doc {inst.fr_doc}, {inst.id}, effective {inst.effective.isoformat()})"
                    if inst is not None else str(c.instrument))
        out.append({"id": c.id, "name": c.id.replace(".", "_"),
                    "shortDescription": {"text": f"ECCN {c.eccn}: {c.text}"},
                    "fullDescription": {"text": c.text},
                    "help": {"text": f"{c.id}: {c.text} Source: {citation}."},
                    "properties": {"eccn": c.eccn, "instrument": c.instrument,
                                   "confidence": c.confidence or "", "citation": citation}})
    out.append({"id": INDETERMINATE_RULE, "name": "indeterminate",
                "shortDescription": {"text": "The rules in force cannot decide this device from the figures given."},
                "help": {"text": "A figure a clause needs (throughput, die area, ...) is missing; the "
                                 "'missing' column names it. Add it to the catalogue to decide the row."}})
    return out


def _uri(source: str) -> str | None:
    if source in ("-", "<stdin>") or source.startswith("<"):
        return None
    return os.path.relpath(source).replace(os.sep, "/") if not os.path.isabs(source) else source.replace(os.sep, "/")


def _location(source: str, row: int, name: str) -> dict:
    """Row ``row`` (from 1) of ``source`` as a SARIF location."""
    loc: dict = {"logicalLocations": [{"name": str(name), "fullyQualifiedName": f"row[{row}]", "kind": "element"}]}
    uri = _uri(source)
    if uri is not None:
        physical: dict = {"artifactLocation": {"uri": uri, "index": 0}}
        if not uri.lower().endswith((".parquet", ".pq")):
            physical["region"] = {"startLine": row + 1}
        loc["physicalLocation"] = physical
    return loc


def _log(rules, meta: dict, results: list[dict]) -> str:
    source = meta["input"]
    run: dict = {"tool": {"driver": {"name": "chipclass", "version": meta["chipclass"],
                                     "semanticVersion": meta["chipclass"],
                                     "rules": _rules(rules)}},
                 "results": results,
                 "columnKind": "unicodeCodePoints",
                 "properties": dict(meta)}
    uri = _uri(source)
    if uri is not None:
        artifact: dict = {"location": {"uri": uri}}
        if meta.get("input_sha256"):
            artifact["hashes"] = {"sha-256": meta["input_sha256"]}
        run["artifacts"] = [artifact]
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=1, ensure_ascii=False) + "\n"


def _rule_index(rules) -> dict[str, int]:
    ids = {c.id: k for k, c in enumerate(rules.clauses)}
    ids[INDETERMINATE_RULE] = len(rules.clauses)
    return ids


def _num(v) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return "?"
    return "?" if f != f else f"{f:.4g}"


def score_sarif(frame, rules, meta: dict, hit) -> str:
    """The SARIF log of a ``score`` result table.

    Parameters
    ----------
    frame : pandas.DataFrame
        The result table (:meth:`Classification.to_frame`), rows in file order.
    rules : RuleSet
        The rule set applied (its clauses become the SARIF rules).
    meta : dict
        The audit fields (:func:`chipclass.outputs.audit.audit_meta`).
    hit : array of bool
        Rows matching ``--fail-on`` (level ``error``).
    """
    index = _rule_index(rules)
    status = [str(x) for x in column(frame, "status")]
    clause = column(frame, "clause")
    missing = column(frame, "missing")
    names = [str(x) for x in column(frame, "name")]
    tpp, pd_ = column(frame, "tpp"), column(frame, "performance_density")
    results = []
    for i in range(len(frame)):
        if status[i] not in ("controlled", "indeterminate"):
            continue
        rule_id = clause[i] if isinstance(clause[i], str) else INDETERMINATE_RULE
        if status[i] == "controlled":
            text = (f"{names[i]}: {rule_id} (controlled under {meta['rule_sets'][0]} as of {meta['as_of']}); "
                    f"TPP {_num(tpp[i])}, performance density {_num(pd_[i])}")
        else:
            need = missing[i] if isinstance(missing[i], str) and missing[i] else "a figure"
            text = f"{names[i]}: indeterminate as of {meta['as_of']} (needs {need})"
        level = "error" if hit[i] else ("warning" if status[i] == "controlled" else "note")
        results.append({"ruleId": rule_id, **({"ruleIndex": index[rule_id]} if rule_id in index else {}), "level": level,
                        "message": {"text": text}, "locations": [_location(meta["input"], i + 1, names[i])],
                        "partialFingerprints": {"chipclassDevice/v1": names[i]},
                        "properties": {"status": status[i], "row": i + 1}})
    return _log(rules, meta, results)


def license_sarif(frame, required, rules, meta: dict, hit, rows) -> str:
    """The SARIF log of a ``license`` table: a result per device x destination that needs a
    licence (``warning``) or cannot be decided (``note``); ``required`` is each row's licence
    code (1 yes, 0 no, -1 unknown: :class:`~chipclass.licensing.result.LicenceView`), ``rows``
    each row's catalogue row (from 1), ``hit`` the rows matching ``--fail-on`` (``error``)."""
    index = _rule_index(rules)
    clause = column(frame, "clause")
    names = [str(x) for x in column(frame, "name")]
    dest = [str(x) for x in column(frame, "destination")]
    basis = column(frame, "basis")
    results = []
    for i in range(len(frame)):
        if required[i] == 0:
            continue
        rule_id = clause[i] if isinstance(clause[i], str) else INDETERMINATE_RULE
        why = basis[i] if isinstance(basis[i], str) else ""
        text = (f"{names[i]} to {dest[i]}: licence required as of {meta['as_of']} ({rule_id}; {why})"
                if required[i] == 1
                else f"{names[i]} to {dest[i]}: cannot be decided as of {meta['as_of']} ({why})")
        level = "error" if hit[i] else ("note" if required[i] < 0 else "warning")
        results.append({"ruleId": rule_id, **({"ruleIndex": index[rule_id]} if rule_id in index else {}), "level": level,
                        "message": {"text": text}, "locations": [_location(meta["input"], int(rows[i]), names[i])],
                        "partialFingerprints": {"chipclassDevice/v1": f"{names[i]}|{dest[i]}"},
                        "properties": {"destination": dest[i], "row": int(rows[i])}})
    return _log(rules, meta, results)
