"""The caseworker's forms over HTTP (no browser), on the whole system with real SQLite files:
a refused registration is shown again with what was typed and the message by the field, and
stores nothing; a form without its CSRF token is refused; another office's case is the 403
page; opening personal data with a purpose writes the access log."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from services.api import usecases
from services.edge.app import create_app
from services.kit.definition import Runtime
from services.kit.settings import Settings
from services.kit.vault import VAULT
from services.registration import store as registration_store
from services.runtime.composition import close_runtime
from services.runtime.registry import all_services
from tests.support import InProcessFlow, client, fund_request, open_runtime

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


@dataclass
class System:
    rt: Runtime
    app: FastAPI
    http: httpx.AsyncClient
    flow: InProcessFlow
    period: str


@pytest.fixture
async def system(tmp_path: Path) -> AsyncIterator[System]:
    services = all_services()
    rt = await open_runtime(Settings(data_dir=tmp_path), services)
    flow = InProcessFlow(rt, services)
    period = str(rt.clock().year)
    _user, token = await usecases.add_user(rt, "sup-gt", "supervisor", ["GT-GUA"])
    app = create_app(rt, services)
    async with client(app) as http:
        made = await http.post(
            "/api/funds", json=fund_request(period), headers={"Authorization": f"Bearer {token}"}
        )
        assert made.status_code == 201, made.text
        received = await http.post(
            f"/api/funds/{period}/receipts",
            json={"member": "CA", "amount": "20000.00", "on": rt.clock().date().isoformat()},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert received.status_code == 201, received.text
        await flow.run()
        yield System(rt, app, http, flow, period)
    await close_runtime(rt)


async def signed_in(system: System, office: str = "GT-GUA") -> httpx.AsyncClient:
    """A client with a caseworker's session (its own cookies), in English."""
    name = f"cw-{uuid.uuid4().hex[:6]}"
    await usecases.add_user(system.rt, name, "caseworker", [office])
    await usecases.set_password(system.rt, name, PASSWORD)
    http = client(system.app)
    http.headers["Accept-Language"] = "en"
    form = await http.get("/sign-in")
    token = CSRF.search(form.text)
    assert token is not None
    done = await http.post(
        "/sign-in",
        data={"username": name, "password": PASSWORD, "csrf_token": token.group(1), "next": "/"},
    )
    assert done.status_code == 303, done.text
    return http


async def csrf_of(http: httpx.AsyncClient, path: str) -> str:
    found = CSRF.search((await http.get(path)).text)
    assert found is not None
    return found.group(1)


def family(**changes: str) -> dict[str, Any]:
    """The registration form of a mother and her son, as a browser posts it."""
    form: dict[str, Any] = {
        "people_count": "2",
        "lines_count": "2",
        "office": "GT-GUA",
        "requester.type": "civil_society_organisation",
        "requester.name": "Casa del Migrante",
        "departure_country": "MX",
        "destination_country": "GT",
        "people.0.given_names": "Ana Maria",
        "people.0.family_name": "Lopez",
        "people.0.date_of_birth": "1990-03-04",
        "people.0.sex": "female",
        "people.0.nationality": "GT",
        "people.0.vulnerability_categories": ["woman_at_risk"],
        "people.0.consents.assistance": "yes",
        "people.0.consents.follow_up_contact": "yes",
        "people.1.given_names": "Pablo",
        "people.1.family_name": "Lopez",
        "people.1.date_of_birth": "2015-06-01",
        "people.1.sex": "male",
        "people.1.nationality": "GT",
        "people.1.vulnerability_categories": ["woman_at_risk"],
        "people.1.consents.assistance": "yes",
        "requested.0.person": "all",
        "requested.0.category": "transport",
        "requested.0.amount": "120.00",
        "requested.0.currency": "USD",
        "requested.1.amount": "",
        "action": "register",
    }
    form.update(changes)
    return form


async def stored_cases(rt: Runtime) -> int:
    async with rt.db("registration").reading() as session:
        return int(
            (
                await session.execute(select(func.count()).select_from(registration_store.cases))
            ).scalar_one()
        )


async def test_a_family_registered_through_the_form_lands_on_its_case_page(
    system: System,
) -> None:
    http = await signed_in(system)
    form = family(csrf_token=await csrf_of(http, "/cases/new"))

    done = await http.post("/cases/new", data=form)

    assert done.status_code == 303, done.text
    page = await http.get(done.headers["location"])
    assert page.status_code == 200
    assert "Person 2" in page.text and "MX → GT" in page.text
    assert "Ana Maria" not in page.text  # personal data is hidden until asked for
    assert "Declare eligible" in page.text and "funding approved" not in page.text
    assert await stored_cases(system.rt) == 1


async def test_a_category_that_the_birth_date_contradicts_is_refused_by_the_field_and_nothing_is_stored(
    system: System,
) -> None:
    http = await signed_in(system)
    form = family(
        **{
            "csrf_token": await csrf_of(http, "/cases/new"),
            "people.0.vulnerability_categories": ["unaccompanied_minor"],
        }
    )

    refused = await http.post("/cases/new", data=form)

    assert refused.status_code == 422
    assert 'id="people.0.vulnerability_categories-problem"' in refused.text
    assert "The case was not registered. Check the fields marked below." in refused.text
    assert "by the date of birth the person is not under 18" in refused.text
    assert 'value="Ana Maria"' in refused.text and 'value="Casa del Migrante"' in refused.text
    assert 'value="unaccompanied_minor" checked' in refused.text
    assert await stored_cases(system.rt) == 0


async def test_a_date_of_birth_that_is_no_date_is_refused_by_the_field_with_what_was_typed(
    system: System,
) -> None:
    http = await signed_in(system)
    form = family(
        **{"csrf_token": await csrf_of(http, "/cases/new"), "people.1.date_of_birth": "2015-13-45"}
    )

    refused = await http.post("/cases/new", data=form)

    assert refused.status_code == 422
    assert 'id="people.1.date_of_birth-problem"' in refused.text
    assert "Enter the date of birth as year-month-day." in refused.text
    assert 'value="2015-13-45"' in refused.text
    assert await stored_cases(system.rt) == 0


async def test_a_date_of_birth_in_the_future_is_refused_by_the_domain_rule(system: System) -> None:
    http = await signed_in(system)
    later = date(system.rt.clock().year + 1, 1, 1).isoformat()
    form = family(
        **{"csrf_token": await csrf_of(http, "/cases/new"), "people.0.date_of_birth": later}
    )

    refused = await http.post("/cases/new", data=form)

    assert refused.status_code == 422
    assert "The date of birth is in the future." in refused.text
    assert await stored_cases(system.rt) == 0


async def test_the_form_is_refused_in_spanish_when_the_person_reads_spanish(system: System) -> None:
    http = await signed_in(system)
    http.headers["Accept-Language"] = "es"
    form = family(**{"csrf_token": await csrf_of(http, "/cases/new"), "people.0.family_name": ""})

    refused = await http.post("/cases/new", data=form)

    assert refused.status_code == 422
    assert 'id="people.0.family_name-problem"' in refused.text
    assert "Complete este campo." in refused.text


async def test_a_form_without_its_csrf_token_is_refused_and_stores_nothing(system: System) -> None:
    http = await signed_in(system)

    refused = await http.post("/cases/new", data=family(csrf_token="0" * 64))

    assert refused.status_code == 403
    assert "This form expired" in refused.text
    assert await stored_cases(system.rt) == 0


async def test_adding_a_person_shows_the_form_again_with_one_more_row_and_what_was_typed(
    system: System,
) -> None:
    http = await signed_in(system)
    form = family(csrf_token=await csrf_of(http, "/cases/new"), action="add_person")

    again = await http.post("/cases/new", data=form)

    assert again.status_code == 200
    assert 'id="people.2.given_names"' in again.text
    assert 'value="Pablo"' in again.text
    assert await stored_cases(system.rt) == 0


async def test_another_offices_caseworker_gets_the_403_page_and_cannot_act_on_the_case(
    system: System,
) -> None:
    http = await signed_in(system)
    done = await http.post("/cases/new", data=family(csrf_token=await csrf_of(http, "/cases/new")))
    case_path = done.headers["location"]
    other = await signed_in(system, office="MX-TAP")

    seen = await other.get(case_path)
    assert seen.status_code == 403
    token = await csrf_of(other, "/cases")
    moved = await other.post(
        case_path + "/transitions",
        data={"to": "eligible", "reason_code": "meets_criteria", "csrf_token": token},
    )
    assert moved.status_code == 403
    shown = await other.post(
        case_path + "/personal", data={"purpose": "assistance", "csrf_token": token}
    )
    assert shown.status_code == 403
    listed = await other.get("/cases")
    assert case_path not in listed.text
    missing = await other.get(f"/cases/{uuid.uuid4()}")
    assert missing.status_code == 404
    mine = await http.get(case_path)
    assert "registered" in mine.text and "Declare eligible" in mine.text


async def test_showing_personal_data_with_a_purpose_writes_the_access_log(system: System) -> None:
    http = await signed_in(system)
    done = await http.post("/cases/new", data=family(csrf_token=await csrf_of(http, "/cases/new")))
    case_path = done.headers["location"]
    page = await http.get(case_path)
    ref = re.search(r"p_[0-9a-f]{32}", page.text)
    assert ref is not None
    vault = system.rt.part(VAULT)
    before = await vault.access_log(ref.group(0))

    without = await http.post(case_path + "/personal", data={"purpose": "assistance"})
    assert without.status_code == 403  # no CSRF token: nothing opened
    assert await vault.access_log(ref.group(0)) == before
    shown = await http.post(
        case_path + "/personal",
        data={"purpose": "follow_up_contact", "csrf_token": await csrf_of(http, case_path)},
    )

    assert shown.status_code == 200
    assert "Ana Maria" in shown.text and "Pablo" in shown.text
    after = await vault.access_log(ref.group(0))
    assert len(after) == len(before) + 1
    assert after[-1].purpose == "case_management:follow_up_contact"
    assert after[-1].actor_id.startswith("cw-")


async def registered(system: System, http: httpx.AsyncClient, **changes: Any) -> str:
    form = family(csrf_token=await csrf_of(http, "/cases/new"), **changes)
    done = await http.post("/cases/new", data=form)
    assert done.status_code == 303, done.text
    return str(done.headers["location"])


async def move(
    http: httpx.AsyncClient, case_path: str, to: str, reason: str = ""
) -> httpx.Response:
    token = await csrf_of(http, case_path)
    return await http.post(
        case_path + "/transitions", data={"to": to, "reason_code": reason, "csrf_token": token}
    )


async def test_the_home_page_counts_the_cases_to_screen_with_links(system: System) -> None:
    http = await signed_in(system)
    case_path = await registered(system, http)

    home = await http.get("/")

    assert "Cases to screen: 1" in home.text
    assert f'href="{case_path}"' in home.text
    elsewhere = await (await signed_in(system, office="MX-TAP")).get("/")
    assert "Cases to screen: 0" in elsewhere.text and case_path not in elsewhere.text


async def test_a_screening_the_checks_refuse_is_shown_with_the_failed_checks(
    system: System,
) -> None:
    http = await signed_in(system)
    case_path = await registered(system, http, **{"people.1.nationality": "SV"})

    refused = await move(http, case_path, "eligible", "meets_criteria")

    assert refused.status_code == 409
    assert "someone returns to a country not their nationality" in refused.text
    assert "registered" in (await http.get(case_path)).text
    illegal = await move(http, case_path, "departed")
    assert illegal.status_code == 409
    assert "This step is not possible from the case&#39;s status." in illegal.text


async def arrived_case(system: System, http: httpx.AsyncClient) -> tuple[str, list[str]]:
    """A family registered, screened, funded and arrived: its path and its plans' paths."""
    case_path = await registered(system, http)
    assert (await move(http, case_path, "eligible", "meets_criteria")).status_code == 303
    await system.flow.run()
    for to in ("documents_ready", "departed", "arrived"):
        assert (await move(http, case_path, to)).status_code == 303
    await system.flow.run()
    page = await http.get(case_path)
    plans = re.findall(r'action="(/cases/[^"]+/plans/[^"]+/contacts)"', page.text)
    assert len(plans) == 2, page.text
    return case_path, plans


async def contacts_stored(rt: Runtime) -> int:
    from services.reintegration import store as reintegration_store

    async with rt.db("reintegration").reading() as session:
        count = select(func.count()).select_from(reintegration_store.contacts)
        return int((await session.execute(count)).scalar_one())


async def test_a_contact_refused_shows_the_case_page_again_with_the_message_by_the_field(
    system: System,
) -> None:
    http = await signed_in(system)
    case_path, plans = await arrived_case(system, http)
    today = system.rt.clock().date().isoformat()
    token = await csrf_of(http, case_path)

    no_residence = await http.post(
        plans[0],
        data={
            "on": today,
            "method": "call",
            "outcome": "reached",
            "note": "Called at noon",
            "survey.income_source": "regular",
            "csrf_token": token,
        },
    )
    assert no_residence.status_code == 422
    assert "Choose where the person lives now." in no_residence.text
    assert "Called at noon" in no_residence.text  # what was typed is kept
    assert 'value="regular" selected' in no_residence.text
    without_consent = await http.post(
        plans[1],
        data={
            "on": today,
            "method": "call",
            "outcome": "reached",
            "residence": "same_community",
            "csrf_token": token,
        },
    )
    assert without_consent.status_code == 403
    assert "Without consent to follow-up, record “no consent”." in without_consent.text
    no_token = await http.post(
        plans[1], data={"on": today, "method": "call", "outcome": "no_consent"}
    )
    assert no_token.status_code == 403
    assert await contacts_stored(system.rt) == 0

    done = await http.post(
        plans[1], data={"on": today, "method": "call", "outcome": "no_consent", "csrf_token": token}
    )
    assert done.status_code == 303
    assert await contacts_stored(system.rt) == 1


async def test_the_home_page_shows_the_follow_ups_as_they_will_stand_on_a_later_day(
    system: System,
) -> None:
    http = await signed_in(system)
    await arrived_case(system, http)
    today = system.rt.clock().date()

    now = await http.get("/")
    assert "Follow-ups overdue: 0" in now.text and "Plans missing: 2" in now.text
    ahead = await http.get("/", params={"as_of": (today + timedelta(days=120)).isoformat()})
    assert ahead.status_code == 200
    assert (
        "Follow-ups overdue: 2" in ahead.text and "Back to today" in ahead.text
    )  # both 3-month contacts
    past = await http.get("/", params={"as_of": (today - timedelta(days=1)).isoformat()})
    assert past.status_code == 200 and 'aria-invalid="true"' in past.text
    assert "Choose a day, today or later" in past.text and "Follow-ups overdue: 0" in past.text
    garbled = await http.get("/", params={"as_of": "<b>soon</b>"})
    assert "Choose a day, today or later" in garbled.text and "<b>soon" not in garbled.text
