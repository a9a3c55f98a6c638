"""``retorno audit ...`` commands print verification results and query tables (or CSV)."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import typer
from sqlalchemy import delete
from typer.testing import CliRunner

from benchmarks.audit_scenario import build
from db.engine import make_engine
from services.audit import store
from services.audit.cli import install
from services.audit.service import SERVICE
from services.audit.settings import AuditSettings
from services.audit.usecases.keys import SIGNER as SIGNER_KEY
from services.kit.definition import Runtime
from services.kit.settings import Settings
from services.runtime.composition import build_runtime
from tests.integration.audit.feeding import SIGNER, feed
from tests.support import open_service_db


def prepared(sqlite_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    async def setup() -> None:
        db = await open_service_db(SERVICE, sqlite_url)
        for envelope in build().envelopes:
            await feed(db, envelope)
        await db.engine.dispose()

    asyncio.run(setup())

    async def runtime() -> Runtime:  # the composition root, as the `retorno` command line
        settings = Settings(data_dir=tmp_path / "data", database_url=sqlite_url)
        built = build_runtime(settings, [SERVICE])
        built.put_settings(AuditSettings(broker_timeout_seconds=0.2))
        built.put(SIGNER_KEY, SIGNER)
        return built

    root = typer.Typer()
    install(root, runtime)  # as the `retorno` command line does
    return root


def test_verify_checkpoint_and_tables(sqlite_url: str, tmp_path: Path) -> None:
    app, runner = prepared(sqlite_url, tmp_path), CliRunner()

    verified = runner.invoke(app, ["audit", "verify"])
    signed = runner.invoke(app, ["audit", "checkpoint"])
    members = runner.invoke(app, ["audit", "members", "--csv"])
    spending = runner.invoke(app, ["audit", "disbursements", "--by", "member", "--csv"])
    key = runner.invoke(app, ["audit", "public-key"])
    table = runner.invoke(app, ["audit", "cap"])

    assert verified.exit_code == 0 and verified.output.startswith("intact: 27 records")
    assert signed.exit_code == 0 and '"position":27' in signed.output
    rows = list(csv.DictReader(io.StringIO(members.output)))
    assert {(r["fund_period"], r["member"]) for r in rows} == {
        ("2026-A", "CA"),
        ("2026-A", "MX"),
        ("2026-B", "US"),
    }
    by_member = {
        r["member"]: r["amount_cents"] for r in csv.DictReader(io.StringIO(spending.output))
    }
    assert by_member == {"CA": "27500", "MX": "82500", "US": "20000"}
    assert key.output.startswith("-----BEGIN PUBLIC KEY-----")
    assert table.exit_code == 0 and "Cap compliance" in table.output


def test_verify_exits_non_zero_and_names_the_position(sqlite_url: str, tmp_path: Path) -> None:
    app = prepared(sqlite_url, tmp_path)

    async def tamper() -> None:
        engine = make_engine(sqlite_url)
        async with engine.begin() as conn:
            await conn.execute(delete(store.log).where(store.log.c.position == 5))
        await engine.dispose()

    asyncio.run(tamper())
    result = CliRunner().invoke(app, ["audit", "verify"])

    assert result.exit_code == 1
    assert "position 5 removed" in result.output


def test_the_service_adds_the_audit_group_to_the_command_line() -> None:
    from services.runtime.cli import app

    assert SERVICE.cli is install
    listed = CliRunner().invoke(app, ["audit", "--help"])
    assert listed.exit_code == 0 and "Audit log: verify, checkpoints, queries." in listed.output


def test_a_wrong_half_year_is_one_line_and_exit_code_1(sqlite_url: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(prepared(sqlite_url, tmp_path), ["audit", "summary", "--half", "x"])

    assert result.exit_code == 1
    assert (
        result.output.strip()
        == "error: 'x' is not a half-year; write it like '2026-H1' or '2026-H2'"
    )
