"""``retorno funding commitments|payments``: the ledger listings for operators, read-only.

The same queries as ``GET /api/commitments`` and ``GET /api/payments``, over every office
(an operator on the server is not office-scoped; nothing here is personal data).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import typer

from services.funding.queries import listings
from services.funding.schemas import MAX_PAGE_SIZE, CommitmentStatus, LedgerFilter, PaymentView
from services.kit.cli import console, fail, parse_uuid, print_table, run_offline
from services.kit.definition import RuntimeFactory

Period = Annotated[str | None, typer.Option(help="Only this fund period")]
Office = Annotated[str | None, typer.Option(help="Only this office")]
Person = Annotated[str | None, typer.Option("--person", help="Only this person_ref")]
Case = Annotated[str | None, typer.Option("--case", help="Only this case id")]
PageOpt = Annotated[int, typer.Option(min=1, help="Page number, from 1")]
Size = Annotated[int, typer.Option(min=1, max=MAX_PAGE_SIZE, help="Rows per page")]


def _case(value: str | None) -> uuid.UUID | None:
    return parse_uuid(value, "--case", "a case id", prefix="funding")


def install(root: typer.Typer, runtime: RuntimeFactory) -> None:
    """Add ``retorno funding ...`` to the root command line."""
    root.add_typer(build_cli(runtime), name="funding", help="The funding ledger: listings.")


def build_cli(make_runtime: RuntimeFactory) -> typer.Typer:
    app = typer.Typer(help="The funding ledger (read-only listings).", no_args_is_help=True)

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
            fail("--status is active or released", prefix="funding", code=2)
        where = LedgerFilter(period, office, person, _case(case), page, page_size)
        offices = [office] if office else None
        found = run_offline(
            make_runtime, lambda rt: listings.commitments(rt, offices, where, status=wanted)
        )
        print_table(
            ("commitment", "period", "office", "case", "person", "status", "amount", "paid",
             "released", "remaining", "created"),
            (
                (c.commitment_id, c.period, c.office, c.case_id, c.person_ref, c.status,
                 c.amount, c.disbursed, c.released, c.remaining, c.created_at)
                for c in found.items
            ),
        )  # fmt: skip
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
        found = run_offline(
            make_runtime, lambda rt: listings.payments(rt, offices, where, commitment_id=None)
        )
        print_table(
            ("payment", "period", "office", "case", "person", "category", "amount", "paid on",
             "attribution", "reversed"),
            (
                (p.payment_id, p.period, p.office, p.case_id, p.person_ref, p.category,
                 p.amount, p.paid_on, _attribution(p), _reversal(p))
                for p in found.items
            ),
        )  # fmt: skip
        footer(found)

    return app


def _attribution(p: PaymentView) -> str:
    return " ".join(f"{a.member} {a.amount}" for a in p.attributions)


def _reversal(p: PaymentView) -> str:
    rev = p.reversal
    return f"{rev.reason_code} {rev.reversed_on} ({rev.reversal_id})" if rev else ""
