"""Search by name in a real Chromium: a name with accents typed without them finds the case;
another office's caseworker finds nothing; the text is never in a URL; axe finds nothing
serious."""

from __future__ import annotations

import httpx
from playwright.async_api import Browser

from services.kit.definition import Runtime
from tests.browser.conftest import Served, axe_violations
from tests.browser.test_cases_page import person, sign_in, system
from tests.support import InProcessFlow, case_request, fund_request, person_request

__all__ = ["system"]  # the fixture, shared with the cases page's tests


async def test_a_caseworker_finds_a_person_by_name_typed_without_accents(
    browser: Browser, system: tuple[Served, Runtime, InProcessFlow]
) -> None:
    server, rt, flow = system
    _sup, sup_token = await person(rt, "supervisor", ["GT-GUA"])
    ana, ana_token = await person(rt, "caseworker", ["GT-GUA"])
    other, _ = await person(rt, "caseworker", ["MX-TAP"])
    period = str(rt.clock().year)
    async with httpx.AsyncClient(base_url=server.url) as http:
        sup = {"Authorization": f"Bearer {sup_token}"}
        assert (await http.post("/api/funds", json=fund_request(period), headers=sup)).is_success
        await flow.run()
        cw = {"Authorization": f"Bearer {ana_token}"}
        for given, family in (("María del Carmen", "López"), ("Rosa", "Pérez")):
            people = [person_request(given_names=given, family_name=family)]
            body = case_request(office="GT-GUA", fund_period=period, people=people)
            assert (await http.post("/api/cases", json=body, headers=cw)).status_code == 201

    page = await sign_in(browser, server.url, ana)
    await page.goto(server.url + "/cases")
    assert await page.locator("tbody tr").count() == 2
    await page.get_by_label("Nombre o número de documento").fill("maria lopez")
    await page.get_by_role("button", name="Buscar").click()
    assert await page.locator("tbody tr").count() == 1
    assert "GT-GUA" in await page.locator("tbody tr").first.inner_text()
    assert "maria" not in page.url.casefold()  # posted, never in the URL
    assert await page.get_by_label("Nombre o número de documento").input_value() == "maria lopez"
    assert await axe_violations(page) == []

    await page.get_by_label("Nombre o número de documento").fill(" -- ")
    await page.get_by_role("button", name="Buscar").click()
    assert await page.get_by_role("alert").inner_text() == (
        "Escriba un nombre o un número de documento para buscar: como máximo 8 palabras y "
        "200 caracteres."
    )
    assert await axe_violations(page) == []

    elsewhere = await sign_in(browser, server.url, other)
    await elsewhere.goto(server.url + "/cases")
    await elsewhere.get_by_label("Nombre o número de documento").fill("maria lopez")
    await elsewhere.get_by_role("button", name="Buscar").click()
    assert await elsewhere.locator("tbody tr").count() == 0
    assert await elsewhere.get_by_text("Ningún caso coincide.").is_visible()
