"""``retorno audit ...``: verify the log, sign checkpoints and print the queries as tables.

``ServiceDef(cli=install)``: ``install(app, runtime)`` adds the ``audit`` group to ``retorno``.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import typer

from services.audit.queries.cap import cap_compliance
from services.audit.queries.checkpoints import list_checkpoints
from services.audit.queries.events import events
from services.audit.queries.money import commitments_by, disbursements_by, member_use
from services.audit.queries.stages import case_stages
from services.audit.queries.summary import summary
from services.audit.schemas import CaseDimension, Dimension, EventFilter, MoneyFilter
from services.audit.usecases.broker import connected
from services.audit.usecases.checkpoints import make_checkpoint
from services.audit.usecases.keys import public_key_pem
from services.audit.usecases.verify import verify_log
from services.kit.cli import CSV_OPTION, day, render_models, run_offline
from services.kit.definition import Runtime, RuntimeFactory

HELP = "Audit log: verify, checkpoints, queries."


def install(app: typer.Typer, runtime: RuntimeFactory) -> None:
    """Add ``retorno audit ...``; its commands get their runtime from ``runtime``."""
    app.add_typer(build_cli(runtime), name="audit", help=HELP)


def build_cli(make_runtime: RuntimeFactory) -> typer.Typer:
    app = typer.Typer(help="Oversight audit: tamper-evident log and the secretariat's queries")

    def run(work: Callable[[Runtime], Awaitable[Any]]) -> Any:
        return run_offline(make_runtime, work)

    @app.command("verify")
    def verify_cmd(
        broker: bool = typer.Option(
            True, help="Cross-check with the broker (its checkpoints and acknowledged events)"
        ),
    ) -> None:
        """Recompute the chain, check every checkpoint, the signed head and (when the broker
        answers) the log's tail; exit 1 if the log is not intact, naming position and kind."""

        async def work(rt: Runtime) -> Any:
            if not broker:
                return await verify_log(rt), "not asked for"
            async with connected(rt) as why_not:
                return await verify_log(rt), why_not

        result, why_not = run(work)
        if result.intact:
            chain = result.chain
            typer.echo(
                f"intact: {chain.records_checked} records, head {chain.head_position} "
                f"{chain.head_hash}; {len(result.checkpoints)} checkpoints hold"
            )
            if not result.broker_checked:
                typer.echo(
                    f"warning: not cross-checked with the broker ({why_not or 'unknown'}): "
                    "a log cut back together with a replayed head would go unnoticed",
                    err=True,
                )
            return
        problem = result.problem
        if problem is None:
            typer.echo("NOT INTACT", err=True)
        else:
            typer.echo(
                f"NOT INTACT: {problem.kind} at position {problem.position}: {problem.detail}",
                err=True,
            )
        raise typer.Exit(1)

    @app.command("checkpoint")
    def checkpoint_cmd(
        force: bool = typer.Option(False, help="Sign even if nothing was added"),
    ) -> None:
        """Sign a checkpoint of the log's head now."""
        made = run(lambda rt: make_checkpoint(rt, force=force))
        typer.echo(made.model_dump_json() if made else "nothing new since the last checkpoint")

    @app.command("checkpoints")
    def checkpoints_cmd(as_csv: bool = CSV_OPTION) -> None:
        render_models(run(list_checkpoints), as_csv, "Signed checkpoints")

    @app.command("public-key")
    def public_key_cmd() -> None:
        """Print the checkpoint signing public key (PEM)."""
        typer.echo(run(_public_key), nl=False)

    @app.command("events")
    def events_cmd(
        case_id: uuid.UUID | None = None,
        actor_id: str | None = None,
        type: str | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
        after_position: int = 0,
        limit: int = 100,
        as_csv: bool = CSV_OPTION,
    ) -> None:
        f = EventFilter(
            case_id=case_id,
            actor_id=actor_id,
            type=type,
            date_from=day(date_from),
            date_to=day(date_to),
            after_position=after_position,
            limit=limit,
        )
        render_models(run(lambda rt: events(rt, f)), as_csv, "Events")

    def money_filter(
        fund_period: str | None, date_from: datetime | None, date_to: datetime | None
    ) -> MoneyFilter:
        return MoneyFilter(fund_period=fund_period, date_from=day(date_from), date_to=day(date_to))

    @app.command("commitments")
    def commitments_cmd(
        by: list[str] = typer.Option(
            ["fund_period"], help="fund_period, category, destination_country"
        ),
        fund_period: str | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
        as_csv: bool = CSV_OPTION,
    ) -> None:
        f, dims = money_filter(fund_period, date_from, date_to), _dims(by)
        render_models(run(lambda rt: commitments_by(rt, dims, f)), as_csv, "Commitments")

    @app.command("disbursements")
    def disbursements_cmd(
        by: list[str] = typer.Option(
            ["fund_period"], help="fund_period, category, destination_country, member"
        ),
        fund_period: str | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
        as_csv: bool = CSV_OPTION,
    ) -> None:
        f, dims = money_filter(fund_period, date_from, date_to), _dims(by)
        render_models(run(lambda rt: disbursements_by(rt, dims, f)), as_csv, "Disbursements")

    @app.command("cap")
    def cap_cmd(fund_period: str | None = None, as_csv: bool = CSV_OPTION) -> None:
        """Cap compliance: people above the per-person cap (must be none)."""
        result = run(lambda rt: cap_compliance(rt, fund_period))
        render_models([result.model_copy(update={"violations": []})], as_csv, "Cap compliance")
        if result.violations:
            render_models(result.violations, as_csv, "Above the cap")

    @app.command("members")
    def members_cmd(fund_period: str | None = None, as_csv: bool = CSV_OPTION) -> None:
        render_models(run(lambda rt: member_use(rt, fund_period)), as_csv, "Contributions and use")

    @app.command("stages")
    def stages_cmd(by: str | None = None, as_csv: bool = CSV_OPTION) -> None:
        dim: CaseDimension | None = by  # type: ignore[assignment]
        render_models(run(lambda rt: case_stages(rt, dim)), as_csv, "Cases by stage")

    @app.command("summary")
    def summary_cmd(half: str = typer.Option(..., help="e.g. 2026-H1")) -> None:
        typer.echo(run(lambda rt: summary(rt, half)).model_dump_json(indent=2))

    return app


async def _public_key(rt: Runtime) -> str:
    return public_key_pem(rt)


def _dims(by: list[str]) -> list[Dimension]:
    allowed = ("fund_period", "category", "destination_country", "member")
    for name in by:
        if name not in allowed:
            raise typer.BadParameter(f"cannot group by {name!r}; use one of {', '.join(allowed)}")
    return by  # type: ignore[return-value]
