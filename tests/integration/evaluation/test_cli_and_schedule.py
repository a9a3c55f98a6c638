"""``retorno export`` installed on a fresh Typer app, and the periodic run that makes each
closed period's export once."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest
import typer
from typer.testing import CliRunner

from services.evaluation import cli
from services.evaluation.queries import list_exports
from services.evaluation.service import SERVICE
from services.evaluation.usecases import run_schedule
from services.kit.definition import Runtime
from tests.integration.evaluation.scenario import EVALUATOR, deliver_all, make_runtime, population
from tests.support import open_service_db

T = TypeVar("T")


def cli_app(url: str, data_dir: Path) -> typer.Typer:
    """A fresh root app with the service's commands; each command builds its own runtime
    (its own engine in its own event loop), as ``retorno`` does."""
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """retorno"""

    async def runtime() -> Runtime:
        return make_runtime(await open_service_db(SERVICE, url), data_dir)

    cli.install(app, runtime)
    return app


def on_fresh_runtime(url: str, data_dir: Path, work: Callable[[Runtime], Awaitable[T]]) -> T:
    async def main() -> T:
        rt = make_runtime(await open_service_db(SERVICE, url), data_dir)
        try:
            return await work(rt)
        finally:
            await rt.db("evaluation").engine.dispose()

    return asyncio.run(main())


def test_retorno_export_writes_the_files_and_prints_their_hashes(
    database_url: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    on_fresh_runtime(database_url, data, lambda rt: deliver_all(rt, population()))

    result = CliRunner().invoke(
        cli_app(database_url, data),
        ["export", "--from", "2026-01-01", "--to", "2026-06-30", "--format", "xlsx", "--quiet"],
    )

    assert result.exit_code == 0, result.output
    made = on_fresh_runtime(database_url, data, lambda rt: list_exports(rt, EVALUATOR)).items
    assert len(made) == 1 and made[0].period == "2026-01_2026-06"
    assert made[0].created_by == "cli"
    [f] = made[0].files
    content = (data / "exports" / str(made[0].id) / f.name).read_bytes()
    assert hashlib.sha256(content).hexdigest() == f.sha256
    assert f.sha256 in result.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--format", "pdf", "--period", "2026-H1"], "--format"),
        (["--period", "2026-H1", "--table", "people"], "--table"),
        (["--period", "2026-H9"], "period"),
        (["--period", "2026-H1-and-more"], "period"),
        (["--from", "2026-06-01", "--to", "2026-01-01"], "to"),
    ],
)
def test_retorno_export_refuses_bad_input_naming_the_option(
    sqlite_url: str, tmp_path: Path, args: list[str], says: str
) -> None:
    result = CliRunner().invoke(cli_app(sqlite_url, tmp_path), ["export", "--quiet", *args])

    assert result.exit_code != 0
    assert says in result.output
    assert not (tmp_path / "exports").exists()


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
