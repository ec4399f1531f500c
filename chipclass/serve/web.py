"""The web layer's parts: security headers, the site's state and templates, error lines, the
upload reader, downloads and static files (the routes are in :mod:`chipclass.serve.app`).

Every page is rendered on the server by Jinja2 with autoescaping on, so a device name such as
``<img src=x onerror=alert(1)>`` reaches the browser as text. Responses carry a strict
Content-Security-Policy (scripts only from this server, no inline script, no ``eval``); the
page's own script builds the map from JSON with ``textContent`` and plotly's text escaping.
Errors become one line on the page (the message ``chipclass`` prints on stderr), never a
traceback. Uploads are read from the request body into memory (never written to disk),
refused past :attr:`Limits.max_bytes` while they are read and past :attr:`Limits.max_rows`.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.parse
from importlib import resources

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from chipclass.core.errors import ChipclassError, InputError
from chipclass.serve.data import DatasetStore, Limits, load_dataset

__all__ = ["CSP", "HEADERS", "Site", "one_line"]

#: The Content-Security-Policy of every response: scripts only from this server (no inline
#: script, no ``eval``: the map draws SVG and heatmaps, not plotly's WebGL traces, whose shader
#: compiler needs ``'unsafe-eval'``), nothing from elsewhere. Styles allow ``'unsafe-inline'``
#: because plotly.js positions its SVG layers with style elements it inserts (docs/serve.md).
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "X-Frame-Options": "DENY", "Cross-Origin-Opener-Policy": "same-origin",
           "Cache-Control": "no-store"}
PAGES = (("design", "Design"), ("map", "Map"), ("catalogue", "Catalogue"), ("licences", "Licences"),
         ("rules", "Rules"))
MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/json", "parquet": "application/vnd.apache.parquet"}


def one_line(exc: BaseException) -> str:
    """The line ``chipclass`` prints on stderr for an error (no traceback, one line)."""
    from chipclass.outputs.tables import safe

    text = safe(" ".join(str(exc).split()))
    if isinstance(exc, ChipclassError):
        return f"chipclass: error: {text}"
    return f"chipclass: internal error: {type(exc).__name__}: {text}"


class SecureHeaders:
    """ASGI middleware adding :data:`HEADERS` to every response, and the server time taken to
    the start of the response as ``Server-Timing: app;dur=<ms>, cpu;dur=<ms>`` (wall-clock and
    the process's CPU time; shown by browsers' developer tools, read by ``benchmarks/serve.py``)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        import time

        start, cpu = time.perf_counter(), time.process_time()

        async def with_headers(message):
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()
                         if k.lower().encode() not in present]
                took = (f"app;dur={(time.perf_counter() - start) * 1000:.1f}, "
                        f"cpu;dur={(time.process_time() - cpu) * 1000:.1f}").encode()
                message = {**message, "headers": [*message.get("headers", []), *extra, (b"server-timing", took)]}
            await send(message)

        await self.app(scope, receive, with_headers)


def _templates():
    import jinja2

    from chipclass.outputs.reports import fmt_number

    env = jinja2.Environment(loader=jinja2.PackageLoader("chipclass.serve", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = fmt_number
    env.filters["q"] = lambda d: urllib.parse.urlencode([(k, v) for k, v in d.items() if v not in (None, "")],
                                                       doseq=True)
    return env


class Site:
    """The application's state: the datasets, the limits, the rules directory and the templates."""

    def __init__(self, file: str | None, limits: Limits, rules_dir: str | None):
        self.store = DatasetStore(load_dataset(file), limits)
        self.limits, self.rules_dir = limits, rules_dir
        self.env = _templates()

    def page(self, name: str, request: Request, status: int = 200, **ctx) -> HTMLResponse:
        """The HTML response of the template ``name`` rendered with ``ctx`` and the navigation."""
        ctx.setdefault("title", dict(PAGES).get(name, "chipclass"))
        tpl = self.env.get_template(f"{name}.html")
        return HTMLResponse(tpl.render(pages=PAGES, current=name, request=request, **ctx), status_code=status)

    def error(self, request: Request, exc: BaseException, fragment: bool = False) -> HTMLResponse:
        """``exc`` as one line: an error page, or an HTML fragment; status 400 for a user's error, else 500."""
        status = 400 if isinstance(exc, (ChipclassError, ValueError)) else 500
        if fragment:
            return HTMLResponse(self.env.get_template("error_line.html").render(message=one_line(exc)),
                                status_code=status)
        return self.page("error", request, status=status, title="Error", message=one_line(exc))


def json_response(obj, status: int = 200) -> Response:
    """JSON through msgspec: NaN becomes null, numpy scalars are plain numbers."""
    import msgspec

    def hook(o):
        if hasattr(o, "item"):
            return o.item()
        if hasattr(o, "isoformat"):
            return o.isoformat()
        return str(o)

    return Response(msgspec.json.encode(obj, enc_hook=hook), status_code=status, media_type="application/json")


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused as soon as it passes ``limit`` bytes (never held past it)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise InputError(f"the file is {int(declared):,} bytes: the web app takes at most {limit:,} "
                         "(score larger files with chipclass score)", source="upload")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise InputError(f"the file is over {limit:,} bytes: the web app takes at most {limit:,} "
                             "(score larger files with chipclass score)", source="upload")
        chunks.append(chunk)
    return b"".join(chunks)


def table_download(table, fmt: str, meta: dict | None) -> bytes:
    """The bytes ``chipclass score -f FMT`` writes for an Arrow result table, made by the project's
    writer into a private temporary directory (removed at once)."""
    from chipclass.outputs.write import write_table

    with tempfile.TemporaryDirectory(prefix="chipclass-serve-") as tmp:
        path = os.path.join(tmp, f"result.{fmt}")
        write_table(table, fmt, path, meta)
        with open(path, "rb") as fh:
            return fh.read()


def attachment(payload: bytes, fmt: str, stem: str) -> Response:
    safe_stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem)[:80] or "chipclass"
    return Response(payload, media_type=MEDIA[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{safe_stem}.{fmt}"'})


def static_file(request: Request) -> Response:
    """Our own CSS and JavaScript, and plotly.min.js from the installed plotly wheel."""
    name = request.path_params["name"]
    if name == "plotly.min.js":
        try:
            body = resources.files("plotly").joinpath("package_data/plotly.min.js").read_bytes()
        except (ModuleNotFoundError, FileNotFoundError):
            return Response("plotly is not installed: pip install 'chipclass[serve]'", status_code=404,
                            media_type="text/plain")
        return Response(body, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})
    if name not in ("app.css", "app.js"):
        return Response("not found", status_code=404, media_type="text/plain")
    body = resources.files("chipclass.serve").joinpath("static", name).read_bytes()
    return Response(body, media_type="text/css" if name.endswith(".css") else "text/javascript")


def sha256(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()
