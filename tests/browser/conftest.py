"""Browser tests: Playwright for Python driving Debian's chromium (``/usr/bin/chromium``,
or ``RETORNO_CHROMIUM``), never a browser downloaded by ``playwright install``. On CI the
browser must be there (``.ci/run`` installs it); elsewhere the tests are skipped without it.
axe-core comes from its npm package (``make install`` installs it into
``services/web/assets/node_modules``)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.async_api import Browser, Page, async_playwright

from services.api.service import SERVICE
from services.edge.app import create_app
from services.kit.definition import Runtime
from services.kit.settings import Settings
from services.runtime.composition import start_services
from services.web.pages import mount
from tests.support import open_service_db

ASSETS = Path(__file__).resolve().parents[2] / "services" / "web" / "assets"
AXE = ASSETS / "node_modules" / "axe-core" / "axe.min.js"


def chromium_path() -> str:
    found = os.environ.get("RETORNO_CHROMIUM") or shutil.which("chromium")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is missing: .ci/run installs Debian's chromium package")
    pytest.skip("no chromium here (apt-get install chromium)")


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = chromium_path()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield launched
        finally:
            await launched.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    """An ASGI app served by uvicorn on a free port for the length of a test."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Served:
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self.task.done():
                self.task.result()
            await asyncio.sleep(0.02)
        return self

    async def __aexit__(self, *_: object) -> None:
        self.server.should_exit = True
        if self.task is not None:
            await self.task


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Serious and critical accessibility violations axe-core finds on the page."""
    if not AXE.is_file():
        pytest.fail(f"axe-core is not installed at {AXE}: run make install (needs npm)")
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("async () => await axe.run(document)")
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.fixture
async def served(sqlite_url: str, tmp_path: Path) -> AsyncIterator[tuple[Served, Runtime]]:
    """The real app (the edge) with the web UI, over the users service's database."""
    db = await open_service_db(SERVICE, sqlite_url)
    rt = Runtime(settings=Settings(data_dir=tmp_path), databases={"api": db})
    await start_services(rt, [SERVICE])
    app = create_app(rt, [SERVICE])
    mount(app)
    async with Served(app) as server:
        yield server, rt
    await db.engine.dispose()
