"""``create_export``: facts -> tables -> protection (primary, complementary, audit) ->
differencing guard against the ledger -> files under ``data_dir/exports/<id>/`` ->
provenance row, ledger releases and ``evaluation.export_created``, in one commit.

The files hold no id, no clock and no user: the same facts and parameters give the same
bytes (their SHA-256 is in the provenance). The heavy part (aggregation, LPs, rendering)
runs in a worker thread so that the event loop keeps serving while it works.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import shutil
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from events.envelope import Actor
from events.evaluation import ExportCreated, ExportedFile, ExportFormat
from services.evaluation import store
from services.evaluation.domain.differencing import DifferencingRefused, guarded
from services.evaluation.domain.errors import (
    InvalidPeriodError,
    OverlappingReleaseRefusedError,
    TableNotProtectableError,
)
from services.evaluation.domain.facts import SEXES, ReintegrationFacts, ReturnFact
from services.evaluation.domain.frame import frame_of
from services.evaluation.domain.ledger import Ledger, Release
from services.evaluation.domain.periods import between, closed_periods, preset
from services.evaluation.domain.protect import ProtectionError
from services.evaluation.domain.settings import DisclosureSettings, TableSettings
from services.evaluation.domain.spec import Period
from services.evaluation.schemas import ExportIn, ExportOut, TableName, export_out
from services.evaluation.settings import (
    POPULATION,
    disclosure_settings,
    export_settings,
    table_settings,
)
from services.evaluation.usecases import formats
from services.evaluation.usecases.layout import TABLES, Sheet, sheet
from services.kit.definition import Runtime
from services.kit.identity import Principal

log = logging.getLogger("retorno.evaluation")

Progress = Callable[[str], None]
Trigger = Literal["request", "schedule"]
SCHEDULER = Principal("service:evaluation", "evaluator")


def period_of(request: ExportIn) -> Period:
    """The export's period: a preset, or whole months from ``from`` to ``to``; one of them."""
    has_range = request.first_day is not None or request.last_day is not None
    if request.period is not None and has_range:
        raise InvalidPeriodError(
            "period: give either a preset period or from and to, not both", field="period"
        )
    if request.period is not None:
        return preset(request.period)
    if request.first_day is None:
        raise InvalidPeriodError("from: give a period (e.g. 2026-H1) or from and to", field="from")
    if request.last_day is None:
        raise InvalidPeriodError("to: give the last day of the period", field="to")
    return between(request.first_day, request.last_day)


def facts_of(
    persons: Sequence[dict[str, Any]], money: Sequence[dict[str, Any]], settings: TableSettings
) -> list[ReturnFact]:
    """The read model's rows as facts. Categories and cost categories no longer configured,
    and age bands of other settings, are left out (as ``unknown`` for the age)."""
    committed: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
    paid: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
    costs = set(settings.cost_categories)
    for m in money:
        if m["cost_category"] not in costs:
            continue
        key = (m["case_key"], m["person_key"])
        if m["committed_cents"] > 0:
            committed[key].append((m["cost_category"], int(m["committed_cents"])))
        if m["paid_cents"] > 0:
            paid[key].append((m["cost_category"], int(m["paid_cents"])))
    known = set(settings.categories)
    ages = set(settings.age_labels)
    out = []
    for p in persons:
        key = (p["case_key"], p["person_key"])
        out.append(
            ReturnFact(
                month=p["month"],
                office=p["office"],
                departure_country=p["departure_country"],
                destination_country=p["destination_country"],
                sex=p["sex"] if p["sex"] in SEXES else "unknown",
                age_band=p["age_band"] if p["age_band"] in ages else "unknown",
                categories=tuple(c for c in p["categories"] if c in known),
                committed_cents=tuple(committed.get(key, ())),
                paid_cents=tuple(paid.get(key, ())),
                outcome=p["outcome"],
                reintegration=_followup(p),
            )
        )
    return out


def _followup(row: dict[str, Any]) -> ReintegrationFacts | None:
    """The person's follow-up from the read model's row (None: no plan was made)."""
    if row.get("closure") is None:
        return None
    slots = dict(row["slots"] or {})
    return ReintegrationFacts(
        instrument_version=row["instrument_version"],
        **{
            s: None if row[s] is None else round(float(row[s]), 4)
            for s in ("economic", "social", "psychosocial", "composite")
        },
        residence=row["residence"],
        remigration_intention=row["remigration_intention"],
        contacts_done=sum(1 for state in slots.values() if state == "done"),
        contacts_due=len(slots),
        closure=row["closure"],
    )


def _about(
    period: Period, tables: Sequence[str], rules: DisclosureSettings, settings: TableSettings
) -> list[str]:
    return [
        f"Retorno evaluation export. Period {period.label}: {period.months[0]} to"
        f" {period.months[-1]} (months of registration).",
        f"Tables: {', '.join(tables)}. Aggregates only, never a row about a person.",
        f"Disclosure control: counts of 1 to {rules.k - 1} people suppressed (k = {rules.k});"
        f" dominance ({rules.dominance_n}, {rules.dominance_k:.0%}) and p% = {rules.p_percent:.0%}"
        " for amounts; complementary suppression so that no suppressed cell can be recomputed"
        f" or bounded within {rules.protection_ratio:.0%} (counts: {rules.protection_min_count}"
        " people upwards) from the published cells and margins; checked by linear programming;"
        " releases overlapping earlier ones are guarded against differencing.",
        f"Age bands: {', '.join(settings.age_labels)}. Sex: {', '.join(SEXES)}.",
        "Returns count the people of cases whose people arrived; the lifecycle table counts"
        " people by their case's outcome. Cases in progress and cancelled cases are in no table.",
        "Reintegration tables count the returned people with a follow-up plan, by their month"
        " of registration: the latest scores, residence and re-migration intention at the latest"
        " contact that reached them; contacts done (reached) and due (window closed, or settled"
        " earlier); how the follow-up closed.",
    ]


@dataclass(frozen=True)
class _Built:
    sheets: list[Sheet]
    releases: list[Release]  # new to the ledger
    files: dict[str, bytes]


def _build(
    facts: list[ReturnFact],
    ledger: Ledger,
    period: Period,
    tables: Sequence[TableName],
    fmt: ExportFormat,
    rules: DisclosureSettings,
    settings: TableSettings,
    progress: Progress,
) -> _Built:
    frame = frame_of(facts, settings)
    sheets, new = [], []
    rules_note = f"k = {rules.k}; suppression symbol 'x'."
    for name in tables:
        progress(f"protecting {name}")
        spec = TABLES[name].spec(period)
        try:
            result = guarded(ledger, POPULATION, frame, spec, rules)
        except DifferencingRefused as exc:
            log.info(
                "export of %s refused by the differencing guard (%s)", name, type(exc).__name__
            )
            raise OverlappingReleaseRefusedError(
                f"The table '{name}' for {period.label} overlaps earlier releases: published"
                " beside them it would reveal a protected cell by differencing (or repeat a"
                " published period with other figures). Export a period that does not overlap"
                " the published ones, or exactly a published period.",
                table=name,
            ) from None
        except ProtectionError:
            raise TableNotProtectableError(
                f"No suppression pattern protects every small cell of '{name}' for"
                f" {period.label}; export a longer period or fewer tables.",
                table=name,
            ) from None
        if result.release not in ledger.releases:
            new.append(result.release)
        ledger = ledger.add(result.release)
        extra: tuple[str, ...] = ()
        if spec.kind == "outcomes":
            versions = ", ".join(frame.instrument.labels) or "none yet"
            extra = (f"Scores of the instrument version(s): {versions} (the latest per person).",)
        sheets.append(sheet(name, result.protected, period, settings, rules_note, extra))
    progress(f"writing {fmt}")
    about = _about(period, tables, rules, settings)
    if fmt == "csv":
        files = formats.csv_files(sheets, about)
    elif fmt == "xlsx":
        year, month = int(period.months[0][:4]), int(period.months[0][5:7])
        files = {"export.xlsx": formats.xlsx_file(sheets, about, datetime(year, month, 1))}
    else:
        heading = f"Assisted returns, {period.label}: evaluation report"
        files = {"report.html": formats.html_file(sheets, about, heading)}
    return _Built(sheets, new, files)


def _write(directory: Path, files: dict[str, bytes]) -> list[ExportedFile]:
    staging = directory.with_name(directory.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    out = []
    for name in sorted(files):
        (staging / name).write_bytes(files[name])
        digest = hashlib.sha256(files[name]).hexdigest()
        out.append(ExportedFile(name=name, sha256=digest, size_bytes=len(files[name])))
    os.replace(staging, directory)
    return out


async def _create(
    rt: Runtime,
    principal: Principal,
    request: ExportIn,
    trigger: Trigger,
    progress: Progress,
) -> ExportOut | None:
    period = period_of(request)
    tables: list[TableName] = list(dict.fromkeys(request.tables))
    settings = table_settings(rt.settings)
    rules = disclosure_settings()
    export_id = uuid.uuid4()
    directory = store.export_dir(rt.settings.data_dir, export_id)
    async with rt.db("evaluation").unit_of_work() as uow:
        await store.lock_ledger(uow.session)
        if trigger == "schedule" and period.label in await store.exported_periods(
            uow.session, "schedule"
        ):
            return None  # another replica made it meanwhile
        progress("reading facts")
        ledger = Ledger(
            releases=tuple(Release.model_validate(r) for r in await store.all_releases(uow.session))
        )
        # the guard recomputes the tables of the months of earlier overlapping releases too
        # (H1 published, January-May asked: June alone), so their facts are read as well
        months = set(period.months)
        for release in ledger.releases:
            if release.population == POPULATION and release.months & months:
                months |= release.months
        persons, money = await store.fact_rows(uow.session, sorted(months))
        facts = facts_of(persons, money, settings)
        built = await asyncio.to_thread(
            _build, facts, ledger, period, tables, request.format, rules, settings, progress
        )
        written = await asyncio.to_thread(_write, directory, built.files)
        try:
            row = {
                "export_id": export_id,
                "created_at": rt.clock(),
                "created_by": principal.user_id,
                "role": principal.role,
                "trigger": trigger,
                "period": period.label,
                "first_month": period.months[0],
                "last_month": period.months[-1],
                "format": request.format,
                "tables": list(tables),
                "parameters": {
                    "rules": rules.model_dump(mode="json"),
                    "age_bands": list(settings.age_labels),
                },
                "row_counts": {s.name: len(s.rows) for s in built.sheets},
                "suppressed": {
                    s.name: {"cells": s.cells, "suppressed": s.suppressed, "primary": s.primary}
                    for s in built.sheets
                },
                "files": [f.model_dump(mode="json") for f in written],
            }
            await store.add_export(uow.session, row)
            await store.add_releases(
                uow.session,
                export_id,
                POPULATION,
                [(r.table, r.model_dump(mode="json")) for r in built.releases],
            )
            actor = (
                Actor.service("evaluation")
                if trigger == "schedule"
                else Actor.user(principal.user_id, principal.role)
            )
            uow.emit(
                ExportCreated(
                    export_id=export_id,
                    period=period.label,
                    first_month=period.months[0],
                    last_month=period.months[-1],
                    tables=list(tables),
                    format=request.format,
                    trigger=trigger,
                    rows=sum(len(s.rows) for s in built.sheets),
                    suppressed_cells=sum(s.suppressed for s in built.sheets),
                    files=written,
                ),
                actor=actor,
            )
            await uow.commit()
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)
            raise
    return export_out(row)


def _quiet(_: str) -> None:
    return None


async def create_export(
    rt: Runtime, principal: Principal, request: ExportIn, progress: Progress = _quiet
) -> ExportOut:
    """Make an export on request: refused (nothing stored) if the guard or the protection
    refuses it, or if the period cannot be read."""
    made = await _create(rt, principal, request, "request", progress)
    assert made is not None  # only a scheduled export can find itself made already
    return made


async def run_schedule(rt: Runtime) -> list[ExportOut]:
    """The periodic job: the export of each closed period of the schedule, once."""
    config = export_settings()
    if config.schedule == "off":
        return []
    async with rt.db("evaluation").reading() as session:
        first = await store.first_month(session)
        done = await store.exported_periods(session, "schedule")
    if first is None:
        return []
    made = []
    for period in closed_periods(config.schedule, first, rt.clock().date()):
        if period.label in done:
            continue
        request = ExportIn(period=period.label, format=config.schedule_format)
        try:
            out = await _create(rt, SCHEDULER, request, "schedule", _quiet)
        except (OverlappingReleaseRefusedError, TableNotProtectableError) as exc:
            log.warning("scheduled export of %s not made: %s", period.label, type(exc).__name__)
            continue
        if out is not None:
            made.append(out)
    return made
