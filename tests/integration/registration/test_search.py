"""Search by name or document number through privacy's blind index, over the real HTTP app,
registration and privacy on one real database (SQLite file, and PostgreSQL when configured)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select

from privacy.service import SERVICE as PRIVACY
from privacy.store import search_index
from privacy.usecases.erasure import erase_on_request
from privacy.usecases.vault import vault_of
from services.kit.definition import Runtime
from services.kit.identity import Principal
from services.kit.settings import Settings
from services.registration.service import SERVICE as REGISTRATION
from services.registration.usecases import indexing
from services.runtime.composition import close_runtime
from tests.integration.registration.helpers import fund_created
from tests.support import (
    OFFICE,
    TOKENS,
    bearer,
    case_request,
    client,
    deliver,
    make_app,
    open_runtime,
    person_request,
)

pytestmark = pytest.mark.integration

OTHER_OFFICE = "OFFICE-B"
USERS = {
    **TOKENS,
    "caseworker-b": Principal("u-caseworker-b", "caseworker", frozenset({OTHER_OFFICE})),
}
DPO = Principal("u-dpo", "data_protection_officer")
MARIA = {"given_names": "María del Carmen", "family_name": "López Núñez"}
DOCUMENT = {"type": "passport", "number": "GT-123 456"}


@dataclass
class World:
    rt: Runtime
    http: httpx.AsyncClient

    async def register(self, office: str = OFFICE, token: str = "caseworker", **person: Any) -> Any:
        body = case_request(office=office, people=[person_request(**person)])
        made = await self.http.post("/api/cases", json=body, headers=bearer(token))
        assert made.status_code == 201, made.text
        return made.json()

    async def search(self, q: str, token: str = "caseworker", **params: Any) -> httpx.Response:
        return await self.http.post(
            "/api/search/cases", json={"q": q, **params}, headers=bearer(token)
        )

    async def found(self, q: str, token: str = "caseworker") -> list[str]:
        answer = await self.search(q, token)
        assert answer.status_code == 200, answer.text
        return [item["case_id"] for item in answer.json()["items"]]

    async def index_rows(self) -> list[Any]:
        async with self.rt.db("privacy").reading() as session:
            return list((await session.execute(select(search_index))).all())


@pytest.fixture
async def world(database_url: str, tmp_path: Path) -> AsyncIterator[World]:
    url = None if database_url.startswith("sqlite") else database_url
    rt = await open_runtime(Settings(data_dir=tmp_path, database_url=url), [REGISTRATION, PRIVACY])
    await deliver(rt, REGISTRATION, fund_created(str(datetime.now(UTC).year)))
    async with client(make_app(rt, [REGISTRATION, PRIVACY], tokens=USERS)) as http:
        yield World(rt, http)
    await close_runtime(rt)


async def test_a_name_typed_without_accents_finds_the_case_of_the_person(world: World) -> None:
    case = await world.register(**MARIA, travel_document=DOCUMENT)
    await world.register(given_names="Mario", family_name="Pérez")
    assert await world.found("maria lopez") == [case["case_id"]]
    assert await world.found("  NUÑEZ   carmen ") == [case["case_id"]]
    assert await world.found("gt123456") == [case["case_id"]]
    answer = (await world.search("Maria Lopez")).json()
    ref = case["people"][0]["person_ref"]
    assert answer["total"] == 1
    assert answer["items"][0]["matched_people"] == [ref]
    assert await world.found("maria perez") == []  # every word must be one of the same person
    assert await world.found("lop") == []  # whole words only


async def test_the_index_holds_digests_only(world: World) -> None:
    await world.register(**MARIA, travel_document=DOCUMENT)
    rows = await world.index_rows()
    assert {r.field for r in rows} == {"given_names", "family_name", "travel_document_number"}
    stored = " ".join(f"{r.digest} {r.kind} {r.field} {r.key_id}" for r in rows).casefold()
    for word in ("maria", "carmen", "lopez", "nunez", "123456", "gt"):
        assert word not in stored.replace("given_names", "").replace("document", "")


async def test_another_office_finds_nothing_and_logs_nothing(world: World) -> None:
    case = await world.register(**MARIA)
    ref = case["people"][0]["person_ref"]
    before = await vault_of(world.rt).access_log(ref)
    assert await world.found("maria lopez", token="caseworker-b") == []
    assert await vault_of(world.rt).access_log(ref) == before
    assert await world.found("maria lopez", token="data_protection_officer") == [case["case_id"]]


async def test_a_search_is_in_the_access_log_without_its_text(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    case = await world.register(**MARIA, travel_document=DOCUMENT)
    ref = case["people"][0]["person_ref"]
    with caplog.at_level(logging.DEBUG):
        assert await world.found("carmen nunez") == [case["case_id"]]
        assert await world.found("GT 123456") == [case["case_id"]]
    searches = [a for a in await vault_of(world.rt).access_log(ref) if a.purpose == "search"]
    assert [(a.actor_id, a.role, a.fields) for a in searches] == [
        ("u-caseworker", "caseworker", ("family_name", "given_names")),
        ("u-caseworker", "caseworker", ("travel_document_number",)),
    ]
    text = caplog.text.casefold()
    assert "carmen" not in text and "nunez" not in text and "123456" not in text


async def test_erasure_destroys_the_index_with_the_key(world: World) -> None:
    case = await world.register(**MARIA, travel_document=DOCUMENT)
    ref = case["people"][0]["person_ref"]
    assert await world.found("maria lopez") == [case["case_id"]]
    await erase_on_request(world.rt, ref, DPO, override_reason="test_erasure")
    assert await world.found("maria lopez") == []
    assert await world.found("gt123456") == []
    assert [r for r in await world.index_rows() if r.person_ref == ref] == []


async def test_a_correction_moves_the_index_with_the_record(world: World) -> None:
    case = await world.register(**MARIA, travel_document=DOCUMENT)
    ref = case["people"][0]["person_ref"]
    fix = {"version": case["version"], "people": [{"person_ref": ref, "family_name": "Ruiz"}]}
    fixed = await world.http.patch(
        f"/api/cases/{case['case_id']}", json=fix, headers=bearer("caseworker")
    )
    assert fixed.status_code == 200, fixed.text
    assert await world.found("maria ruiz") == [case["case_id"]]
    assert await world.found("maria lopez") == []
    assert await world.found("gt123456") == [case["case_id"]]  # untouched fields stay


async def test_reindex_builds_the_index_of_people_registered_before_it(world: World) -> None:
    case = await world.register(**MARIA, travel_document=DOCUMENT)
    async with world.rt.db("privacy").unit_of_work() as uow:  # as before privacy_0004
        await uow.session.execute(delete(search_index))
        await uow.commit()
    assert await world.found("maria lopez") == []
    report = await indexing.reindex(world.rt)
    assert report.records == 1
    assert await world.found("maria lopez") == [case["case_id"]]
    again = await indexing.reindex(world.rt)
    assert again.records == 1
    assert len(await world.index_rows()) == 6  # maria, del, carmen, lopez, nunez, document


@pytest.mark.parametrize("q", ["", " - ", "x" * 201, "a b c d e f g h i"])
async def test_a_search_without_words_is_a_422_naming_q(world: World, q: str) -> None:
    answer = await world.search(q)
    assert answer.status_code == 422, answer.text
    assert {e["field"] for e in answer.json()["errors"]} & {"q", "body.q"}


async def test_roles_without_personal_data_cannot_search(world: World) -> None:
    await world.register(**MARIA)
    for role in ("auditor", "evaluator", "admin"):
        assert (await world.search("maria", token=role)).status_code == 403
