"""The files read by other tools: libhxl selects the CSV's columns by hashtag, openpyxl opens
the XLSX, the HTML report is one self-contained file with its charts inline."""

from __future__ import annotations

import re

import hxl
import openpyxl

from services.evaluation.schemas import ExportIn
from services.evaluation.usecases import create_export
from services.kit.definition import Runtime
from tests.integration.evaluation.scenario import (
    EVALUATOR,
    deliver_all,
    export_dir,
    population,
    recount,
)

# libhxl 5 takes its options as an InputOptions (DOMAIN.md's ``allow_local=True`` keyword is
# the older call)
LOCAL = hxl.input.InputOptions(allow_local=True)


async def test_libhxl_reads_the_csv_and_selects_columns_by_hashtag(rt: Runtime) -> None:
    cases = population()
    await deliver_all(rt, cases)
    made = await create_export(rt, EVALUATOR, ExportIn(period="2026-H1", tables=["returns"]))

    path = export_dir(rt, made.id) / "returns.csv"
    data = hxl.data(str(path), LOCAL)
    by_country = {
        row.get("#country+code+dest"): row.get("#affected+returnees+m+age18_59") for row in data
    }
    assert by_country["GT"] == str(recount(cases, "GT", "male", "18-59"))
    assert by_country["HN"] == "6"
    women = list(hxl.data(str(path), LOCAL).with_columns("#affected+f"))
    assert women and all(len(row.values) == 7 for row in women)  # 6 age bands and Total
    assert str(hxl.data(str(path), LOCAL).columns[0].get_display_tag()) == "#date+start"


async def test_openpyxl_opens_the_workbook_with_a_sheet_per_table_and_the_notes(
    rt: Runtime,
) -> None:
    cases = population()
    await deliver_all(rt, cases)
    made = await create_export(rt, EVALUATOR, ExportIn(period="2026-H1", format="xlsx"))

    book = openpyxl.load_workbook(export_dir(rt, made.id) / "export.xlsx", read_only=True)
    assert book.sheetnames == [
        "returns",
        "returns_by_category",
        "lifecycle",
        "assistance",
        "outcomes",
        "outcomes_by_category",
        "outcomes_over_time",
        "residence",
        "remigration_intention",
        "closures",
        "notes",
    ]
    rows = list(book["returns"].iter_rows(values_only=True))
    assert rows[1][2] == "#country+code+dest"
    header = list(rows[0])
    gt = next(r for r in rows[2:] if r[2] == "GT")
    assert gt[header.index("female 18-59")] == recount(cases, "GT", "female", "18-59")
    money = list(book["assistance"].iter_rows(values_only=True))
    hn = next(r for r in money[2:] if r[2] == "HN")
    assert hn[list(money[0]).index("committed transport")] == 1800.0
    notes = [r[0] for r in book["notes"].iter_rows(values_only=True)]
    assert any("+returnees (proposed" in n for n in notes)
    assert any("Suppression symbol: 'x'" in n for n in notes)


async def test_the_html_report_is_self_contained_with_its_charts_inline(rt: Runtime) -> None:
    await deliver_all(rt, population())
    made = await create_export(rt, EVALUATOR, ExportIn(period="2026-H1", format="html"))

    html = (export_dir(rt, made.id) / "report.html").read_text()
    # pyramid, destinations, lifecycle outcomes, scores over time, residence, two of amounts
    assert html.count("<svg") == 7
    assert "Returns by sex and age band" in html
    # nothing to fetch: no script, stylesheet, image or font from elsewhere
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<script" not in html
