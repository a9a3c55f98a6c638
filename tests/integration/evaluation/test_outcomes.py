"""Reintegration outcomes in the exports: reintegration's events into the read model, the
outcome tables checked cell by cell against a re-aggregation by hand of the same follow-ups,
the suppression pattern against an independent count of the small cells and the LP audit,
erasure, and no id in any file."""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import hxl
import numpy as np
import openpyxl

from events.privacy import PersonalDataErased
from services.evaluation import store
from services.evaluation.domain.audit import audit
from services.evaluation.domain.errors import OverlappingReleaseRefusedError
from services.evaluation.domain.frame import frame_of
from services.evaluation.domain.periods import preset
from services.evaluation.domain.tables import aggregate
from services.evaluation.schemas import ExportIn, TableName
from services.evaluation.service import SERVICE
from services.evaluation.settings import table_settings
from services.evaluation.usecases import create_export
from services.evaluation.usecases.exporting import facts_of
from services.evaluation.usecases.layout import TABLES
from services.kit.definition import Runtime
from tests import support
from tests.integration.evaluation.scenario import (
    EVALUATOR,
    FollowUp,
    band,
    deliver_followed,
    envelope,
    export_dir,
    followed_population,
)

OUTCOME_TABLES: list[TableName] = [
    "outcomes",
    "outcomes_over_time",
    "residence",
    "remigration_intention",
    "closures",
]
MEASURES = (
    "people",
    "mean_economic",
    "mean_social",
    "mean_psychosocial",
    "mean_composite",
    "share_above",
    "contacts_done",
    "contacts_due",
)


def _in(f: FollowUp, destination: str, sex: str, age: str) -> bool:
    case = f.case
    return (
        destination in ("Total", case.destination)
        and sex in ("Total", case.sexes[f.person])
        and age in ("Total", band(case.ages[f.person]))
    )


def recount(follows: list[FollowUp], destination: str, sex: str, age: str) -> dict[str, object]:
    """The figures of one cell, from the follow-ups one person at a time."""
    cell = [f for f in follows if _in(f, destination, sex, age)]
    out: dict[str, object] = {"people": len(cell)}
    for d, name in enumerate(("economic", "social", "psychosocial", "composite")):
        values = [f.scores[d] for f in cell if f.scores and f.scores[d] is not None]
        out[f"n_{name}"] = len(values)
        out[f"mean_{name}"] = round(sum(values) / len(values), 3) if values else ""
    composite = [f.scores[3] for f in cell if f.scores and f.scores[3] is not None]
    above = sum(1 for v in composite if v is not None and v >= 0.5)
    out["share_above"] = round(above / len(composite), 3) if composite else ""
    out["contacts_done"] = sum(f.done for f in cell)
    out["contacts_due"] = sum(f.due for f in cell)
    return out


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text())))


def published(value: object) -> str:
    return "" if value == "" else str(value)


async def test_the_outcome_tables_match_a_recount_and_hide_means_over_fewer_than_k(
    rt: Runtime,
) -> None:
    _, follows = await deliver_followed(rt)

    made = await create_export(rt, EVALUATOR, ExportIn(period="2026-H1", tables=OUTCOME_TABLES))

    rows = read_csv(export_dir(rt, made.id) / "outcomes.csv")
    assert rows[0][2:5] == ["Destination country", "Sex", "Age band"]
    assert rows[1][5:] == [
        "#affected+returnees+followed",
        "#indicator+score+economic+mean",
        "#indicator+score+social+mean",
        "#indicator+score+psychosocial+mean",
        "#indicator+score+composite+mean",
        "#indicator+score+composite+share_above",
        "#indicator+contacts+done",
        "#indicator+contacts+due",
    ]
    cells = {tuple(r[2:5]): r[5:] for r in rows[2:]}
    shown = 0
    for (dest, sex, age), figures in cells.items():
        if "x" in figures:
            assert figures == ["x"] * len(MEASURES)  # a cell is hidden whole
            continue
        expected = recount(follows, dest, sex, age)
        assert figures == [published(expected[m]) for m in MEASURES], (dest, sex, age)
        shown += expected["people"] != 0
    assert shown >= 5
    assert cells[("Total", "female", "Total")][0] == "12"
    # HN and SV are hidden, so the men's and the grand totals must be too (GT alone is shown)
    assert cells[("Total", "male", "Total")][0] == cells[("Total", "Total", "Total")][0] == "x"
    # HN men: 6 people followed up but only 3 scores: a mean over fewer than k is hidden
    assert recount(follows, "HN", "male", "18-59")["people"] == 6
    assert cells[("HN", "male", "18-59")] == ["x"] * len(MEASURES)
    assert cells[("SV", "male", "60+")] == ["x"] * len(MEASURES)  # one person

    over_time = read_csv(export_dir(rt, made.id) / "outcomes_over_time.csv")
    months = {r[2]: r[3:] for r in over_time[2:]}
    assert list(months) == [f"2026-{m:02d}" for m in range(1, 7)] + ["Total"]
    assert months["Total"][0] == "28"

    checked = 0
    for name, attr in (
        ("residence", "residence"),
        ("remigration_intention", "intention"),
        ("closures", "closure"),
    ):
        table = read_csv(export_dir(rt, made.id) / f"{name}.csv")
        for row in table[2:]:
            for header, value in zip(table[0][3:], row[3:], strict=True):
                sex, age = header.split(" ")
                expected = sum(
                    1
                    for f in follows
                    if row[2] in ("Total", getattr(f, attr))
                    and getattr(f, attr) is not None
                    and _in(f, "Total", sex, age)
                )
                if value == "x":
                    assert expected > 0  # an empty cell is never hidden
                else:
                    assert value == str(expected), (name, row[2], header)
                    checked += expected > 0
    assert checked >= 10
    by_residence = {r[2]: r[-1] for r in read_csv(export_dir(rt, made.id) / "residence.csv")[2:]}
    assert by_residence["abroad_again"] == "x"  # the one who re-migrated
    closures = {r[2]: r[-1] for r in read_csv(export_dir(rt, made.id) / "closures.csv")[2:]}
    assert closures["open"] == "26" and closures["re_migrated"] == "x"


async def test_every_small_outcome_cell_is_hidden_with_its_interval_proved_by_the_audit(
    rt: Runtime,
) -> None:
    _, follows = await deliver_followed(rt)
    made = await create_export(rt, EVALUATOR, ExportIn(period="2026-H1", tables=["outcomes"]))
    rows = read_csv(export_dir(rt, made.id) / "outcomes.csv")

    settings = table_settings(rt.settings)
    period = preset("2026-H1")
    async with rt.db("evaluation").reading() as session:
        persons, money = await store.fact_rows(session, list(period.months))
    table = aggregate(
        frame_of(facts_of(persons, money, settings), settings), TABLES["outcomes"].spec(period)
    )
    hidden = np.zeros(table.shape, dtype=bool)
    small = np.zeros(table.shape, dtype=bool)
    for r in rows[2:]:
        cell = table.index(tuple(r[2:5]))
        hidden[cell] = r[5] == "x"
        counts = recount(follows, *r[2:5])
        small[cell] = any(
            0 < int(counts[n]) < 5  # type: ignore[call-overload]
            for n in ("people", "n_economic", "n_social", "n_psychosocial", "n_composite")
        )
    assert small.any() and not (small & ~hidden).any()  # every small cell is hidden

    result = audit(table, hidden, of=small)
    people = table.measures.index("people")
    for flat, interval in zip(result.cells, result.intervals, strict=True):
        value = table.values.reshape(-1, len(table.measures))[flat, people]
        low, high = interval[people]
        assert high >= value + 5 - 1e-6  # a hidden 2 could be 7
        assert low <= max(1.0, value - 1) + 1e-6


async def test_erasing_a_person_changes_no_figure_and_the_export_is_byte_identical(
    rt: Runtime,
) -> None:
    _, follows = await deliver_followed(rt)
    first = await create_export(rt, EVALUATOR, ExportIn(period="2026-H1", tables=OUTCOME_TABLES))

    for f in follows[:10]:
        erased = PersonalDataErased(
            person_ref=f.case.people[f.person],
            erased_at=datetime(2026, 11, 1, tzinfo=UTC),
            trigger="request",
            key_fingerprint="0" * 64,
        )
        await support.deliver(rt, SERVICE, envelope(erased, "privacy"))
    again = await create_export(rt, EVALUATOR, ExportIn(period="2026-H1", tables=OUTCOME_TABLES))

    assert [(f.name, f.sha256) for f in again.files] == [(f.name, f.sha256) for f in first.files]
    for f in again.files:
        data = (export_dir(rt, again.id) / f.name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == f.sha256


async def test_no_person_ref_case_id_plan_id_or_date_reaches_an_outcome_file(rt: Runtime) -> None:
    _, follows = await deliver_followed(rt)
    ids = {f.case.people[f.person] for f in follows} | {str(f.case.case_id) for f in follows}
    ids |= {str(e.payload["plan_id"]) for f in follows for e in f.events}
    ids |= {
        str(e.payload["contact_id"]) for f in follows for e in f.events if "contact_id" in e.payload
    }
    days = {
        str(value)
        for f in follows
        for e in f.events
        for name, value in e.payload.items()
        if name.endswith("_on")
    }
    assert "2026-06-10" in days
    periods = {"csv": "2026-01", "xlsx": "2026-02", "html": "2026-03"}
    for fmt, period in periods.items():
        made = await create_export(
            rt,
            EVALUATOR,
            ExportIn(period=period, tables=OUTCOME_TABLES, format=fmt),  # type: ignore[arg-type]
        )
        for path in export_dir(rt, made.id).iterdir():
            data = path.read_bytes()
            if path.suffix == ".xlsx":
                with zipfile.ZipFile(io.BytesIO(data)) as z:
                    data = b"".join(z.read(n) for n in z.namelist())
            text = data.decode("utf-8", "replace").lower()
            assert not [i for i in ids if i.lower() in text], path.name
            assert not [d for d in days if d in text], path.name  # no contact or survey day
            assert "p_" + "0" * 4 not in text


async def test_libhxl_and_openpyxl_read_the_outcome_tables(rt: Runtime) -> None:
    _, follows = await deliver_followed(rt)
    csv_export = await create_export(rt, EVALUATOR, ExportIn(period="2026-H1", tables=["outcomes"]))
    path = export_dir(rt, csv_export.id) / "outcomes.csv"
    means = {
        (row.get("#country+code+dest"), row.get("#meta+sex"), row.get("#meta+age")): row.get(
            "#indicator+score+composite+mean"
        )
        for row in hxl.data(str(path), hxl.input.InputOptions(allow_local=True))
    }
    assert means[("GT", "female", "18-59")] == str(
        recount(follows, "GT", "female", "18-59")["mean_composite"]
    )
    selected = hxl.data(str(path), hxl.input.InputOptions(allow_local=True)).with_columns(
        "#indicator+score"
    )
    assert [str(c.get_display_tag()) for c in selected.columns] == [
        "#indicator+score+economic+mean",
        "#indicator+score+social+mean",
        "#indicator+score+psychosocial+mean",
        "#indicator+score+composite+mean",
        "#indicator+score+composite+share_above",
    ]

    xlsx = await create_export(
        rt, EVALUATOR, ExportIn(period="2026-H1", tables=["outcomes"], format="xlsx")
    )
    book = openpyxl.load_workbook(export_dir(rt, xlsx.id) / "export.xlsx", read_only=True)
    sheet = list(book["outcomes"].iter_rows(values_only=True))
    women = next(r for r in sheet[2:] if r[2:5] == ("Total", "female", "Total"))
    assert women[5] == 12 and isinstance(women[9], float)
    expected = recount(follows, "Total", "female", "Total")["mean_composite"]
    assert abs(women[9] - float(str(expected))) < 1e-9


async def test_a_score_before_the_registration_waits_for_it(rt: Runtime) -> None:
    cases, follows = followed_population()
    f = follows[0]
    await support.deliver(rt, SERVICE, *f.events)  # the case is not known yet: parked
    key, person = store.surrogate(f.case.case_id), store.surrogate(f.case.people[0])
    async with rt.db("evaluation").reading() as session:
        assert await store.followup(session, key, person) is None

    await support.deliver(rt, SERVICE, *f.case.events)

    async with rt.db("evaluation").reading() as session:
        row = await store.followup(session, key, person)
    assert row is not None and row["composite"] == f.scores[3]  # type: ignore[index]
    assert row["residence"] == f.residence and row["closure"] == "open"
    assert str(uuid.UUID(int=0)) not in str(row)


async def test_an_overlapping_outcome_release_never_lets_june_be_read_by_differencing(
    rt: Runtime,
) -> None:
    """H1, then January to May: the June people (SV's man of 70) would be H1 minus
    January-May; the guard hides or refuses whatever would give a small count."""
    await deliver_followed(rt)
    tables: list[TableName] = ["outcomes", "outcomes_over_time"]
    h1 = await create_export(rt, EVALUATOR, ExportIn(period="2026-H1", tables=tables))
    try:
        five = await create_export(
            rt,
            EVALUATOR,
            ExportIn.model_validate({"from": "2026-01-01", "to": "2026-05-31", "tables": tables}),
        )
    except OverlappingReleaseRefusedError:
        return  # refusing is one of the guard's answers
    for name in tables:
        first = {
            tuple(r[2:-8]): r[-8:] for r in read_csv(export_dir(rt, h1.id) / f"{name}.csv")[2:]
        }
        second = {
            tuple(r[2:-8]): r[-8:] for r in read_csv(export_dir(rt, five.id) / f"{name}.csv")[2:]
        }
        for label in first.keys() & second.keys():
            a, b = first[label][0], second[label][0]
            if "x" in (a, b):
                continue
            assert not 0 < int(a) - int(b) < 5, (name, label, a, b)  # June alone is not shown
