"""The Starlette application: the routes over :class:`~chipclass.serve.handlers.Handlers`,
the allowed Host names and the security headers (:mod:`chipclass.serve.web`)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from chipclass.serve.data import Limits
from chipclass.serve.handlers import Handlers
from chipclass.serve.web import SecureHeaders, Site, static_file

__all__ = ["LOOPBACK_HOSTS", "create_app"]


#: Host headers accepted by default: the loopback names (a page elsewhere that points its own
#: domain at 127.0.0.1, "DNS rebinding", is refused); ``testserver`` is Starlette's test client.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]", "testserver")


def create_app(file: str | None = None, *, limits: Limits | None = None, rules_dir: str | None = None,
               allowed_hosts=LOOPBACK_HOSTS) -> Starlette:
    """The web application over ``file`` (default: the shipped catalogue); ``allowed_hosts``:
    the Host headers it answers (``["*"]`` for any, when served beyond loopback)."""
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    site = Site(file, limits or Limits(), rules_dir)
    h = Handlers(site)
    routes = [Route("/", lambda r: RedirectResponse("/design", status_code=302)),
              Route("/design", h.design), Route("/api/design", h.design_answer, methods=["POST"]),
              Route("/map", h.map_page), Route("/api/map", h.map_data), Route("/api/sweep", h.sweep),
              Route("/api/envelope", h.envelope_overlay, methods=["POST"]),
              Route("/catalogue", h.catalogue), Route("/device", h.device), Route("/licences", h.licences),
              Route("/rules", h.rules), Route("/upload", h.upload, methods=["POST"]),
              Route("/download/{kind}.{fmt}", h.download), Route("/static/{name}", static_file),
              Route("/favicon.ico", lambda r: Response(status_code=204))]
    app = Starlette(routes=routes, exception_handlers={404: h.not_found})
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    app.add_middleware(SecureHeaders)
    app.state.site = site
    return app
