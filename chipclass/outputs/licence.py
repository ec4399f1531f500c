"""Licence answers for people and machines: the table, the JSON rows, the matrix and the
``explain --to`` block, all made from a :class:`~chipclass.licensing.result.LicenceResult`.

Legal text (each record's ``basis`` citation, a review ``policy``, an exception's ``section``
and ``notification``, a product note's ``text``) comes from the rule data the record holds;
the wording around it is made here. Nothing is read back from a sentence: which rows need a
licence, which exceptions apply and which policy governs are codes and record ids.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chipclass.classification.logic import INPUTS, NEEDS, STATUS, bit_names
from chipclass.licensing.result import REASONS
from chipclass.outputs.tables import safe

__all__ = ["licence_frame", "licence_rows", "matrix_text", "matrix_cells", "licence_explain_lines", "exception_label",
           "basis_texts", "not_enforced_text", "required_array"]

_INDETERMINATE, _CANNOT, _NOT_EXPORT, _NO_ECCN = (REASONS.index(x) for x in
                                                   ("indeterminate", "cannot_decide", "not_export", "no_eccn"))


def _join(bits: np.ndarray, labels, sep: str) -> np.ndarray:
    """Per-row text from a bitmask over ``labels``, built once per distinct mask (None for 0)."""
    out = np.full(len(bits), None, dtype=object)
    for b in np.unique(bits):
        if b:
            out[bits == b] = sep.join(bit_names(b, labels))
    return out


def _inputs(bits: np.ndarray) -> np.ndarray:
    return _join(bits, INPUTS, ", ")


def exception_label(r) -> str:
    """An exception as shown: its id, the CFR section and any notification it needs."""
    extra = f", {r.notification}" if r.notification else ""
    return f"{r.id} ({r.section}{extra})"


def _needs(r) -> str:
    return ", ".join(dict.fromkeys(i for c in r.conditions for i in NEEDS[c.metric]))


def basis_texts(res, v) -> np.ndarray:
    """Why each row of view ``v`` needs a licence or not, as a sentence."""
    cl = res.classification
    final = np.asarray(cl.final_labels + [""], dtype=object)[cl.final][res.device]
    out = _join(v.licence, [r.basis for r in v.records.licence], "; ")
    cls_missing = _inputs(cl.missing)[res.device]
    miss = _inputs(v.missing)
    for i in np.flatnonzero(v.reason != 0):
        code = v.reason[i]
        if code == _INDETERMINATE:
            out[i] = "classification indeterminate, missing: " + (cls_missing[i] or "")
        elif code == _CANNOT:
            out[i] = "cannot decide: needs " + (miss[i] or "")
        elif code == _NOT_EXPORT:
            out[i] = "not an export (destination is the United States)"
        elif code == _NO_ECCN:
            out[i] = "ECCN not decided (no clause met and the ECCN below it is unknown): no licence requirement found"
        else:
            out[i] = f"{final[i]}: no licence requirement for this destination and buyer"
    return out


def _exceptions_text(v) -> np.ndarray:
    exc = v.records.exception
    labels = [exception_label(r) for r in exc] + [f"{exception_label(r)} [cannot decide: needs {_needs(r)}]"
                                                 for r in exc]
    sure = v.exceptions & ~v.exceptions_maybe
    return _join(sure | (v.exceptions_maybe << len(exc)), labels, " | ")


def _review_text(v) -> np.ndarray:
    rev = v.records.review
    out = np.asarray([f"{r.policy} [{r.basis}]" for r in rev] + [None], dtype=object)[v.review]
    need = _inputs(v.review_missing)
    for i in np.flatnonzero(v.review_missing):
        r = rev[v.review[i]]
        cond = " and ".join(c.describe() for c in r.conditions)
        out[i] = f"cannot decide: needs {need[i]} ({r.policy} if {cond}) [{r.basis}]"
    return out


def required_array(v) -> pd.arrays.BooleanArray:
    """``required`` codes as a nullable boolean column (unknown: null)."""
    return pd.array(np.where(v.required < 0, None, v.required == 1), dtype="boolean")


def _note_text(note, until: bool = False) -> str:
    end = f" (until {note['until'].isoformat()})" if until and note["until"] else ""
    return (f"{note['date'].isoformat()} {note['id']}{end}: {note['text']} ({note['source']}) "
            f"[{note['confidence']}]")


MAYBE = "[may apply: a figure the note's criteria need is missing] "


def _notes_column(res) -> np.ndarray:
    out = _join(res.note_bits, [_note_text(n) for n in res.notes], " | ")
    if res.note_maybe is not None and len(res.note_maybe) and res.note_maybe.any():
        maybe = _join(res.note_maybe, [MAYBE + _note_text(n) for n in res.notes], " | ")
        for i in np.flatnonzero(~pd.isna(maybe)):
            out[i] = maybe[i] if out[i] is None or pd.isna(out[i]) else f"{out[i]} | {maybe[i]}"
    alias = np.asarray(res.alias, dtype=object)[res.destination] if res.alias else np.full(len(res), "")
    for i in np.flatnonzero(alias != ""):  # None + str: joined row by row (few rows carry an alias)
        out[i] = alias[i] if out[i] is None or pd.isna(out[i]) else f"{out[i]} | {alias[i]}"
    return out


def not_enforced_text(res) -> str | None:
    """Instruments in force that do not bind in the enforced view, and why."""
    if not res.view.suspended or res.view.view != "enforced":
        return None
    why: dict[str, list[str]] = {}
    for b in res.not_binding:
        why.setdefault(b.instrument, []).append(
            f"in force from {b.effective.isoformat()}, no compliance required before {b.until.isoformat()}"
            if b.kind == "pending" else f"not enforced from {b.since.isoformat()} ({b.citation})")
    return "; ".join(f"{i} ({'; '.join(why.get(i, ['suspended']))})" for i in res.view.suspended)


def _view_columns(res, v) -> dict:
    return {"license_required": required_array(v), "basis": basis_texts(res, v),
            "exceptions": _exceptions_text(v), "review_policy": _review_text(v)}


def licence_frame(res) -> pd.DataFrame:
    """One row per device x destination: ``name destination headquarters eccn clause status
    license_required basis exceptions review_policy rule_sets enforced notes
    note_requires_license general_notes <other>_differs <other>_license_required <other>_basis
    <other>_exceptions <other>_review_policy not_enforced as_of``."""
    cl, dev = res.classification, res.device
    main = _view_columns(res, res.view)
    other = res.other.view if res.other is not None else ("written" if res.view.view == "enforced" else "enforced")
    general = [" | ".join(_note_text(res.notes[k], until=True) for k in g) or None for g in res.general]
    out = {
        "name": cl.catalogue.names.reset_index(drop=True).take(dev).reset_index(drop=True),
        "destination": np.asarray(res.destinations, dtype=object)[res.destination],
        "headquarters": np.asarray(res.headquarters, dtype=object)[res.destination],
        "eccn": pd.Categorical.from_codes(cl.final[dev], categories=cl.final_labels),
        "clause": pd.Categorical.from_codes(cl.clause[dev], categories=cl.clause_ids),
        "status": pd.Categorical.from_codes(cl.status[dev], categories=list(STATUS)),
        **main,
        "rule_sets": _join(res.view.instruments, res.view.instrument_ids, "+"),
        "enforced": res.view.view == "enforced",
        "notes": _notes_column(res) if len(res.notes) or res.alias else np.full(len(res), None, dtype=object),
        "note_requires_license": res.note_requires_licence,
        "general_notes": np.asarray(general + [None], dtype=object)[res.destination] if general
        else np.full(len(res), None, dtype=object),
    }
    if res.other is not None:
        alt = _view_columns(res, res.other)
        differs = np.asarray(res.differs, dtype=bool)
        out[f"{other}_differs"] = differs
        out[f"{other}_license_required"] = pd.array(np.where(differs, alt["license_required"], None),
                                                    dtype="boolean")
        for k in ("basis", "exceptions", "review_policy"):
            out[f"{other}_{k}"] = np.where(differs, alt[k], None)
    frame = pd.DataFrame(out)
    frame["not_enforced"] = not_enforced_text(res)
    frame["as_of"] = res.day.isoformat()
    return frame


def licence_rows(res, frame: pd.DataFrame | None = None) -> list[dict]:
    """JSON-ready rows: the table's columns, lists for exceptions, rule sets and notes, the other
    view nested (null where it gives the same answer), and the codes: ``reason``, the ids of the
    deciding licence records (``records``), of the exceptions (``exception_ids``) and of the
    review policy (``review_id``)."""
    from chipclass.outputs.write import to_records

    frame = licence_frame(res) if frame is None else frame
    other = res.other.view if res.other is not None else None
    rows = []
    for i, rec in enumerate(to_records(frame)):
        if other is not None:
            differs = rec.pop(f"{other}_differs")
            nested = {k[len(other) + 1:]: rec.pop(k) for k in list(rec) if k.startswith(other + "_")}
            if differs:
                nested["exceptions"] = _exception_list(res.other, i)
                nested["exception_ids"] = res.other.exception_ids(i)
                nested["records"] = res.other.licence_ids(i)
            rec[other] = nested if differs else None
        rec["exceptions"] = _exception_list(res.view, i)
        rec["rule_sets"] = list(bit_names(res.view.instruments[i], res.view.instrument_ids))
        rec["notes"] = _note_list(res, i)
        rec["reason"] = REASONS[res.view.reason[i]]
        rec["records"] = res.view.licence_ids(i)
        rec["exception_ids"] = res.view.exception_ids(i)
        rec["review_id"] = res.view.review_id(i)
        rows.append(rec)
    return rows


def _exception_list(v, i: int) -> list[str]:
    out = []
    for k, r in enumerate(v.records.exception):
        if int(v.exceptions[i]) >> k & 1:
            maybe = int(v.exceptions_maybe[i]) >> k & 1
            out.append(exception_label(r) + (f" [cannot decide: needs {_needs(r)}]" if maybe else ""))
    return out


def _note_list(res, i: int) -> list[str]:
    out = [_note_text(res.notes[k]) for k in range(len(res.notes)) if int(res.note_bits[i]) >> k & 1]
    if res.note_maybe is not None and len(res.note_maybe):
        out += [MAYBE + _note_text(res.notes[k]) for k in range(len(res.notes)) if int(res.note_maybe[i]) >> k & 1]
    alias = res.alias[res.destination[i]] if res.alias else ""
    return out + ([alias] if alias else [])


def _cell(res, i: int, differs) -> str:
    """One matrix cell: L (exception ids), -, -!, ?, and * where the other view differs."""
    v = res.view
    if v.required[i] < 0:
        text = "?"
    elif v.required[i] == 1:
        exc = v.exception_ids(i)
        text = "L" + (f" ({', '.join(exc)})" if exc else "")
    else:
        text = "-!" if res.note_requires_licence[i] else "-"
    return text + ("*" if differs is not None and differs[i] else "")


def matrix_cells(res) -> list[str]:
    """The matrix symbol of every device x destination row of ``res`` (the rows of
    :func:`licence_frame`), as :func:`matrix_text` shows them (its legend explains them)."""
    return [_cell(res, i, res.differs) for i in range(len(res))]


def matrix_text(res) -> str:
    """Devices x destinations: L = licence required (exceptions in brackets), - = none,
    -! = none under the ECCN rules but a product note says a licence is required,
    ? = classification indeterminate, * = the other view (written/enforced) differs."""
    cl = res.classification
    n = len(cl)
    names = [safe(x) for x in cl.catalogue.names.astype(str)]
    clause = np.asarray(cl.clause_ids + [""], dtype=object)[cl.clause]
    final = np.asarray(cl.final_labels + [""], dtype=object)[cl.final]
    family = cl.rules.clauses[0].eccn.split(".")[0] if cl.rules.clauses else "clause"  # the clauses' entry
    head = ["device", "ECCN", family] + list(res.destinations)
    rows = []
    seen = {}
    for d in range(n):
        if names[d] in seen:  # one line per device name, as the table pivots by name
            continue
        seen[names[d]] = d
        label = clause[d] or ("?" if cl.status[d] == STATUS.index("indeterminate") else "—")
        rows.append([names[d], final[d] or "?", label]
                    + [_cell(res, k * n + d, res.differs) for k in range(len(res.destinations))])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(head, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(str(x).ljust(w) for x, w in zip(r, widths)).rstrip() for r in rows]
    view = res.view.view
    hq = sorted(set(res.headquarters) - set(res.destinations))
    lines += ["", f"as of {res.day.isoformat()}, {view} rules"
              + (f"; buyer headquartered in {', '.join(hq)}" if hq else "; buyer headquartered in the destination"),
              "L licence required (licence exceptions that could apply in brackets); - none; "
              "-! none under the ECCN rules, but a product note below says a licence is required; "
              "? classification indeterminate; * the " + ("written" if view == "enforced" else "enforced")
              + " rules give another answer (see -f json)"]
    every = int(np.bitwise_or.reduce(res.view.instruments)) if len(res) else 0
    used = bit_names(every, res.view.instrument_ids)
    if used:  # classification and licence rules alike
        lines.append("rule sets relied on: " + ", ".join(used))
    lines += _matrix_notes(res, names)
    return "\n".join(lines) + "\n"


def _matrix_notes(res, names) -> list[str]:
    lines, seen = [], set()
    notes = _notes_column(res) if len(res.notes) or res.alias else np.full(len(res), None, dtype=object)
    for i in range(len(res)):
        text = notes[i]
        key = (names[res.device[i]], text)
        if text is None or key in seen:
            continue
        seen.add(key)
        lines.append(f"note [{names[res.device[i]]} -> {res.destinations[res.destination[i]]}]: {text}")
    groups: dict[str, list[str]] = {}
    for d, g in zip(res.destinations, res.general):
        if g:
            text = " | ".join(_note_text(res.notes[k], until=True) for k in g)
            groups.setdefault(text, []).append(d)
    for text, dests in groups.items():  # one line per note text
        lines.append(f"note [every item -> {', '.join(dests)}]: {text}")
    return lines


def licence_explain_lines(res, rows: list[dict]) -> list[str]:
    """The licence block of ``explain --to`` (``rows``: :func:`licence_rows` of ``res``)."""
    block = ["Licences (enforced rules; * where the written rules differ)"]
    for i, r in enumerate(rows):
        need = {True: "licence required", False: "no licence", None: "indeterminate"}[r["license_required"]]
        if r["license_required"] is False and r.get("note_requires_license"):
            need = "no licence under the ECCN rules, but a product note says a licence is required (!)"
        block.append(f"  -> {r['destination']} (buyer HQ {r['headquarters']}): {need}"
                     + ("  *" if r.get("written") else ""))
        block.append(f"       basis: {r['basis']}")
        if r["exceptions"]:
            block.append(f"       exceptions: {'; '.join(r['exceptions'])}")
        if r.get("review_policy"):
            block.append(f"       review policy: {r['review_policy']}")
        if r.get("written"):
            w = r["written"]
            block.append(f"       written (not enforced): licence required={w.get('license_required')}; "
                         f"{w.get('basis') or ''}; exceptions: {'; '.join(w.get('exceptions') or []) or 'none'}")
        for note in r["notes"]:
            block.append(f"       note: {note}")
        for k in res.general[res.destination[i]] if res.general else ():
            block.append(f"       note (every item): {_note_text(res.notes[k], until=True)}")
    return block
