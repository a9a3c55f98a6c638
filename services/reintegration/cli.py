"""``retorno monitoring due``: the caseworkers' working list for operators on the server
(the same query as ``GET /api/monitoring/due``; person_refs and dates, no personal data)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from services.kit.definition import Runtime, RuntimeFactory
from services.kit.errors import RetornoError
from services.kit.offline import run_with
from services.reintegration import queries
from services.reintegration.domain.worklist import DUE_STATUSES, DueStatus
from services.reintegration.schemas import MAX_PAGE_SIZE, DuePage

console = Console(width=160)


def install(app: typer.Typer, runtime: RuntimeFactory) -> None:
    group = typer.Typer(help="Reintegration follow-up: working lists.", no_args_is_help=True)

    @group.command("due")
    def due_cmd(
        office: Annotated[str | None, typer.Option(help="Only this office")] = None,
        status: Annotated[
            list[str] | None,
            typer.Option(help=f"Only these statuses ({', '.join(DUE_STATUSES)}); repeatable"),
        ] = None,
        before: Annotated[
            str | None, typer.Option(help="Only rows due before this day (YYYY-MM-DD)")
        ] = None,
        page: Annotated[int, typer.Option(min=1)] = 1,
        page_size: Annotated[int, typer.Option(min=1, max=MAX_PAGE_SIZE)] = 50,
        as_of: Annotated[
            str | None,
            typer.Option(
                help="The list as it will stand on this day (YYYY-MM-DD, today or later) if "
                "nothing more is recorded; default today"
            ),
        ] = None,
    ) -> None:
        """Plans missing, overdue, due this week, not reached, upcoming: most urgent first."""
        wanted: list[DueStatus] = []
        for s in status or []:
            if s not in DUE_STATUSES:
                console.print(
                    f"[bold red]monitoring:[/] --status is one of {', '.join(DUE_STATUSES)}"
                )
                raise typer.Exit(2)
            wanted.append(s)  # type: ignore[arg-type]
        days: dict[str, date | None] = {}
        for option, value in (("before", before), ("as-of", as_of)):
            try:
                days[option] = date.fromisoformat(value) if value else None
            except ValueError as e:
                console.print(f"[bold red]monitoring:[/] --{option} is a date, YYYY-MM-DD")
                raise typer.Exit(2) from e
        where = queries.DueFilter(
            office, tuple(wanted), days["before"], page, page_size, days["as-of"]
        )

        async def work(rt: Runtime) -> DuePage:
            return await queries.due(rt, None, where)

        try:
            result = run_with(runtime, work)
        except RetornoError as e:
            console.print(f"[bold red]error:[/] {e.detail}")
            raise typer.Exit(1) from e
        _print(result)

    app.add_typer(group, name="monitoring")


def _print(result: DuePage) -> None:
    table = Table(title=f"Follow-ups on {result.on.isoformat()}")
    for name in ("status", "person_ref", "office", "contact", "due on", "window", "failed"):
        table.add_column(name)
    for item in result.items:
        status = item.status + (" (late)" if item.plan_overdue else "")
        window = (
            f"{item.opens_on} .. {item.closes_on}" if item.opens_on and item.closes_on else "plan"
        )
        table.add_row(
            status,
            item.person_ref,
            item.office,
            "plan" if item.slot is None else str(item.slot),
            item.due_on.isoformat(),
            window,
            str(item.failed_attempts),
        )
    console.print(table)
    summary = ", ".join(f"{k}: {v}" for k, v in result.counts.items())
    console.print(f"{summary}; page {result.page}, {result.total} in all")
