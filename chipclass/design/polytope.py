"""Convex polytopes in a few dimensions for :mod:`chipclass.design.envelope`: vertices by
solving every d-subset of the constraints, cutting by a hyperplane, and the nearest point of
a union of polytopes by projection onto every face, edge and vertex (exact, no solver)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

__all__ = ["Piece", "vertices", "full", "split", "inward", "equation", "nearest_point", "EPS", "HAIR"]

EPS = 1e-9          # feasibility tolerance in scaled coordinates
TIGHT = 1e-13       # "is this point in the piece" for the nearest point (rounding only)
HAIR = 1e-9         # relative step inside a piece / across a face


def vertices(A: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Vertices of {u: A u + c <= 0} (bounded), by solving every d-subset of constraints."""
    m, d = A.shape
    combos = np.array(list(itertools.combinations(range(m), d)))
    if not len(combos):
        return np.zeros((0, d))
    M = A[combos]                       # (k, d, d)
    rhs = -c[combos]
    det = np.linalg.det(M)
    ok = np.abs(det) > 1e-12
    if not ok.any():
        return np.zeros((0, d))
    pts = np.linalg.solve(M[ok], rhs[ok][..., None])[..., 0]
    feas = (pts @ A.T + c <= EPS).all(axis=1)
    pts = pts[feas]
    if not len(pts):
        return pts
    return np.unique(np.round(pts, 12), axis=0)


@dataclass
class Piece:
    """A convex piece of the envelope: constraints ``A u + c <= 0`` over the free specs (unit normals),
    what each constraint is (``labels``) and its equation in the specs' units (``eqs``), its vertices
    and the TPP cell it lies in.
    """
    A: np.ndarray           # (m, d): constraint normals (unit length)
    c: np.ndarray           # (m,)
    labels: list            # (m,) what each constraint is
    eqs: list               # (m,) its equation in the specs' units
    verts: np.ndarray
    cell: str = ""

    def centre(self) -> np.ndarray:
        """The mean of the piece's vertices (a point inside it)."""
        return self.verts.mean(axis=0)


def full(verts: np.ndarray, d: int) -> bool:
    """Whether ``verts`` span ``d`` dimensions (a piece with volume, not a face or a point)."""
    if len(verts) < d + 1:
        return False
    spread = verts - verts.mean(axis=0)
    return np.linalg.matrix_rank(spread, tol=1e-9) == d


def split(p: Piece, a, c0, label: tuple[str, str], eq) -> list[Piece]:
    """``p`` cut by the hyperplane ``a u + c0 = 0``; ``label`` = (text of the <= side, of the >= side)."""
    vals = p.verts @ a + c0
    if (vals <= EPS).all() or (vals >= -EPS).all():
        return [p]
    out = []
    for s in (1.0, -1.0):
        A = np.vstack([p.A, s * a])
        c = np.append(p.c, s * c0)
        v = vertices(A, c)
        if full(v, len(a)):
            out.append(Piece(A, c, p.labels + [label[0] if s > 0 else label[1]],
                             p.eqs + [eq], v, p.cell))
    return out


def equation(a, c, free) -> str:
    """The hyperplane ``a . u + c = 0`` as text over the free specs' names.

    >>> equation([8.0, -4800.0], 0.0, ["fp8", "die_area"])
    '8 fp8 -4800 die_area = 0'
    """
    terms = [f"{a[k]:+.6g} {s}" for k, s in enumerate(free) if a[k] != 0]
    text = " ".join(terms).lstrip("+")
    return f"{text} {'+' if c >= 0 else '-'} {abs(c):.6g} = 0" if c else f"{text} = 0"


def inward(p: Piece, u: np.ndarray, meets) -> np.ndarray:
    """The first point from ``u`` towards the centre of its piece, a hair (1e-9 relative), then
    10x, 100x ... further, where ``meets`` (an evaluation of the rules) holds."""
    ctr = p.centre()
    step = ctr - u
    n = np.linalg.norm(step)
    if n == 0:
        return u
    for k in range(8):
        v = u + step * min(1.0, HAIR * 10 ** k * max(1.0, np.linalg.norm(u)) / n)
        if meets(v):
            return v
    return ctr


def nearest_point(pieces, u0):
    """(distance, point, piece) of the point of the union of ``pieces`` nearest ``u0`` (Euclidean):
    ``u0`` projected onto every face, edge and vertex of every piece (each a few equations)."""
    d = len(u0)
    best = (np.inf, None, None)
    for p in pieces:
        if (p.A @ u0 + p.c <= TIGHT).all():
            best = (0.0, u0, p)
            break
        m = len(p.c)
        for r in range(1, d + 1):
            for S in itertools.combinations(range(m), r):
                As, cs = p.A[list(S)], p.c[list(S)]
                G = As @ As.T
                if abs(np.linalg.det(G)) < 1e-12:
                    continue
                u = u0 - As.T @ np.linalg.solve(G, As @ u0 + cs)
                if (p.A @ u + p.c <= TIGHT).all():
                    dist = float(np.linalg.norm(u - u0))
                    if dist < best[0] - 1e-15:
                        best = (dist, u, p)
    return best
