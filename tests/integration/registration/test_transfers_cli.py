"""``retorno transfers list`` and ``retorno break-glass list`` show what the DPO reviews."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from db.engine import make_engine
from db.migrate import upgrade_async
from db.uow import ServiceDatabase
from services.kit.settings import Settings
from services.registration import store
from services.runtime.cli import app

REF = "p_" + "5" * 32


async def _seed(settings: Settings) -> None:
    for name in ("registration", "privacy", "funding", "audit", "api"):
        await upgrade_async(name, settings.database_url_for(name))
    url = settings.database_url_for("registration")
    db = ServiceDatabase("registration", make_engine(url), store.messaging)
    now = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    async with db.unit_of_work() as uow:
        await store.add_transfer(
            uow.session,
            {
                "transfer_id": uuid.UUID(int=7),
                "person_ref": REF,
                "from_office": "GT-GUA",
                "to_office": "MX-TAP",
                "status": "requested",
                "reason_code": "person_returned",
                "requested_by": "u-cw",
                "requested_role": "caseworker",
                "requested_at": now,
                "decision_reason_code": None,
                "decided_by": None,
                "decided_role": None,
                "decided_at": None,
            },
        )
        await store.add_emergency_read(
            uow.session,
            {
                "person_ref": REF,
                "office": "MX-TAP",
                "owning_office": "GT-GUA",
                "actor_id": "u-cw",
                "actor_role": "caseworker",
                "reason_code": "medical_emergency",
                "at": now,
            },
        )
        await uow.commit()
    await db.engine.dispose()


def test_the_dpo_lists_transfers_and_break_the_glass_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RETORNO_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("RETORNO_DATABASE_URL", raising=False)
    asyncio.run(_seed(Settings()))
    runner = CliRunner()

    transfers = runner.invoke(
        app, ["transfers", "list", "--status", "requested"], env={"COLUMNS": "250"}
    )
    none_approved = runner.invoke(
        app, ["transfers", "list", "--status", "approved"], env={"COLUMNS": "250"}
    )
    bad = runner.invoke(app, ["transfers", "list", "--status", "maybe"])
    reads = runner.invoke(app, ["break-glass", "list", "--person", REF], env={"COLUMNS": "250"})

    assert transfers.exit_code == 0, transfers.output
    assert str(uuid.UUID(int=7)) in transfers.output and "person_returned" in transfers.output
    assert none_approved.exit_code == 0 and "person_returned" not in none_approved.output
    assert bad.exit_code == 2
    assert reads.exit_code == 0, reads.output
    assert "medical_emergency" in reads.output and "MX-TAP" in reads.output
