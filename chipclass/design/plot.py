"""The map: TPP against performance density, with the rule set's regions and every device.

The regions are not drawn from thresholds written here: a log-spaced grid of (TPP, PD) points
is classified by the same engine (as a datacenter processor with fast interconnect), so a new
rule file redraws the map by itself. Where a part *not* designed for datacenters would be
classified differently, the region is hatched (the non-datacenter note); region edges are
drawn as lines on top of everything, so a sweep's density layer never hides them.

Every device is shown: processors with a TPP and a die area on the map; those without a die
area (no PD) on a TPP-only strip under it, whose colours are what the engine says with PD
unknown; processors without a throughput and HBM stacks are named in a box. Labels are placed
greedily (each tries positions around its point, nearest first, and takes the first whose text
overlaps no label and no point already drawn). With ``--compare`` the panels run left to right
by date. ``envelope`` (the JSON of ``chipclass envelope``) overlays the envelope's pieces mapped
to (TPP, PD). Needs matplotlib (``pip install 'chipclass[plot]'``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from chipclass.classification.logic import STATUS
from chipclass.core.catalogue import DEVICE_TYPES, Catalogue
from chipclass.classification.engine import classify
from chipclass.rules.instruments import rules_in_force

__all__ = ["render_map", "region_grid", "placement", "panel_dates", "strip_grid", "envelope_polygons"]

COLOURS = {"3A090.a": "#d62728", "3A090.b": "#ff7f0e", "3A090.c": "#9467bd", "not controlled": "#2ca02c",
           "indeterminate": "#7f7f7f"}
TPP_RANGE = (100.0, 100_000.0)
PD_RANGE = (0.5, 50.0)


def _grid_catalogue(tpp: np.ndarray, pd_: np.ndarray, datacenter: float) -> Catalogue:
    n = len(tpp)
    nan = np.broadcast_to(np.nan, n)
    from chipclass.core.catalogue import NUMERIC
    values = {k: nan for k in NUMERIC}
    values["fp8"] = tpp / 8.0
    values["die_area"] = tpp / pd_
    values["interconnect_bandwidth"] = np.broadcast_to(1e6, n)
    return Catalogue(names=pd.Series(pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), ["grid"])),
                     values=values, datacenter=np.broadcast_to(datacenter, n),
                     device_type=np.zeros(n, dtype=np.int8), extra=pa.table({}),
                     source="<grid>", headers={"fp8": "fp8", "die_area": "die_area"})


def paragraph_or_status(cl) -> np.ndarray:
    """Each row's 3A090 paragraph (not the final ECCN), else its status, as text."""
    status = np.asarray(STATUS, dtype=object)[cl.status]
    return np.where(cl.clause >= 0, cl.eccn_text().astype(object), status)


def _device_frame(cl) -> pd.DataFrame:
    """What the map draws of each device: name, type, datacenter, TPP, PD, label."""
    return pd.DataFrame({"name": cl.catalogue.names.astype(str).reset_index(drop=True),
                         "device_type": np.asarray(DEVICE_TYPES, dtype=object)[cl.catalogue.device_type],
                         "datacenter": cl.catalogue.datacenter.astype(bool), "tpp": cl.tpp,
                         "performance_density": cl.performance_density, "label": paragraph_or_status(cl)})


def region_grid(rules, size: int = 300):
    """(tpp axis, pd axis, eccn labels for datacenter parts, same for non-datacenter parts)."""
    t = np.geomspace(*TPP_RANGE, size)
    p = np.geomspace(*PD_RANGE, size)
    T, P = np.meshgrid(t, p)
    out = []
    for dc in (1.0, 0.0):
        out.append(paragraph_or_status(classify(_grid_catalogue(T.ravel(), P.ravel(), dc), rules)).reshape(T.shape))
    return t, p, out[0], out[1]


def _draw(ax, rules, devices: pd.DataFrame, sweep: pd.DataFrame | None, title: str):
    import matplotlib.colors as mcolors
    from matplotlib.patches import Patch

    t, p, dc, ndc = region_grid(rules)
    names = list(COLOURS)
    codes = np.vectorize(names.index)(dc)
    cmap = mcolors.ListedColormap([COLOURS[n] for n in names])
    ax.pcolormesh(t, p, codes, cmap=cmap, vmin=-0.5, vmax=len(names) - 0.5, alpha=0.22, shading="auto")
    ax.contour(t, p, codes, levels=np.arange(len(names)) + 0.5, colors="0.15", linewidths=0.9, zorder=4)
    differs = (dc != ndc).astype(float)
    if differs.any():
        ax.contourf(t, p, differs, levels=[0.5, 1.5], colors="none", hatches=["///"])
        ax.contour(t, p, differs, levels=[0.5], colors="0.35", linewidths=0.8)
    # region names along the bottom edge, where devices rarely sit
    for n in names:
        cols = np.nonzero((dc == n)[2])[0]  # regions present on the lowest PD row
        if len(cols) > 20:
            ax.text(np.exp(np.log(t[cols]).mean()), PD_RANGE[0] * 1.25, n, fontsize=13, fontweight="bold",
                    color=COLOURS[n], ha="center", va="bottom", alpha=0.8)
    if sweep is not None and len(sweep):
        ok = sweep["tpp"].gt(0) & sweep["performance_density"].gt(0)
        hb = ax.hexbin(sweep.loc[ok, "tpp"], sweep.loc[ok, "performance_density"], xscale="log", yscale="log",
                       gridsize=60, cmap="Blues", mincnt=1, alpha=0.35, linewidths=0, bins="log", zorder=2)
        cax = ax.inset_axes([0.955, 0.06, 0.015, 0.3])  # inside the axes: the strip below stays aligned
        ax.figure.colorbar(hb, cax=cax, label="sweep variants")
        cax.yaxis.set_label_position("left")
        cax.tick_params(labelsize=6)
    for dcflag, marker in ((True, "o"), (False, "^")):
        sel = devices[devices["datacenter"] == dcflag]
        ax.scatter(sel["tpp"], sel["performance_density"], s=26, marker=marker, zorder=5,
                   c=[COLOURS.get(e, COLOURS["not controlled"]) for e in sel["label"]], edgecolors="black",
                   linewidths=0.6)
    jobs = _clusters(devices, "tpp", "performance_density")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(*TPP_RANGE)
    ax.set_ylim(*PD_RANGE)
    ax.set_xlabel("Total Processing Performance (TPP = dense TOPS × bit length)")
    ax.set_ylabel("Performance density (TPP per mm² of die)")
    ax.set_title(title, fontsize=11)
    ax.grid(True, which="major", alpha=0.3)
    handles = [Patch(facecolor=COLOURS[n], alpha=0.35, label=n) for n in ("3A090.a", "3A090.b", "not controlled")]
    handles.append(Patch(facecolor=COLOURS["indeterminate"], alpha=0.35, label="indeterminate (strip: PD unknown)"))
    handles.append(Patch(facecolor="white", edgecolor="0.35", hatch="///",
                         label="not 3A090 if not designed for datacenters"))
    from matplotlib.lines import Line2D
    handles += [Line2D([], [], marker="o", ls="", mec="black", mfc="white", label="datacenter part"),
                Line2D([], [], marker="^", ls="", mec="black", mfc="white", label="not for datacenters")]
    ax.legend(handles=handles, loc="upper left", fontsize=7.5, framealpha=0.9)
    return jobs


def _clusters(devices: pd.DataFrame, xcol: str, ycol: str | None) -> list:
    """(x, y, 'name / name') per cluster of (nearly) coincident devices."""
    pts = devices.sort_values([xcol] + ([ycol] if ycol else []))
    groups: list[list] = []
    for _, r in pts.iterrows():
        x, y = r[xcol], (r[ycol] if ycol else r["_y"])
        for g in groups:
            if abs(np.log10(g[0] / x)) < 0.012 and (ycol is None or abs(np.log10(g[1] / y)) < 0.012):
                g[2].append(str(r["name"]))
                break
        else:
            groups.append([x, y, [str(r["name"])]])
    return [(x, y, " / ".join(m)) for x, y, m in groups]


#: Label offsets (points) tried around a device, nearest first.
_OFFSETS = [(dx * k, dy * k) for k in (1, 2, 3, 4, 6, 8, 11, 14) for dx, dy in
            ((6, 0), (6, 7), (6, -7), (-6, 0), (-6, 7), (-6, -7), (0, 9), (0, -9))]


def place_labels(ax, jobs, renderer, taken: list) -> list[str]:
    """Greedy collision-free labels; returns the labels that found no free place (not drawn:
    the caption names them)."""
    from matplotlib.transforms import Bbox

    for x, y, text in jobs:
        px, py = ax.transData.transform((x, y))
        taken.append(Bbox.from_extents(px - 3, py - 3, px + 3, py + 3))
    axbox = ax.get_window_extent(renderer)
    skipped: list[str] = []
    for x, y, text in jobs:
        best = None
        for k, (dx, dy) in enumerate(_OFFSETS):
            ann = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=6.5, zorder=6,
                              ha="left" if dx > 0 else ("right" if dx < 0 else "center"), va="center",
                              arrowprops=dict(arrowstyle="-", lw=0.4, color="0.4") if k >= 8 else None)
            box = ann.get_window_extent(renderer).expanded(1.02, 1.1)
            inside = axbox.contains(box.x0, box.y0) and axbox.contains(box.x1, box.y1)
            if inside and not any(box.overlaps(o) for o in taken):
                best = (ann, box)
                break
            ann.remove()
        if best is None:  # nowhere free: left out here, named in the caption
            skipped.append(text)
            continue
        taken.append(best[1])
    return skipped


def strip_grid(rules, t: np.ndarray) -> np.ndarray:
    """Labels along the TPP axis for a datacenter processor whose die area is unknown."""
    return paragraph_or_status(classify(_grid_catalogue(t, np.full(len(t), np.nan), 1.0), rules))


def _draw_strip(ax, rules, devices: pd.DataFrame) -> list:
    """The TPP-only strip: what the engine says with PD unknown, and the devices without a die area."""
    import matplotlib.colors as mcolors

    t = np.geomspace(*TPP_RANGE, 400)
    lab = strip_grid(rules, t)
    names = list(COLOURS)
    codes = np.array([names.index(x) for x in lab])[None, :-1]
    cmap = mcolors.ListedColormap([COLOURS[n] for n in names])
    ax.pcolormesh(t, [0, 1], codes, cmap=cmap, vmin=-0.5, vmax=len(names) - 0.5, alpha=0.22, shading="auto")
    devices = devices.sort_values("tpp").copy()
    # alternate rows so neighbours do not sit on one another
    devices["_y"] = 0.2 + 0.3 * (np.arange(len(devices)) % 3)
    for dcflag, marker in ((True, "o"), (False, "^")):
        sel = devices[devices["datacenter"] == dcflag]
        ax.scatter(sel["tpp"], sel["_y"], s=22, marker=marker, zorder=5, edgecolors="black", linewidths=0.6,
                   c=[COLOURS.get(e, COLOURS["not controlled"]) for e in sel["label"]])
    ax.set_xscale("log")
    ax.set_xlim(*TPP_RANGE)
    ax.set_ylim(0, 1)
    ax.set_yticks([])
    ax.set_ylabel("no die area\n(TPP only)", fontsize=7)
    ax.set_xlabel("Total Processing Performance (TPP = dense TOPS × bit length)")
    return _clusters(devices, "tpp", None)


def envelope_polygons(env: dict, bit_lengths=None) -> list[np.ndarray]:
    """Each piece of an envelope (the JSON of ``chipclass envelope``) as a polygon in (TPP, PD):
    its edges sampled and mapped through the metrics (PD = TPP / area is not linear)."""
    from chipclass.core.readers import spec_catalogue
    from chipclass.classification.engine import compute_metrics

    free = env["free"]
    base = dict(env.get("base_specs") or env["base"])
    verts = pd.DataFrame(env["vertices"])
    out = []
    for _, piece in verts.groupby("piece"):
        v = piece[free].to_numpy(dtype=float)
        if len(v) < 2:
            continue
        scale = np.array([env["base"][s] for s in free])
        u = v / scale
        ctr = u.mean(axis=0)
        if len(free) >= 2:  # order the vertices around the centre in the first two free specs
            ang = np.arctan2(u[:, 1] - ctr[1], u[:, 0] - ctr[0])
            v = v[np.argsort(ang)]
        ring = np.concatenate([v, v[:1]])
        pts = np.concatenate([np.linspace(a, b, 30, endpoint=False) for a, b in zip(ring[:-1], ring[1:])])
        cat = spec_catalogue("piece", **{k: x for k, x in base.items() if k not in free})
        from chipclass.design.headroom import light, set_spec
        probe = light(cat, np.zeros(len(pts), dtype=np.int64))
        for k, s_ in enumerate(free):
            set_spec(probe, s_, pts[:, k])
        m = compute_metrics(probe, bit_lengths)
        out.append(np.column_stack([m["tpp"], m["performance_density"]]))
    return out


def _read_envelope(path: str) -> dict:
    import json

    from chipclass.core.errors import InputError

    try:
        with open(path, encoding="utf-8") as fh:
            env = json.load(fh)
    except OSError as exc:
        raise InputError(f"cannot read the envelope: {exc.strerror}", source=path) from None
    except ValueError as exc:
        raise InputError(f"not the JSON of chipclass envelope: {exc}", source=path) from None
    if not isinstance(env, dict) or not {"free", "vertices", "base", "target"} <= set(env):
        raise InputError("not the JSON of chipclass envelope (-f json): free, vertices, base, target missing",
                         source=path)
    return env


def panel_dates(as_of, compare=None) -> list:
    """The panels' dates, left to right: older first."""
    from chipclass.rules.instruments import as_date

    return sorted({as_date(as_of)} | ({as_date(compare)} if compare else set()))


def placement(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(on the map, on the TPP-only strip) masks of a result table; the rest is named in the caption."""
    proc = frame["device_type"] == "processor"
    has_tpp = frame["tpp"].gt(0)
    on_map = has_tpp & frame["performance_density"].gt(0) & proc
    return on_map, has_tpp & ~frame["performance_density"].gt(0) & proc


def render_map(data, fmt: str = "png", as_of=None, compare=None, sweep=None, rules_dir=None,
               bit_lengths: dict | None = None, envelope=None) -> bytes:
    """The map of a catalogue as the bytes of a PNG, SVG or PDF file (``fmt``); ``envelope`` is
    a path to (or the dict of) ``chipclass envelope -f json``.

    Length: the renderer is being moved to outputs/ and rebuilt by the map work (issue 19's map
    part); it is split there."""

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from chipclass.core.readers import load

    cat = load(data)
    dates = panel_dates(as_of, compare)
    sets = [rules_in_force(d, rules_dir) for d in dates]
    sweep_frame = None
    if sweep is not None:
        sweep_frame = pd.read_parquet(sweep) if str(sweep).endswith((".parquet", ".pq")) else pd.read_csv(sweep)
    env = None
    if envelope is not None:
        env = envelope if isinstance(envelope, dict) else _read_envelope(envelope)
    fig, axes = plt.subplots(2, len(sets), figsize=(11 * len(sets), 9.2), squeeze=False,
                             gridspec_kw={"height_ratios": [8, 1.6]})
    jobs = []
    unplaced: dict[str, list] = {}
    env_col = len(sets) - 1
    if env is not None:  # the panel of the envelope's date, else the latest
        env_col = next((k for k, d in enumerate(dates) if d.isoformat() == env.get("as_of")), env_col)
    for col, rules in enumerate(sets):
        ax, strip = axes[0][col], axes[1][col]
        cl = classify(cat, rules, bit_lengths)
        frame = _device_frame(cl)
        ok, only_tpp = placement(frame)
        for r in frame[~ok & ~only_tpp].itertuples():
            unplaced.setdefault("HBM stacks (3A090.c is by bandwidth density)" if r.device_type == "hbm"
                                else "no throughput given", []).append(str(r.name))
        title = f"ECCN 3A090 as of {rules.as_of.isoformat()} — rule set {rules.id}"
        jobs.append((ax, _draw(ax, rules, frame[ok], sweep_frame, title)))
        ax.set_xlabel("")
        if env is not None and col == env_col:
            for k, poly in enumerate(envelope_polygons(env, bit_lengths)):
                ax.fill(poly[:, 0], poly[:, 1], facecolor="none", edgecolor="#1f3a93", hatch="..", lw=1.2,
                        zorder=4.5, label=f"envelope: {env['target']}" if k == 0 else None)
        jobs.append((strip, _draw_strip(strip, rules, frame[only_tpp])))
    cites = "; ".join(dict.fromkeys(i.reference for r in sets for i in r.instruments))
    uses_link = any(c.metric == "interconnect_bandwidth" for r in sets for cl in r.clauses for c in cl.conditions)
    caption = f"Sources: {cites}. Regions shown for a processor"
    caption += " with interconnect ≥ 600 GB/s." if uses_link else "."
    if unplaced:
        caption += " Not on the axes: " + "; ".join(f"{k}: {', '.join(dict.fromkeys(v))}" for k, v in unplaced.items()) + "."
    if env is not None:
        caption += (f" Envelope (dotted): {env['target']} around the base, free {', '.join(env['free'])}, "
                    f"as of {env['as_of']}.")
    renderer = fig.canvas.get_renderer()
    lines = 1 + len(caption) // (170 * len(sets))
    fig.tight_layout(rect=(0, 0.012 + 0.016 * lines, 1, 1))
    skipped: list[str] = []
    for ax, job in jobs:
        skipped += place_labels(ax, job, renderer, [])
    if skipped:
        caption += " Unlabelled (no free place): " + ", ".join(dict.fromkeys(skipped)) + "."
    fig.text(0.01, 0.004, caption, fontsize=6.5, wrap=True)
    import io

    buf = io.BytesIO()
    fig.savefig(buf, dpi=130, format=fmt)
    plt.close(fig)
    return buf.getvalue()
