"""Helpers shared by the CLI commands."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import asyncpg
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from xuncha_shared.runtime_gc import tune_gc
from xuncha_shared.settings import SERVICES, Settings

T = TypeVar("T")
console = Console()
err_console = Console(stderr=True)


def plain(text: str, *, err: bool = False) -> None:
    """Print ``text`` as it is (no markup, no highlighting, no wrapping)."""
    (err_console if err else console).print(text, markup=False, highlight=False, soft_wrap=True)


def fail(message: str, code: int = 2) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine, turning infrastructure failures into clear messages; the
    process's collector tuned as a service's is (a command may read a whole history)."""
    tune_gc()
    try:
        return asyncio.run(coro)
    except (OSError, asyncpg.PostgresConnectionError) as exc:
        raise fail(f"cannot reach the database: {exc}") from None
    except asyncpg.InvalidCatalogNameError as exc:
        raise fail(f"database missing: {exc} (is `make up` done?)") from None


def services_option(values: list[str] | None) -> list[str]:
    chosen = values or list(SERVICES)
    unknown = [s for s in chosen if s not in SERVICES]
    if unknown:
        raise fail(f"unknown service {', '.join(unknown)}; choose from {', '.join(SERVICES)}")
    return chosen


def settings() -> Settings:
    return Settings()


def progress_bars(console_: Console, *, disable: bool = False, transient: bool = False) -> Progress:
    """The CLI's progress bars: description, bar, done/total, time elapsed."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console_,
        disable=disable,
        transient=transient,
    )


@contextlib.contextmanager
def history_progress(
    apply_label: str, *, console_: Console, disable: bool, transient: bool
) -> Iterator[Callable[[str, int], None]]:
    """Two progress bars, "reading events" and ``apply_label``, for a projection run over the
    history; yields a ``(phase, count)`` progress hook (phase ``"total"`` sets both totals,
    ``"read"``/``"apply"`` advance one)."""
    with progress_bars(console_, disable=disable, transient=transient) as progress:
        tasks = {
            "read": progress.add_task("reading events", total=None),
            "apply": progress.add_task(apply_label, total=None),
        }

        def hook(phase: str, count: int) -> None:
            if phase == "total":
                for task in tasks.values():
                    progress.update(task, total=count)
            else:
                progress.advance(tasks[phase], count)

        yield hook
