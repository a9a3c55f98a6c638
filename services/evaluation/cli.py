"""``retorno export --from --to --format csv|xlsx|html``: make an export from the command
line (as the evaluator role), with a progress display while the tables are protected."""

from __future__ import annotations

from datetime import datetime

import typer
from pydantic import ValidationError
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from events.evaluation import ExportFormat
from services.evaluation import usecases
from services.evaluation.schemas import TABLE_NAMES, ExportIn, ExportOut, TableName
from services.kit.definition import Runtime, RuntimeFactory
from services.kit.errors import RetornoError
from services.kit.identity import Principal
from services.kit.offline import run_with

CLI_PRINCIPAL = Principal("cli", "evaluator")


def install(app: typer.Typer, runtime: RuntimeFactory) -> None:
    @app.command("export")
    def export_cmd(
        first: datetime | None = typer.Option(
            None, "--from", formats=["%Y-%m-%d"], help="First day (its whole month)"
        ),
        last: datetime | None = typer.Option(
            None, "--to", formats=["%Y-%m-%d"], help="Last day (its whole month)"
        ),
        period: str | None = typer.Option(
            None, "--period", help="A preset instead: 2026, 2026-H1, 2026-Q3, 2026-05"
        ),
        fmt: str = typer.Option("csv", "--format", help="csv, xlsx or html"),
        tables: list[str] = typer.Option(
            list(TABLE_NAMES), "--table", help=f"Tables to export: {', '.join(TABLE_NAMES)}"
        ),
        quiet: bool = typer.Option(False, "--quiet", help="No progress display"),
    ) -> None:
        """Make an anonymized, disclosure-controlled export of a period; prints where its
        files are and their SHA-256."""
        if fmt not in ("csv", "xlsx", "html"):
            typer.echo("--format: one of csv, xlsx, html", err=True)
            raise typer.Exit(2)
        unknown = [t for t in tables if t not in TABLE_NAMES]
        if unknown:
            typer.echo(f"--table: one of {', '.join(TABLE_NAMES)}", err=True)
            raise typer.Exit(2)
        chosen: list[TableName] = [t for t in TABLE_NAMES if t in tables]
        format_: ExportFormat = fmt  # type: ignore[assignment]
        try:
            request = ExportIn.model_validate(
                {
                    "period": period,
                    "from": first.date() if first else None,
                    "to": last.date() if last else None,
                    "tables": chosen,
                    "format": format_,
                }
            )
        except ValidationError as exc:
            fields = sorted({".".join(str(p) for p in e["loc"]) for e in exc.errors()})
            typer.echo(f"invalid: {', '.join(fields)}", err=True)
            raise typer.Exit(2) from None

        async def work(rt: Runtime) -> ExportOut:
            with Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                transient=True,
                disable=quiet,
            ) as bar:
                # steps: reading the facts, protecting each table, writing the files
                task = bar.add_task("exporting", total=len(chosen) + 2)
                return await usecases.create_export(
                    rt,
                    CLI_PRINCIPAL,
                    request,
                    lambda step: bar.update(task, description=step, advance=1),
                )

        try:
            made = run_with(runtime, work)
        except RetornoError as exc:
            typer.echo(f"refused: {exc.detail}", err=True)
            raise typer.Exit(1) from None
        typer.echo(
            f"export {made.id} ({made.period}, {made.format}) in data_dir/exports/{made.id}/"
        )
        for f in made.files:
            typer.echo(f"  {f.name}  sha256 {f.sha256}  {f.size_bytes} bytes")
