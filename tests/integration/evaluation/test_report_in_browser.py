"""The HTML report renders in a real browser: headless Chromium takes a screenshot of it
(skipped where no Chromium is installed)."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from services.evaluation.schemas import ExportIn
from services.evaluation.usecases import create_export
from services.kit.definition import Runtime
from tests.integration.evaluation.scenario import (
    EVALUATOR,
    deliver,
    deliver_all,
    deliver_followed,
    export_dir,
    followed_up,
    returned_case,
)


async def deliver_monthly_follow_ups(rt: Runtime) -> None:
    """Seven people a month to GT, each followed up, scores rising over the half-year: enough
    for the chart of outcomes over time to have published points."""
    for month in range(1, 7):
        for i in range(7):
            case = returned_case(
                on=date(2026, month, 5),
                sexes=("female" if i % 2 else "male",),
                ages=(25 + 3 * i,),
                committed=40_000,
                paid=40_000,
            )
            await deliver_all(rt, [case])
            base = 0.3 + 0.06 * month + 0.01 * i
            scores = (round(base, 4), round(base + 0.1, 4), round(base - 0.1, 4), round(base, 4))
            residence = ("same_community", "other_community", "urban_centre")[i % 3]
            for event in followed_up(case, scores=scores, residence=residence).events:
                await deliver(rt, event)


BROWSER = next(
    (shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)),
    None,
)


@pytest.mark.skipif(BROWSER is None, reason="no Chromium on this machine")
async def test_headless_chromium_renders_the_report(rt: Runtime, tmp_path: Path) -> None:
    await deliver_followed(rt)  # returns, money and follow-ups
    await deliver_monthly_follow_ups(rt)
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
            "--window-size=1100,3600",
            f"--screenshot={shot}",
            report.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )

    data = shot.read_bytes()
    if target := os.environ.get("RETORNO_REPORT_SCREENSHOT"):  # how docs/ gets its picture
        shutil.copyfile(shot, target)
    assert data.startswith(b"\x89PNG") and len(data) > 50_000  # charts drawn, not a blank page
