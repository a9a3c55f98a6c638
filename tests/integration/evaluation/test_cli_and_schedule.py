"""``retorno export`` installed on a fresh Typer app, and the periodic run that makes each
closed period's export once."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
import typer
from typer.testing import CliRunner

from services.evaluation import cli
from services.evaluation.queries import list_exports
from services.evaluation.usecases import run_schedule
from services.evaluation.usecases.exporting import export_dir
from services.kit.definition import Runtime
from tests.integration.evaluation.scenario import EVALUATOR, deliver_all, population


def cli_app(rt: Runtime) -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """retorno"""

    async def runtime() -> Runtime:
        return rt

    cli.install(app, runtime)
    return app


def test_retorno_export_writes_the_files_and_prints_their_hashes(rt: Runtime) -> None:
    import asyncio

    asyncio.run(deliver_all(rt, population()))
    result = CliRunner().invoke(
        cli_app(rt),
        ["export", "--from", "2026-01-01", "--to", "2026-06-30", "--format", "xlsx", "--quiet"],
    )

    assert result.exit_code == 0, result.output
    made = asyncio.run(list_exports(rt, EVALUATOR)).items
    assert len(made) == 1 and made[0].period == "2026-01_2026-06"
    assert made[0].created_by == "cli"
    [f] = made[0].files
    data = (export_dir(rt, made[0].id) / f.name).read_bytes()
    assert hashlib.sha256(data).hexdigest() == f.sha256
    assert f.sha256 in result.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--format", "pdf", "--period", "2026-H1"], "--format"),
        (["--period", "2026-H1", "--table", "people"], "--table"),
        (["--period", "2026-H9"], "period"),
        (["--from", "2026-06-01", "--to", "2026-01-01"], "to"),
    ],
)
def test_retorno_export_refuses_bad_input_naming_the_option(
    rt: Runtime, args: list[str], says: str
) -> None:
    result = CliRunner().invoke(cli_app(rt), ["export", "--quiet", *args])

    assert result.exit_code != 0
    assert says in result.output


async def test_the_schedule_makes_each_closed_period_once(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    await deliver_all(rt, population())  # H1 2026
    monkeypatch.setenv("RETORNO_EXPORT_SCHEDULE", "half-year")
    monkeypatch.setenv("RETORNO_EXPORT_SCHEDULE_FORMAT", "csv")

    rt.clock = lambda: datetime(2026, 6, 30, 23, 0, tzinfo=UTC)
    assert await run_schedule(rt) == []  # H1 is not closed yet
    rt.clock = lambda: datetime(2026, 7, 1, 0, 30, tzinfo=UTC)
    made = await run_schedule(rt)
    again = await run_schedule(rt)

    assert [m.period for m in made] == ["2026-H1"] and again == []
    assert made[0].trigger == "schedule" and made[0].created_by == "service:evaluation"
    listed = (await list_exports(rt, EVALUATOR)).items
    assert [e.period for e in listed] == ["2026-H1"]
    assert "returns.csv" in {f.name for f in made[0].files}


async def test_no_schedule_makes_nothing(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    await deliver_all(rt, population())
    monkeypatch.delenv("RETORNO_EXPORT_SCHEDULE", raising=False)
    rt.clock = lambda: datetime(2027, 3, 1, tzinfo=UTC)

    assert await run_schedule(rt) == []
