"""Signing in to the web UI in a real Chromium: Spanish by default, errors next to the form,
what was typed kept (never the password), CSRF refused, sign-out, a one-time password."""

from __future__ import annotations

import uuid

import httpx
from playwright.async_api import Browser, Page

from services.api import usecases
from services.kit.definition import Runtime
from tests.browser.conftest import Served, axe_violations

PASSWORD = "correct horse battery staple"


async def caseworker(rt: Runtime) -> str:
    who = f"ana-{uuid.uuid4().hex[:6]}"
    await usecases.add_user(rt, who, "caseworker", ["GT-01"])
    await usecases.set_password(rt, who, PASSWORD)
    return who


async def sign_in(page: Page, base: str, who: str, password: str) -> None:
    await page.goto(base + "/")
    await page.get_by_label("Usuario").fill(who)
    await page.get_by_label("Contraseña").fill(password)
    await page.get_by_role("button", name="Iniciar sesión").click()


async def test_a_caseworker_signs_in_sees_home_and_signs_out(
    browser: Browser, served: tuple[Served, Runtime]
) -> None:
    server, rt = served
    who = await caseworker(rt)
    page = await (await browser.new_context(locale="es-MX")).new_page()

    await sign_in(page, server.url, who, "not the password")
    assert "no son correctos" in await page.get_by_role("alert").inner_text()
    assert await page.get_by_label("Usuario").input_value() == who
    assert await page.get_by_label("Contraseña").input_value() == ""

    await page.get_by_label("Contraseña").fill(PASSWORD)
    await page.get_by_role("button", name="Iniciar sesión").click()
    assert await page.locator("h1").inner_text() == f"Bienvenido/a, {who}"
    assert "gestor de casos" in await page.locator("main").inner_text()
    assert await axe_violations(page) == []
    cookies = {c["name"]: c for c in await page.context.cookies()}
    assert (
        cookies["retorno_session"]["httpOnly"] and cookies["retorno_session"]["sameSite"] == "Lax"
    )

    await page.get_by_role("button", name="Cerrar sesión").click()
    assert await page.locator("h1").inner_text() == "Iniciar sesión"
    await page.goto(server.url + "/")
    assert "/sign-in" in page.url


async def test_a_one_time_password_leads_to_choosing_ones_own(
    browser: Browser, served: tuple[Served, Runtime]
) -> None:
    server, rt = served
    who = f"luis-{uuid.uuid4().hex[:6]}"
    await usecases.add_user(rt, who, "supervisor", ["GT-01"])
    one_time = await usecases.set_password(rt, who)
    assert one_time is not None
    context = await browser.new_context(locale="en-US")
    page = await context.new_page()

    await page.goto(server.url + "/")
    await page.get_by_label("User name").fill(who)
    await page.get_by_label("Password").fill(one_time)
    await page.get_by_role("button", name="Sign in").click()
    assert await page.locator("h1").inner_text() == "Change your password"
    assert await axe_violations(page) == []
    await page.get_by_label("Current password").fill(one_time)
    await page.get_by_label("New password", exact=True).fill(PASSWORD)
    await page.get_by_label("New password again").fill(PASSWORD + "!")
    await page.get_by_role("button", name="Change password").click()
    assert "differ" in await page.get_by_role("alert").inner_text()
    await page.get_by_label("Current password").fill(one_time)
    await page.get_by_label("New password", exact=True).fill(PASSWORD)
    await page.get_by_label("New password again").fill(PASSWORD)
    await page.get_by_role("button", name="Change password").click()
    assert await page.locator("h1").inner_text() == f"Welcome, {who}"


async def test_a_form_without_its_csrf_token_or_from_another_site_opens_no_session(
    served: tuple[Served, Runtime],
) -> None:
    server, rt = served
    who = await caseworker(rt)
    async with httpx.AsyncClient(base_url=server.url) as http:
        form = await http.get("/sign-in")
        token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
        body = {"username": who, "password": PASSWORD, "next": "/"}

        forged = await http.post("/sign-in", data=body)
        foreign = await http.post(
            "/sign-in",
            data={**body, "csrf_token": token},
            headers={"Origin": "https://evil.example"},
        )
        assert forged.status_code == foreign.status_code == 403
        assert "retorno_session" not in http.cookies

        honest = await http.post("/sign-in", data={**body, "csrf_token": token})
        assert honest.status_code == 303 and honest.headers["location"] == "/"
        assert "retorno_session" in http.cookies
        # signed in, a sign-out without the session's token changes nothing
        refused = await http.post("/sign-out", data={"csrf_token": token})
        assert refused.status_code == 403
        home = await http.get("/")
        assert home.status_code == 200 and who in home.text


async def test_sign_in_leads_only_to_pages_of_this_site(served: tuple[Served, Runtime]) -> None:
    server, rt = served
    who = await caseworker(rt)
    async with httpx.AsyncClient(base_url=server.url) as http:
        form = await http.get("/sign-in?next=//evil.example/x")
        token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
        assert 'value="/"' in form.text
        answer = await http.post(
            "/sign-in",
            data={
                "username": who,
                "password": PASSWORD,
                "next": "https://evil.example",
                "csrf_token": token,
            },
        )
        assert answer.headers["location"] == "/"
