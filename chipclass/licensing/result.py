"""The typed answer of licence determination: codes, bitmasks and record ids, no sentences.

A :class:`LicenceResult` has one row per device x destination (destination-major: every
device for the first destination, then every device for the next). For each row and each view
(``enforced``, ``written``) a :class:`LicenceView` says

* ``required``: 1 a licence is required, 0 not, -1 unknown (int8);
* ``reason``: why, a code into :data:`REASONS` (``required``: the ``licence`` bits name the
  records; ``indeterminate``: the classification could not decide, ``missing`` holds the
  classification's missing inputs; ``cannot_decide``: a licence record may apply but an input
  it needs is missing, named by ``missing``; ``not_export``: the destination is the exporting
  country; ``no_eccn``: the ECCN below 3A090 was not decided; ``no_requirement``: no record
  covers the ECCN, destination and buyer);
* ``licence``: bits over ``records.licence`` of the licence records that require it (the
  basis list: an embargo programme is one more ``[[license]]`` record);
* ``exceptions`` / ``exceptions_maybe``: bits over ``records.exception`` of the licence
  exceptions that could authorise the export, and of those whose conditions cannot be decided;
* ``review``: index into ``records.review`` of the review policy (-1 none) and
  ``review_missing``: the inputs the policy's conditions need where they cannot be decided;
* ``instruments``: bits over ``instrument_ids`` of the instruments relied on.

Each record carries its id, instrument and citation (``basis`` / ``section``) from the rule
data; :mod:`chipclass.outputs.licence` turns all of this into the table and its sentences.
Product notes are bits over ``notes`` per row; notes about every item (``general``) and the
destination's alias note are per destination.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

__all__ = ["REASONS", "LicenceRecords", "LicenceView", "LicenceResult", "NotBinding"]

#: Reason codes of a licence answer (``LicenceView.reason``).
REASONS = ("required", "indeterminate", "cannot_decide", "not_export", "no_eccn", "no_requirement")


@dataclass(frozen=True)
class LicenceRecords:
    """The licence, review and exception records one view relied on (each a
    :class:`chipclass.rules.licences.Record`, in composition order)."""

    licence: tuple = ()
    review: tuple = ()
    exception: tuple = ()


@dataclass(frozen=True)
class NotBinding:
    """Why an instrument in force does not bind in the enforced view: ``kind`` is ``pending``
    (no compliance required before ``until``) or ``suspended`` (not enforced from ``since``,
    by the instrument ``by``)."""

    instrument: str
    kind: str
    effective: dt.date | None = None
    until: dt.date | None = None
    since: dt.date | None = None
    by: str | None = None
    citation: str | None = None


@dataclass
class LicenceView:
    """One view's answer over the rows of a :class:`LicenceResult` (see the module docstring)."""

    view: str
    required: np.ndarray
    reason: np.ndarray
    licence: np.ndarray
    missing: np.ndarray
    exceptions: np.ndarray
    exceptions_maybe: np.ndarray
    review: np.ndarray
    review_missing: np.ndarray
    instruments: np.ndarray
    records: LicenceRecords
    instrument_ids: tuple
    suspended: tuple = ()

    def __len__(self) -> int:
        return len(self.required)

    def licence_ids(self, i: int) -> list[str]:
        """Ids of the licence records that require a licence on row ``i``."""
        return [r.id for k, r in enumerate(self.records.licence) if int(self.licence[i]) >> k & 1]

    def exception_ids(self, i: int) -> list[str]:
        """Ids of the licence exceptions that could apply on row ``i``."""
        return [r.id for k, r in enumerate(self.records.exception) if int(self.exceptions[i]) >> k & 1]

    def review_id(self, i: int) -> str | None:
        """Id of the review policy record of row ``i`` (None: none)."""
        k = int(self.review[i])
        return None if k < 0 else self.records.review[k].id

    def same_answer(self, other: "LicenceView") -> np.ndarray:
        """Rows where ``other`` gives the same licence need (unknown counts as no), the same
        exceptions (and undecidable ones) and the same review policy (and its missing inputs)."""
        same = (self.required == 1) == (other.required == 1)
        same &= _keys(self.exceptions, self.records.exception) == _keys(other.exceptions, other.records.exception)
        same &= (_keys(self.exceptions_maybe, self.records.exception)
                 == _keys(other.exceptions_maybe, other.records.exception))
        rev_a = np.asarray([_key(r) for r in self.records.review] + [None], dtype=object)[self.review]
        rev_b = np.asarray([_key(r) for r in other.records.review] + [None], dtype=object)[other.review]
        return same & (rev_a == rev_b) & (self.review_missing == other.review_missing)


def _key(record) -> str:
    return f"{record.instrument}/{record.id}"


def _keys(bits: np.ndarray, records) -> np.ndarray:
    """Per row, the records set in ``bits`` as one comparable key (built once per distinct mask)."""
    out = np.full(len(bits), "", dtype=object)
    for b in np.unique(bits):
        if b:
            out[bits == b] = "|".join(_key(r) for k, r in enumerate(records) if int(b) >> k & 1)
    return out


@dataclass
class LicenceResult:
    """Licence answers per device x destination (see the module docstring).

    ``classification`` is the :class:`~chipclass.classification.result.Classification` of the
    devices; ``device`` and ``destination`` index each row into its devices and into
    ``destinations`` / ``headquarters``; ``view`` is the primary answer (``view.view`` names
    it) and ``other`` the other view's (None when not computed); ``differs`` marks rows where
    they give another answer.
    """

    classification: object
    day: dt.date
    destinations: tuple
    headquarters: tuple
    device: np.ndarray
    destination: np.ndarray
    view: LicenceView
    other: LicenceView | None = None
    differs: np.ndarray | None = None
    notes: tuple = ()                       # product note records in force (dicts from rule data)
    note_bits: np.ndarray | None = None     # per row: bits over ``notes``
    note_requires_licence: np.ndarray | None = None
    general: tuple = ()                     # per destination: indices into ``notes`` (every item)
    alias: tuple = ()                       # per destination: the alias note of the rule data ('' none)
    not_binding: tuple = ()                 # NotBinding records of the enforced view
    extra: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.device)

    @property
    def required(self) -> np.ndarray:
        """1 licence required, 0 not, -1 unknown, per row (the primary view)."""
        return self.view.required

    def rows_of(self, destination: str) -> slice:
        """The rows of one destination (a slice: rows are destination-major)."""
        k = list(self.destinations).index(destination)
        n = len(self.classification)
        return slice(k * n, (k + 1) * n)
