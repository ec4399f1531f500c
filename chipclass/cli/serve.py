"""``chipclass serve``: the local web explorer (``pip install 'chipclass[serve]'``)."""

from __future__ import annotations

import click

from chipclass.cli.base import main
from chipclass.cli.options import rules_option

LOOPBACK = ("127.0.0.1", "::1", "localhost")


@main.command()
@click.argument("file", required=False)
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="TCP port (0: a free one, printed).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind. Anything but loopback exposes the app to the network (a warning is printed).")
@click.option("--open", "open_browser", is_flag=True, help="Open the app in the default web browser.")
@click.option("--max-upload-mb", type=click.FloatRange(0, min_open=True), default=20, show_default=True,
              help="Largest upload accepted.")
@click.option("--max-rows", type=click.IntRange(1), default=200_000, show_default=True,
              help="Most rows an uploaded catalogue may have.")
@rules_option
def serve(file, port, host, open_browser, max_upload_mb, max_rows, rules_dir):
    """A local web app over FILE (default: the shipped catalogue): design a chip and see its class,
    margins, headroom, licences and envelope as you type; the map, the catalogue, the licence
    matrix and the rules' timeline. Ctrl-C stops it."""
    try:
        import uvicorn

        from chipclass.serve import create_app
        from chipclass.serve.data import Limits
    except ModuleNotFoundError as exc:
        raise click.ClickException(f"chipclass serve needs {exc.name}: pip install 'chipclass[serve]'") from None
    loopback = host in LOOPBACK
    app = create_app(file, limits=Limits(max_bytes=int(max_upload_mb * 2**20), max_rows=max_rows),
                     rules_dir=rules_dir, **({} if loopback else {"allowed_hosts": ["*"]}))
    if not loopback:
        click.echo(f"chipclass: warning: serving on {host}: anyone who can reach this address can use the app "
                   "and upload files to it (the default, 127.0.0.1, is this machine only)", err=True)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                            server_header=False, date_header=False)
    server = uvicorn.Server(config)
    _announce(server, host, open_browser)
    server.run()


def _announce(server, host: str, open_browser: bool) -> None:
    """Print the address once the socket is bound (the real port when --port 0), and open it."""
    started = server.startup

    async def startup(sockets=None):
        await started(sockets=sockets)
        for srv in server.servers:
            for sock in srv.sockets:
                port = sock.getsockname()[1]
                shown = f"[{host}]" if ":" in host else host
                url = f"http://{shown}:{port}/"
                click.echo(f"chipclass serve: {url} (Ctrl-C to stop)", err=True)
                if open_browser:
                    import webbrowser

                    webbrowser.open(url)
                return

    server.startup = startup
