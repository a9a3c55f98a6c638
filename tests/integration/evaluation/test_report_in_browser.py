"""The HTML report renders in a real browser: headless Chromium takes a screenshot of it
(skipped where no Chromium is installed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from services.evaluation.schemas import ExportIn
from services.evaluation.usecases import create_export
from services.kit.definition import Runtime
from tests.integration.evaluation.scenario import EVALUATOR, deliver_all, export_dir, population

BROWSER = next(
    (shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)),
    None,
)


@pytest.mark.skipif(BROWSER is None, reason="no Chromium on this machine")
async def test_headless_chromium_renders_the_report(rt: Runtime, tmp_path: Path) -> None:
    await deliver_all(rt, population())
    made = await create_export(rt, EVALUATOR, ExportIn(period="2026-H1", format="html"))
    report = export_dir(rt, made.id) / "report.html"
    shot = tmp_path / "report.png"

    subprocess.run(
        [
            str(BROWSER),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1100,2600",
            f"--screenshot={shot}",
            report.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )

    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 50_000  # charts drawn, not a blank page
