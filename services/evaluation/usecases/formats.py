"""The files of an export, as bytes: CSV with an HXL hashtag row (one file per table and a
notes file), XLSX (one sheet per table and a notes sheet, written by XlsxWriter) and a
self-contained HTML report with charts (matplotlib, inline SVG). The same sheets give the same
bytes: no clock, no random id, fixed document dates and SVG ids."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from html import escape

from services.evaluation.domain.publish import SUPPRESSED
from services.evaluation.usecases.charts import charts
from services.evaluation.usecases.layout import Sheet

HXL_NOTES = (
    "Row 2 of each CSV and of each table sheet holds HXL hashtags (hxlstandard.org).",
    "Core HXL: #date +start +end, #country +code, #affected, #value, #status, #indicator;"
    " sex +f +m; age groups +children +adults +elderly.",
    "Custom attributes (allowed by the standard): +returnees (proposed for the standard, not"
    " yet released), +dest, +total, age bands in the +age12_17 style (+age60plus,"
    " +age_unknown), +sex_other, +sex_unknown, +committed, +paid, +category, +cost_<category>,"
    " +outcome.",
    "Outcome tables are long (a row per cell): core #meta, #date +month and #indicator with"
    " custom attributes +sex, +age, +followed, +score, +economic, +social, +psychosocial,"
    " +composite, +mean, +share_above, +contacts, +done, +due; and #status with custom"
    " +residence, +intention, +closure.",
)


def _notes(sheets: Sequence[Sheet], about: Sequence[str]) -> list[str]:
    out = list(about)
    out.append(f"Suppression symbol: '{SUPPRESSED}'.")
    out += HXL_NOTES
    for s in sheets:
        out.append(f"[{s.name}] {s.title}")
        out += [f"[{s.name}] {n}" for n in s.notes]
    return out


def csv_files(sheets: Sequence[Sheet], about: Sequence[str]) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for s in sheets:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(s.headers)
        writer.writerow(s.hashtags)
        writer.writerows(s.rows)
        files[f"{s.name}.csv"] = buffer.getvalue().encode()
    files["notes.txt"] = ("\n".join(_notes(sheets, about)) + "\n").encode()
    return files


def xlsx_file(sheets: Sequence[Sheet], about: Sequence[str], dated: datetime) -> bytes:
    import xlsxwriter  # type: ignore[import-untyped]

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.set_properties(
        {"title": "Retorno evaluation export", "author": "Retorno", "created": dated}
    )
    bold = book.add_format({"bold": True})
    tag = book.add_format({"italic": True, "font_color": "#555555"})
    money = book.add_format({"num_format": "0.00"})
    for s in sheets:
        ws = book.add_worksheet(s.name[:31])
        ws.write_row(0, 0, s.headers, bold)
        ws.write_row(1, 0, s.hashtags, tag)
        amounts = s.name == "assistance"
        for r, row in enumerate(s.rows, start=2):
            for c, value in enumerate(row):
                if c >= 3 and amounts and value != SUPPRESSED:
                    ws.write_number(r, c, float(str(value)), money)
                elif isinstance(value, int | float):
                    ws.write_number(r, c, value)
                else:
                    ws.write_string(r, c, str(value))
        ws.freeze_panes(2, 3)
    notes = book.add_worksheet("notes")
    notes.set_column(0, 0, 120)
    for r, line in enumerate(_notes(sheets, about)):
        notes.write_string(r, 0, line)
    book.close()
    return buffer.getvalue()


_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;
max-width:72rem;color:#1d2733;line-height:1.45;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2.5rem;border-bottom:1px solid #ccd}
figure{margin:1rem 0}figcaption{color:#555;font-size:.9rem}
.scroll{overflow-x:auto}table{border-collapse:collapse;font-size:.8rem}
th,td{border:1px solid #ccd;padding:.2rem .4rem;text-align:right;white-space:nowrap}
th{background:#eef1f5}td.l,th.l{text-align:left}td.x{color:#a33;text-align:center}
tr.hxl th{font-weight:normal;font-style:italic;color:#666;background:#f7f8fa}
ul.notes{font-size:.9rem;color:#333}
"""


def _table_html(s: Sheet) -> str:
    head = "".join(
        f'<th class="l">{escape(h)}</th>' if i < 3 else f"<th>{escape(h)}</th>"
        for i, h in enumerate(s.headers)
    )
    tags = "".join(f"<th>{escape(t)}</th>" for t in s.hashtags)
    body = []
    for row in s.rows:
        cells = []
        for i, value in enumerate(row):
            if i < 3:
                cells.append(f'<td class="l">{escape(str(value))}</td>')
            elif value == SUPPRESSED:
                cells.append(f'<td class="x">{SUPPRESSED}</td>')
            else:
                cells.append(f"<td>{escape(str(value))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<div class="scroll"><table><thead><tr>{head}</tr><tr class="hxl">{tags}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def html_file(sheets: Sequence[Sheet], about: Sequence[str], heading: str) -> bytes:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(heading)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(heading)}</h1>",
        "<p>Anonymized aggregates with disclosure control: small counts and the cells that"
        f" would let them be recomputed are shown as <strong>{SUPPRESSED}</strong>.</p>",
    ]
    for caption, svg in charts(sheets):
        parts.append(f"<figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>")
    for s in sheets:
        parts.append(f"<h2>{escape(s.title)}</h2>")
        parts.append(_table_html(s))
    parts.append('<h2>Method and notes</h2><ul class="notes">')
    parts += [f"<li>{escape(line)}</li>" for line in _notes(sheets, about)]
    parts.append("</ul></body></html>")
    return ("\n".join(parts) + "\n").encode()
