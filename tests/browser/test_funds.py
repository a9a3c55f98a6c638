"""The supervisor's pages in a real Chromium: record a pledge and a receipt typed the Spanish
way, see a wrong amount refused next to its field, pay out the commitment funding made when
the case was screened; axe-core on every page; the funds page in English too."""

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
from tests.support import InProcessFlow, case_request, fund_request, open_runtime, register_case

PASSWORD = "correct horse battery staple"
OFFICE = "GT-GUA"


@pytest.fixture
async def system(tmp_path: Path) -> AsyncIterator[tuple[Served, Runtime, InProcessFlow]]:
    services = all_services()
    rt = await open_runtime(Settings(data_dir=tmp_path), services)
    async with Served(create_app(rt, services)) as server:
        yield server, rt, InProcessFlow(rt, services)
    await close_runtime(rt)


async def user(rt: Runtime, role: str) -> tuple[str, dict[str, str]]:
    name = f"{role[:4]}-{uuid.uuid4().hex[:6]}"
    _user, token = await usecases.add_user(rt, name, role, [OFFICE])
    await usecases.set_password(rt, name, PASSWORD)
    return name, {"Authorization": f"Bearer {token}"}


async def sign_in(browser: Browser, base: str, name: str) -> Page:
    page = await (await browser.new_context(locale="es-MX")).new_page()
    await page.goto(base + "/")
    await page.get_by_label("Usuario").fill(name)
    await page.get_by_label("Contraseña").fill(PASSWORD)
    await page.get_by_role("button", name="Iniciar sesión").click()
    return page


async def no_violations(page: Page) -> None:
    found = await axe_violations(page)
    assert found == [], [(v["id"], v["nodes"][0]["html"]) for v in found]


async def test_a_supervisor_records_a_pledge_and_a_receipt_and_pays_out_a_commitment(
    browser: Browser, system: tuple[Served, Runtime, InProcessFlow]
) -> None:
    server, rt, flow = system
    supervisor, sup_api = await user(rt, "supervisor")
    _cw, cw_api = await user(rt, "caseworker")
    period = str(rt.clock().year)
    async with httpx.AsyncClient(base_url=server.url) as http:
        made = await http.post("/api/funds", json=fund_request(period), headers=sup_api)
        assert made.status_code == 201, made.text
    await flow.run()

    page = await sign_in(browser, server.url, supervisor)
    await page.get_by_role("link", name="Fondos").click()
    assert await page.locator("h1").inner_text() == "Fondos"
    await no_violations(page)
    await page.get_by_role("link", name=period).click()
    assert await page.locator("h1").inner_text() == f"Fondo {period}"

    pledge = page.locator("#pledge-form")
    await pledge.get_by_label("Miembro").select_option("CA")
    await pledge.get_by_label("Importe (USD)").fill("12.5")  # the English way: refused
    await pledge.get_by_role("button", name="Registrar la promesa").click()
    problem = page.locator("#pledge-amount-problem")
    assert "No es un importe" in await problem.inner_text()
    assert await page.locator("#pledge-amount").input_value() == "12.5"
    await no_violations(page)
    await page.locator("#pledge-amount").fill("1.000,00")
    await page.locator("#pledge-form").get_by_role("button", name="Registrar la promesa").click()
    assert await page.get_by_role("status").inner_text() == "La promesa está registrada."

    receipt = page.locator("#receipt-form")
    await receipt.get_by_label("Miembro").select_option("CA")
    await receipt.get_by_label("Importe (USD)").fill("5.000,00")
    await receipt.get_by_role("button", name="Registrar el ingreso").click()
    assert await page.get_by_role("status").inner_text() == "El ingreso está registrado."
    assert "5000,00" in (await page.locator("#available").inner_text()).replace(".", "")

    async with httpx.AsyncClient(base_url=server.url) as http:
        await flow.run()
        body = case_request(office=OFFICE, fund_period=period)
        created = await register_case(http, body, cw_api)
        assert created.status_code == 201, created.text
        screened = await http.post(
            f"/api/cases/{created.json()['case_id']}/transitions",
            json={"to": "eligible", "reason_code": "meets_criteria"},
            headers=cw_api,
        )
        assert screened.status_code == 200, screened.text
    await flow.run()  # funding commits the registered USD 250 of transport

    await page.get_by_role("link", name="Compromisos").first.click()
    assert await page.locator("tbody tr").count() == 1
    await no_violations(page)
    await page.locator("tbody tr").first.get_by_role("link", name="Pagar").click()
    assert await page.locator("h1").inner_text() == "Compromiso"
    pay = page.locator("#pay-form")
    await pay.get_by_label("Línea de costo").select_option("transport")
    await pay.get_by_label("Importe (USD)").fill("250,00")
    await pay.get_by_role("button", name="Registrar el pago").click()
    assert await page.get_by_role("status").inner_text() == "El pago está registrado."
    assert "0,00" in await page.locator("#left").inner_text()
    assert await page.get_by_text("No queda nada por pagar en este compromiso.").is_visible()
    await no_violations(page)

    await page.get_by_role("link", name="Pagos").first.click()
    assert await page.locator("tbody tr").count() == 1
    await no_violations(page)

    await page.goto(server.url + f"/funds/{period}?lang=en")
    assert await page.locator("h1").inner_text() == f"Fund {period}"
    assert "$5,000.00" in await page.locator("#available").inner_text() or "$4,750.00" in (
        await page.locator("#available").inner_text()
    )
    await no_violations(page)
