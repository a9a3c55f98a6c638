"""A case read for the web UI: without personal data unless asked (nothing decrypted, nothing
logged), and with the purpose the reader chose in the access log when asked."""

from __future__ import annotations

import uuid

from services.kit.definition import Runtime
from services.registration.queries import cases
from tests.integration.registration.conftest import USERS, Client
from tests.integration.registration.fakes import FakeVault


async def test_a_case_read_without_personal_data_decrypts_nothing_and_logs_nothing(
    client: Client, runtime: Runtime, vault: FakeVault
) -> None:
    made = await client.register()
    ref = made["people"][0]["person_ref"]
    before = await vault.access_log(ref)

    found = await cases.get_case(
        runtime, USERS["cw"], uuid.UUID(made["case_id"]), show_personal=False
    )

    assert found.personal_data_included is False
    assert all(p.personal is None for p in found.people)
    assert await vault.access_log(ref) == before


async def test_a_case_read_for_a_purpose_logs_that_purpose(
    client: Client, runtime: Runtime, vault: FakeVault
) -> None:
    made = await client.register()
    ref = made["people"][0]["person_ref"]

    found = await cases.get_case(
        runtime, USERS["cw"], uuid.UUID(made["case_id"]), purpose="follow_up_contact"
    )

    assert found.personal_data_included is True
    assert found.people[0].personal is not None
    assert found.people[0].personal.given_names == "Ana Maria"
    log = await vault.access_log(ref)
    assert log[-1].purpose == "case_management:follow_up_contact"
    assert log[-1].actor_id == "u-cw"
