"""``retorno monitoring due``: the service's ``cli.install`` on a fresh Typer app (the root
``retorno`` app mounts every ``ServiceDef.cli`` the same way), over a real SQLite file."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

import typer
from typer.testing import CliRunner

from services.kit.definition import Runtime
from services.kit.settings import Settings
from services.kit.vault import VAULT
from services.reintegration.service import SERVICE
from services.runtime.composition import build_runtime, close_runtime, start_services
from tests.integration.reintegration.conftest import ConsentVault, FakeClock, arrive
from tests.support import open_service_db


def test_monitoring_due_prints_the_working_list_of_an_office(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'reintegration.db'}"
    clock = FakeClock(datetime(2026, 1, 20, 10, tzinfo=UTC))
    settings = Settings(data_dir=tmp_path, database_url=url)

    async def seed() -> list[str]:
        db = await open_service_db(SERVICE, url)
        rt = build_runtime(settings, [SERVICE], clock=clock, databases={SERVICE.name: db})
        await start_services(rt, [SERVICE])
        rt.put(VAULT, ConsentVault())
        try:
            mx = await arrive(rt, ConsentVault(), office="MX-TAP", on=date(2026, 1, 15))
            await arrive(rt, ConsentVault(), office="GT-GUA", on=date(2026, 1, 15))
            return mx
        finally:
            await close_runtime(rt)

    (plan_id,) = asyncio.run(seed())

    async def factory() -> Runtime:
        rt = build_runtime(settings, [SERVICE], clock=clock)
        await start_services(rt, [SERVICE])
        return rt

    app = typer.Typer()
    assert SERVICE.cli is not None
    SERVICE.cli(app, factory)
    runner = CliRunner()

    result = runner.invoke(app, ["monitoring", "due", "--office", "MX-TAP"])
    assert result.exit_code == 0, result.output
    assert "MX-TAP" in result.output and "GT-GUA" not in result.output
    assert "plan_missing" in result.output and "2026-02-14" in result.output
    assert "plan_missing: 1" in result.output

    clock.now = datetime(2026, 5, 1, 10, tzinfo=UTC)
    overdue = runner.invoke(app, ["monitoring", "due", "--status", "overdue"])
    assert overdue.exit_code == 0, overdue.output
    assert "overdue" in overdue.output and "2026-04-15" in overdue.output
    assert "GT-GUA" in overdue.output

    bad = runner.invoke(app, ["monitoring", "due", "--status", "late"])
    assert bad.exit_code == 2

    ahead = runner.invoke(
        app, ["monitoring", "due", "--status", "overdue", "--as-of", "2026-08-01"]
    )
    assert ahead.exit_code == 0, ahead.output
    assert "Follow-ups on 2026-08-01" in ahead.output and "overdue: 4" in ahead.output
    past = runner.invoke(app, ["monitoring", "due", "--as-of", "2026-04-30"])
    assert past.exit_code == 1 and "is before today" in past.output
    assert "Traceback" not in past.output
    not_a_day = runner.invoke(app, ["monitoring", "due", "--as-of", "soon"])
    assert not_a_day.exit_code == 2 and "--as-of is a date" in not_a_day.output
    assert plan_id
