"""The web UI's page frame in a real Chromium: language, accessibility, weight, no CDN."""

from __future__ import annotations

from playwright.async_api import Browser, Response

from services.kit.definition import Runtime
from tests.browser.conftest import Served, axe_violations

PAGE_BUDGET_BYTES = 150 * 1024


async def test_the_sign_in_page_is_in_spanish_by_default_and_english_by_choice(
    browser: Browser, served: tuple[Served, Runtime]
) -> None:
    server, _ = served
    context = await browser.new_context(locale="fr-FR")  # a language the UI does not have
    page = await context.new_page()
    await page.goto(server.url + "/sign-in")
    assert await page.locator("html").get_attribute("lang") == "es"
    assert await page.locator("h1").inner_text() == "Iniciar sesión"
    await page.get_by_role("link", name="English").click()
    assert await page.locator("h1").inner_text() == "Sign in"
    await page.goto(server.url + "/sign-in")  # the choice is remembered
    assert await page.locator("label[for=password]").inner_text() == "Password"


async def test_the_browser_language_is_followed_when_the_user_chose_none(
    browser: Browser, served: tuple[Served, Runtime]
) -> None:
    server, _ = served
    page = await (await browser.new_context(locale="en-US")).new_page()
    await page.goto(server.url + "/sign-in")
    assert await page.locator("html").get_attribute("lang") == "en"


async def test_the_sign_in_page_has_no_serious_accessibility_violation(
    browser: Browser, served: tuple[Served, Runtime]
) -> None:
    server, _ = served
    for locale in ("es-MX", "en-US"):
        page = await (await browser.new_context(locale=locale)).new_page()
        await page.goto(server.url + "/sign-in")
        assert await axe_violations(page) == []


async def test_the_page_loads_nothing_from_elsewhere_and_weighs_under_its_budget(
    browser: Browser, served: tuple[Served, Runtime]
) -> None:
    server, _ = served
    page = await browser.new_page()
    sizes: dict[str, int] = {}

    async def on_response(response: Response) -> None:
        sizes[response.url] = len(await response.body())

    page.on("response", on_response)
    await page.goto(server.url + "/sign-in", wait_until="networkidle")
    assert sizes and all(url.startswith(server.url) for url in sizes)
    assert sum(sizes.values()) < PAGE_BUDGET_BYTES
    # keyboard: the first Tab reaches the skip link
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.className") == "skip"
