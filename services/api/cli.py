"""``retorno users add|list|revoke``: the users service's commands."""

from __future__ import annotations

from typing import Annotated

import typer

from db import migrate as migrations
from services.api import usecases
from services.api.queries import users
from services.kit.cli import console, print_table, run_offline
from services.kit.definition import RuntimeFactory
from services.kit.settings import Settings


def install(app: typer.Typer, runtime: RuntimeFactory) -> None:
    users_app = typer.Typer(help="API users and their tokens.", no_args_is_help=True)
    app.add_typer(users_app, name="users")

    @users_app.command("add")
    def users_add(
        name: str,
        role: Annotated[
            str,
            typer.Option(
                help="caseworker, supervisor, auditor, evaluator, data_protection_officer, admin"
            ),
        ],
        office: Annotated[
            list[str] | None,
            typer.Option(help="Office scope (caseworker, supervisor); repeat for several"),
        ] = None,
        password: Annotated[
            bool,
            typer.Option(
                "--password", help="Also print a one-time password for the web UI (shown once)"
            ),
        ] = False,
    ) -> None:
        """Create a user and print their API token (shown once; only its hash is stored)."""
        settings = Settings()
        for service in migrations.branches():  # a first command on a fresh data directory
            migrations.upgrade(service, settings.database_url_for(service))
        _user, token = run_offline(
            runtime, lambda rt: usecases.add_user(rt, name, role, office or [])
        )
        console.print(f"user '{name}' ({role}) created. API token (shown once):")
        print(token)
        if password:
            one_time = run_offline(runtime, lambda rt: usecases.set_password(rt, name))
            console.print(
                "one-time password for the web UI (shown once; changed at first sign-in):"
            )
            print(one_time)

    @users_app.command("password")
    def users_password(name: str) -> None:
        """Set a one-time password for the web UI and print it (shown once): the person signs
        in with it and must choose their own at once. Also unlocks a locked account."""
        one_time = run_offline(runtime, lambda rt: usecases.set_password(rt, name))
        console.print(f"one-time password for '{name}' (shown once; changed at first sign-in):")
        print(one_time)

    @users_app.command("list")
    def users_list() -> None:
        """List users and their tokens (never the tokens themselves)."""
        print_table(
            ("user", "role", "offices", "token id", "revoked at"),
            (
                (
                    item.user.name,
                    item.user.role,
                    ",".join(item.user.offices),
                    token.id if token else "",
                    (token.revoked_at or "") if token else "",
                )
                for item in run_offline(runtime, users.list_users)
                for token in item.tokens or (None,)
            ),
        )

    @users_app.command("revoke")
    def users_revoke(token_id: str) -> None:
        """Revoke a token by its id (from 'retorno users list')."""
        run_offline(runtime, lambda rt: usecases.revoke_token(rt, token_id))
        console.print(f"token {token_id} revoked")
