"""The evaluator's exports page in a real Chromium: make an export of a half-year, download
its CSV and find that the bytes' SHA-256 is the one the page shows; axe-core on the page,
in Spanish and in English."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser

from services.api import usecases
from services.api.service import SERVICE as USERS
from services.edge.app import create_app
from services.evaluation.service import SERVICE as EVALUATION
from services.kit.definition import Runtime
from services.kit.settings import Settings
from services.runtime.composition import close_runtime
from tests.browser.conftest import Served, axe_violations
from tests.integration.evaluation.scenario import deliver_all, population
from tests.support import open_runtime

PASSWORD = "correct horse battery staple"


@pytest.fixture
async def system(tmp_path: Path) -> AsyncIterator[tuple[Served, Runtime]]:
    services = [USERS, EVALUATION]
    rt = await open_runtime(Settings(data_dir=tmp_path), services)
    await deliver_all(rt, population())  # a half-year of returns, 2026-H1
    async with Served(create_app(rt, services)) as server:
        yield server, rt
    await close_runtime(rt)


async def test_an_evaluator_makes_an_export_and_downloads_the_csv_it_describes(
    browser: Browser, system: tuple[Served, Runtime], tmp_path: Path
) -> None:
    server, rt = system
    name = f"eval-{uuid.uuid4().hex[:6]}"
    await usecases.add_user(rt, name, "evaluator", [])
    await usecases.set_password(rt, name, PASSWORD)
    context = await browser.new_context(locale="es-MX", accept_downloads=True)
    page = await context.new_page()
    await page.goto(server.url + "/")
    await page.get_by_label("Usuario").fill(name)
    await page.get_by_label("Contraseña").fill(PASSWORD)
    await page.get_by_role("button", name="Iniciar sesión").click()
    await page.get_by_role("link", name="Exportaciones").click()
    assert await page.get_by_text("Aún no hay exportaciones.").is_visible()
    assert await axe_violations(page) == []

    await page.get_by_label("Periodo", exact=True).fill("2026-H3")
    await page.get_by_role("button", name="Hacer la exportación").click()
    assert "Escriba un año" in await page.locator("#export-period-problem").inner_text()
    assert await page.get_by_label("Periodo", exact=True).input_value() == "2026-H3"
    assert await axe_violations(page) == []

    await page.get_by_label("Periodo", exact=True).fill("2026-H1")
    await page.get_by_label("Retornos por categoría de vulnerabilidad").uncheck()
    await page.get_by_role("button", name="Hacer la exportación").click()
    assert await page.get_by_role("status").is_visible()
    shown = await page.locator('code.sha[data-file="returns.csv"]').inner_text()
    assert await page.locator('code.sha[data-file="returns_by_category.csv"]').count() == 0

    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="returns.csv").click()
    download = await downloading.value
    assert download.suggested_filename == "returns.csv"
    saved = tmp_path / "returns.csv"
    await download.save_as(saved)
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == shown
    assert await axe_violations(page) == []

    await page.goto(server.url + "/exports?lang=en")
    assert await page.locator("h1").inner_text() == "Exports"
    assert await page.get_by_role("button", name="Make the export").is_visible()
    assert await axe_violations(page) == []
