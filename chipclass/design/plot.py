"""The map: TPP against performance density, with the rule set's regions and every device.

The regions are not drawn from thresholds written here: a log-spaced grid of (TPP, PD) points
is classified by the same engine (as a datacenter processor with fast interconnect), so a new
rule file redraws the map by itself. Where a part *not* designed for datacenters would be
classified differently, the region is hatched (the non-datacenter note). Devices are placed by
their own metrics (those without a die area have no PD and are listed in the caption).
Needs matplotlib (``pip install 'chipclass[plot]'``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from chipclass.core.catalogue import Catalogue
from chipclass.classification.engine import classify
from chipclass.rules.instruments import rules_in_force

__all__ = ["render_map", "region_grid"]

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


def region_grid(rules, size: int = 300):
    """(tpp axis, pd axis, eccn labels for datacenter parts, same for non-datacenter parts)."""
    t = np.geomspace(*TPP_RANGE, size)
    p = np.geomspace(*PD_RANGE, size)
    T, P = np.meshgrid(t, p)
    out = []
    for dc in (1.0, 0.0):
        frame = classify(_grid_catalogue(T.ravel(), P.ravel(), dc), rules).to_frame()
        para = frame["clause"].astype(object).str.slice(0, 7)  # the 3A090 paragraph, not the final ECCN
        label = para.where(para.notna(), frame["status"].astype(object))
        out.append(label.to_numpy().reshape(T.shape))
    return t, p, out[0], out[1]


def _draw(ax, rules, devices: pd.DataFrame, sweep: pd.DataFrame | None, title: str):
    import matplotlib.colors as mcolors
    from matplotlib.patches import Patch

    t, p, dc, ndc = region_grid(rules)
    names = list(COLOURS)
    codes = np.vectorize(names.index)(dc)
    cmap = mcolors.ListedColormap([COLOURS[n] for n in names])
    ax.pcolormesh(t, p, codes, cmap=cmap, vmin=-0.5, vmax=len(names) - 0.5, alpha=0.22, shading="auto")
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
                       gridsize=60, cmap="Greys", mincnt=1, alpha=0.55)
        ax.figure.colorbar(hb, ax=ax, label="sweep variants", shrink=0.6)
    for dcflag, marker in ((True, "o"), (False, "^")):
        sel = devices[devices["datacenter"] == dcflag]
        ax.scatter(sel["tpp"], sel["performance_density"], s=26, marker=marker, zorder=5,
                   c=[COLOURS.get(e, COLOURS["not controlled"]) for e in sel["label"]], edgecolors="black",
                   linewidths=0.6)
    # one label per cluster of (nearly) coincident devices, nudged apart in log space
    pts = devices.sort_values(["tpp", "performance_density"])
    groups: list[list] = []
    for r in pts.itertuples():
        for g in groups:
            if abs(np.log10(g[0] / r.tpp)) < 0.012 and abs(np.log10(g[1] / r.performance_density)) < 0.012:
                g[2].append(r.name)
                break
        else:
            groups.append([r.tpp, r.performance_density, [r.name]])
    placed = []
    for x, y, members in groups:
        ly = y
        while any(abs(np.log10(px / x)) < 0.25 and abs(np.log10(py / ly)) < 0.035 for px, py in placed):
            ly *= 1.09
        placed.append((x, ly))
        ax.annotate(" / ".join(members), (x, y), xytext=(x * 1.05, ly), fontsize=6.5, zorder=6,
                    va="center", arrowprops=dict(arrowstyle="-", lw=0.4, color="0.4") if ly != y else None)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(*TPP_RANGE)
    ax.set_ylim(*PD_RANGE)
    ax.set_xlabel("Total Processing Performance (TPP = dense TOPS × bit length)")
    ax.set_ylabel("Performance density (TPP per mm² of die)")
    ax.set_title(title, fontsize=11)
    ax.grid(True, which="major", alpha=0.3)
    handles = [Patch(facecolor=COLOURS[n], alpha=0.35, label=n) for n in ("3A090.a", "3A090.b", "not controlled")]
    handles.append(Patch(facecolor="white", edgecolor="0.35", hatch="///",
                         label="not 3A090 if not designed for datacenters"))
    from matplotlib.lines import Line2D
    handles += [Line2D([], [], marker="o", ls="", mec="black", mfc="white", label="datacenter part"),
                Line2D([], [], marker="^", ls="", mec="black", mfc="white", label="not for datacenters")]
    ax.legend(handles=handles, loc="upper left", fontsize=7.5, framealpha=0.9)


def render_map(data, fmt: str = "png", as_of=None, compare=None, sweep=None, rules_dir=None,
               bit_lengths: dict | None = None) -> bytes:
    """The map of a catalogue as the bytes of a PNG, SVG or PDF file (``fmt``)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from chipclass.core.readers import load

    cat = load(data)
    dates = [as_of] + ([compare] if compare else [])
    sets = [rules_in_force(d, rules_dir) for d in dates]
    sweep_frame = None
    if sweep is not None:
        sweep_frame = pd.read_parquet(sweep) if str(sweep).endswith((".parquet", ".pq")) else pd.read_csv(sweep)
    fig, axes = plt.subplots(1, len(sets), figsize=(11 * len(sets), 8.2), squeeze=False)
    missing_all = set()
    for ax, rules in zip(axes[0], sets):
        frame = classify(cat, rules, bit_lengths).to_frame()
        para = frame["clause"].astype(object).str.slice(0, 7)  # the 3A090 paragraph, not the final ECCN
        frame["label"] = para.where(para.notna(), frame["status"].astype(object))
        ok = frame["tpp"].gt(0) & frame["performance_density"].gt(0) & (frame["device_type"] == "processor")
        missing_all |= set(frame.loc[~ok & (frame["device_type"] == "processor"), "name"].astype(str))
        _draw(ax, rules, frame[ok], sweep_frame, f"ECCN 3A090 as of {rules.as_of.isoformat()} — rule set {rules.id}")
    cites = "; ".join(dict.fromkeys(i.reference for r in sets for i in r.instruments))
    uses_link = any(c.metric == "interconnect_bandwidth" for r in sets for cl in r.clauses for c in cl.conditions)
    caption = f"Sources: {cites}. Regions shown for a processor"
    caption += " with interconnect ≥ 600 GB/s." if uses_link else "."
    if missing_all:
        caption += f" Not placed (no die area or no throughput): {len(missing_all)} devices."
    fig.text(0.01, 0.008, caption, fontsize=7.5, wrap=True)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    import io

    buf = io.BytesIO()
    fig.savefig(buf, dpi=130, format=fmt)
    plt.close(fig)
    return buf.getvalue()
