"""The auditor's pages in a real Chromium, over every service: verify the log's chain, read a
query and download it as CSV (no personal data in it), the half-year summary in English;
axe on every page; another role is refused."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser

from services.kit.definition import Runtime
from tests.browser.conftest import Served, axe_violations
from tests.browser.test_privacy_pages import SENTINEL, a_case, sign_in, system, user
from tests.support import InProcessFlow

__all__ = ["system"]  # the fixture, shared with the DPO's pages


async def test_an_auditor_verifies_the_chain_and_downloads_a_query_as_csv(
    browser: Browser, system: tuple[Served, Runtime, InProcessFlow], tmp_path: Path
) -> None:
    server, rt, flow = system
    _case_id, ref = await a_case(server, rt, flow)
    auditor, _ = await user(rt, "auditor", [])
    page = await sign_in(browser, server.url, auditor)

    await page.get_by_role("link", name="Auditoría").click()
    assert await axe_violations(page) == []
    await page.get_by_role("link", name="Verificar la cadena del registro").click()
    await page.get_by_role("button", name="Verificar ahora").click()
    assert await page.locator("#outcome").inner_text() == "El registro está íntegro"
    assert await axe_violations(page) == []

    await page.goto(server.url + "/audit/reports/events")
    await page.get_by_label("Tipo de evento").fill("registration.return_registered")
    await page.get_by_role("button", name="Mostrar").click()
    assert await page.locator("tbody tr").count() == 1
    assert await axe_violations(page) == []
    async with page.expect_download() as waiting:
        await page.get_by_role("link", name="Descargar en CSV").click()
    download = await waiting.value
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    assert text.startswith("position,") and "registration.return_registered" in text
    assert ref in text and SENTINEL not in text

    await page.goto(server.url + "/audit/reports/commitments")
    await page.get_by_label("Desde (AAAA-MM-DD)").fill("ayer")
    await page.get_by_role("button", name="Mostrar").click()
    assert "Revise las fechas" in await page.get_by_role("alert").inner_text()
    assert await page.get_by_label("Desde (AAAA-MM-DD)").input_value() == "ayer"
    assert await axe_violations(page) == []

    await page.goto(server.url + "/audit/summary?lang=en")
    assert await page.locator("h1").inner_text() == "Semi-annual summary"
    assert await page.locator("#log-intact").inner_text() == "yes"
    assert await axe_violations(page) == []
    assert SENTINEL not in await page.content()


async def test_a_caseworker_gets_the_403_page_for_the_auditors_pages(
    browser: Browser, system: tuple[Served, Runtime, InProcessFlow]
) -> None:
    server, rt, _flow = system
    worker, _ = await user(rt, "caseworker", ["GT-GUA"])
    page = await sign_in(browser, server.url, worker)
    assert await page.get_by_role("link", name="Auditoría").count() == 0
    answer = await page.goto(server.url + "/audit/reports/events/csv")
    assert answer is not None and answer.status == 403
    assert await page.locator("h1").inner_text() == "No corresponde a su rol"
