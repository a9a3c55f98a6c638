"""The caseworker's journey in a real Chromium, over the whole system (every service on real
SQLite files; events carried between services by ``InProcessFlow``, as the broker would):
register a family, screen it, see funding decide, open personal data with a purpose (the
access log records it), move the case to arrival and record a follow-up contact with the
survey. Another office's caseworker can neither open nor list the case. axe on every page."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, Response

from services.api import usecases
from services.edge.app import create_app
from services.kit.definition import Runtime
from services.kit.settings import Settings
from services.kit.vault import VAULT
from services.runtime.composition import close_runtime
from services.runtime.registry import all_services
from tests.browser.conftest import Served, axe_violations
from tests.support import InProcessFlow, fund_request, open_runtime

PASSWORD = "correct horse battery staple"
PAGE_BUDGET_BYTES = 150 * 1024


@pytest.fixture
async def system(tmp_path: Path) -> AsyncIterator[tuple[Served, Runtime, InProcessFlow]]:
    services = all_services()
    rt = await open_runtime(Settings(data_dir=tmp_path), services)
    flow = InProcessFlow(rt, services)
    _user, token = await usecases.add_user(rt, "sup-gt", "supervisor", ["GT-GUA"])
    async with Served(create_app(rt, services)) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            period, sup = str(rt.clock().year), {"Authorization": f"Bearer {token}"}
            made = await http.post("/api/funds", json=fund_request(period), headers=sup)
            assert made.status_code == 201, made.text
            received = await http.post(
                f"/api/funds/{period}/receipts",
                json={"member": "CA", "amount": "20000.00", "on": rt.clock().date().isoformat()},
                headers=sup,
            )
            assert received.status_code == 201, received.text
        await flow.run()
        yield server, rt, flow
    await close_runtime(rt)


async def sign_in(browser: Browser, rt: Runtime, base: str, office: str, locale: str) -> Page:
    name = f"cw-{uuid.uuid4().hex[:6]}"
    await usecases.add_user(rt, name, "caseworker", [office])
    await usecases.set_password(rt, name, PASSWORD)
    page = await (await browser.new_context(locale=locale)).new_page()
    page.set_default_timeout(5000)
    await page.goto(base + "/sign-in")
    await page.locator("#username").fill(name)
    await page.locator("#password").fill(PASSWORD)
    await page.locator("form[action='/sign-in'] button").click()
    await page.wait_for_url(base + "/")
    return page


async def no_violations(page: Page) -> None:
    found = await axe_violations(page)
    assert found == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in found]


async def fill_person(
    page: Page, i: int, given: str, born: str, category: str, *, follow_up: bool = True
) -> None:
    at = f"people.{i}."
    await page.locator(f"[id='{at}given_names']").fill(given)
    await page.locator(f"[id='{at}family_name']").fill("Lopez")
    await page.locator(f"[id='{at}date_of_birth']").fill(born)
    await page.locator(f"[id='{at}nationality']").fill("GT")
    await page.locator(f"[id='{at}sex']").select_option("female")
    await page.locator(f"input[name='{at}vulnerability_categories'][value='{category}']").check()
    await page.locator(f"input[name='{at}consents.assistance']").check()
    if follow_up:
        await page.locator(f"input[name='{at}consents.follow_up_contact']").check()


async def screenshot(page: Page, name: str) -> None:
    """With ``RETORNO_SCREENSHOTS=<dir>``, keep a picture of the page (the README shows
    the ones in ``docs/screenshots``)."""
    folder = os.environ.get("RETORNO_SCREENSHOTS")
    if folder:
        await page.screenshot(path=str(Path(folder) / f"caseworker-{name}.png"), full_page=True)


async def step(page: Page, name: str) -> None:
    await page.get_by_role("button", name=name).click()
    await page.wait_for_load_state()


async def test_a_caseworker_registers_a_family_and_follows_it_to_a_follow_up_contact(
    browser: Browser, system: tuple[Served, Runtime, InProcessFlow]
) -> None:
    server, rt, flow = system
    page = await sign_in(browser, rt, server.url, "GT-GUA", "en-US")
    await no_violations(page)  # the home page with its work lists
    await page.get_by_role("link", name="Register a case").first.click()
    assert await page.locator("h1").inner_text() == "Register a case"
    await no_violations(page)

    await page.locator("[id='requester.name']").fill("Casa del Migrante")
    await page.locator("#departure_country").fill("MX")
    await page.locator("#destination_country").fill("GT")
    await fill_person(page, 0, "Ana Maria", "1990-03-04", "unaccompanied_minor")
    # as she types (htmx): registration's rule on the category and the date of birth
    await page.locator("#people-0-check").get_by_text("not under 18").wait_for()
    await step(page, "Add a person")  # no script: the form comes back with one more row
    assert await page.locator("[id='people.0.given_names']").input_value() == "Ana Maria"
    await fill_person(page, 1, "Lucia", "2012-05-06", "unaccompanied_minor", follow_up=False)
    await page.locator("[id='requested.0.amount']").fill("120.00")
    await step(page, "Register the case")

    # an adult cannot be an unaccompanied minor: refused by the field, nothing lost
    problem = page.locator("[id='people.0.vulnerability_categories-problem']")
    assert "not under 18" in await problem.inner_text()
    top = await page.locator("#problem").inner_text()
    assert top.startswith("The case was not registered.") and "not under 18" in top
    await screenshot(page, "register-refused")
    assert await page.locator("[id='people.1.given_names']").input_value() == "Lucia"
    await no_violations(page)
    await page.locator(
        "input[name='people.0.vulnerability_categories'][value='unaccompanied_minor']"
    ).uncheck()
    await page.locator(
        "input[name='people.0.vulnerability_categories'][value='woman_at_risk']"
    ).check()
    await step(page, "Register the case")

    assert re.search(r"/cases/[0-9a-f-]{36}$", page.url), page.url
    case_url = page.url
    assert "registered" in await page.locator("h1").inner_text()
    assert await page.get_by_text("Ana Maria").count() == 0  # hidden until asked for
    await no_violations(page)

    await step(page, "Declare eligible")
    assert "eligible" in await page.locator("h1").inner_text()
    assert await page.get_by_text("The funding service is deciding").is_visible()
    await flow.run()  # funding decides from the screening event
    await page.reload()
    assert "funding approved" in await page.locator("h1").inner_text()
    funding = await page.locator("section[aria-labelledby='funding-title']").inner_text()
    assert "Approved" in funding and "$240.00 committed of $240.00 requested" in funding
    people = await page.locator("section[aria-labelledby='people-title'] tbody").inner_text()
    assert people.count("$880.00") == 2  # each person's cap left (1,000.00 - 120.00), from funding

    ref = re.search(r"p_[0-9a-f]{32}", await page.content())
    assert ref is not None
    before = len(await rt.part(VAULT).access_log(ref.group(0)))
    await page.get_by_label("Why do you open the personal data?").select_option("follow_up_contact")
    await step(page, "Show personal data")
    assert await page.get_by_text("Ana Maria Lopez").is_visible()
    log = await rt.part(VAULT).access_log(ref.group(0))
    assert len(log) == before + 1 and log[-1].purpose == "case_management:follow_up_contact"

    await page.goto(case_url)
    for name in ("Travel documents are ready", "The person departed", "The person arrived"):
        await step(page, name)
    await flow.run()  # reintegration makes a plan per person from the arrival
    await page.reload()
    assert "arrived" in await page.locator("h1").inner_text()
    assert await page.locator("article.plan").count() == 2
    await no_violations(page)
    form = page.locator("article.plan").first.locator("form.contact")
    await form.locator("select[name='outcome']").select_option("reached")
    await form.locator("select[name='residence']").select_option("same_community")
    await form.locator("select[name='survey.income_source']").select_option("regular")
    await form.get_by_role("button", name="Record the contact").click()
    await page.wait_for_load_state()
    recorded = await page.locator("article.plan").first.inner_text()
    assert "Contacts recorded" in recorded and "same community" in recorded
    await screenshot(page, "case")
    # without consent to follow-up contact, only "no consent" can be recorded
    lucia = page.locator("article.plan").nth(1)
    assert "No consent to follow-up contact" in await lucia.inner_text()
    outcomes = lucia.locator("select[name='outcome'] option")
    assert await outcomes.all_inner_texts() == ["no consent"]

    # the same page in Spanish
    await page.goto(case_url + "?lang=es")
    assert await page.locator("#people-title").inner_text() == "Personas"
    assert await page.get_by_role("button", name="Registrar el contacto").count() == 2
    await page.goto(server.url + "/")
    assert await page.get_by_role("heading", name="Planes pendientes: 2").is_visible()
    await screenshot(page, "home-es")
    assert (
        await page.locator(f"a[href='{case_url.removeprefix(server.url)}#follow-up']").count() == 2
    )

    # the heaviest page (two plans, two surveys) stays light and loads nothing from elsewhere
    sizes: dict[str, int] = {}

    async def on_response(response: Response) -> None:
        if not 300 <= response.status < 400:  # a redirect has no body to weigh
            sizes[response.url] = len(await response.body())

    page.on("response", on_response)
    await page.goto(case_url, wait_until="networkidle")
    page.remove_listener("response", on_response)
    assert sizes and all(url.startswith(server.url) for url in sizes)
    assert sum(sizes.values()) < PAGE_BUDGET_BYTES

    # another office: neither opened nor listed
    other = await sign_in(browser, rt, server.url, "MX-TAP", "es-MX")
    answer = await other.goto(case_url)
    assert answer is not None and answer.status == 403
    await other.goto(server.url + "/cases")
    assert await other.locator("tbody tr").count() == 0
