"""``retorno transfers ...`` and ``retorno break-glass ...``: the DPO's review of transfers of
a person's record and of break-the-glass reads (offices, codes, who and when; no personal
data). Decisions are taken through the API."""

from __future__ import annotations

from typing import Annotated

import typer

from services.kit.cli import console, fail, print_table, run_offline
from services.kit.definition import RuntimeFactory
from services.kit.identity import Principal
from services.registration.queries import transfers
from services.registration.usecases import indexing

TRANSFER_STATUSES = ("requested", "approved", "refused")
EVERYONE = Principal("cli", "data_protection_officer")


def install(app: typer.Typer, runtime: RuntimeFactory) -> None:
    transfers_app = typer.Typer(
        help="Transfers of a person's record between offices (decided through the API).",
        no_args_is_help=True,
    )
    break_glass_app = typer.Typer(
        help="Break-the-glass reads of a record without a transfer: the DPO's review.",
        no_args_is_help=True,
    )
    search_app = typer.Typer(
        help="Search of people by name or document number (the blind index).",
        no_args_is_help=True,
    )
    app.add_typer(search_app, name="search")

    @search_app.command("reindex")
    def search_reindex() -> None:
        """Build the blind index of every record (people registered before it existed, or
        after RETORNO_SEARCH_KEY changed); each read is in the person's access log."""
        report = run_offline(runtime, indexing.reindex)
        console.print(
            f"search index: {report.records} records indexed, {report.skipped_erased} erased"
        )

    app.add_typer(transfers_app, name="transfers")
    app.add_typer(break_glass_app, name="break-glass")

    @transfers_app.command("list")
    def transfers_list(
        status: Annotated[
            str | None, typer.Option(help="requested, approved or refused; default: all")
        ] = None,
        person: Annotated[str | None, typer.Option(help="Only this person_ref")] = None,
    ) -> None:
        """Every office's transfers, newest first (offices, codes, who, when; no personal data)."""
        if status is not None and status not in TRANSFER_STATUSES:
            fail("--status is requested, approved or refused", prefix="transfers", code=2)
        page = run_offline(
            runtime,
            lambda rt: transfers.list_transfers(rt, EVERYONE, status=status, person_ref=person),
        )
        print_table(
            ("transfer", "person", "from", "to", "status", "reason", "asked", "decided"),
            (
                (
                    t.transfer_id,
                    t.person_ref,
                    t.from_office,
                    t.to_office,
                    t.status,
                    t.reason_code,
                    f"{t.requested_by} {t.requested_at}",
                    f"{t.decided_by} {t.decision_reason_code} {t.decided_at}"
                    if t.decided_at
                    else "",
                )
                for t in page.items
            ),
        )

    @break_glass_app.command("list")
    def break_glass_list(
        person: Annotated[str | None, typer.Option(help="Only this person_ref")] = None,
    ) -> None:
        """Every break-the-glass read, newest first: who, which office, whose record, why."""
        page = run_offline(runtime, lambda rt: transfers.emergency_reads(rt, person))
        print_table(
            ("at", "person", "office", "owning office", "user", "role", "reason"),
            (
                (r.at, r.person_ref, r.office, r.owning_office, r.actor_id, r.actor_role,
                 r.reason_code)
                for r in page.items
            ),
        )  # fmt: skip
