"""The sentences engines do not write: reason codes of the ECCN ladder and of the foundry
presumption, said in words.

Legal text (a record's ``text``, a citation, an exception id) comes from the rule record the
code points at; the wording around it lives here, and only here.
"""

from __future__ import annotations

from chipclass.classification.logic import bit_names

__all__ = ["ladder_note_text", "foundry_designer_text", "foundry_count_text", "FOUNDRY_NEEDS"]


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


#: What the foundry presumption needs, by code.
FOUNDRY_NEEDS = {
    "node": "process_node or non_planar",
    "count": "transistor_count (or transistor_density and die_area); until confirmed the IC is presumed 3A090.a",
}


def foundry_designer_text(code: str, d: dict) -> str:
    """The designer route of the foundry presumption, from its reason code and figures ``d``
    (``until``, ``days``, ``applied_on``, ``end``, ``supplement``, ``note``, ``paragraph``)."""
    texts = {
        "approved": "an approved IC designer ({supplement}) attests TPP and PD",
        "authorized": "an authorized IC designer attests TPP and PD (authorized status runs before {until})",
        "authorized_ended": ("authorized status ended: from {until} only a designer that has applied to become "
                             "approved counts ({note})"),
        "applicant_before": "an authorized IC designer attests TPP and PD (before {until})",
        "applicant_no_date": "needs the application date: status lapses {days:g} days after applying",
        "applicant": "an applicant designer attests TPP and PD (applied {applied_on}, status until {end})",
        "applicant_lapsed": "applicant status lapsed {end} ({days:g} days after applying {applied_on})",
        "none": "no approved or authorized designer's attestation",
        "own_specs": "its own specs meet {paragraph}: no attestation can say otherwise",
    }
    return texts[code].format(**d)


def foundry_count_text(count: float, limit: float) -> str:
    """The transistor-count route of the foundry presumption."""
    return (f"an attested aggregated approximated transistor count of {count:g} bn, below {limit:g} bn "
            "(fabricator packaging outside Macau/D:5, or an approved OSAT)")
