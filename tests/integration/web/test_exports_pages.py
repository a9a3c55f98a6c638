"""The evaluator's pages: make an export through the form, see its provenance, download its
files as the API serves them (same permission, media type, attachment, SHA-256); a refused
form is shown again with what was typed and stores nothing."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.api.service import SERVICE as USERS
from services.edge.app import create_app
from services.evaluation import queries
from services.evaluation.service import SERVICE as EVALUATION
from services.kit.identity import Principal
from services.kit.settings import Settings
from services.runtime.composition import close_runtime
from tests.integration.evaluation.scenario import deliver_all, population
from tests.integration.web.conftest import System, person
from tests.support import InProcessFlow, open_runtime

EVALUATOR = Principal("u-evaluator", "evaluator")
FORM = {"period": "2026-H1", "tables": ["returns", "lifecycle"], "format": "csv"}


@pytest.fixture
async def system(tmp_path: Path) -> AsyncIterator[System]:
    services = [USERS, EVALUATION]
    rt = await open_runtime(Settings(data_dir=tmp_path), services)
    await deliver_all(rt, population())
    try:
        yield System(rt, create_app(rt, services), InProcessFlow(rt, services))
    finally:
        await close_runtime(rt)


async def made(s: System) -> list[object]:
    return list((await queries.list_exports(s.rt, EVALUATOR)).items)


async def test_an_evaluator_makes_an_export_and_downloads_its_files(system: System) -> None:
    async with person(system, "evaluator", []) as ev:
        sent = await ev.http.post("/exports", data={**FORM, "csrf_token": ev.csrf})
        assert sent.status_code == 303
        shown = await ev.http.get(sent.headers["location"])
        [export] = (await queries.list_exports(system.rt, EVALUATOR)).items
        assert [t.name for t in export.tables] == ["returns", "lifecycle"]
        assert export.created_by == ev.name and export.period == "2026-H1"
        assert "La exportación está hecha." in shown.text
        for f in export.files:
            assert f"/exports/{export.id}/files/{f.name}" in shown.text
            assert f.sha256 in shown.text
            got = await ev.http.get(f"/exports/{export.id}/files/{f.name}")
            api = await ev.http.get(f"/api/exports/{export.id}/files/{f.name}", headers=ev.api)
            assert got.status_code == 200
            assert hashlib.sha256(got.content).hexdigest() == f.sha256
            assert got.content == api.content
            assert got.headers["content-type"] == api.headers["content-type"]
            assert got.headers["content-disposition"] == f'attachment; filename="{f.name}"'
        csv = next(f for f in export.files if f.name == "returns.csv")
        got = await ev.http.get(f"/exports/{export.id}/files/{csv.name}")
        assert got.headers["content-type"] == "text/csv; charset=utf-8"
        suppressed = re.search(r"Celdas suprimidas", shown.text)
        assert suppressed is not None


async def test_a_period_that_cannot_be_read_is_refused_next_to_it_and_nothing_is_made(
    system: System,
) -> None:
    async with person(system, "evaluator", []) as ev:
        for period, status in (("2026-H3", 422), ("mañana", 422)):
            sent = await ev.http.post(
                "/exports", data={**FORM, "period": period, "csrf_token": ev.csrf}
            )
            assert sent.status_code == status
            assert f'value="{period}"' in sent.text
            assert 'id="export-period-problem"' in sent.text
            assert "Escriba un año (2026), un semestre (2026-H1)" in sent.text
        both = await ev.http.post(
            "/exports",
            data={**FORM, "from": "2026-01-01", "to": "2026-03-31", "csrf_token": ev.csrf},
        )
        assert both.status_code == 422 and 'value="2026-01-01"' in both.text
        none = await ev.http.post(
            "/exports", data={"period": "2026", "format": "csv", "csrf_token": ev.csrf}
        )
        assert none.status_code == 422 and "Elija al menos una tabla." in none.text
        odd = await ev.http.post("/exports", data={**FORM, "format": "pdf", "csrf_token": ev.csrf})
        assert odd.status_code == 422 and 'id="export-format-problem"' in odd.text
    assert await made(system) == []


async def test_a_form_without_its_token_and_a_role_without_exports_are_refused(
    system: System,
) -> None:
    async with person(system, "evaluator", []) as ev:
        missing = await ev.http.post("/exports", data=FORM)
        assert missing.status_code == 403
        odd = await ev.http.get("/exports/00000000-0000-0000-0000-000000000000/files/x.csv")
        assert odd.status_code == 404 and "Esa exportación no existe." in odd.text
    async with person(system, "caseworker", ["GT-GUA"]) as cw:
        listed = await cw.http.get("/exports")
        sent = await cw.http.post("/exports", data={**FORM, "csrf_token": cw.csrf})
        assert listed.status_code == sent.status_code == 403
        assert "No corresponde a su rol" in sent.text
    assert await made(system) == []


async def test_a_file_is_served_only_to_whom_the_api_serves_it(system: System) -> None:
    async with person(system, "evaluator", []) as ev:
        await ev.http.post("/exports", data={**FORM, "csrf_token": ev.csrf})
    [export] = (await queries.list_exports(system.rt, EVALUATOR)).items
    path = f"/exports/{export.id}/files/{export.files[0].name}"
    async with person(system, "auditor", []) as auditor:
        assert (await auditor.http.get(path)).status_code == 403
    async with person(system, "evaluator", []) as other:
        assert (await other.http.get(path)).status_code == 200
        assert (await other.http.get(path.replace(".csv", ".exe"))).status_code == 404
