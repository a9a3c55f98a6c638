"""A registration refused late (a concurrent registration won, a database error) leaves nothing
in privacy: no data key, no consent row, no consent event. Against the real vault and privacy's
own handler, on SQLite files and on PostgreSQL."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, select, text
from sqlalchemy.engine import ExceptionContext

from db.uow import ServiceDatabase
from events.envelope import Envelope
from events.registration import ReturnRegistered
from privacy import store as privacy_store
from privacy.service import SERVICE as PRIVACY
from privacy.store.keyring import load_keyring
from privacy.store.searchkey import load_search_key
from privacy.usecases.vault import Vault
from services.kit.definition import Runtime
from services.kit.settings import Settings
from services.registration import store
from services.registration.service import SERVICE
from tests.integration.registration.conftest import USERS, Client, case_body
from tests.integration.registration.helpers import funds_known, outbox
from tests.support import client as http_client
from tests.support import deliver, make_app, make_runtime, open_service_db, person_request


@dataclass
class RacingVault:
    """The real vault; before its first ``encrypt_people`` it lets ``first`` run to the end
    (a concurrent registration that commits in between the checks and the transaction).
    ``made``: the people whose key was made, in order."""

    real: Vault
    first: Callable[[], Awaitable[None]] | None = None
    made: list[str] = field(default_factory=list)

    async def encrypt_people(
        self, people: Mapping[str, Mapping[str, str]], **options: Any
    ) -> dict[str, dict[str, bytes]]:
        race, self.first = self.first, None
        if race is not None:
            await race()
        async with self.real.db.reading() as session:
            known = set(
                (await session.execute(select(privacy_store.data_keys.c.person_ref))).scalars()
            )
        self.made.extend(ref for ref in people if ref not in known)
        return await self.real.encrypt_people(people, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@dataclass
class World:
    client: Client
    registration: ServiceDatabase
    privacy: ServiceDatabase
    vault: RacingVault
    privacy_rt: Runtime

    async def privacy_applies_registrations(self) -> None:
        """Privacy's consumer is handed every committed ``return_registered`` (through its
        real inbox: one applied before is skipped)."""
        registered = [
            e for e in await outbox(self.registration) if e.type == ReturnRegistered.type_name()
        ]
        await deliver(self.privacy_rt, PRIVACY, *registered)

    async def privacy_holds(self) -> dict[str, Any]:
        async with self.privacy.sessions() as session:
            keys = set(
                (await session.execute(select(privacy_store.data_keys.c.person_ref))).scalars()
            )
            consents = [
                dict(r) for r in (await session.execute(select(privacy_store.consents))).mappings()
            ]
            bodies = (await session.execute(select(PRIVACY.tables.outbox.c.body))).scalars()
            events = [Envelope.from_bytes(b) for b in bodies]
        return {"keys": keys, "consents": consents, "events": events}

    async def stored_refs(self) -> set[str]:
        async with self.registration.sessions() as session:
            return set((await session.execute(select(store.people.c.person_ref))).scalars())


@pytest.fixture
async def world(database_url: str, tmp_path: Path) -> AsyncIterator[World]:
    privacy_url = database_url
    if database_url.startswith("sqlite"):  # one file per service, as the embedded default
        privacy_url = f"sqlite+aiosqlite:///{tmp_path / 'privacy.db'}"
    registration = await open_service_db(SERVICE, database_url)
    await funds_known(registration, str(datetime.now(UTC).year))
    privacy = await open_service_db(PRIVACY, privacy_url)
    keys = load_keyring(tmp_path, None)
    vault = RacingVault(Vault(privacy, keys, search_key=load_search_key(tmp_path)))
    settings = Settings(data_dir=tmp_path)
    rt = make_runtime(settings, {"registration": registration}, vault=vault)
    privacy_rt = make_runtime(settings, {"privacy": privacy})
    async with http_client(make_app(rt, [SERVICE], tokens=USERS)) as http:
        yield World(Client(http), registration, privacy, vault, privacy_rt)
    await registration.engine.dispose()
    await privacy.engine.dispose()


def returning(ref: str, **changes: Any) -> dict[str, Any]:
    return {"person_ref": ref, "vulnerability_categories": ["woman_at_risk"], **changes}


def family(ref: str, child_name: str, partner: str) -> dict[str, Any]:
    """The returning person (with new consents) and a new person (with their own)."""
    return case_body(
        people=[
            returning(
                ref,
                consents=[
                    {"purpose": "assistance", "granted": True},
                    {"purpose": "partner_sharing", "granted": True, "partner": partner},
                ],
            ),
            person_request(
                given_names=child_name,
                consents=[
                    {"purpose": "assistance", "granted": True},
                    {"purpose": "partner_sharing", "granted": True, "partner": partner},
                ],
            ),
        ]
    )


async def a_person_whose_first_case_ended(world: World) -> str:
    first = await world.client.register()
    await world.client.move(first["case_id"], "withdrawn", reason_code="changed_mind")
    await world.privacy_applies_registrations()
    return str(first["people"][0]["person_ref"])


def mentions(events: list[Envelope], sentinel: str) -> list[str]:
    return [e.type for e in events if sentinel in e.model_dump_json()]


async def test_the_loser_of_a_concurrent_registration_leaves_no_key_consent_or_event(
    world: World,
) -> None:
    ref = await a_person_whose_first_case_ended(world)
    tag = secrets.token_hex(4).upper()
    winner_ngo, loser_ngo = f"WINNERNGO{tag}", f"LOSERNGO{tag}"
    won: list[httpx.Response] = []

    async def the_other_office_worker_is_faster() -> None:
        won.append(await world.client.post("cw", "/api/cases", family(ref, "Win", winner_ngo)))

    world.vault.first = the_other_office_worker_is_faster
    lost = await world.client.post("cw", "/api/cases", family(ref, "Lose", loser_ngo))
    await world.privacy_applies_registrations()

    assert won[0].status_code == 201, won[0].text
    assert lost.status_code == 409, lost.text
    assert "open case" in lost.json()["detail"]
    [_, winner_key, loser_key] = world.vault.made  # the loser's new person got a key, then...
    held = await world.privacy_holds()
    stored = await world.stored_refs()
    assert loser_key not in held["keys"]  # ...it was destroyed
    assert held["keys"] == stored and winner_key in stored
    assert {c["person_ref"] for c in held["consents"]} == stored
    assert [c["partner"] for c in held["consents"]].count(loser_ngo) == 0
    assert [c["partner"] for c in held["consents"]].count(winner_ngo) == 2
    assert mentions(held["events"], loser_ngo) == []
    assert mentions(held["events"], loser_key) == []
    assert mentions(held["events"], winner_ngo) == ["privacy.consent_changed"] * 2
    registered = [e for e in await outbox(world.registration) if e.type.endswith("registered")]
    assert len(registered) == 2 and mentions(registered, loser_ngo) == []


async def test_consents_recorded_at_registration_name_the_user_and_their_role(
    world: World,
) -> None:
    case = await world.client.register()
    ref = case["people"][0]["person_ref"]

    before = await world.privacy_holds()
    await world.privacy_applies_registrations()
    await world.privacy_applies_registrations()  # a redelivery records nothing twice

    after = await world.privacy_holds()
    assert before["consents"] == [] and before["events"] == []  # only with the committed case
    assert [(c["person_ref"], c["purpose"], c["recorded_by"]) for c in after["consents"]] == [
        (ref, "assistance", "u-cw")
    ]
    [changed] = after["events"]
    assert changed.type == "privacy.consent_changed"
    assert (changed.actor.kind, changed.actor.id, changed.actor.role) == (
        "user",
        "u-cw",
        "caseworker",
    )


async def test_many_simultaneous_registrations_of_one_person_leave_only_the_winners_trace(
    world: World,
) -> None:
    ref = await a_person_whose_first_case_ended(world)
    tag = secrets.token_hex(4).upper()

    responses = await asyncio.gather(
        *(
            world.client.post("cw", "/api/cases", family(ref, f"Child{i}", f"NGO{i}{tag}"))
            for i in range(4)
        )
    )
    await world.privacy_applies_registrations()

    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
    held = await world.privacy_holds()
    stored = await world.stored_refs()
    assert held["keys"] == stored and len(stored) == 2
    [winner] = [i for i, r in enumerate(responses) if r.status_code == 201]
    partners = {c["partner"] for c in held["consents"]} - {None}
    assert partners == {f"NGO{winner}{tag}"}
    assert all(mentions(held["events"], f"NGO{i}{tag}") == [] for i in range(4) if i != winner)


FORCED_FAILURE: Mapping[str, list[str]] = {
    "sqlite": [
        "CREATE TRIGGER refuse_case BEFORE INSERT ON registration_cases "
        "WHEN NEW.requester_name = 'FAILS AT COMMIT' "
        "BEGIN SELECT RAISE(ABORT, 'forced database error'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_case() RETURNS trigger AS $$ BEGIN "
        "IF NEW.requester_name = 'FAILS AT COMMIT' THEN "
        "RAISE EXCEPTION 'forced database error'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER refuse_case BEFORE INSERT ON registration_cases "
        "FOR EACH ROW EXECUTE FUNCTION refuse_case()",
    ],
}


async def test_a_database_error_while_storing_the_case_leaves_nothing_in_privacy(
    world: World,
) -> None:
    dialect = world.registration.engine.dialect.name
    async with world.registration.engine.begin() as conn:
        for statement in FORCED_FAILURE[dialect]:
            await conn.execute(text(statement))
    tag = secrets.token_hex(4).upper()
    body = case_body(
        requester={"type": "civil_society_organisation", "name": "FAILS AT COMMIT"},
        people=[
            person_request(
                consents=[
                    {"purpose": "assistance", "granted": True},
                    {"purpose": "partner_sharing", "granted": True, "partner": f"NGO{tag}"},
                ]
            )
        ],
    )

    errors: list[str] = []  # the database errors raised (the 500 and its log do not say)

    def seen(context: ExceptionContext) -> None:
        errors.append(str(context.original_exception))

    event.listen(world.registration.engine.sync_engine, "handle_error", seen)
    try:
        response = await world.client.post("cw", "/api/cases", body)
    finally:
        event.remove(world.registration.engine.sync_engine, "handle_error", seen)
    await world.privacy_applies_registrations()

    assert response.status_code == 500, response.text
    assert response.json()["type"] == "urn:retorno:problem:internal-error"
    assert [e for e in errors if "forced database error" in e], errors

    [made] = world.vault.made
    held = await world.privacy_holds()
    assert made not in held["keys"]
    assert held == {"keys": set(), "consents": [], "events": []}
    assert await world.stored_refs() == set()
    assert await outbox(world.registration) == []
