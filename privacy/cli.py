"""``retorno keys rotate|list|retire`` and ``retorno retention run``: privacy's commands."""

from __future__ import annotations

import typer

from privacy import queries
from privacy.usecases import retention, rotation
from services.kit.cli import console, print_table, run_offline
from services.kit.definition import RuntimeFactory


def install(app: typer.Typer, runtime: RuntimeFactory) -> None:
    keys_app = typer.Typer(
        help="Master keys that wrap every person's data key.", no_args_is_help=True
    )
    retention_app = typer.Typer(help="Retention of personal data.", no_args_is_help=True)
    app.add_typer(keys_app, name="keys")
    app.add_typer(retention_app, name="retention")

    @keys_app.command("rotate")
    def keys_rotate() -> None:
        """Create a new master key and re-wrap every data key under it, online."""
        result = run_offline(runtime, rotation.rotate_master_key)
        console.print(f"rotated: {result!r}")

    @keys_app.command("list")
    def keys_list() -> None:
        """Master key ids and how many data keys each one wraps."""
        usage = run_offline(runtime, queries.master_key_usage)
        print_table(("master key id", "data keys wrapped"), usage.items())

    @keys_app.command("retire")
    def keys_retire(key_id: str) -> None:
        """Retire an old master key once no data key is wrapped by it (after a rotation)."""
        run_offline(runtime, lambda rt: rotation.retire_master_key(rt, key_id))
        console.print(f"master key {key_id} retired")

    @retention_app.command("run")
    def retention_run() -> None:
        """Erase (crypto-shred) the personal data whose retention period is over."""
        report = run_offline(runtime, retention.run_retention)
        console.print(f"retention: {report!r}")
