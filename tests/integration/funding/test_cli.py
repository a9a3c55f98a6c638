"""``retorno funding commitments|payments``: the ledger listings for operators."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from db.engine import make_engine
from db.migrate import upgrade_async
from db.uow import ServiceDatabase
from services.funding import store
from services.funding.usecases import casework, reversing
from services.kit.settings import Settings
from services.runtime.cli import app
from tests.integration.funding.factories import (
    SUPERVISOR,
    deliver,
    make_fund,
    outbox,
    person_ref,
    registered,
    screened,
)


async def _seed(settings: Settings) -> tuple[str, str, str]:
    for name in ("registration", "privacy", "funding", "audit", "api"):
        await upgrade_async(name, settings.database_url_for(name))
    db = ServiceDatabase(
        "funding", make_engine(settings.database_url_for("funding")), store.messaging
    )
    try:
        fund = await make_fund(db, received=1_000_000)
        reg = registered(fund, {person_ref(): [("transport", 40_000)]})
        await deliver(db, reg)
        await deliver(db, screened(uuid.UUID(reg.payload["case_id"])))
        [approved] = [e.payload for e in await outbox(db) if e.type.endswith("approved")]
        async with db.unit_of_work() as uow:
            paid = await casework.pay(
                uow, uuid.UUID(approved["commitment_id"]), 12_345, "transport", date(2026, 3, 1), None,
                SUPERVISOR,
            )  # fmt: skip
            await reversing.undo_disbursement(uow, paid.disbursement_id, "duplicate", SUPERVISOR)
            await uow.commit()
    finally:
        await db.engine.dispose()
    return fund, str(approved["commitment_id"]), str(paid.disbursement_id)


def test_an_operator_lists_commitments_and_payments_with_their_reversals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RETORNO_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("RETORNO_DATABASE_URL", raising=False)
    fund, commitment_id, payment_id = asyncio.run(_seed(Settings()))
    runner = CliRunner()
    wide = {"COLUMNS": "400"}

    commitments = runner.invoke(app, ["funding", "commitments", "--period", fund], env=wide)
    released = runner.invoke(app, ["funding", "commitments", "--status", "released"], env=wide)
    payments = runner.invoke(app, ["funding", "payments", "--period", fund], env=wide)
    bad_status = runner.invoke(app, ["funding", "commitments", "--status", "paid"])
    bad_case = runner.invoke(app, ["funding", "payments", "--case", "nope"])
    bad_size = runner.invoke(app, ["funding", "payments", "--page-size", "0"])

    assert commitments.exit_code == 0, commitments.output
    assert commitment_id in commitments.output and "400.00" in commitments.output
    assert "1 in all" in commitments.output
    assert released.exit_code == 0 and commitment_id not in released.output
    assert payments.exit_code == 0, payments.output
    assert payment_id in payments.output and "123.45" in payments.output
    assert "duplicate" in payments.output
    assert bad_status.exit_code == 2 and bad_case.exit_code == 2 and bad_size.exit_code == 2
