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

import numpy as np

from chipclass.core.catalogue import DEVICE_TYPES, Catalogue
from chipclass.classification.logic import any_of, bit_names, falls_under_any
from chipclass.core.errors import InputError

__all__ = ["ladder", "fill_systems", "text_column"]


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


class _Labels:
    def __init__(self):
        self.items: list[str] = []

    def code(self, label: str) -> int:
        if label not in self.items:
            self.items.append(label)
        return self.items.index(label)


def ladder(cl) -> None:
    """Fill ``cl.final``, ``cl.licensed_as`` and ``cl.final_note`` (codes into
    ``cl.final_labels`` / ``cl.note_labels``) from the ladder records of ``cl.rules``."""
    rules, cat, n = cl.rules, cl.catalogue, len(cl)
    labels, notes = _Labels(), _Labels()
    note = np.full(n, -1, dtype=np.int16)
    # the 3A090 paragraph codes map straight onto labels (no string work per row)
    paragraphs = cl.eccns
    lookup = np.array([labels.code(p) for p in paragraphs] + [-1], dtype=np.int16)
    final = lookup[cl.eccn]
    system = cat.device_type == DEVICE_TYPES.index("system")
    for s in rules.systems:
        if s.contains not in paragraphs:
            continue
        m = system & (cl.eccn == paragraphs.index(s.contains))
        if m.any():
            final[m] = labels.code(s.eccn)
            note[m] = notes.code(f"{s.eccn}: {' '.join(s.text.split())}")
    licensed = final.copy()

    base = text_column(cat, "base_eccn")
    has_base = base is not None
    base = np.full(n, "", dtype=object) if base is None else base
    current = np.asarray(labels.items + [""], dtype=object)[final] if has_base else None
    done = np.zeros(n, dtype=bool)
    for z in rules.zs if has_base else ():
        m = ~done & falls_under_any(base, z.base, fold_case=True) & np.isin(current, list(z.meets))
        if m.any():
            final[m] = labels.code(z.eccn)
            allowed = ", ".join(z.exceptions) or "none"
            for p in np.unique(current[m]):
                mp = m & (current == p)
                note[mp] = notes.code(f"{z.eccn}: {' '.join(z.text.split())} Licensed as {p}; licence "
                                      f"exceptions (740.2(a)(9)(ii)): {allowed}.")
            done |= m

    outside = cl.status == 0
    given = outside & (base != "") if has_base else np.zeros(n, dtype=bool)
    for b in (np.unique(base[given]) if has_base else ()):
        m = given & (base == b)
        final[m] = licensed[m] = labels.code(str(b))
        note[m] = notes.code(f"{b}: the entry given in base_eccn; the part does not meet 3A090.a/.b, "
                             "so no .z paragraph applies")
    rest = outside & ~given
    metrics = cl.metrics()
    metrics["tops"] = cl.tops if cl.tops is not None else np.full(n, np.nan)
    decided = np.zeros(n, dtype=bool)
    for f in rules.fallbacks:
        applies = np.zeros(n, dtype=bool)
        for a in f.applies_to:
            applies |= cat.device_type == DEVICE_TYPES.index(a)
        t = any_of(f.any_of, metrics, n)
        hit = rest & applies & ~decided & t.true
        if hit.any():
            final[hit] = licensed[hit] = labels.code(f.eccn)
            note[hit] = notes.code(f"{f.eccn} ({f.reason_for_control} only): {f.text}")
        unk = rest & applies & ~decided & t.unknown
        for b in np.unique(t.missing[unk]):
            note[unk & (t.missing == b)] = notes.code(f"cannot decide {f.eccn}: needs {', '.join(bit_names(b))}")
        decided |= hit | unk
    residual = getattr(rules, "residual", None)
    left = rest & ~decided
    if residual is not None and left.any():
        final[left] = licensed[left] = labels.code(residual.eccn)
        note[left] = notes.code(f"{residual.eccn}: {' '.join(residual.text.split())}")
    cl.final, cl.licensed_as, cl.final_note = final, licensed, note
    cl.final_labels, cl.note_labels = labels.items, notes.items
