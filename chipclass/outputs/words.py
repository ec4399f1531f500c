"""The sentences engines do not write: reason codes of the ECCN ladder said in words (the
foundry presumption's: :mod:`chipclass.outputs.foundry`; licences': :mod:`chipclass.outputs.licence`).

Legal text (a record's ``text``, a citation, an exception id) comes from the rule record the
code points at; the wording around it lives here, and only here.
"""

from __future__ import annotations

from chipclass.classification.logic import bit_names

__all__ = ["ladder_note_text"]


def _flat(text: str) -> str:
    return " ".join(str(text).split())


def ladder_note_text(note, rules) -> str:
    """A :class:`~chipclass.classification.ladder.LadderNote` as the ``eccn_note`` sentence."""
    r = note.record
    if note.kind == "z":
        allowed = ", ".join(r.exceptions) or "none"
        basis = f" ({r.exceptions_basis})" if r.exceptions_basis else ""
        return (f"{r.eccn}: {_flat(r.text)} Licensed as {note.licensed_as}; licence exceptions{basis}: "
                f"{allowed}.")
    if note.kind == "base":
        triggers = list(dict.fromkeys(p for z in rules.zs for p in z.meets))
        meets = " or ".join(triggers) if triggers else "a paragraph with a .z item"
        return (f"{note.eccn}: the entry given in base_eccn; the part does not meet {meets}, "
                "so no .z paragraph applies")
    if note.kind == "fallback":
        return f"{r.eccn} ({r.reason_for_control} only): {r.text}"
    if note.kind == "fallback_unknown":
        return f"cannot decide {r.eccn}: needs {', '.join(bit_names(note.missing))}"
    return f"{note.eccn}: {_flat(r.text)}"  # system, residual: the record's own words
