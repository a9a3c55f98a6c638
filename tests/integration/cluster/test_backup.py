"""Back up a service's database, restore it, replay the stream into it; and a restore from a
backup taken before an erasure leaves that person's data unreadable: the data key that comes
back with the backup is destroyed again by the erasure event replayed from the stream."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from privacy.store import data_keys, erasures
from services.api.usecases import add_user
from services.kit.settings import Settings
from services.runtime.answers import fund_not_known_yet
from services.runtime.backup import backup_database, replay, restore_database
from services.runtime.cli import _migrate_all
from services.runtime.embedded import EmbeddedNats, free_port
from services.runtime.node import Node
from services.runtime.registry import all_services, service_names

from .conftest import case_body, eventually, inbox_ids

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(params=["sqlite", "postgres"])
def privacy_url(request: pytest.FixtureRequest) -> str:
    """Privacy's own database: a SQLite file, or a fresh PostgreSQL database (the other
    services keep their SQLite files)."""
    return str(request.getfixturevalue(f"{request.param}_url"))


async def _key_and_erasure(node: Node, ref: str) -> tuple[bool, bool]:
    assert node.runtime is not None
    async with node.runtime.db("privacy").reading() as session:
        key = await session.scalar(
            select(data_keys.c.person_ref).where(data_keys.c.person_ref == ref)
        )
        erased = await session.scalar(
            select(erasures.c.person_ref).where(erasures.c.person_ref == ref)
        )
    return key is not None, erased is not None


async def test_a_restore_from_before_an_erasure_leaves_the_person_unreadable(
    tmp_path: Path, privacy_url: str
):
    broker = EmbeddedNats(tmp_path / "nats", free_port(), free_port())
    broker.start()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "var",
        nats_url=broker.url,
        http_port=free_port(),
        relay_poll_seconds=0.1,
        database_urls={"privacy": privacy_url},
    )
    await asyncio.to_thread(_migrate_all, settings)

    async def start() -> Node:
        node = Node(settings, all_services(), set(service_names()), http=True)
        await node.start()
        return node

    import httpx

    node = await start()
    http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.http_port}", timeout=60)
    try:
        rt = node.runtime
        assert rt is not None
        _u, cw = await add_user(rt, "cw", "caseworker", ["GT-GUA"])
        _u, dpo = await add_user(rt, "dpo", "data_protection_officer", [])
        _u, sup = await add_user(rt, "sup", "supervisor", ["GT-GUA"])
        fund = {
            "period": "2026",
            "currency": "USD",
            "target": "1000.00",
            "shares": [{"member": "MX", "share_percent": "100"}],
        }
        answer = await http.post(
            "/api/funds", json=fund, headers={"Authorization": f"Bearer {sup}"}
        )
        assert answer.status_code == 201, answer.text
        for _ in range(100):  # registration learns of the fund from its event, a moment later
            created = await http.post(
                "/api/cases", json=case_body(1), headers={"Authorization": f"Bearer {cw}"}
            )
            if not fund_not_known_yet(created.status_code, created.json()):
                break
            await asyncio.sleep(0.1)
        assert created.status_code == 201, created.text
        case_id = created.json()["case_id"]
        ref = created.json()["people"][0]["person_ref"]
        assert await _key_and_erasure(node, ref) == (True, False)

        backup = backup_database("privacy", privacy_url, tmp_path / "backup")  # before

        erased = await http.post(
            f"/api/people/{ref}/erasure",
            json={"override_reason": "data_subject_objection"},
            headers={"Authorization": f"Bearer {dpo}"},
        )
        assert erased.status_code == 200, erased.text
        assert await _key_and_erasure(node, ref) == (False, True)

        async def erasure_on_the_stream_and_applied() -> bool:
            return len(await inbox_ids(rt, "privacy")) >= 2  # registered, erased

        await eventually(erasure_on_the_stream_and_applied, 30)
        await node.stop()

        assert restore_database("privacy", privacy_url, tmp_path / "backup") == backup
        node = await start()  # without a replay: the restored key is back (the danger)
        assert await _key_and_erasure(node, ref) == (True, False)
        await node.stop()

        assert await replay([broker.url], "privacy") is True
        node = await start()

        async def erased_again() -> bool:
            return await _key_and_erasure(node, ref) == (False, True)

        await eventually(erased_again, 30)
        case = await http.get(f"/api/cases/{case_id}", headers={"Authorization": f"Bearer {cw}"})
        assert case.status_code == 200, case.text
        assert "Person1" not in case.text  # the record cannot be decrypted any more
    finally:
        await http.aclose()
        await node.stop()
        broker.stop()
