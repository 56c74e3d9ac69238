"""``locard serve``: the HTTP service (JSON API and web pages) over one database."""

from __future__ import annotations

import typer

from locard.cli.app import app

DB_HELP = "Database: a file path or postgresql://... URL (default $LOCARD_DB or ./locard.db)."


@app.command("serve")
def serve(
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    policy: str | None = typer.Option(None, "--policy", help="Policy file."),
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
