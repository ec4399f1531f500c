"""The map drawn: TPP against performance density, the rule set's regions and every device.

The numbers come from :mod:`chipclass.design.regions` (regions, strip, placement, envelope);
this module only draws them. Colours, legend entries and region names come from the rule set:
each paragraph the rule files define (``Clause.eccn``) takes the next colour of :data:`PALETTE`
in the order the files define them, so a new paragraph (a future 3A090.d) draws without code
changes; the engine's statuses have fixed colours. Regions and hatching are rasterised (the
SVG stays small); text stays text (``svg.fonttype = none``).

Every device drawn is findable: its name beside it, or, where its neighbourhood is too crowded,
a number keyed to the table on the right of the figure (see :mod:`.maplayout`, which places
every label once in pixel coordinates). Labels sit on a white backing, so no hatching, region
border or grid line runs through text, and no two labels or leader lines overlap. Processors
without a throughput and HBM stacks are not on the axes; the table names them.

Needs matplotlib (``pip install 'chipclass[plot]'``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from chipclass.design.regions import (PD_RANGE, TPP_RANGE, device_columns, envelope_polygons, panel_dates,
                                      paragraphs, pin_to_axes, placement, read_envelope, read_sweep_points, region_grid, rows,
                                      strip_grid)
from chipclass.outputs.maplayout import Layout, TextMetrics, clusters, place

__all__ = ["render_map", "build_map", "MapFigure", "colours", "PALETTE", "STATUS_COLOURS"]

#: Colours given to the rule files' paragraphs, in the order the files define them.
PALETTE = ("#d62728", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#1f77b4")
#: Colours of the engine's statuses (a point no paragraph matched).
STATUS_COLOURS = {"not controlled": "#2ca02c", "indeterminate": "#7f7f7f"}
OTHER = "#c7c7c7"
#: Settings while drawing: text stays text in SVG (searchable, and a few bytes per label).
RC = {"svg.fonttype": "none"}
LABEL_PT = 6.5
KEY_PT = 6.5
DPI = 130
#: Figure geometry (inches): one map panel, the strip under it, the key table on the right.
PANEL_W, MAP_H, STRIP_H, KEY_W, MARGIN = 10.0, 7.2, 1.4, 3.4, 0.75


def colours(rules_dir: str | None = None) -> dict[str, str]:
    """Label -> colour: every paragraph of the rule files in order, then the statuses."""
    out = {p: PALETTE[k % len(PALETTE)] for k, p in enumerate(paragraphs(rules_dir))}
    out.update(STATUS_COLOURS)
    return out


@dataclass
class Panel:
    """One date's map and strip, with what was placed on them."""

    rules: object
    ax: object
    strip: object
    ranges: tuple
    drawn: list[str] = field(default_factory=list)     # every device drawn (map and strip)
    layouts: list[Layout] = field(default_factory=list)


@dataclass
class MapFigure:
    """The figure, its panels and the key table (number -> device names)."""

    figure: object
    panels: list[Panel]
    key: dict[int, tuple[str, ...]]
    off_axes: dict[str, list[str]]

    def save(self, fmt: str = "png") -> bytes:
        """The figure as the bytes of a ``fmt`` (png, svg or pdf) file, with no creation date in it."""
        import io

        import matplotlib

        buf = io.BytesIO()
        extra = {"pil_kwargs": {"compress_level": 3}} if fmt == "png" else {}  # level 6: 2x the time, 8 % smaller
        with matplotlib.rc_context(RC):
            self.figure.savefig(buf, dpi=DPI, format=fmt, metadata=_metadata(fmt), **extra)
        return buf.getvalue()


def _metadata(fmt: str) -> dict:
    """No creation date in the file: the same input gives the same bytes."""
    return {"svg": {"Date": None}, "pdf": {"CreationDate": None}}.get(fmt, {})


def render_map(data, fmt: str = "png", as_of=None, compare=None, sweep=None, rules_dir=None,
               bit_lengths: dict | None = None, envelope=None) -> bytes:
    """The map of a catalogue as the bytes of a PNG, SVG or PDF file (``fmt``); ``envelope`` is
    a path to (or the dict of) ``chipclass envelope -f json``."""
    return build_map(data, as_of, compare, sweep, rules_dir, bit_lengths, envelope).save(fmt)


def build_map(data, as_of=None, compare=None, sweep=None, rules_dir=None, bit_lengths=None,
              envelope=None) -> MapFigure:
    """Draw the map (not yet written): the figure, each panel's layout and the key table."""
    import matplotlib

    with matplotlib.rc_context(RC):
        return _build(data, as_of, compare, sweep, rules_dir, bit_lengths, envelope)


def _build(data, as_of, compare, sweep, rules_dir, bit_lengths, envelope) -> MapFigure:
    """:func:`build_map`'s body (about 45 lines: one step per part of the figure)."""

    from chipclass.classification.engine import classify
    from chipclass.core.readers import load
    from chipclass.rules.instruments import rules_in_force

    cat = load(data)
    dates = panel_dates(as_of, compare)
    sets = [rules_in_force(d, rules_dir) for d in dates]
    sweep_frame = None if sweep is None else read_sweep_points(sweep)
    env = envelope if envelope is None or isinstance(envelope, dict) else read_envelope(envelope)
    env_col = len(sets) - 1
    if env is not None:  # the panel of the envelope's date, else the latest
        env_col = next((k for k, d in enumerate(dates) if d.isoformat() == env.get("as_of")), env_col)
    ranges = (TPP_RANGE, PD_RANGE)
    fig, panels, key_ax = _figure(sets, ranges)
    pal = colours(rules_dir)
    metrics = TextMetrics(LABEL_PT, DPI)
    off_axes: dict[str, list[str]] = {}
    seen_labels: list[str] = []
    for col, panel in enumerate(panels):
        frame = device_columns(classify(cat, panel.rules, bit_lengths))
        on_map, only_tpp = placement(frame)
        frame = pin_to_axes(frame, ranges)
        for name, dtype in zip(frame["name"][~on_map & ~only_tpp], frame["device_type"][~on_map & ~only_tpp]):
            kind = "HBM stacks (by bandwidth density)" if dtype == "hbm" else "no throughput given"
            off_axes.setdefault(kind, []).append(str(name))
        obstacles, crosses, labels = _draw_regions(panel, pal, metrics)
        seen_labels += labels + frame["label"][on_map | only_tpp].tolist()
        if sweep_frame is not None:
            obstacles.append(_draw_sweep(panel.ax, sweep_frame))
        if env is not None and col == env_col:
            for k, poly in enumerate(envelope_polygons(env, bit_lengths)):
                panel.ax.fill(poly[:, 0], poly[:, 1], facecolor="none", edgecolor="#1f3a93", hatch="..", lw=1.2,
                              zorder=4.5, rasterized=True)
        panel.layouts.append(_devices(panel.ax, rows(frame, on_map), "performance_density", pal, metrics, obstacles,
                                      crosses))
        strip = rows(frame, only_tpp)
        strip = rows(strip, np.argsort(strip["tpp"], kind="stable"))
        strip["_y"] = 0.2 + 0.3 * (np.arange(len(strip["tpp"])) % 3)  # three rows: neighbours apart
        panel.layouts.append(_devices(panel.strip, strip, "_y", pal, metrics, [], None))
        panel.drawn = [str(n) for n in frame["name"][on_map | only_tpp]]
    key = _number_keys(panels)
    _draw_labels(panels)
    shown = sorted(set(seen_labels), key=lambda lab: (list(pal).index(lab) if lab in pal else len(pal), lab))
    _draw_key(key_ax, pal, shown, key, off_axes, sets, env)
    return MapFigure(fig, panels, key, {k: list(dict.fromkeys(v)) for k, v in off_axes.items()})


def _figure(sets, ranges):
    """Axes at fixed places (no tight_layout: the label layout needs the final geometry first).
    A bare Figure on the Agg canvas (with whole-string text, :mod:`.aggtext`): pyplot (and its
    backend machinery) is never imported."""
    from matplotlib.figure import Figure

    from chipclass.outputs.aggtext import TextCanvas

    n = len(sets)
    width = MARGIN + n * (PANEL_W + MARGIN) + KEY_W
    height = MAP_H + STRIP_H + 1.45
    fig = Figure(figsize=(width, height), dpi=DPI)
    TextCanvas(fig)
    panels = []
    for col, rules in enumerate(sets):
        left = (MARGIN + col * (PANEL_W + MARGIN)) / width
        ax = fig.add_axes((left, (STRIP_H + 0.95) / height, PANEL_W / width, MAP_H / height))
        strip = fig.add_axes((left, 0.55 / height, PANEL_W / width, STRIP_H / height))
        _axes_style(ax, strip, rules, ranges)
        panels.append(Panel(rules, ax, strip, ranges))
    key_ax = fig.add_axes(((width - KEY_W + 0.1) / width, 0.1 / height, (KEY_W - 0.2) / width, (height - 0.3) / height))
    key_ax.set_axis_off()
    return fig, panels, key_ax


def _axes_style(ax, strip, rules, ranges) -> None:
    """Log axes with plain tick labels (1,000 rather than mathtext powers: easier to read, and
    mathtext parsing was a fifth of the drawing time)."""
    from matplotlib.ticker import FuncFormatter

    plain = FuncFormatter(lambda v, _: f"{v:,.10g}")
    for a in (ax, strip):
        a.set_xscale("log")
        a.set_xlim(*ranges[0])
        a.xaxis.set_major_formatter(plain)
        _marks_between(a, "x")
    ax.set_yscale("log")
    ax.set_ylim(*ranges[1])
    ax.yaxis.set_major_formatter(plain)
    _marks_between(ax, "y")
    ax.set_ylabel("Performance density (TPP per mm² of die)")
    ax.set_title(f"As of {rules.as_of.isoformat()}: rule set {rules.id}", fontsize=10, y=1.005)
    ax.grid(True, which="major", alpha=0.3, zorder=1)
    strip.set_ylim(0, 1)
    strip.set_yticks([])
    strip.set_ylabel("no die area\n(TPP only)", fontsize=7)
    strip.set_xlabel("Total Processing Performance (TPP = dense TOPS or TFLOPS × bit length)")


def _marks_between(ax, which: str) -> None:
    """Unlabelled minor marks at 2..9 x each power of ten, outside the ``which`` ("x"/"y") axis,
    drawn as one line collection instead of matplotlib's minor Tick artists (a line and a text
    object each: a fifth of the map's drawing time for marks without labels)."""
    from matplotlib.collections import LineCollection
    from matplotlib.ticker import NullLocator

    axis = ax.xaxis if which == "x" else ax.yaxis
    axis.set_minor_locator(NullLocator())
    lo, hi = ax.get_xlim() if which == "x" else ax.get_ylim()
    powers = 10.0 ** np.arange(np.floor(np.log10(lo)), np.ceil(np.log10(hi)) + 1)
    at = (np.arange(2, 10)[None, :] * powers[:, None]).ravel()
    at = at[(at > lo) & (at < hi)]
    width, height = ax.get_position().size * ax.figure.get_size_inches()
    out = 2.0 / 72  # matplotlib's minor tick length, 2 points, outwards
    if which == "x":
        segments, transform = [((v, 0.0), (v, -out / height)) for v in at], ax.get_xaxis_transform()
    else:
        segments, transform = [((0.0, v), (-out / width, v)) for v in at], ax.get_yaxis_transform()
    ax.add_collection(LineCollection(segments, transform=transform, colors="black", linewidths=0.6,
                                     clip_on=False), autolim=False)


def _draw_regions(panel: Panel, pal: dict, metrics: TextMetrics):
    """Regions (raster), borders, the non-datacenter hatching and the region names; returns the
    names' boxes (obstacles for labels), the border test for label boxes and the labels drawn."""
    import matplotlib.colors as mcolors

    ax = panel.ax
    t, p, dc, ndc = region_grid(panel.rules, ranges=panel.ranges)
    names = list(dict.fromkeys(list(pal) + sorted(set(dc.ravel()) | set(ndc.ravel()) - set(pal))))
    cmap = mcolors.ListedColormap([pal.get(n, OTHER) for n in names])
    index = {n: k for k, n in enumerate(names)}
    codes = np.vectorize(index.__getitem__)(dc)
    _raster(ax, codes, cmap, len(names), centred=True)
    ax.contour(t, p, codes, levels=np.arange(len(names)) + 0.5, colors="0.15", linewidths=0.9, zorder=4)
    differs = (dc != ndc).astype(float)
    if differs.any():
        ax.contourf(t, p, differs, levels=[0.5, 1.5], colors="none", hatches=["///"], zorder=3, rasterized=True)
        ax.contour(t, p, differs, levels=[0.5], colors="0.35", linewidths=0.8, zorder=4)
    strip_codes = np.vectorize(index.__getitem__)(strip_grid(panel.rules, t))[None, :-1]
    _raster(panel.strip, strip_codes, cmap, len(names), centred=False)
    combined = codes * 2 + (dc != ndc)
    bounds = ax.get_window_extent().extents
    obstacles = _region_names(ax, t, dc, pal, metrics, panel.ranges[1][0])
    return obstacles, _border_test(combined, bounds), sorted(set(dc.ravel()), key=names.index)


def _raster(ax, codes: np.ndarray, cmap, n_names: int, centred: bool) -> None:
    """A grid of region codes as one image in axes coordinates: the grid spans the axes and is
    even in log space, as the axes are, so an image needs no mesh (a quad mesh took a tenth of
    the PNG's drawing time). ``centred``: a cell around each grid point (the map), else a cell
    between neighbouring points (the strip)."""
    ny, nx = codes.shape
    hx = 0.5 / (nx - 1) if centred else 0.0
    hy = 0.5 / (ny - 1) if centred and ny > 1 else 0.0
    ax.imshow(codes, extent=(-hx, 1 + hx, -hy, 1 + hy), transform=ax.transAxes, origin="lower",
              interpolation="nearest", aspect="auto", cmap=cmap, vmin=-0.5, vmax=n_names - 0.5, alpha=0.22,
              zorder=0)


def _region_names(ax, t, dc, pal, metrics, pd_low) -> list:
    """Each region's name along the bottom edge, where devices rarely sit; their boxes."""
    boxes = []
    big = TextMetrics(12, metrics.dpi)
    for n in dict.fromkeys(dc[2]):
        cols = np.nonzero(dc[2] == n)[0]
        if len(cols) <= 20:
            continue
        x = float(np.exp(np.log(t[cols]).mean()))
        y = pd_low * 1.22
        ax.text(x, y, n, fontsize=12, fontweight="bold", color=pal.get(n, OTHER), ha="center", va="bottom",
                alpha=0.85, zorder=5)
        px, py = ax.transData.transform((x, y))
        w, h = big.width(n) * 1.12, big.height()  # bold is wider
        boxes.append((px - w / 2, py, px + w / 2, py + h))
    return boxes


def _border_test(combined: np.ndarray, bounds):
    """Whether a pixel box crosses a region border or hatching edge (grid cells in log space are
    linear in pixels)."""
    ny, nx = combined.shape
    x0, y0, x1, y1 = bounds

    def crosses(box) -> bool:
        i0 = int(np.clip((box[0] - x0) / (x1 - x0) * nx, 0, nx - 1))
        i1 = int(np.clip((box[2] - x0) / (x1 - x0) * nx, 0, nx - 1))
        j0 = int(np.clip((box[1] - y0) / (y1 - y0) * ny, 0, ny - 1))
        j1 = int(np.clip((box[3] - y0) / (y1 - y0) * ny, 0, ny - 1))
        block = combined[j0:j1 + 1, i0:i1 + 1]
        return bool(block.min() != block.max())

    return crosses


def _draw_sweep(ax, sweep: dict):
    ok = (sweep["tpp"] > 0) & (sweep["performance_density"] > 0)
    hb = ax.hexbin(sweep["tpp"][ok], sweep["performance_density"][ok], xscale="log", yscale="log",
                   gridsize=60, cmap="Blues", mincnt=1, alpha=0.35, linewidths=0, bins="log", zorder=2,
                   rasterized=True)
    rect = (0.955, 0.06, 0.015, 0.3)
    cax = ax.inset_axes(rect)  # inside the axes: the strip below stays aligned
    ax.figure.colorbar(hb, cax=cax, label="sweep variants")
    cax.yaxis.set_label_position("left")
    cax.tick_params(labelsize=6)
    x0, y0, x1, y1 = ax.get_window_extent().extents
    w, h = x1 - x0, y1 - y0
    return (x0 + (rect[0] - 0.06) * w, y0 + rect[1] * h - 8, x1, y0 + (rect[1] + rect[3]) * h + 8)


def _devices(ax, frame: dict, ycol: str, pal, metrics, obstacles, crosses) -> Layout:
    """Markers (circle: datacenter part, triangle: not) and the label layout for them
    (``frame``: :func:`~chipclass.design.regions.device_columns` of the devices drawn)."""
    for dcflag, marker in ((True, "o"), (False, "^")):
        sel = rows(frame, frame["datacenter"] == dcflag)
        ax.scatter(sel["tpp"], sel[ycol], s=24, marker=marker, zorder=6, edgecolors="black", linewidths=0.6,
                   c=[pal.get(e, OTHER) for e in sel["label"]])
    groups = clusters(np.asarray(frame["tpp"], float), np.asarray(frame[ycol], float),
                      [str(n) for n in frame["name"]])
    bounds = ax.get_window_extent().extents

    def to_px(x, y):
        return ax.transData.transform(np.column_stack([x, y]))

    return place(groups, to_px, metrics, bounds, obstacles, marker_r=4.0, crosses=crosses)


def _number_keys(panels) -> dict[int, tuple[str, ...]]:
    """One number per group shown by number, the same in every panel, in order of TPP."""
    groups = []
    for panel in panels:
        for lay in panel.layouts:
            groups += [p for p in lay.placed if p.key is not None]
    ordered = list(dict.fromkeys(p.names for p in sorted(groups, key=lambda p: p.anchor[0])))
    key = {k + 1: names for k, names in enumerate(ordered)}
    number = {names: k for k, names in key.items()}
    for p in groups:
        p.key = number[p.names]
        p.text = str(p.key)
    for panel in panels:  # groups keyed but not placed (none expected): still in the table
        for lay in panel.layouts:
            for names in lay.keyed:
                if names not in number:
                    number[names] = len(key) + 1
                    key[len(key) + 1] = names
    return key


def _draw_labels(panels) -> None:
    """The layout drawn in display pixels (what was placed is what appears): the white backings
    as one collection per axes (one draw call, not one patch per label), then the texts and
    leader lines."""
    from matplotlib.collections import LineCollection, PolyCollection
    from matplotlib.transforms import IdentityTransform

    ident = IdentityTransform()
    for panel in panels:
        for ax, lay in zip((panel.ax, panel.strip), panel.layouts):
            if not lay.placed:
                continue
            boxes = np.array([p.box for p in lay.placed])
            verts = np.stack([boxes[:, [0, 1]], boxes[:, [2, 1]], boxes[:, [2, 3]], boxes[:, [0, 3]]], axis=1)
            ax.add_collection(PolyCollection(verts, transform=ident, facecolors=(1, 1, 1, 0.85), edgecolors="none",
                                             zorder=7.5))
            leaders = [(p.anchor, _nearest(p.anchor, p.box)) for p in lay.placed if p.leader]
            if leaders:
                ax.add_collection(LineCollection(leaders, transform=ident, linewidths=0.5, colors="0.35", zorder=7))
            for p in lay.placed:
                x0, y0, x1, y1 = p.box
                x = {"left": x0 + 1, "right": x1 - 1, "center": (x0 + x1) / 2}[p.ha]
                ax.text(x, (y0 + y1) / 2, p.text, transform=ident, fontsize=LABEL_PT, ha=p.ha, va="center_baseline",
                        zorder=8, color="black" if p.key is None else "#1f3a93",
                        fontweight="normal" if p.key is None else "bold")


def _nearest(pt, box) -> tuple[float, float]:
    return (min(max(pt[0], box[0]), box[2]), min(max(pt[1], box[1]), box[3]))


def _draw_key(ax, pal, labels, key, off_axes, sets, env) -> None:
    """The table on the right: legend (colours from the rule set), numbered devices, devices
    not on the axes, and the sources; in as many columns as it needs."""
    from chipclass.outputs.mapkey import key_lines

    x0, y0, x1, y1 = ax.get_window_extent().extents
    metrics = TextMetrics(KEY_PT, DPI)
    step = metrics.height() * 1.05
    per_col = max(1, int((y1 - y0) / step))
    for ncol in (1, 2, 3, 4):
        col_w = (x1 - x0) / ncol
        lines = key_lines(pal, labels, key, off_axes, sets, env, col_w - 6, metrics.width)
        if len(lines) <= per_col * ncol:
            break
    _write_lines(ax, lines, per_col, col_w, step)


def _write_lines(ax, lines, per_col: int, col_w: float, step: float) -> None:
    """Lines of (kind, text, colour, hatch) top to bottom in the key axes, column by column."""
    from matplotlib.patches import Rectangle
    from matplotlib.transforms import IdentityTransform

    ident = IdentityTransform()
    x0, y0, x1, y1 = ax.get_window_extent().extents
    for k, (kind, text, colour, hatch) in enumerate(lines):
        c, r = divmod(k, per_col)
        x = x0 + c * col_w
        y = y1 - (r + 0.5) * step
        if kind == "swatch":
            ax.add_patch(Rectangle((x, y - step * 0.35), 16, step * 0.7, transform=ident, facecolor=colour,
                                   alpha=0.45, edgecolor="0.3", hatch=hatch, lw=0.5))
        elif kind == "marker":
            ax.plot([x + 8], [y], marker=colour, ls="", mec="black", mfc="white", ms=5, transform=ident)
        indent = 20 if kind in ("swatch", "marker") else 0
        ax.text(x + indent, y, text, transform=ident, fontsize=KEY_PT, va="center",
                fontweight="bold" if kind == "heading" else "normal",
                color=colour if kind == "text" and colour else "black")
