"""What the pages show, fetched from the API: no decision and no sentence is made here.

Every function takes plain values (a catalogue, a date, the text of form fields) and returns
what the API and :mod:`chipclass.outputs` give: result tables, explanation dicts and texts,
licence rows, envelope dicts. The templates only lay them out.
"""

from __future__ import annotations

import io
import os
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from chipclass import api
from chipclass.core.catalogue import DEVICE_TYPES, FLAGS, NUMERIC, Catalogue
from chipclass.core.errors import ChipclassError, InputError
from chipclass.core.formats import FORMATS
from chipclass.rules.instruments import (
    as_date,
    first_effective,
    load_instruments,
    rules_in_force,
)

__all__ = [
    "DESIGN_CONTROLS",
    "Dataset",
    "DatasetStore",
    "Limits",
    "design_answer",
    "device_explanation",
    "envelope_answer",
    "envelope_targets",
    "licence_matrix",
    "read_upload",
    "score_frame",
    "spec_fields",
    "start_values",
    "timeline",
]

#: Form fields of the design page that are not catalogue columns.
DESIGN_CONTROLS = ("name", "as_of", "to", "headquarters", "view", "free1", "free2", "target", "start", "data")
OTHER_SPECS = ("die_area", "package_area", "memory", "memory_bandwidth", "interconnect_bandwidth",
               "process_node", "transistor_count")


@dataclass(frozen=True)
class Limits:
    """Upload limits: bytes of one file, rows of one catalogue, and uploads kept at once."""

    max_bytes: int = 20 * 2**20
    max_rows: int = 200_000
    max_datasets: int = 8
    max_sweep: int = 2_000_000


@dataclass
class Dataset:
    """A catalogue the pages can show: the shipped one, the FILE given to ``serve``, or an upload."""

    token: str
    label: str
    catalogue: Catalogue
    source: str | None = None  # a path for the audit fields of downloads (None for uploads)
    sha256: str | None = None  # of an upload's bytes


class DatasetStore:
    """The default dataset and the uploads, in memory only (the oldest upload is dropped first)."""

    def __init__(self, default: Dataset, limits: Limits):
        self.default, self.limits = default, limits
        self._items: OrderedDict[str, Dataset] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, label: str, cat: Catalogue, sha256: str | None = None) -> Dataset:
        """Hold ``cat`` under a new random token and return it; the oldest uploads go past the limit."""
        ds = Dataset(secrets.token_urlsafe(12), label, cat, sha256=sha256)
        with self._lock:
            self._items[ds.token] = ds
            while len(self._items) > self.limits.max_datasets:
                self._items.popitem(last=False)
        return ds

    def get(self, token: str | None) -> Dataset:
        """The dataset of ``token`` (the default one when ``token`` is empty or the default's).

        Raises
        ------
        InputError
            If the upload of ``token`` is no longer held.
        """
        if not token or token == self.default.token:
            return self.default
        with self._lock:
            ds = self._items.get(token)
        if ds is None:
            raise InputError("that upload is no longer held (uploads are kept in memory only): upload it again",
                             source="upload")
        return ds


def load_dataset(path: str | None) -> Dataset:
    """The dataset of ``chipclass serve [FILE]`` (default: the shipped catalogue)."""
    if path is None:
        from importlib import resources

        path = str(resources.files("chipclass").joinpath("data/chips.csv"))
        label = "shipped catalogue"
    else:
        label = os.path.basename(path)
    return Dataset("default", label, api.load(path), source=path)


def read_upload(filename: str, payload: bytes, limits: Limits) -> Catalogue:
    """A catalogue from an uploaded file's bytes, read in memory by the project's reader.

    CSV goes through :func:`chipclass.api.load` (a named in-memory stream), Parquet through
    pyarrow and the same normalisation (:func:`chipclass.core.catalogue.from_table`); a bad cell
    raises the same :class:`InputError` as ``chipclass score`` on the file. Files over
    ``limits.max_bytes`` never reach here; more rows than ``limits.max_rows`` are refused.
    """
    name = os.path.basename(filename.replace("\\", "/")) or "upload.csv"
    if name.lower().endswith((".parquet", ".pq")):
        import pyarrow as pa
        import pyarrow.parquet as pq

        from chipclass.core.catalogue import from_table

        try:
            table = pq.read_table(pa.BufferReader(payload))
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"cannot read Parquet: {' '.join(str(exc).split())}", source=name) from None
        rows = table.num_rows
        if rows > limits.max_rows:
            raise InputError(f"{rows:,} rows: the web app takes at most {limits.max_rows:,} "
                             "(score larger files with chipclass score)", source=name)
        return from_table(table, source=name)
    stream = io.BytesIO(payload)
    stream.name = name
    rows = payload.count(b"\n")
    if rows > limits.max_rows + 1:
        raise InputError(f"about {rows:,} rows: the web app takes at most {limits.max_rows:,} "
                         "(score larger files with chipclass score)", source=name)
    return api.load(stream)


def score_frame(cat: Catalogue, as_of):
    """The result table of ``chipclass score`` (:func:`chipclass.outputs.table.score_frame`)."""
    from chipclass.outputs.table import score_frame as table

    return table(api.classify(cat, as_of))


def spec_fields() -> dict[str, list[tuple[str, str]]]:
    """The design form's catalogue columns, grouped, with their default units."""
    return {"dense": [(f, NUMERIC[f][1]) for f in FORMATS],
            "sparse": [(f"{f}_sparse", NUMERIC[f"{f}_sparse"][1]) for f in FORMATS],
            "other": [(k, NUMERIC[k][1]) for k in OTHER_SPECS]}


def _text(v: float) -> str:
    return "" if np.isnan(v) else f"{v:.15g}"


def start_values(ds: Dataset, name: str) -> dict[str, str]:
    """The form's values for a catalogue device (canonical units, which are the default units)."""
    cat = ds.catalogue
    one = cat.take([cat.index_of(name)])
    out = {k: _text(one.values[k][0]) for k in NUMERIC if k in one.headers}
    out["name"] = str(one.names.iloc[0])
    out["datacenter"] = "yes" if one.datacenter[0] else "no"
    out["device_type"] = DEVICE_TYPES[one.device_type[0]]
    for flag in FLAGS:
        v = one.values[flag][0]
        out[flag] = "" if np.isnan(v) else ("yes" if v else "no")
    for key in ("base_eccn", "ic", "ic_count"):
        if key in one.extra.column_names:
            value = one.extra.column(key)[0].as_py()
            out[key] = "" if value is None else str(value)
    return {k: v for k, v in out.items() if v != ""}


def _specs(form: dict) -> dict[str, str]:
    """The non-empty catalogue fields of a design form, as text cells."""
    return {k: str(v).strip() for k, v in form.items() if k not in DESIGN_CONTROLS and str(v).strip()}


def destinations(text: str | None) -> list[str]:
    """Destinations as written in the form: separated by commas or spaces."""
    return [d for d in (text or "").replace(",", " ").split() if d]


def design_answer(form: dict, rules_dir: str | None = None, foundry_rows: bool = False) -> dict:
    """Everything the design page answers for a spec form: the explanation (dict and text), the
    licences per destination and the foundry presumption (as ``explain --to ... --view foundry``;
    its rows go into the explanation's dict only with ``foundry_rows``: the page shows the text)."""
    from chipclass.licensing.determine import decide
    from chipclass.licensing.foundry import DESIGNERS, presumption
    from chipclass.outputs.foundry import foundry_frame, foundry_lines
    from chipclass.outputs.licence import (
        licence_explain_lines,
        licence_rows,
        matrix_cells,
    )

    as_of = form.get("as_of") or None
    name = str(form.get("name") or "design").strip() or "design"
    ex = api.explain(as_of=as_of, name=name, rules_dir=rules_dir, **_specs(form))
    dests = destinations(form.get("to"))
    rows = []
    if dests:
        res = decide(ex.catalogue, dests, form.get("headquarters") or None, as_of,
                     view=form.get("view") or "enforced", rules_dir=rules_dir)
        rows = licence_rows(res)
        ex.extra["licenses"] = rows
        ex.extra.setdefault("text_blocks", []).append(licence_explain_lines(res, rows))
        rows = [{**row, "cell": cell} for row, cell in zip(rows, matrix_cells(res))]
    try:
        results = [presumption(ex.catalogue, as_of, designer=d, rules_dir=rules_dir) for d in DESIGNERS]
    except ChipclassError as exc:  # no foundry presumption in the rules of that date
        foundry = [" ".join(str(exc).split())]
    else:
        if foundry_rows:
            ex.extra["foundry"] = [foundry_frame(r).iloc[0].to_dict() for r in results]
        foundry = foundry_lines(results)
        ex.extra.setdefault("text_blocks", []).append(foundry)
    return {"explanation": ex.to_dict(), "text": ex.to_text(), "licences": rows,
            "headroom_lines": ex.extra["text_blocks"][0], "foundry_lines": foundry}


def envelope_answer(form: dict, rules_dir: str | None = None) -> dict | None:
    """The envelope over the form's two free specs keeping its target (None without two)."""
    from chipclass.outputs.reports import envelope_text

    free = [f for f in (form.get("free1"), form.get("free2")) if f]
    if len(free) < 2 or not form.get("target"):
        return None
    if free[0] == free[1]:
        raise InputError("pick two different free specs", source="envelope")
    name = str(form.get("name") or "design").strip() or "design"
    env = api.envelope(name=name, free=free, target=str(form["target"]), as_of=form.get("as_of") or None,
                       rules_dir=rules_dir, **_specs(form))
    d = env.to_dict()
    return {"text": envelope_text(env), "dict": d, "chart": _chart(d)}


def _chart(env: dict) -> dict:
    """The envelope's pieces as closed outlines in the two free specs (vertices ordered round
    each piece's centre, in relative units), with the base design and the nearest point."""
    import pandas as pd

    a, b = env["free"][:2]
    pieces = []
    for _, piece in pd.DataFrame(env["vertices"]).groupby("piece"):
        v = piece[[a, b]].to_numpy(dtype=float)
        scale = np.array([env["base"][a] or 1.0, env["base"][b] or 1.0])
        u = v / scale
        c = u.mean(axis=0)
        v = v[np.argsort(np.arctan2(u[:, 1] - c[1], u[:, 0] - c[0]))]
        pieces.append({"x": [*v[:, 0], v[0, 0]], "y": [*v[:, 1], v[0, 1]]})
    near = env.get("nearest")
    return {"free": [a, b], "target": env["target"], "pieces": pieces, "base": [env["base"][a], env["base"][b]],
            "nearest": [near[a], near[b]] if near else None}


def envelope_targets(as_of=None, rules_dir: str | None = None) -> list[str]:
    """Targets the envelope takes, offered on the design form: the statuses, then the paragraphs
    and clauses of the rule set in force (from the rule data), then licence answers for the
    destinations given (``no-licence:CC``, ``licence:CC``; China as the example without any)."""
    rules = rules_in_force(as_of, rules_dir)
    paragraphs = list(dict.fromkeys(c.eccn for c in rules.clauses))
    return ["not controlled", "controlled", *paragraphs, *(c.id for c in rules.clauses),
            "no-licence:CN", "licence:CN"]


def envelope_polygons(form: dict, rules_dir: str | None = None) -> list[list[list[float]]]:
    """The envelope's pieces as (TPP, PD) polygons for the map overlay."""
    from chipclass.design.regions import envelope_polygons as polygons

    env = envelope_answer(form, rules_dir)
    if env is None:
        return []
    return [p.tolist() for p in polygons(env["dict"])]


def licence_matrix(cat: Catalogue, dests: list[str], headquarters: str | None, as_of, view: str,
                   rules_dir: str | None = None) -> dict:
    """The device x destination matrix of ``chipclass license``: symbols, rows and the text."""
    from chipclass.licensing.determine import decide
    from chipclass.outputs.licence import (
        licence_frame,
        licence_rows,
        matrix_cells,
        matrix_text,
    )

    res = decide(cat, dests, headquarters, as_of, view=view, rules_dir=rules_dir)
    frame = licence_frame(res)
    rows = licence_rows(res, frame)
    for row, cell in zip(rows, matrix_cells(res)):
        row["cell"] = cell
    by_device: OrderedDict[str, dict] = OrderedDict()
    for row in rows:
        entry = by_device.setdefault(row["name"], {"name": row["name"], "eccn": row["eccn"],
                                                   "clause": row["clause"], "status": row["status"], "cells": {}})
        entry["cells"][row["destination"]] = row
    general: OrderedDict[str, list[str]] = OrderedDict()  # notes on every item: shown once, not per cell
    for row in rows:
        if row.get("general_notes"):
            general.setdefault(row["general_notes"], [])
            if row["destination"] not in general[row["general_notes"]]:
                general[row["general_notes"]].append(row["destination"])
    return {"destinations": list(dict.fromkeys(r["destination"] for r in rows)), "devices": list(by_device.values()),
            "general": [{"text": t, "destinations": d} for t, d in general.items()],
            "text": matrix_text(res), "frame": frame, "rows": rows, "result": res}


def device_explanation(ds: Dataset, name: str, as_of, rules_dir: str | None = None) -> dict:
    """One device step by step (``chipclass explain``), with its pass-through columns and the
    figure-level sources of the ``sources.csv`` beside its catalogue file, if any."""
    cat = ds.catalogue
    index = cat.index_of(name)
    ex = api.explain(cat, name, as_of=as_of, rules_dir=rules_dir)
    extra = {k: cat.extra.column(k)[index].as_py() for k in cat.extra.column_names}
    return {"explanation": ex.to_dict(), "text": ex.to_text(), "extra": extra,
            "sources": figure_sources(ds.source, str(cat.names.iloc[index]))}


_SOURCES: dict = {}


def figure_sources(catalogue_path: str | None, device: str) -> list[dict]:
    """The rows of the catalogue's ``sources.csv`` (:mod:`chipclass.core.sources`) for one device."""
    import os

    from chipclass.core.sources import find_sources, read_sources

    path = find_sources(catalogue_path)
    if path is None:
        return []
    if path not in _SOURCES:
        _SOURCES[path] = read_sources(path)[0]
    here = os.path.basename(catalogue_path)
    return [{"column": r.column, "source": r.source, "quote": r.quote, "kind": r.kind,
             "derivation": r.derivation, "value": r.value}
            for r in _SOURCES[path] if r.device == device and (not r.file or r.file == here)]


def timeline(rules_dir: str | None = None, as_of=None) -> dict:
    """The rule data's timeline (every instrument, Country Group move and product note, with its
    status on ``as_of`` and what it changed: :func:`chipclass.api.rules_timeline`) and the
    knowledge horizon (:func:`chipclass.api.horizon`). The one place the Rules page reads its data.
    """
    from chipclass.api import horizon, rules_timeline

    items = rules_timeline(as_of, rules_dir)
    return {"instruments": items, "first": first_effective(rules_dir), "horizon": horizon(rules_dir)}


def day(text):
    """A page's date (empty: today), refused before the first rule as everywhere."""
    return rules_in_force(text or None).as_of if text else as_date(None)
