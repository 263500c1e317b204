"""The ``xuncha`` command line's commands (``main``; the console script's module is the thin
package ``xuncha_shared.cli``).

Shared owns the groups whose code is shared (events, dlq, audit, tokens, demo). A service adds
the commands that need its own code through a package entry point of group ``xuncha.cli``:
a name ``<group>`` adds a whole ``typer.Typer`` group (reporting's ``projections``), a name
``<group>.<command>`` adds one command function to a group shared owns (reporting's
``audit.replay``). Shared never imports a service: it only loads what services register.
"""

from __future__ import annotations

from importlib.metadata import entry_points

import typer

from xuncha_shared.cli import (
    audit,
    backup,
    calendar,
    demo,
    dlq,
    events,
    informants,
    keys,
    tokens,
)

#: The entry point group through which services register their sub-commands.
ENTRY_POINT_GROUP = "xuncha.cli"

app = typer.Typer(
    name="xuncha",
    help="xuncha (巡察) operations: events, dead letters, tokens, audit, projections, demo data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
GROUPS: dict[str, typer.Typer] = {
    "events": events.app,
    "dlq": dlq.app,
    "audit": audit.app,
    "tokens": tokens.app,
    "demo": demo.app,
    "calendar": calendar.app,
    "keys": keys.app,
    "backup": backup.app,
    "informants": informants.app,
}
for _name, _group in GROUPS.items():
    app.add_typer(_group, name=_name)


@app.command()
def relay(
    service: str = typer.Option(..., "--service", "-s", help="whose events to publish"),
) -> None:
    """Run one service's outbox relay in the foreground."""
    from xuncha_shared.relay import main as relay_main

    relay_main(["--service", service])


def register_service_commands(root: typer.Typer, groups: dict[str, typer.Typer]) -> list[str]:
    """Add the sub-commands services register under ``xuncha.cli``; returns their names."""
    added = []
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        group, _, command = ep.name.partition(".")
        target = ep.load()
        if not command:
            if not isinstance(target, typer.Typer):
                raise TypeError(f"entry point {ep.name} ({ep.value}) is no typer.Typer group")
            root.add_typer(target, name=group)
        elif group in groups:
            groups[group].command(command)(target)
        else:
            raise LookupError(f"entry point {ep.name} ({ep.value}) names no group of xuncha")
        added.append(ep.name)
    return added


_services_registered = False


def with_service_commands() -> typer.Typer:
    """``app`` with the services' sub-commands added (once). Not done at import: a service's CLI
    module may import this module's package first, and loading that same module's entry point
    then would find it half imported."""
    global _services_registered
    if not _services_registered:
        register_service_commands(app, GROUPS)
        _services_registered = True
    return app


def main() -> None:
    with_service_commands()()
