"""The ``xuncha`` command line."""

from __future__ import annotations

import typer

from xuncha_shared.cli import audit, demo, dlq, events, keys, projections, tokens

app = typer.Typer(
    name="xuncha",
    help="xuncha (巡察) operations: events, dead letters, tokens, audit, projections, demo data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(events.app, name="events")
app.add_typer(dlq.app, name="dlq")
app.add_typer(audit.app, name="audit")
app.add_typer(tokens.app, name="tokens")
app.add_typer(projections.app, name="projections")
app.add_typer(demo.app, name="demo")
app.add_typer(keys.app, name="keys")


@app.command()
def relay(
    service: str = typer.Option(..., "--service", "-s", help="whose events to publish"),
) -> None:
    """Run one service's outbox relay in the foreground."""
    from xuncha_shared.relay import main as relay_main

    relay_main(["--service", service])


def main() -> None:
    app()
