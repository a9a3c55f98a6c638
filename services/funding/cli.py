"""``retorno funding commitments|payments``: the ledger listings for operators, read-only.

The same queries as ``GET /api/commitments`` and ``GET /api/payments``, over every office
(an operator on the server is not office-scoped; nothing here is personal data).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from services.funding.queries import listings
from services.funding.schemas import MAX_PAGE_SIZE, CommitmentStatus, LedgerFilter
from services.kit.definition import Runtime, RuntimeFactory
from services.kit.errors import RetornoError
from services.kit.offline import run_with

console = Console()
T = TypeVar("T")

Period = Annotated[str | None, typer.Option(help="Only this fund period")]
Office = Annotated[str | None, typer.Option(help="Only this office")]
Person = Annotated[str | None, typer.Option("--person", help="Only this person_ref")]
Case = Annotated[str | None, typer.Option("--case", help="Only this case id")]
PageOpt = Annotated[int, typer.Option(min=1, help="Page number, from 1")]
Size = Annotated[int, typer.Option(min=1, max=MAX_PAGE_SIZE, help="Rows per page")]


def _case(value: str | None) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except ValueError as e:
        console.print(f"[bold red]funding:[/] --case {value!r} is not a case id (a UUID)")
        raise typer.Exit(2) from e


def install(root: typer.Typer, runtime: RuntimeFactory) -> None:
    """Add ``retorno funding ...`` to the root command line."""
    root.add_typer(build_cli(runtime), name="funding", help="The funding ledger: listings.")


def build_cli(make_runtime: RuntimeFactory) -> typer.Typer:
    app = typer.Typer(help="The funding ledger (read-only listings).", no_args_is_help=True)

    def read(work: Callable[[Runtime], Awaitable[T]]) -> T:
        try:
            return run_with(make_runtime, work)
        except RetornoError as e:
            console.print(f"[bold red]error:[/] {e.detail}")
            raise typer.Exit(1) from e

    def footer(page: Any) -> None:
        console.print(f"page {page.page} of {page.page_size} per page; {page.total} in all")

    @app.command("commitments")
    def commitments_cmd(
        period: Period = None,
        office: Office = None,
        person: Person = None,
        case: Case = None,
        status: Annotated[str | None, typer.Option(help="active or released")] = None,
        page: PageOpt = 1,
        page_size: Size = 50,
    ) -> None:
        """Commitments, newest first: amount, paid (net of reversals), released, remaining."""
        wanted: CommitmentStatus | None
        if status is None:
            wanted = None
        elif status in ("active", "released"):
            wanted = "active" if status == "active" else "released"
        else:
            console.print("[bold red]funding:[/] --status is active or released")
            raise typer.Exit(2)
        where = LedgerFilter(period, office, person, _case(case), page, page_size)
        offices = [office] if office else None
        found = read(lambda rt: listings.commitments(rt, offices, where, status=wanted))
        table = Table(
            "commitment", "period", "office", "case", "person", "status", "amount", "paid",
            "released", "remaining", "created",
        )  # fmt: skip
        for c in found.items:
            table.add_row(
                str(c.commitment_id), c.period, c.office, str(c.case_id), c.person_ref,
                c.status, c.amount, c.disbursed, c.released, c.remaining, str(c.created_at),
            )  # fmt: skip
        console.print(table)
        footer(found)

    @app.command("payments")
    def payments_cmd(
        period: Period = None,
        office: Office = None,
        person: Person = None,
        case: Case = None,
        page: PageOpt = 1,
        page_size: Size = 50,
    ) -> None:
        """Payments, newest first, with their attribution and any reversal."""
        where = LedgerFilter(period, office, person, _case(case), page, page_size)
        offices = [office] if office else None
        found = read(lambda rt: listings.payments(rt, offices, where, commitment_id=None))
        table = Table(
            "payment", "period", "office", "case", "person", "category", "amount", "paid on",
            "attribution", "reversed",
        )  # fmt: skip
        for p in found.items:
            parts = " ".join(f"{a.member} {a.amount}" for a in p.attributions)
            rev = p.reversal
            reversed_ = f"{rev.reason_code} {rev.reversed_on} ({rev.reversal_id})" if rev else ""
            table.add_row(
                str(p.payment_id), p.period, p.office, str(p.case_id), p.person_ref, p.category,
                p.amount, str(p.paid_on), parts, reversed_,
            )  # fmt: skip
        console.print(table)
        footer(found)

    return app
