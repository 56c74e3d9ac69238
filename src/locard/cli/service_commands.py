"""``locard serve``: the HTTP service (JSON API and web pages) over one database."""

from __future__ import annotations

import typer

from locard.cli.options import DbOption, PolicyOption

#: this module's top-level commands (cli/app.py adds them to `locard`)
commands = typer.Typer()


@commands.command("serve")
def serve(
    db: DbOption = None,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    policy: PolicyOption = None,
    insecure_cookies: bool = typer.Option(
        False, "--insecure-cookies",
        help="Send session cookies over plain http (localhost testing only)."),
) -> None:
    """Serve the JSON API (/api/v1, OpenAPI at /openapi.json) and the web pages."""
    import uvicorn

    from locard.service import Settings, create_app

    application = create_app(db, policy=policy,
                             settings=Settings(secure_cookies=not insecure_cookies))
    uvicorn.run(application, host=host, port=port, log_level="info", proxy_headers=False)
