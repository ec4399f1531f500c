"""Where the map's labels go: a greedy placement computed once, in pixel coordinates.

Nothing here asks a renderer where text ended up (that round trip, ``get_window_extent`` per
candidate, was 80 % of the map's time). Text extents come from the font's advance widths
(:class:`TextMetrics`, read once per font and size), points are mapped to pixels by the axes'
transform, and every candidate box is tested against everything already placed with numpy.

For each group of (nearly) coincident devices, in order of how crowded its neighbourhood is
(most crowded first), the name is tried at positions around the point, nearest first; a
position is taken when its box lies inside the axes and overlaps no label, number, marker or
leader line already placed, and positions that cross no region border are preferred. A group
whose name finds no place gets a number instead (keyed to the table beside the map), tried the
same way; far positions draw a leader line, itself checked against every label. The result,
:class:`Layout`, is what is drawn and what the tests check (every device labelled or keyed, no
two boxes overlapping), so the test reads the layout, not pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

__all__ = ["TextMetrics", "Placed", "Layout", "clusters", "place", "overlapping_pairs"]

#: Room around a text box (pixels) that must stay free: the white backing drawn behind text.
PAD = 1.5


class TextMetrics:
    """Width and height of one line of text in pixels, from the font's advance widths.

    The widths of every character are read once per font (via matplotlib's FreeType wrapper)
    and summed; kerning is ignored and 4 % added, so an estimate is never narrower than the
    rendered text (a test compares a sample with the renderer).
    """

    def __init__(self, size_pt: float, dpi: float, family: str | None = None):
        self.size_pt, self.dpi = size_pt, dpi
        self._scale = size_pt * dpi / 72.0
        self._font = _font_path(family)

    def width(self, text: str) -> float:
        """Estimated width of ``text`` on one line [px], never narrower than rendered."""
        adv = _advances(self._font)
        return 1.04 * self._scale * sum(adv.get(c) or _advance(self._font, c) for c in text) + 1.0

    def height(self) -> float:
        """Height of one line of text [px] (1.2 times the font size)."""
        return 1.2 * self._scale


@lru_cache(maxsize=4)
def _font_path(family: str | None) -> str:
    from matplotlib import font_manager, rcParams

    return font_manager.findfont(font_manager.FontProperties(family=family or rcParams["font.family"]))


@lru_cache(maxsize=4)
def _advances(path: str) -> dict:
    return {}


def _advance(path: str, char: str) -> float:
    """Advance width of ``char`` for a 1-pixel em (cached in :func:`_advances`)."""
    font = _ft2(path)
    font.set_size(100.0, 72.0)  # 100 px em: advances in 1/64 px, hinting noise negligible
    glyph = font.load_char(ord(char))
    adv = glyph.linearHoriAdvance / 65536.0 / 100.0
    _advances(path)[char] = adv
    return adv


@lru_cache(maxsize=4)
def _ft2(path: str):
    from matplotlib.ft2font import FT2Font

    return FT2Font(path)


@dataclass
class Placed:
    """One drawn piece of text: a device name or its key number."""

    text: str
    names: tuple[str, ...]     # the devices it stands for
    anchor: tuple[float, float]  # the device's point (pixels)
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 (pixels, text only)
    ha: str
    key: int | None = None     # a number keyed to the table beside the map
    leader: bool = False       # a line from the point to the text


@dataclass
class Layout:
    """What one axes shows: the labels placed, and the groups that need a key number."""

    placed: list[Placed] = field(default_factory=list)
    keyed: list[tuple[str, ...]] = field(default_factory=list)  # groups shown by number

    def names(self) -> set[str]:
        """Every device name shown by a placed label."""
        return {n for p in self.placed for n in p.names}

    def names_placed(self) -> set[tuple[str, ...]]:
        """The name groups of the placed labels (one tuple per label)."""
        return {p.names for p in self.placed}


def clusters(x: np.ndarray, y: np.ndarray, names, tol: float = 0.012) -> list[tuple[float, float, tuple]]:
    """Groups of (nearly) coincident points, within ``tol`` decades on both axes (``y`` may be
    linear: then it must match exactly): (x, y, names) each, in order of x."""
    order = np.lexsort((y, x))
    groups: list[list] = []
    for i in order:
        xi, yi = float(x[i]), float(y[i])
        for g in groups[-8:]:  # sorted by x: only the last few can be near
            if abs(np.log10(g[0] / xi)) < tol and abs(np.log10(g[1] / yi)) < tol:
                g[2].append(str(names[i]))
                break
        else:
            groups.append([xi, yi, [str(names[i])]])
    return [(gx, gy, tuple(n)) for gx, gy, n in groups]


#: Candidate positions around a point, nearest first: directions on the near rings (beside,
#: above, below, diagonal), sixteen directions on the far ones (with a leader line).
_DIRS = ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1))
_FAR = tuple((float(np.cos(a)), float(np.sin(a))) for a in np.linspace(0, 2 * np.pi, 16, endpoint=False))
_RINGS = (0, 1, 2, 3, 4, 6, 8, 11, 15, 20)
#: From this ring on, a leader line joins point and text.
_LEADER_RING = 2


def _directions():
    """Every candidate's (ring, dx, dy), nearest first."""
    table = [(ring, dx, dy) for ring in _RINGS for dx, dy in (_DIRS if ring < _LEADER_RING else _FAR)]
    return tuple(np.array(c, dtype=float) for c in zip(*table))


_RING, _DX, _DY = _directions()
_HA = ("left", "right", "center")


def _candidate_boxes(px: float, py: float, w: float, h: float, r: float, max_ring: int | None = None):
    """Every candidate around a point at once (those up to ``max_ring``): boxes (n, 4), ha codes
    (0 left, 1 right, 2 centre), rings; nearest first. ``x0 = (px + a) + b`` and
    ``y0 = (py + c) + d`` with the offsets of :func:`_offsets`: the operations of the scalar
    formulas, in their order, so the boxes are the same to the bit."""
    xa, ya, yb, cb, has, rings = _offsets(h, r)
    n = len(rings) if max_ring is None else int(np.searchsorted(rings, max_ring, side="right"))
    out = np.empty((n, 4))
    out[:, 0] = (px + xa[:n]) + (-w * cb[:n])
    out[:, 1] = (py + ya[:n]) + yb[:n]
    out[:, 2] = out[:, 0] + w
    out[:, 3] = out[:, 1] + h
    return out, has[:n], rings[:n]


@lru_cache(maxsize=64)
def _offsets(h: float, r: float):
    """The parts of each candidate's corner that do not depend on the point or the text's width
    (line height ``h``, marker radius ``r``): beside a point, ``x0 = px + gap·dx`` (or
    ``px ± r`` on the near rings), minus ``w``, ``w/2`` or nothing by alignment; likewise in y."""
    ring, dx, dy = _RING, _DX, _DY
    leader = ring >= _LEADER_RING
    gap = r + 2.0 + ring * h * 0.9
    beside = leader | (dy == 0)
    left, right = dx > 0.3, dx < -0.3
    xa = np.where(left & ~beside, r, np.where(right & ~beside, -r, gap * dx))
    cb = np.where(left, 0.0, np.where(right, 1.0, 0.5))
    up = (dy > 0.9) | (~leader & (dy > 0))
    down = ~up & ((dy < -0.9) | (~leader & (dy < 0)))
    ya = np.where(leader, gap * dy, np.where(up, gap, np.where(down, -gap, gap * dy)))
    yb = np.where(up, 0.0, np.where(down, -h, -h / 2))
    has = np.where(left, 0, np.where(right, 1, 2))
    return xa, ya, yb, cb, has, ring


class _Occupancy:
    """Boxes already taken (pixels), tested in one numpy call per candidate. Text boxes are
    marked: a leader line must keep off text, and may pass over a marker or another line."""

    def __init__(self):
        self.boxes = np.empty((0, 4))
        self.text = np.empty(0, dtype=bool)

    def add(self, box, text: bool = False) -> None:
        self.boxes = np.vstack([self.boxes, np.asarray(box, dtype=float).reshape(-1, 4)])
        self.text = np.concatenate([self.text, np.full(len(self.boxes) - len(self.text), text)])

    def free_each(self, boxes: np.ndarray) -> np.ndarray:
        """Whether each of ``boxes`` (n, 4) keeps clear of every taken box, at once: only the
        taken boxes within reach of any of them are compared."""
        b = self.boxes
        if not len(b) or not len(boxes):
            return np.ones(len(boxes), dtype=bool)
        lo, hi = boxes.min(axis=0), boxes.max(axis=0)
        b = b[(b[:, 0] < hi[2] + PAD) & (b[:, 2] > lo[0] - PAD) & (b[:, 1] < hi[3] + PAD) & (b[:, 3] > lo[1] - PAD)]
        if not len(b):
            return np.ones(len(boxes), dtype=bool)
        hit = ((b[None, :, 0] < boxes[:, None, 2] + PAD) & (b[None, :, 2] > boxes[:, None, 0] - PAD)
               & (b[None, :, 1] < boxes[:, None, 3] + PAD) & (b[None, :, 3] > boxes[:, None, 1] - PAD))
        return ~hit.any(axis=1)

    def free_all(self, boxes, text_only: bool = True) -> bool:
        """Whether none of ``boxes`` touches a (text) box: one numpy call for a whole line."""
        b, m = self.boxes, self.text if text_only else np.ones(len(self.boxes), dtype=bool)
        if not len(b) or not len(boxes) or not m.any():
            return True
        b = b[m]
        q = np.asarray(boxes)
        hit = ((b[None, :, 0] < q[:, None, 2] + PAD) & (b[None, :, 2] > q[:, None, 0] - PAD)
               & (b[None, :, 1] < q[:, None, 3] + PAD) & (b[None, :, 3] > q[:, None, 1] - PAD))
        return not hit.any()


def _segment_boxes(p, q, skip: float, step: float = 3.0) -> np.ndarray:
    """A leader line as small boxes along it, from ``skip`` pixels off ``p`` (its own marker)
    to ``q`` (so later labels keep off it, and it is checked against what is placed)."""
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    length = float(np.hypot(*(q - p)))
    if length <= skip:
        return np.empty((0, 4))
    t = np.linspace(skip / length, 1.0, max(2, int((length - skip) / step)))[:, None]
    pts = p + t * (q - p)
    return np.column_stack([pts - 0.75, pts + 0.75])


def place(groups, to_px, metrics: TextMetrics, bounds, obstacles=(), marker_r: float = 4.0,
          crosses=None, key_text: str = "88") -> Layout:
    """Place a label (else a key number) for each group ``(x, y, names)``.

    ``to_px`` maps data (x, y) arrays to pixels; ``bounds`` is the axes box in pixels;
    ``obstacles`` are boxes to keep clear (legend, region names); ``crosses(box)`` says whether
    a box crosses a region border (such positions are tried after those that do not);
    ``key_text`` is the widest key number the figure may need (numbers are given later, the
    same in every panel).
    """
    if not groups:
        return Layout()
    pts = to_px(np.array([g[0] for g in groups]), np.array([g[1] for g in groups]))
    order = list(_crowded_first(pts, 12 * metrics.height()))
    best = None
    for _ in range(6):  # a group left without a place goes first next time
        layout = _place_in_order(order, groups, pts, metrics, bounds, obstacles, marker_r, crosses, key_text)
        lost = [i for i in order if groups[i][2] not in layout.names_placed()]
        if best is None or len(lost) < best[0]:
            best = (len(lost), layout)
        if not lost:
            break
        order = lost + [i for i in order if i not in lost]
    return best[1]


def _place_in_order(order, groups, pts, metrics, bounds, obstacles, marker_r, crosses, key_text) -> Layout:
    layout = Layout()
    occ = _Occupancy()
    for box in obstacles:
        occ.add(box, text=True)
    occ.add(np.column_stack([pts - marker_r, pts + marker_r]))
    h = metrics.height()
    for i in order:
        text = " / ".join(groups[i][2])
        spot = _find(pts[i], metrics.width(text), h, occ, bounds, marker_r, crosses, max_ring=1)
        if spot is not None:
            _take(layout, occ, spot, text, groups[i][2], pts[i], None, marker_r)
            continue
        # no room for the name: a number at once (before the neighbours' names fill the room)
        key = len(layout.keyed) + 1
        spot = _find(pts[i], metrics.width(key_text), h, occ, bounds, marker_r, crosses, max_ring=_RINGS[-1])
        layout.keyed.append(groups[i][2])
        if spot is not None:
            _take(layout, occ, spot, str(key), groups[i][2], pts[i], key, marker_r)
    return layout


def _crowded_first(pts: np.ndarray, radius: float) -> np.ndarray:
    d = np.hypot(pts[:, None, 0] - pts[None, :, 0], pts[:, None, 1] - pts[None, :, 1])
    crowd = (d < radius).sum(axis=1)
    return np.lexsort((pts[:, 0], -crowd))


def _find(pt, w, h, occ, bounds, r, crosses, max_ring):
    """The first free candidate around ``pt`` up to ``max_ring`` that crosses no border, else
    the first free one; all candidates are tested against the bounds and the taken boxes in
    one numpy call, the few free ones then one by one (leader line, borders)."""
    bx0, by0, bx1, by1 = bounds
    boxes, has, rings = _candidate_boxes(pt[0], pt[1], w, h, r, max_ring)
    ok = ((boxes[:, 0] >= bx0 + 2) & (boxes[:, 2] <= bx1 - 2) & (boxes[:, 1] >= by0 + 2) & (boxes[:, 3] <= by1 - 2))
    ok[ok] = occ.free_each(boxes[ok])
    fallback = None
    for k in np.flatnonzero(ok).tolist():
        box = tuple(boxes[k].tolist())
        leader = bool(rings[k] >= _LEADER_RING)
        if leader and not _leader_free(pt, box, occ, r):
            continue
        if crosses is None or not crosses(box):
            return box, _HA[has[k]], leader
        if fallback is None:
            fallback = (box, _HA[has[k]], leader)
    return fallback


def _leader_end(pt, box):
    """Where a leader line meets the text box: the nearest point of the box."""
    return (min(max(pt[0], box[0]), box[2]), min(max(pt[1], box[1]), box[3]))


def _leader_free(pt, box, occ, r) -> bool:
    return occ.free_all(_segment_boxes(pt, _leader_end(pt, box), r + PAD + 1.0)[:-1])


def _take(layout, occ, spot, text, names, pt, key, r) -> None:
    box, ha, leader = spot
    occ.add(box, text=True)
    if leader:
        occ.add(_segment_boxes(pt, _leader_end(pt, box), r + PAD + 1.0))
    layout.placed.append(Placed(text, tuple(names), (float(pt[0]), float(pt[1])), tuple(map(float, box)), ha,
                                key, leader))


def overlapping_pairs(boxes) -> list[tuple[int, int]]:
    """Index pairs of boxes (x0, y0, x1, y1) that overlap (touching edges do not)."""
    b = np.asarray(boxes, dtype=float).reshape(-1, 4)
    hit = ((b[:, None, 0] < b[None, :, 2]) & (b[:, None, 2] > b[None, :, 0])
           & (b[:, None, 1] < b[None, :, 3]) & (b[:, None, 3] > b[None, :, 1]))
    i, j = np.nonzero(np.triu(hit, 1))
    return list(zip(i.tolist(), j.tolist()))
