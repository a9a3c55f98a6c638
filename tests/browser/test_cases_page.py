"""The cases page in a real Chromium: a caseworker sees their office's cases (the same query
as the API), another office's caseworker does not, a role without cases.read is refused."""

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
from services.kit.settings import Settings
from services.runtime.composition import close_runtime
from services.runtime.registry import all_services
from tests.browser.conftest import Served, axe_violations
from tests.support import InProcessFlow, case_request, fund_request, open_runtime

PASSWORD = "correct horse battery staple"


@pytest.fixture
async def system(tmp_path: Path) -> AsyncIterator[tuple[Served, Runtime, InProcessFlow]]:
    services = all_services()
    rt = await open_runtime(Settings(data_dir=tmp_path), services)
    async with Served(create_app(rt, services)) as server:
        yield server, rt, InProcessFlow(rt, services)
    await close_runtime(rt)


async def person(rt: Runtime, role: str, offices: list[str]) -> tuple[str, str]:
    """A user with a password for the UI and a token for the API."""
    name = f"{role[:4]}-{uuid.uuid4().hex[:6]}"
    _user, token = await usecases.add_user(rt, name, role, offices)
    await usecases.set_password(rt, name, PASSWORD)
    return name, token


async def sign_in(browser: Browser, base: str, name: str) -> Page:
    page = await (await browser.new_context(locale="es-MX")).new_page()
    await page.goto(base + "/")
    await page.get_by_label("Usuario").fill(name)
    await page.get_by_label("Contraseña").fill(PASSWORD)
    await page.get_by_role("button", name="Iniciar sesión").click()
    return page


async def test_a_caseworker_sees_the_cases_of_their_office_and_no_other(
    browser: Browser, system: tuple[Served, Runtime, InProcessFlow]
) -> None:
    server, rt, flow = system
    _sup, sup_token = await person(rt, "supervisor", ["GT-GUA"])
    ana, ana_token = await person(rt, "caseworker", ["GT-GUA"])
    other, _ = await person(rt, "caseworker", ["MX-TAP"])
    auditor, _ = await person(rt, "auditor", [])
    period = str(rt.clock().year)
    async with httpx.AsyncClient(base_url=server.url) as http:
        sup = {"Authorization": f"Bearer {sup_token}"}
        assert (await http.post("/api/funds", json=fund_request(period), headers=sup)).is_success
        await flow.run()
        body = case_request(office="GT-GUA", fund_period=period)
        created = await http.post(
            "/api/cases", json=body, headers={"Authorization": f"Bearer {ana_token}"}
        )
        assert created.status_code == 201, created.text

    page = await sign_in(browser, server.url, ana)
    await page.get_by_role("link", name="Casos").click()
    assert await page.locator("h1").inner_text() == "Casos"
    rows = page.locator("tbody tr")
    assert await rows.count() == 1
    row = await rows.first.inner_text()
    assert "GT-GUA" in row and "registrado" in row and "MX → GT" in row
    assert await axe_violations(page) == []
    await page.get_by_label("Estado").select_option("closed")
    await page.get_by_role("button", name="Filtrar").click()
    assert await page.get_by_text("Ningún caso coincide.").is_visible()

    elsewhere = await sign_in(browser, server.url, other)
    await elsewhere.goto(server.url + "/cases")
    assert await elsewhere.locator("tbody tr").count() == 0
    assert await elsewhere.get_by_text("Ningún caso coincide.").is_visible()

    refused = await sign_in(browser, server.url, auditor)
    assert await refused.get_by_role("link", name="Casos").count() == 0
    answer = await refused.goto(server.url + "/cases")
    assert answer is not None and answer.status == 403
    assert await refused.locator("h1").inner_text() == "No corresponde a su rol"


async def test_the_cases_page_sends_a_person_without_a_session_to_sign_in(
    browser: Browser, system: tuple[Served, Runtime, InProcessFlow]
) -> None:
    server, _rt, _flow = system
    page = await browser.new_page()
    await page.goto(server.url + "/cases?status=eligible")
    assert "/sign-in?next=/cases%3Fstatus%3Deligible" in page.url
