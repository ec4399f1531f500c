"""The request handlers: read the query or form, call :mod:`chipclass.serve.data`, render.

Each handler turns an error into one line on the page (:meth:`Site.error`), never a traceback.
"""

from __future__ import annotations

import functools
import urllib.parse

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

import chipclass.serve.data as data  # noqa: PLR0402 - the module, not the package (no import cycle)
import chipclass.serve.maps as maps  # noqa: PLR0402
from chipclass.core.errors import ChipclassError, InputError
from chipclass.serve.web import (
    attachment,
    json_response,
    one_line,
    read_body,
    sha256,
    table_download,
)

__all__ = ["Handlers"]

SORTABLE = ("name", "tpp", "tpp_format", "performance_density", "memory_bandwidth_density", "eccn", "clause",
            "status", "vendor", "market", "launch_year")
FREE = data.spec_fields()
#: Largest form body accepted (the design form is a few hundred bytes).
FORM_BYTES = 64 * 1024


def guarded(kind: str = "page"):
    """Wrap a handler: errors become one line (an error page, fragment or JSON)."""
    def wrap(fn):
        @functools.wraps(fn)
        async def run(self, request: Request):
            try:
                return await fn(self, request)
            except Exception as exc:  # noqa: BLE001 - every error becomes one line, never a traceback
                if kind == "json":
                    status = 400 if isinstance(exc, (ChipclassError, ValueError)) else 500
                    return json_response({"error": one_line(exc)}, status=status)
                return self.site.error(request, exc, fragment=kind == "fragment")
        return run
    return wrap


async def form_fields(request: Request) -> dict:
    """The fields of a URL-encoded form body (what the page's script posts), read with a size
    limit and parsed in memory: no multipart parser and no spooled temporary file."""
    body = await read_body(request, FORM_BYTES)
    return dict(urllib.parse.parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))


def _query(request: Request) -> dict:
    return {k: v for k, v in request.query_params.items()}


class Handlers:
    """The routes' handlers over one :class:`~chipclass.serve.app.Site`."""

    def __init__(self, site):
        self.site = site

    @property
    def rules_dir(self):
        """The --rules directory of the site (None: the shipped rules)."""
        return self.site.rules_dir

    def dataset(self, request: Request):
        """The dataset named by the ``data`` query parameter (the default one without it).

        Raises
        ------
        InputError
            If that upload is no longer held.
        """
        return self.site.store.get(request.query_params.get("data"))

    async def not_found(self, request: Request, exc):
        """Any unknown path: the error page with status 404."""
        return self.site.page("error", request, status=404, title="Not found",
                              message=f"chipclass: error: no page at {request.url.path}")

    def _design_context(self, form: dict) -> dict:
        answer = envelope = None
        error = None
        try:
            answer = data.design_answer(form, self.rules_dir)
            envelope = data.envelope_answer(form, self.rules_dir)
        except Exception as exc:  # noqa: BLE001 - shown as one line in the answer
            error = one_line(exc)
        return {"answer": answer, "envelope": envelope, "error": error, "form": form}

    @guarded()
    async def design(self, request: Request) -> Response:
        """``GET /design``: the design page, with the answer and envelope when the query gives specs."""
        form = _query(request)
        ds = self.dataset(request)
        start = form.get("start")
        if start:
            form = {**data.start_values(ds, start), **{k: v for k, v in form.items() if k != "start"}}
        form.setdefault("name", "design")
        names = ds.catalogue.names.astype(str).tolist()
        has_spec = any(k not in data.DESIGN_CONTROLS for k, v in form.items() if v)
        ctx = await run_in_threadpool(self._design_context, form) if has_spec else {"answer": None, "envelope": None, "error": None,
                                                            "form": form}
        targets = data.envelope_targets(form.get("as_of") or None, self.rules_dir)
        return self.site.page("design", request, fields=FREE, targets=targets, devices=names,
                              dataset=ds, **ctx)

    @guarded("fragment")
    async def design_answer(self, request: Request) -> Response:
        """``POST /api/design``: the HTML fragment of the answer (and envelope) for the posted form."""
        form = await form_fields(request)
        ctx = await run_in_threadpool(self._design_context, form)
        return HTMLResponse(self.site.env.get_template("answer.html").render(**ctx))

    @guarded()
    async def map_page(self, request: Request) -> Response:
        """``GET /map``: the map page, with the slider dates and the dataset's device names."""
        ds = self.dataset(request)
        first = data.timeline(self.rules_dir)["first"]
        return self.site.page("map", request, dataset=ds, first=first.isoformat(),
                              dates=maps.slider_dates(self.rules_dir), today=data.day(None).isoformat(),
                              devices=ds.catalogue.names.astype(str).tolist(), q=_query(request))

    @guarded("json")
    async def map_data(self, request: Request) -> Response:
        """``GET /api/map``: JSON of the dataset's map as of ``date`` (regions, placed devices, HBM stacks, label)."""
        ds = self.dataset(request)
        payload = await run_in_threadpool(maps.map_payload, ds.catalogue, request.query_params.get("date") or None,
                                          rules_dir=self.rules_dir)
        payload["dataset"] = ds.label
        return json_response(payload)

    @guarded("json")
    async def sweep(self, request: Request) -> Response:
        """``GET /api/sweep``: JSON of the sweep overlay of ``base`` varied by each ``vary`` (SPEC=LOW:HIGH:N)."""
        q = request.query_params
        vary = [v for v in q.getlist("vary") if v.strip()]
        if not q.get("base") or not vary:
            raise InputError("give a base device and at least one SPEC=LOW:HIGH:N", source="sweep")
        out = await run_in_threadpool(maps.sweep_overlay, self.dataset(request), q["base"], vary,
                                      q.get("date") or None, self.site.limits.max_sweep, self.rules_dir)
        return json_response(out)

    @guarded("json")
    async def envelope_overlay(self, request: Request) -> Response:
        """``POST /api/envelope``: JSON ``{"polygons": ...}`` of the envelope for the posted design form."""
        form = await form_fields(request)
        if form.get("start"):
            form = {**data.start_values(self.dataset(request), form["start"]), **form}
        return json_response({"polygons": await run_in_threadpool(data.envelope_polygons, form, self.rules_dir)})

    @guarded()
    async def catalogue(self, request: Request) -> Response:
        """``GET /catalogue``: the catalogue page, the scored rows filtered by text, ECCN and status, sorted."""
        q = _query(request)
        ds = self.dataset(request)
        frame = await run_in_threadpool(data.score_frame, ds.catalogue, q.get("date") or None)
        shown = frame
        text = (q.get("q") or "").strip().lower()
        if text:
            hay = frame["name"].astype(str).str.lower()
            if "vendor" in frame.columns:
                hay = hay + " " + frame["vendor"].astype(str).str.lower()
            shown = shown[hay.str.contains(text, regex=False).to_numpy()]
        for key in ("eccn", "status"):
            if q.get(key):
                shown = shown[shown[key].astype(str) == q[key]]
        sort = q.get("sort") if q.get("sort") in shown.columns and q.get("sort") in SORTABLE else None
        if sort:
            shown = shown.sort_values(sort, ascending=q.get("desc") != "1", na_position="last", kind="stable")
        columns = [c for c in SORTABLE if c in frame.columns] + [c for c in ("source",) if c in frame.columns]
        return self.site.page("catalogue", request, dataset=ds, rows=shown.to_dict("records"), columns=columns,
                              total=len(frame), q=q, as_of=frame["rule_set"].iloc[0] if len(frame) else "",
                              eccns=sorted(frame["eccn"].dropna().astype(str).unique()),
                              statuses=sorted(frame["status"].astype(str).unique()),
                              date=str(data.day(q.get("date")).isoformat()))

    @guarded()
    async def device(self, request: Request) -> Response:
        """``GET /device?name=...``: the page explaining one device's classification."""
        q = _query(request)
        ds = self.dataset(request)
        if not q.get("name"):
            raise InputError("give a device name (?name=...)", source="device")
        info = data.device_explanation(ds, q["name"], q.get("date") or None, self.rules_dir)
        return self.site.page("device", request, title=q["name"], dataset=ds, info=info, q=q)

    @guarded()
    async def licences(self, request: Request) -> Response:
        """``GET /licences``: the page of the licence matrix for the destinations ``to`` (enforced or written)."""
        q = _query(request)
        q.setdefault("to", "CN AE")
        q.setdefault("view", "enforced")
        ds = self.dataset(request)
        dests = data.destinations(q["to"])
        if not dests:
            raise InputError("give at least one destination", source="licences")
        if q["view"] not in ("enforced", "written"):
            raise InputError(f"view {q['view']!r}: enforced or written", source="licences")
        matrix = await run_in_threadpool(data.licence_matrix, ds.catalogue, dests, q.get("headquarters") or None,
                                         q.get("date") or None, q["view"], self.rules_dir)
        return self.site.page("licences", request, dataset=ds, matrix=matrix, q=q,
                              date=data.day(q.get("date")).isoformat())

    @guarded()
    async def rules(self, request: Request) -> Response:
        """``GET /rules``: the page of the rule timeline."""
        return self.site.page("rules", request, timeline=data.timeline(self.rules_dir))

    @guarded("json")
    async def upload(self, request: Request) -> Response:
        """``POST /upload``: read the body (named in X-Filename) as a catalogue and hold it; JSON of its
        token, label, row count and warnings."""
        if "x-filename" not in request.headers:  # a custom header: another site's page cannot send one
            raise InputError("an upload names its file in the X-Filename header", source="upload")
        name = urllib.parse.unquote(request.headers["x-filename"])
        payload = await read_body(request, self.site.limits.max_bytes)
        if not payload:
            raise InputError("the upload is empty", source=name or "upload")
        cat = await run_in_threadpool(data.read_upload, name or "upload.csv", payload, self.site.limits)
        ds = self.site.store.add(cat.source, cat, sha256(payload))
        return json_response({"token": ds.token, "label": ds.label, "rows": len(cat),
                              "warnings": [one_line(w) for w in cat.warnings]})

    @guarded()
    async def download(self, request: Request) -> Response:
        """``GET /download/{kind}.{fmt}``: a csv, json or parquet attachment of a score, licences,
        headroom, explain or envelope result, as the command line writes it."""
        kind, fmt = request.path_params["kind"], request.path_params["fmt"]
        if fmt not in ("csv", "json", "parquet"):
            raise InputError(f"format {fmt!r}: csv, json or parquet", source="download")
        maker = {"score": self._score_bytes, "licences": self._licence_bytes, "headroom": self._headroom_bytes,
                 "explain": self._explain_bytes, "envelope": self._envelope_bytes}.get(kind)
        if maker is None:
            raise InputError(f"no download called {kind!r}", source="download")
        payload, stem = await run_in_threadpool(maker, _query(request), fmt)
        return attachment(payload, fmt, stem)

    def _meta(self, ds, rule_sets, as_of) -> dict:
        from chipclass.outputs.audit import audit_meta

        meta = audit_meta(ds.source or "-", rule_sets, as_of)
        if ds.source is None:
            meta.update(input=ds.label, input_sha256=ds.sha256)
        return meta

    def _score_bytes(self, q: dict, fmt: str):
        """As ``chipclass score FILE -f FMT --as-of DATE``."""
        from chipclass.classification.engine import classify
        from chipclass.outputs.table import score_arrow
        from chipclass.rules.instruments import rules_in_force

        ds = self.site.store.get(q.get("data"))
        rules = rules_in_force(q.get("date") or None, self.rules_dir)
        table = score_arrow(classify(ds.catalogue, rules))
        meta = None if fmt == "csv" else self._meta(ds, [rules.id], rules.as_of)
        return table_download(table, fmt, meta), f"score-{rules.as_of.isoformat()}"

    def _licence_bytes(self, q: dict, fmt: str):
        """As ``chipclass license FILE --to ... -f FMT``."""
        from chipclass.classification.logic import bit_names
        from chipclass.outputs.write import frame_bytes, json_text

        ds = self.site.store.get(q.get("data"))
        matrix = data.licence_matrix(ds.catalogue, data.destinations(q.get("to") or "CN"),
                                     q.get("headquarters") or None, q.get("date") or None,
                                     q.get("view") or "enforced", self.rules_dir)
        res, frame = matrix["result"], matrix["frame"]
        as_of = res.day.isoformat()
        meta = None
        if fmt != "csv":  # the instruments each row relied on, as the command's audit fields
            used = ["+".join(bit_names(b, res.view.instrument_ids))
                    for b in dict.fromkeys(res.view.instruments.tolist()) if b]
            meta = self._meta(ds, used or [res.classification.rules.id], as_of)
        if fmt == "json":
            return json_text({"meta": meta, "rows": matrix["rows"]}).encode("utf-8"), f"licences-{as_of}"
        return frame_bytes(frame, fmt, meta=meta), f"licences-{as_of}"

    def _headroom_bytes(self, q: dict, fmt: str):
        import pandas as pd

        from chipclass.outputs.write import frame_bytes, json_text

        answer = data.design_answer(q, self.rules_dir)
        rows = answer["explanation"]["headroom"]
        if fmt == "json":
            return json_text(rows).encode("utf-8"), "headroom"
        return frame_bytes(pd.DataFrame(rows), fmt), "headroom"

    def _explain_bytes(self, q: dict, fmt: str):
        from chipclass.outputs.write import json_text

        if fmt != "json":
            raise InputError("the explanation downloads as json", source="download")
        if q.get("device"):
            info = data.device_explanation(self.site.store.get(q.get("data")), q["device"], q.get("date") or None,
                                           self.rules_dir)
        else:
            info = data.design_answer(q, self.rules_dir, foundry_rows=True)
        return json_text(info["explanation"]).encode("utf-8"), "explanation"

    def _envelope_bytes(self, q: dict, fmt: str):
        import pandas as pd

        from chipclass.outputs.write import frame_bytes, json_text

        env = data.envelope_answer(q, self.rules_dir)
        if env is None:
            raise InputError("the envelope needs two free specs and a target", source="download")
        if fmt == "json":
            return json_text(env["dict"]).encode("utf-8"), "envelope"
        return frame_bytes(pd.DataFrame(env["dict"]["vertices"]), fmt), "envelope-vertices"
