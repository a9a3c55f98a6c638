"""The data protection officer's pages in a real Chromium, over every service: find a person,
read what is held about them (logged), place and lift a legal hold, erase them, after which
the registration service's case and the case page show them as erased; axe on every page; English
too."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page

from services.api import usecases
from services.edge.app import create_app
from services.kit.definition import Runtime
from services.kit.identity import Principal
from services.kit.settings import Settings
from services.registration.queries import cases as case_queries
from services.runtime.composition import close_runtime
from services.runtime.registry import all_services
from tests.browser.conftest import Served, axe_violations
from tests.support import InProcessFlow, case_request, fund_request, open_runtime, person_request

PASSWORD = "correct horse battery staple"
SENTINEL = "Zzyzxquonk"
OFFICE = "GT-GUA"


@pytest.fixture
async def system(tmp_path: Path) -> AsyncIterator[tuple[Served, Runtime, InProcessFlow]]:
    services = all_services()
    rt = await open_runtime(Settings(data_dir=tmp_path), services)
    async with Served(create_app(rt, services)) as server:
        yield server, rt, InProcessFlow(rt, services)
    await close_runtime(rt)


async def user(rt: Runtime, role: str, offices: list[str]) -> tuple[str, str]:
    name = f"{role[:4]}-{uuid.uuid4().hex[:6]}"
    _user, token = await usecases.add_user(rt, name, role, offices)
    await usecases.set_password(rt, name, PASSWORD)
    return name, token


async def a_case(server: Served, rt: Runtime, flow: InProcessFlow) -> tuple[uuid.UUID, str]:
    """A fund and a registered case of one person named with the sentinel: its id, their ref."""
    _sup, token = await user(rt, "supervisor", [OFFICE])
    period = str(rt.clock().year)
    async with httpx.AsyncClient(base_url=server.url) as http:
        headers = {"Authorization": f"Bearer {token}"}
        assert (
            await http.post("/api/funds", json=fund_request(period), headers=headers)
        ).is_success
        await flow.run()
        body = case_request(
            office=OFFICE, fund_period=period, people=[person_request(family_name=SENTINEL)]
        )
        created = await http.post("/api/cases", json=body, headers=headers)
        assert created.status_code == 201, created.text
    await flow.run()
    return uuid.UUID(created.json()["case_id"]), created.json()["people"][0]["person_ref"]


async def sign_in(browser: Browser, base: str, name: str, locale: str = "es-MX") -> Page:
    page = await (await browser.new_context(locale=locale)).new_page()
    await page.goto(base + "/")
    await page.locator("#username").fill(name)
    await page.locator("#password").fill(PASSWORD)
    await page.locator("form button[type=submit]").last.click()
    return page


async def test_the_dpo_reads_holds_and_erases_a_person_whom_the_case_then_shows_erased(
    browser: Browser, system: tuple[Served, Runtime, InProcessFlow]
) -> None:
    server, rt, flow = system
    case_id, ref = await a_case(server, rt, flow)
    officer, _ = await user(rt, "data_protection_officer", [])
    page = await sign_in(browser, server.url, officer)

    await page.get_by_role("link", name="Protección de datos").click()
    assert await axe_violations(page) == []
    await page.get_by_label("Referencia de la persona").fill(ref)
    await page.get_by_role("button", name="Buscar").click()
    assert await page.locator("h1").inner_text() == f"Persona {ref}"
    assert SENTINEL not in await page.content()  # no personal data without subject access
    assert await axe_violations(page) == []

    await page.get_by_role("button", name="Mostrar todo lo que se guarda").click()
    assert SENTINEL in await page.locator("main").inner_text()
    assert await axe_violations(page) == []
    await page.get_by_role("link", name="Volver a la persona").click()

    await page.get_by_label("Motivo de una nueva retención legal").fill("Orden judicial 12/2026")
    await page.get_by_role("button", name="Poner una retención legal").click()
    assert await page.get_by_role("status").inner_text() == (
        "Se puso la retención legal: ahora los datos de la persona no pueden borrarse."
    )
    await page.get_by_role("link", name="Borrar los datos de esta persona").click()
    assert await page.locator("#held").is_visible()
    assert await page.get_by_role("button", name="Borrar los datos definitivamente").count() == 0
    assert await axe_violations(page) == []
    await page.get_by_role("link", name="Ver las retenciones legales").click()
    await page.get_by_role("button", name="Levantar la retención").click()
    assert await page.get_by_role("status").inner_text() == "Se levantó la retención legal."

    await page.get_by_role("link", name="Borrar los datos de esta persona").click()
    assert await page.locator("#destroyed").is_visible()
    await page.get_by_label("Código de motivo").fill("data_subject_objection")
    await page.get_by_label(f"Escriba la referencia {ref} para confirmar").fill(ref)
    await page.get_by_label("Entiendo que el borrado no puede deshacerse.").check()
    assert await axe_violations(page) == []
    await page.get_by_role("button", name="Borrar los datos definitivamente").click()
    assert "Se destruyó la clave" in await page.get_by_role("status").inner_text()
    assert "Borrados el" in await page.locator("#data-state").inner_text()

    await flow.run()  # privacy.personal_data_erased reaches registration
    detail = await case_queries.get_case(
        rt, Principal(user_id=officer, role="data_protection_officer"), case_id
    )
    person = detail.people[0]
    assert person.erased
    assert person.personal is None or all(v is None for v in person.personal.model_dump().values())

    await page.get_by_role("button", name="Mostrar todo lo que se guarda").click()
    assert await page.locator("#erased").is_visible()
    assert SENTINEL not in await page.content()

    # The case page says so too (the DPO reads cases of every office).
    await page.goto(f"{server.url}/cases/{case_id}")
    assert "(datos borrados)" in await page.locator("main").inner_text()
    assert SENTINEL not in await page.content()
    assert await axe_violations(page) == []


async def test_the_access_log_lists_the_reads_filters_them_and_speaks_english(
    browser: Browser, system: tuple[Served, Runtime, InProcessFlow]
) -> None:
    server, rt, flow = system
    _case_id, ref = await a_case(server, rt, flow)
    officer, _ = await user(rt, "data_protection_officer", [])
    page = await sign_in(browser, server.url, officer, locale="en-US")
    await page.goto(f"{server.url}/privacy/people/{ref}/data")  # a logged read

    await page.goto(server.url + "/")
    await page.get_by_role("link", name="Access log").click()
    assert await page.locator("h1").inner_text() == "Access log"
    await page.get_by_label("Read by (user)").fill(officer)
    await page.get_by_role("button", name="Filter").click()
    rows = page.locator("tbody tr")
    assert await rows.count() >= 1
    assert "subject_access" in await rows.first.inner_text()
    assert await axe_violations(page) == []
    await page.get_by_label("Person's reference").fill("nobody")
    await page.get_by_role("button", name="Filter").click()
    assert "Check the filters" in await page.get_by_role("alert").inner_text()
    assert await page.get_by_label("Person's reference").input_value() == "nobody"

    await page.goto(server.url + "/privacy")
    await page.get_by_role("link", name="Break-the-glass reads").click()
    assert await page.locator("h1").inner_text() == "Break-the-glass reads"
    assert await axe_violations(page) == []
