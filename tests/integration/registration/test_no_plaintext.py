"""Registering a person leaves their names, document and notes nowhere in plaintext."""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from db.engine import make_engine
from db.migrate import downgrade, upgrade_async
from db.schema import MessagingTables, service_metadata
from db.uow import ServiceDatabase
from services.kit.settings import Settings
from services.registration.service import SERVICE
from tests.integration.registration.conftest import USERS, Client, case_body
from tests.integration.registration.fakes import FakeVault
from tests.integration.registration.helpers import funds_known, outbox
from tests.support import client as http_client
from tests.support import make_app, make_runtime, open_service_db, person_request


async def real_vault(tmp_path: Path) -> tuple[Any, ServiceDatabase]:
    vault_module = pytest.importorskip("privacy.usecases.vault")
    keyring_module = pytest.importorskip("privacy.store.keyring")
    url = f"sqlite+aiosqlite:///{tmp_path / 'privacy.db'}"
    await upgrade_async("privacy", url)
    db = ServiceDatabase(
        "privacy", make_engine(url), MessagingTables(service_metadata(), "privacy")
    )
    keyring = keyring_module.load_keyring(tmp_path, None)
    search_key = pytest.importorskip("privacy.store.searchkey").load_search_key(tmp_path)
    return vault_module.Vault(db, keyring, search_key=search_key), db


@dataclass
class Scan:
    scanned: list[str]
    found: list[str]


def scan(root: Path, sentinels: list[str]) -> Scan:
    """Every file under ``root`` (databases, -wal and -shm files, key files), byte by byte."""
    result = Scan([], [])
    for path in root.rglob("*"):
        if path.is_file():
            result.scanned.append(path.name)
            data = path.read_bytes()
            result.found += [f"{s} in {path.name}" for s in sentinels if s.encode() in data]
    return result


@pytest.mark.parametrize("vault_kind", ["fake", "privacy"])
async def test_sentinels_appear_in_no_file_event_or_log(
    vault_kind: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tag = secrets.token_hex(6).upper()
    given, family, doc = f"GIVEN{tag}", f"FAMILY{tag}", f"DOC{tag}"
    address, note = f"ADDRESS{tag}", f"NOTE{tag}"
    sentinels = [given, family, doc, address, note]
    db_path = tmp_path / "registration.db"
    db = await open_service_db(SERVICE, f"sqlite+aiosqlite:///{db_path}")
    await funds_known(db, str(datetime.now(UTC).year))
    privacy_db = None
    vault: Any = FakeVault()
    if vault_kind == "privacy":
        vault, privacy_db = await real_vault(tmp_path)
    rt = make_runtime(Settings(data_dir=tmp_path), {"registration": db}, vault=vault)
    app = make_app(rt, [SERVICE], tokens=USERS)
    body = case_body(
        people=[
            person_request(
                given_names=given,
                family_name=family,
                travel_document={"type": "passport", "number": doc},
                contact={"address": address},
            )
        ]
    )

    async with http_client(app) as http:
        client = Client(http)
        case = await client.register(**body)
        await client.move(
            case["case_id"], "withdrawn", reason_code="changed_mind", reason_detail=note
        )
        seen = (await client.get("cw", f"/api/cases/{case['case_id']}")).json()
    events = await outbox(db)
    with_wal = await asyncio.to_thread(scan, tmp_path, sentinels)
    control = await asyncio.to_thread(scan, tmp_path, ["Casa del Migrante"])  # stored plain
    await db.engine.dispose()
    if privacy_db is not None:
        await privacy_db.engine.dispose()
    after_close = await asyncio.to_thread(scan, tmp_path, sentinels)

    assert seen["people"][0]["personal"]["given_names"] == given  # all still readable
    assert "registration.db-wal" in with_wal.scanned
    assert control.found, "the scan must see what is stored in plaintext"
    assert with_wal.found == [] and after_close.found == []
    for event in events:
        for sentinel in sentinels:
            assert sentinel not in event.model_dump_json()
    for sentinel in sentinels:
        assert sentinel not in caplog.text


async def test_migrations_go_up_and_down(database_url: str) -> None:
    await upgrade_async("registration", database_url)

    await asyncio.to_thread(downgrade, "registration", database_url)
    await upgrade_async("registration", database_url)
