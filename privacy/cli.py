"""``retorno keys rotate|list|retire`` and ``retorno retention run``: privacy's commands."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from rich.console import Console
from rich.table import Table

from privacy import queries
from privacy.usecases import retention, rotation
from services.kit.definition import Runtime, RuntimeFactory
from services.kit.errors import RetornoError
from services.kit.offline import run_with

console = Console()
T = TypeVar("T")


def install(app: typer.Typer, runtime: RuntimeFactory) -> None:
    keys_app = typer.Typer(
        help="Master keys that wrap every person's data key.", no_args_is_help=True
    )
    retention_app = typer.Typer(help="Retention of personal data.", no_args_is_help=True)
    app.add_typer(keys_app, name="keys")
    app.add_typer(retention_app, name="retention")

    def run(work: Callable[[Runtime], Awaitable[T]]) -> T:
        """A user's mistake (a RetornoError) is one clear line and exit code 1."""
        try:
            return run_with(runtime, work)
        except RetornoError as e:
            console.print(f"[bold red]error:[/] {e.detail}")
            raise typer.Exit(1) from e

    @keys_app.command("rotate")
    def keys_rotate() -> None:
        """Create a new master key and re-wrap every data key under it, online."""
        result = run(rotation.rotate_master_key)
        console.print(f"rotated: {result!r}")

    @keys_app.command("list")
    def keys_list() -> None:
        """Master key ids and how many data keys each one wraps."""
        table = Table("master key id", "data keys wrapped")
        for key_id, count in run(queries.master_key_usage).items():
            table.add_row(key_id, str(count))
        console.print(table)

    @keys_app.command("retire")
    def keys_retire(key_id: str) -> None:
        """Retire an old master key once no data key is wrapped by it (after a rotation)."""
        run(lambda rt: rotation.retire_master_key(rt, key_id))
        console.print(f"master key {key_id} retired")

    @retention_app.command("run")
    def retention_run() -> None:
        """Erase (crypto-shred) the personal data whose retention period is over."""
        report = run(retention.run_retention)
        console.print(f"retention: {report!r}")
