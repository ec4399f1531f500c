"""The joint envelope: the region of spec space, around a base design, that keeps a target outcome.

Solved from the rule inequalities, not by sampling. With some specs free (throughputs of any
formats, ``die_area``, ``memory_bandwidth``, ``package_area``, ``interconnect_bandwidth``) and
the rest fixed at the base design, every metric a condition reads is a ratio of affine
functions of the free specs once we know which format gives the TPP:

* TPP = max(b_f T_f over the free formats, TPP of the fixed formats): split the space into
  *cells* where one term is the maximum (linear constraints ``b_f T_f >= b_g T_g``);
* ``PD >= t``  <=>  ``TPP - t A >= 0`` (A > 0): linear in (T, A), no need to invert the area;
* ``MBD > t``  <=>  ``B - t P > 0``; the other metrics are the spec itself.

So inside a cell each threshold of each condition (of the rule set's clauses and exclusions,
and of the licence records when the target is a licence answer) is one hyperplane. Each cell
(a convex polytope inside the box of allowed values) is cut by every hyperplane; on each
resulting *piece* no condition changes truth, so the outcome is constant there and is
**evaluated** (the engine, or the licence determination, at the piece's centre). The envelope
is the union of the pieces whose outcome is the target.

The work is in scaled coordinates ``u = x / base`` (relative change). Reported:

* ``vertices``: every vertex of every piece in the envelope (specs in their units);
* ``faces``: every facet of those pieces on the envelope's boundary (the rules' hyperplane or
  the box), whether the face itself belongs to the envelope (``inclusive``: evaluated at its
  centre) and its equation;
* ``nearest``: the point of the envelope nearest the base design in the Euclidean norm of the
  relative changes, sqrt(sum((x_i / base_i - 1)^2)) (the norm chosen: scale-free, and unique);
  found exactly by projecting the base onto every face, edge and vertex of every piece. When
  that point lies on a face that is not part of the envelope (a strict inequality) the point a
  hair (1e-9 relative) inside is reported and ``attained`` is false;
* ``largest``: the largest value of one spec inside the envelope (a vertex), with the same
  ``attained`` flag, and ``at_bound`` when it is the box's edge (the envelope goes on).

The default box is 0 to 4x the base value of each free spec (areas: a quarter to 4x); give
``bounds`` to change it. Needs at most 4 free specs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from chipclass.classification.engine import classify, compute_metrics
from chipclass.classification.logic import selector_hits
from chipclass.core.catalogue import DEVICE_TYPES, FLAGS, Catalogue
from chipclass.core.errors import InputError
from chipclass.core.formats import BIT_LENGTH, FORMATS
from chipclass.licensing.determine import decide
from chipclass.rules.licences import records_in_force
from chipclass.design.headroom import SPECS, UNITS, conditions, light, set_spec
from chipclass.design.polytope import HAIR, Piece, equation, full, inward, nearest_point, split, vertices
from chipclass.rules.instruments import RuleSet

__all__ = ["envelope", "Envelope", "Target", "parse_target", "parse_bounds"]

AREAS = ("die_area", "package_area")


@dataclass
class Target:
    """An outcome: a class (``not controlled``, ``3A090.b``, ``3A090.a.1``, ``controlled``) or a
    licence answer for a destination: ``no-licence:CN``, ``licence:CN``, ``case-by-case:CN``."""

    text: str
    kind: str = "class"      # class | no-licence | licence | case-by-case
    destination: str | None = None


def parse_target(text: str) -> Target:
    text = text.strip()
    for kind in ("no-licence", "licence", "case-by-case"):
        if text.lower().startswith(kind + ":"):
            dest = text.split(":", 1)[1].strip()
            if not dest:
                raise InputError(f"target {text!r} needs a destination ({kind}:CN)")
            return Target(text, kind, dest)
    if not text:
        raise InputError("give a target: a status ('not controlled'), a paragraph or clause id, or 'no-licence:CN', "
                         "'licence:CN', 'case-by-case:CN'")
    return Target(text)


def _meets(target: Target, cat: Catalogue, rules: RuleSet, bit_lengths, rules_dir) -> np.ndarray:
    """Whether each row meets the target, by evaluating the rules (and licences) there."""
    if target.kind == "class":
        cl = classify(cat, rules, bit_lengths)
        return selector_hits(cl.status, [(cl.clause_ids, cl.clause), (cl.eccns, cl.eccn)], [target.text])
    res = decide(cat, [target.destination], None, rules.as_of, rules_dir=rules_dir, bit_lengths=bit_lengths)
    req = res.required
    if target.kind == "no-licence":
        return req == 0
    if target.kind == "licence":
        return req == 1
    v = res.view
    stance = np.asarray([r.stance for r in v.records.review] + [""], dtype=object)[v.review]
    return (req == 1) & (stance == "case-by-case") & (v.review_missing == 0)


def parse_bounds(text: str) -> tuple[str, tuple[float, float]]:
    """``'fp8=0:2000'`` or ``'die_area=1:20 cm**2'`` -> ('fp8', (low, high)) in canonical units."""
    from chipclass.design.ranges import numbers_and_factor, split_setting

    key, body = split_setting(text, SPECS, "bound", "LOW:HIGH", "fp8=0:2000")
    rng, factor = numbers_and_factor(key, body)
    try:
        lo, hi = (float(x) * factor for x in rng.split(":"))
    except ValueError:
        raise InputError(f"bad range for {key}: {body!r} (LOW:HIGH)", column=key, value=body) from None
    if not (0 <= lo < hi) or hi != hi or hi == float("inf"):
        raise InputError(f"a range for {key} needs 0 <= LOW < HIGH (finite)", column=key, value=body)
    return key, (lo, hi)


@dataclass
class Envelope:
    """The answer of :func:`envelope`; ``table`` (vertices and faces), ``nearest``, ``largest``."""

    base: dict
    free: list
    target: str
    as_of: str
    rule_set: str
    vertices: pd.DataFrame
    faces: pd.DataFrame
    nearest: dict | None
    largest: dict | None
    bounds: dict
    base_specs: dict = field(default_factory=dict)
    norm: str = "euclidean norm of relative changes: sqrt(sum((x_i / base_i - 1)^2))"
    pieces: list = field(default_factory=list, repr=False)

    @property
    def table(self) -> pd.DataFrame:
        """Vertices and faces in one table (``kind`` says which)."""
        v = self.vertices.assign(kind="vertex")
        f = self.faces.assign(kind="face")
        return pd.concat([v, f], ignore_index=True)[["kind"] + [c for c in f.columns if c != "kind"] +
                                                     [c for c in v.columns if c not in f.columns and c != "kind"]]

    def to_dict(self) -> dict:
        def to_records(frame):
            return [{k: (v.item() if isinstance(v, np.generic) else v) for k, v in r.items()}
                    for r in frame.to_dict("records")]

        return {"base": self.base, "base_specs": self.base_specs, "free": self.free, "target": self.target, "as_of": self.as_of,
                "rule_set": self.rule_set, "norm": self.norm, "bounds": self.bounds,
                "nearest": self.nearest, "largest": self.largest,
                "vertices": to_records(self.vertices), "faces": to_records(self.faces)}


def _fmt(x: float) -> str:
    return f"{x:.6g}"


class _Space:
    """The free specs of an envelope as coordinates x: each metric's ingredients as affine
    functions of x (a free spec is a variable, any other its base value)."""

    def __init__(self, base: Catalogue, free: list, bit_lengths):
        self.free, self.d = free, len(free)
        self.idx = {s: k for k, s in enumerate(free)}
        self.bits = {**BIT_LENGTH, **(bit_lengths or {})}
        self.v = base.values
        hbm = base.device_type[0] == DEVICE_TYPES.index("hbm")
        has_pkg = "package_area" in self.idx or self.v["package_area"][0] == self.v["package_area"][0]
        self.pkg_spec = "package_area" if has_pkg or not hbm else "die_area"
        # fixed part of the TPP, from the base design with the free specs removed
        fixed = light(base)
        for s in free:
            set_spec(fixed, s, np.array([np.nan]))
        self.floor = float(np.nan_to_num(compute_metrics(fixed, bit_lengths)["tpp"][0], nan=0.0))

    def affine(self, spec):
        """(coef over x, const) of a spec: a variable, or its fixed value."""
        a = np.zeros(self.d)
        if spec in self.idx:
            a[self.idx[spec]] = 1.0
            return a, 0.0
        return a, float(self.v[spec][0])

    def metric_parts(self, metric, tpp):
        """(numerator affine, denominator affine) of a metric in x (None, None: not affine here)."""
        one = (np.zeros(self.d), 1.0)
        if metric == "tpp":
            return tpp, one
        if metric == "performance_density":
            return tpp, self.affine("die_area")
        if metric == "memory_bandwidth_density":
            return self.affine("memory_bandwidth"), self.affine(self.pkg_spec)
        if metric in ("interconnect_bandwidth", "memory_bandwidth", "die_area", "package_area"):
            return self.affine(metric), one
        return None, None

    def tpp_term(self, f):
        a = np.zeros(self.d)
        a[self.idx[f]] = self.bits[f]
        return a

    def cells(self) -> list:
        """The cells where one format gives the TPP: (name, TPP affine, constraints (a, c, label))."""
        free_formats = [s for s in self.free if s in FORMATS]
        floor, out = self.floor, []
        for f in free_formats:
            a_t = self.tpp_term(f)
            cons = [(self.tpp_term(g) - a_t, 0.0, f"TPP from {g} <= TPP from {f}") for g in free_formats if g != f]
            if floor > 0:
                cons.append((-a_t, floor, f"TPP of the fixed formats <= TPP from {f}"))
            out.append((f"TPP from {f}", (a_t, 0.0), cons))
        if floor > 0 or not free_formats:
            cons = [(self.tpp_term(g), -floor, f"TPP from {g} <= TPP of the fixed formats") for g in free_formats]
            out.append(("TPP of the fixed formats", (np.zeros(self.d), floor if floor > 0 else np.nan), cons))
        return out


def _base_point(base: Catalogue, free: list, bit_lengths) -> np.ndarray:
    """The free specs' values at the base design (each must be positive)."""
    bits = {**BIT_LENGTH, **(bit_lengths or {})}
    m0 = compute_metrics(base, bit_lengths)
    x0 = []
    for s in free:
        v = m0[f"tpp_{s}"][0] / bits[s] if s in FORMATS and f"tpp_{s}" in m0 else (
            np.nan if s in FORMATS else base.values[s][0])
        if not v == v or v <= 0:
            raise InputError(f"the base design needs a positive {s} to free it (give it as a spec)", column=s)
        x0.append(float(v))
    return np.asarray(x0)


def _box(free, x0, bounds) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) of each free spec: the given bounds, else 0 to 4x the base (areas a quarter)."""
    bounds = dict(bounds or {})
    lo = np.array([bounds.get(s, (x / 4 if s in AREAS else 0.0, x * 4))[0] for s, x in zip(free, x0)], dtype=float)
    hi = np.array([bounds.get(s, (0.0, x * 4))[1] for s, x in zip(free, x0)], dtype=float)
    if (hi <= lo).any():
        raise InputError("each bound needs low < high")
    return lo, hi


def _planes(rules: RuleSet, tgt: Target, rules_dir) -> dict:
    """(metric, threshold) -> ids of every condition on it, licence records included for a
    licence target: the hyperplanes that cut the space."""
    conds = conditions(rules)
    if tgt.kind != "class":
        for view in ("enforced", "written"):
            for r in records_in_force(rules.as_of, view, rules_dir)[0]:
                conds += [(r.id, c) for c in r.conditions if c.metric != "datacenter"]
    planes: dict = {}
    for cid, cond in conds:
        planes.setdefault((cond.metric, cond.value), []).append(cid)
    return planes


def _cell_polytope(space: _Space, cell_name, cons, lo, hi, scale) -> Piece | None:
    """A cell inside the box as a polytope in u = x / base (None when it is not full-dimensional)."""
    A, c, labels, eqs = [], [], [], []

    def add(a_x, c_x, label, eq):
        a_u = a_x * scale
        norm = np.linalg.norm(a_u)
        if norm:
            A.append(a_u / norm)
            c.append(c_x / norm)
            labels.append(label)
            eqs.append(eq)
    for k, s in enumerate(space.free):
        e = np.zeros(space.d)
        e[k] = 1.0
        add(-e, lo[k], f"{s} >= {_fmt(lo[k])} (box)", f"{s} = {_fmt(lo[k])}")
        add(e, -hi[k], f"{s} <= {_fmt(hi[k])} (box)", f"{s} = {_fmt(hi[k])}")
    for a, c0, label in cons:
        add(a, c0, label, equation(a, c0, space.free))
    verts = vertices(np.array(A), np.array(c))
    return Piece(np.array(A), np.array(c), labels, eqs, verts, cell_name) if full(verts, space.d) else None


def _pieces(space: _Space, planes: dict, lo, hi, scale) -> list:
    """Every cell cut by every hyperplane: pieces on which no condition changes truth."""
    pieces: list[Piece] = []
    for cell_name, tpp, cons in space.cells():
        cell = _cell_polytope(space, cell_name, cons, lo, hi, scale)
        if cell is None:
            continue
        cell_pieces = [cell]
        for (metric, t), ids in planes.items():
            num, den = space.metric_parts(metric, tpp)
            if num is None or not (num[1] == num[1]) or not (den[1] == den[1]):
                continue
            a_x, c_x = num[0] - t * den[0], num[1] - t * den[1]
            a_u = a_x * scale
            nrm = np.linalg.norm(a_u)
            if nrm == 0:
                continue
            why = f"[{', '.join(dict.fromkeys(ids))}] ({cell_name})"
            label = (f"{metric} <= {t:g} {why}", f"{metric} >= {t:g} {why}")
            eq = equation(a_x, c_x, space.free)
            cell_pieces = [q for p in cell_pieces for q in split(p, a_u / nrm, c_x / nrm, label, eq)]
        pieces += cell_pieces
    if not pieces:
        raise InputError("the box of allowed values is empty")
    return pieces


def envelope(base: Catalogue, free, target, rules: RuleSet, *, bounds: dict | None = None,
             maximise: str | None = None, bit_lengths: dict | None = None,
             rules_dir: str | None = None) -> Envelope:
    """The region around ``base`` (one row) where ``target`` holds, free specs ``free``.

    See the module docstring. ``bounds`` maps a free spec to (low, high) in canonical units;
    ``maximise`` names the spec whose largest value is reported (default: the first free spec).
    """
    if len(base) != 1:
        raise InputError("an envelope needs exactly one base device")
    tgt = target if isinstance(target, Target) else parse_target(str(target))
    free = list(dict.fromkeys(s.lower() for s in free))
    if not free or len(free) > 4:
        raise InputError("give 1 to 4 free specs (fp8, die_area, ...)").about("free")
    for s in free:
        if s not in SPECS:
            raise InputError(f"cannot free {s!r} (one of: {', '.join(SPECS)})")
    x0 = _base_point(base, free, bit_lengths)
    lo, hi = _box(free, x0, bounds)
    pieces = _pieces(_Space(base, free, bit_lengths), _planes(rules, tgt, rules_dir), lo, hi, x0)
    # evaluate the outcome at each piece's centre: constant on a piece
    ok = evaluate(base, free, np.array([p.centre() for p in pieces]) * x0, tgt, rules, bit_lengths, rules_dir)
    inside = [p for p, k in zip(pieces, ok) if k]
    return _report(base, free, x0, lo, hi, tgt, rules, inside, bit_lengths, rules_dir, maximise)


def evaluate(base, free, x: np.ndarray, tgt: Target, rules, bit_lengths, rules_dir) -> np.ndarray:
    """Whether the target holds at each point ``x`` (rows: points; columns: free specs)."""
    if not len(x):
        return np.zeros(0, dtype=bool)
    probe = light(base, np.zeros(len(x), dtype=np.int64))
    for k, s in enumerate(free):
        set_spec(probe, s, x[:, k])
    return _meets(tgt, probe, rules, bit_lengths, rules_dir)


def _vertex_table(inside, free, scale) -> pd.DataFrame:
    rows = [{"piece": pi, "vertex": vi, **{s: float(vert[k] * scale[k]) + 0.0 for k, s in enumerate(free)}}
            for pi, p in enumerate(inside) for vi, vert in enumerate(p.verts)]
    return pd.DataFrame(rows, columns=["piece", "vertex", *free])


def _face_table(inside, free, scale, ev) -> pd.DataFrame:
    """Facets of each piece on the envelope's boundary, whether each belongs to it (``inclusive``)."""
    d = len(free)
    frows, probes_at, probes_out = [], [], []
    for pi, p in enumerate(inside):
        on = np.abs(p.verts @ p.A.T + p.c) <= 1e-7
        for j in range(len(p.c)):
            pts = p.verts[on[:, j]]
            if len(pts) < d or (d > 1 and np.linalg.matrix_rank(pts - pts.mean(axis=0), tol=1e-9) != d - 1):
                continue
            ctr = pts.mean(axis=0)
            frows.append({"piece": pi, "face": j, "constraint": p.labels[j], "equation": p.eqs[j],
                          "_box": "(box)" in p.labels[j], **{s: float(ctr[k] * scale[k]) for k, s in enumerate(free)}})
            probes_at.append(ctr)
            probes_out.append(ctr + p.A[j] * HAIR * 100 * max(1.0, np.linalg.norm(ctr)))
    faces = pd.DataFrame(frows)
    if len(faces):
        faces["inclusive"] = ev(np.array(probes_at))
        faces["boundary"] = faces["_box"].to_numpy() | ~ev(np.array(probes_out))
        faces = faces[faces["boundary"]].drop(columns=["_box", "boundary"]).reset_index(drop=True)
        faces = faces.rename(columns={"face": "constraint_index"})
    else:
        faces = pd.DataFrame(columns=["piece", "constraint_index", "constraint", "equation", *free, "inclusive"])
    return faces[["piece", "constraint_index", "constraint", "equation", "inclusive", *free]]


def _nearest(inside, free, scale, ev) -> dict | None:
    """The point of the envelope nearest the base: the base projected onto every face, edge and
    vertex of every piece (a hair inside where the face itself is excluded)."""
    u0 = np.ones(len(free))
    dist, u, p = nearest_point(inside, u0)
    if u is None:
        return None
    attained = confirmed = bool(ev(u)[0])
    if not attained:  # the infimum is on a face the envelope excludes: a hair inside it
        u = inward(p, u, lambda w: bool(ev(w)[0]))
        dist = float(np.linalg.norm(u - u0))
        confirmed = bool(ev(u)[0])
    return {"distance": dist, "attained": attained, "confirmed": confirmed,
            **{s: float(u[k] * scale[k]) for k, s in enumerate(free)},
            **{f"change_{s}": float(u[k] - 1.0) for k, s in enumerate(free)}}


def _largest(inside, free, scale, hi, ev, maximise) -> dict | None:
    """The largest value of one free spec inside the envelope (a vertex)."""
    spec = (maximise or free[0]).lower()
    if spec not in free:
        raise InputError(f"{spec} is not a free spec ({', '.join(free)})").about("maximise")
    k = free.index(spec)
    if not inside:
        return None
    top, vert, p = max(((float(v[k]), v, p) for p in inside for v in p.verts), key=lambda t: t[0])
    attained = bool(ev(vert)[0])
    u = vert if attained else inward(p, vert, lambda w: bool(ev(w)[0]))
    return {"spec": spec, "value": float(top * scale[k]), "attained": attained,
            "confirmed": bool(ev(u)[0]), "at_bound": bool(abs(top * scale[k] - hi[k]) <= 1e-9 * hi[k]),
            "unit": UNITS[spec], **{s: float(u[j] * scale[j]) for j, s in enumerate(free)}}


def _report(base, free, x0, lo, hi, tgt, rules, inside, bit_lengths, rules_dir, maximise) -> Envelope:
    ev = lambda u: evaluate(base, free, np.atleast_2d(u) * x0, tgt, rules, bit_lengths, rules_dir)  # noqa: E731
    specs = {k: (bool(v[0]) if k in FLAGS else float(v[0])) for k, v in base.values.items() if v[0] == v[0]}
    specs["datacenter"] = bool(base.datacenter[0])
    specs["device_type"] = DEVICE_TYPES[int(base.device_type[0])]
    return Envelope(base={s: float(x) for s, x in zip(free, x0)}, base_specs=specs, free=free, target=tgt.text,
                    as_of=rules.as_of.isoformat(), rule_set=rules.id, vertices=_vertex_table(inside, free, x0),
                    faces=_face_table(inside, free, x0, ev), nearest=_nearest(inside, free, x0, ev),
                    largest=_largest(inside, free, x0, hi, ev, maximise),
                    bounds={s: [float(lo[j]), float(hi[j])] for j, s in enumerate(free)}, pieces=inside)
