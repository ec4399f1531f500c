"""The ECCN ladder: from the 3A090 paragraph to the ECCN a part actually gets.

After the 3A090 clauses have decided, each row's final ECCN is found in this order, every
step read from the rule data in force (``[[system]]``, ``[[z]]``, ``[[fallback]]`` and
``[residual]`` of the rule files, composed by date in :mod:`chipclass.rules.instruments`):

1. ``device_type = system`` rows (computers, assemblies, components) containing an IC of a
   3A090 paragraph get the ``[[system]]`` paragraph that tracks it (4A090.a/.b). A system row
   takes the specs of the IC it contains: its own columns, or those of the catalogue row its
   ``ic`` column names (:func:`fill_systems`).
2. A row whose ``base_eccn`` column names the entry it is otherwise classified under (5A992.c,
   3A001, 4A003.b, 5A002.a ...) and that meets 3A090.a/.b or 4A090.a/.b gets the ``[[z]]``
   paragraph (5A992.z.1, 3A001.z.4.a ...). It is licensed as the paragraph it meets and may use
   only the licence exceptions listed for it (740.2(a)(9)(ii)).
3. A row outside 3A090 (no clause met, or taken out by the non-datacenter note) with a
   ``base_eccn`` is that entry; without one it gets the first ``[[fallback]]`` it meets
   (3A991.p for an IC with 8 TOPS or 150 GB/s, 4A994.l for a system containing one), else the
   ``[residual]`` answer ("EAR99 unless another entry applies").

3A090.c is never a .z trigger (note to 3A090); indeterminate rows get no ECCN.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from chipclass.core.catalogue import DEVICE_TYPES, Catalogue
from chipclass.classification.logic import any_of, bit_names, falls_under_any
from chipclass.core.errors import InputError

__all__ = ["ladder", "fill_systems", "text_column", "LadderNote"]


def text_column(cat: Catalogue, name: str) -> np.ndarray | None:
    """A pass-through text column by case-insensitive header (stripped; '' for empty), or None."""
    for h in cat.extra.column_names:
        if h.strip().lower().replace(" ", "_").replace("-", "_") == name:
            col = cat.extra.column(h).to_pandas()
            return col.astype(object).where(col.notna(), "").astype(str).str.strip().to_numpy(dtype=object)
    return None


def _shipped() -> Catalogue:
    from importlib import resources

    from chipclass.core.readers import load

    return load(str(resources.files("chipclass").joinpath("data/chips.csv")))


def fill_systems(cat: Catalogue, reference: Catalogue | None = None) -> Catalogue:
    """``system`` rows whose ``ic`` column names a device take that device's specs.

    The IC is looked up in the same catalogue, then in ``reference`` (default: the shipped
    ``chips.csv``, so ``data/systems.csv`` works on its own). The IC's figures **replace** the
    system row's numeric columns: a system's own memory or interconnect figures are totals over
    its ICs, while 4A090/4A994.l ask whether one contained IC meets 3A090/3A991.p. A system row
    without ``ic`` is read as giving its IC's specs itself. An ``ic`` found nowhere is an error
    naming the file, row and column.
    """
    system = cat.device_type == DEVICE_TYPES.index("system")
    ic = text_column(cat, "ic")
    if ic is None or not system.any():
        return cat
    rows = np.flatnonzero(system & (ic != ""))
    if not len(rows):
        return cat
    own = {str(n): k for k, n in enumerate(cat.names.to_numpy())}
    ref = None
    src_cat = np.zeros(len(rows), dtype=bool)  # True: from the reference catalogue
    src = np.empty(len(rows), dtype=np.int64)
    for j, r in enumerate(rows):  # one look-up per system row naming an IC
        k = own.get(ic[r])
        if k is None or k == r:
            if ref is None:
                ref = reference if reference is not None else _shipped()
                ref_index = {str(n): i for i, n in enumerate(ref.names.to_numpy())}
            k = ref_index.get(ic[r])
            if k is None:
                raise InputError(f"system row names an IC that is in neither this catalogue nor "
                                 f"{ref.source}: {ic[r]!r}", source=cat.source, row=int(r) + 1,
                                 column="ic", value=ic[r])
            src_cat[j] = True
        src[j] = k
    values, headers = {}, dict(cat.headers)
    for key, arr in cat.values.items():
        take = np.where(src_cat, ref.values[key][src] if ref is not None else np.nan, arr[np.where(src_cat, 0, src)])
        new = np.array(arr, dtype=np.float64, copy=True)
        new[rows] = take
        values[key] = new
        if key not in headers and not np.isnan(take).all():
            headers[key] = (ref.headers if ref is not None and key in ref.headers else cat.headers).get(key, key)
    return Catalogue(names=cat.names, values=values, datacenter=cat.datacenter, device_type=cat.device_type,
                     extra=cat.extra, source=cat.source, headers=headers, warnings=cat.warnings)


class LadderNote(NamedTuple):
    """Why a row got its final ECCN, as a code: ``kind`` is ``system`` (a system containing an
    IC of a 3A090 paragraph), ``z`` (a .z item, ``licensed_as`` the paragraph it meets),
    ``base`` (the ``base_eccn`` given; no .z paragraph applies), ``fallback`` (an entry for
    items outside 3A090 is met), ``fallback_unknown`` (it cannot be decided: ``missing`` bits
    over :data:`~chipclass.classification.logic.INPUTS`) or ``residual``; ``record`` is the rule
    record that decided (None for ``base``). :mod:`chipclass.outputs.words` says it in words."""

    kind: str
    eccn: str
    record: object = None
    licensed_as: str = ""
    missing: int = 0


class _Labels:
    def __init__(self):
        self.items: list = []

    def code(self, label) -> int:
        if label not in self.items:
            self.items.append(label)
        return self.items.index(label)


class _Ladder:
    """The state of one ladder run: codes per row and the labels and notes they index."""

    def __init__(self, cl):
        self.cl, self.n = cl, len(cl)
        self.labels, self.notes = _Labels(), _Labels()
        self.note = np.full(self.n, -1, dtype=np.int16)
        # the 3A090 paragraph codes map straight onto labels (no string work per row)
        lookup = np.array([self.labels.code(p) for p in cl.eccns] + [-1], dtype=np.int16)
        self.final = lookup[cl.eccn]
        self.licensed = None

    def set(self, rows, eccn: str, note: LadderNote, licensed: bool = False) -> None:
        self.final[rows] = self.labels.code(eccn)
        if licensed:
            self.licensed[rows] = self.final[rows]
        self.note[rows] = self.notes.code(note)


def _systems(st: _Ladder) -> None:
    cl = st.cl
    paragraphs = cl.eccns
    system = cl.catalogue.device_type == DEVICE_TYPES.index("system")
    for s in cl.rules.systems:
        if s.contains in paragraphs:
            m = system & (cl.eccn == paragraphs.index(s.contains))
            if m.any():
                st.set(m, s.eccn, LadderNote("system", s.eccn, s))


def _zs(st: _Ladder, base: np.ndarray) -> None:
    current = np.asarray(st.labels.items + [""], dtype=object)[st.final]
    done = np.zeros(st.n, dtype=bool)
    for z in st.cl.rules.zs:
        m = ~done & falls_under_any(base, z.base, fold_case=True) & np.isin(current, list(z.meets))
        for p in np.unique(current[m]):
            st.set(m & (current == p), z.eccn, LadderNote("z", z.eccn, z, str(p)))
        done |= m


def _fallbacks(st: _Ladder, rest: np.ndarray) -> None:
    cl = st.cl
    metrics = cl.metrics()
    metrics["tops"] = cl.tops if cl.tops is not None else np.full(st.n, np.nan)
    decided = np.zeros(st.n, dtype=bool)
    for f in cl.rules.fallbacks:
        applies = np.zeros(st.n, dtype=bool)
        for a in f.applies_to:
            applies |= cl.catalogue.device_type == DEVICE_TYPES.index(a)
        t = any_of(f.any_of, metrics, st.n)
        hit = rest & applies & ~decided & t.true
        if hit.any():
            st.set(hit, f.eccn, LadderNote("fallback", f.eccn, f), licensed=True)
        unk = rest & applies & ~decided & t.unknown
        for b in np.unique(t.missing[unk]):
            st.note[unk & (t.missing == b)] = st.notes.code(LadderNote("fallback_unknown", f.eccn, f, "", int(b)))
        decided |= hit | unk
    residual = getattr(cl.rules, "residual", None)
    left = rest & ~decided
    if residual is not None and left.any():
        st.set(left, residual.eccn, LadderNote("residual", residual.eccn, residual), licensed=True)


def ladder(cl) -> None:
    """Fill ``cl.final``, ``cl.licensed_as`` and ``cl.final_note`` (codes into
    ``cl.final_labels`` / ``cl.note_labels``, the notes as :class:`LadderNote`) from the ladder
    records of ``cl.rules``."""
    st = _Ladder(cl)
    _systems(st)
    st.licensed = st.final.copy()
    base = text_column(cl.catalogue, "base_eccn")
    outside = cl.status == 0
    given = np.zeros(st.n, dtype=bool)
    if base is not None:
        _zs(st, base)
        given = outside & (base != "")
        for b in np.unique(base[given]):
            st.set(given & (base == b), str(b), LadderNote("base", str(b)), licensed=True)
    _fallbacks(st, outside & ~given)
    cl.final, cl.licensed_as, cl.final_note = st.final, st.licensed, st.note
    cl.final_labels, cl.note_labels = st.labels.items, st.notes.items
