"""Charts of the HTML report, drawn by matplotlib as inline SVG (text kept as text, fixed
ids and no date, so the same figures give the same bytes). Suppressed cells are drawn as
gaps marked with the suppression symbol, never as zero."""

from __future__ import annotations

import io
from collections.abc import Sequence

from services.evaluation.domain.publish import SUPPRESSED
from services.evaluation.domain.spec import TOTAL
from services.evaluation.usecases.layout import OUTCOME_CHART, Sheet

FEMALE, MALE, PAID, COMMITTED = "#c2185b", "#1565c0", "#2e7d32", "#9e9d24"
# economic, social, psychosocial, composite: distinct in hue and in line style
DIMENSIONS = (("#1565c0", "-"), ("#2e7d32", "--"), ("#c2185b", "-."), ("#333333", ":"))


def _svg(figure: object) -> str:
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context(
        {"svg.hashsalt": "retorno-evaluation", "svg.fonttype": "none", "font.size": 9}
    ):
        figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")  # type: ignore[attr-defined]
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _value(sheet: Sheet, row: str, column: str) -> float | None:
    found = sheet.grid.get((row, column))
    return None if found is None else found[0]


def _mark(ax: object, x: float, y: float) -> None:
    ax.text(x, y, SUPPRESSED, ha="center", va="center", color="#a33")  # type: ignore[attr-defined]


def _pyramid(sheet: Sheet) -> str:
    from matplotlib.figure import Figure

    ages = [c.split("/")[1] for c in sheet.column_labels if c.startswith("female/")]
    ages = [a for a in ages if a != TOTAL]
    fig = Figure(figsize=(7, 3.6))
    ax = fig.subplots()
    for y, age in enumerate(ages):
        for sex, sign, colour in (("female", -1, FEMALE), ("male", 1, MALE)):
            v = _value(sheet, TOTAL, f"{sex}/{age}")
            if v is None:
                _mark(ax, sign * 0.5, y)
            else:
                ax.barh(y, sign * v, color=colour)
    ax.set_yticks(range(len(ages)), ages)
    ax.axvline(0, color="#333", linewidth=0.8)
    ax.set_xlabel("people (women to the left, men to the right)")
    ticks = ax.get_xticks()
    ax.set_xticks(ticks, [f"{abs(t):g}" for t in ticks])
    ax.set_title("Returns by sex and age band")
    return _svg(fig)


def _bars(sheet: Sheet, column: str, title: str, ylabel: str) -> str:
    from matplotlib.figure import Figure

    rows = [r for r in sheet.row_labels if r != TOTAL]
    fig = Figure(figsize=(7, 3.2))
    ax = fig.subplots()
    for x, row in enumerate(rows):
        v = _value(sheet, row, column)
        if v is None:
            _mark(ax, x, 0.5)
        else:
            ax.bar(x, v, color=MALE)
    ax.set_xlim(-0.6, len(rows) - 0.4)
    ax.set_xticks(range(len(rows)), rows, rotation=30, ha="right")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return _svg(fig)


def _paired(sheet: Sheet, groups: Sequence[tuple[str, str]], title: str) -> str:
    """Committed beside paid for each (label, row or cost category)."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    fig = Figure(figsize=(7, 3.2))
    ax = fig.subplots()
    for x, (row, cost) in enumerate(groups):
        for dx, measure, colour in ((-0.2, "committed", COMMITTED), (0.2, "paid", PAID)):
            v = _value(sheet, row, f"{cost}/{measure}")
            if v is None:
                _mark(ax, x + dx, 0.5)
            else:
                ax.bar(x + dx, v, width=0.4, color=colour)
    labels = [cost if row == TOTAL else row for row, cost in groups]
    ax.set_xlim(-0.6, len(groups) - 0.4)
    ax.set_xticks(range(len(groups)), labels, rotation=30, ha="right")
    ax.set_ylabel("amount (fund currency)")
    ax.legend(
        handles=[Patch(color=COMMITTED, label="committed"), Patch(color=PAID, label="paid")],
        loc="upper right",
    )
    ax.set_title(title)
    return _svg(fig)


def _over_time(sheet: Sheet) -> str:
    """Mean score of each dimension by month; a suppressed month is a gap marked x."""
    from matplotlib.figure import Figure

    months = [r for r in sheet.row_labels if r != TOTAL]
    fig = Figure(figsize=(7, 3.4))
    ax = fig.subplots()
    for d, (name, (colour, style)) in enumerate(zip(OUTCOME_CHART, DIMENSIONS, strict=True)):
        ys = []
        for x, month in enumerate(months):
            found = sheet.grid.get((month, TOTAL))
            ys.append(float("nan") if found is None else found[d])
            if found is None and d == 0:
                _mark(ax, x, 0.5)
        label = name.removeprefix("mean_")
        ax.plot(range(len(months)), ys, style, color=colour, marker="o", label=label)
    ax.set_ylim(0, 1)
    ax.set_xlim(-0.4, max(len(months) - 0.6, 0.4))
    ax.set_xticks(range(len(months)), months)
    ax.set_ylabel("mean score (0-1)")
    ax.set_xlabel("month of registration")
    ax.legend(loc="lower right", ncols=4)
    ax.set_title("Reintegration outcomes by dimension over time")
    return _svg(fig)


def charts(sheets: Sequence[Sheet]) -> list[tuple[str, str]]:
    """(caption, inline SVG) for each chart the export's tables allow."""
    out: list[tuple[str, str]] = []
    by_name = {s.name: s for s in sheets}
    if "returns" in by_name:
        out.append(
            ("People returned in the period, by sex and age band.", _pyramid(by_name["returns"]))
        )
        out.append(
            (
                "People returned, by destination country.",
                _bars(by_name["returns"], f"{TOTAL}/{TOTAL}", "Returns by destination", "people"),
            )
        )
    if "lifecycle" in by_name:
        out.append(
            (
                "Cases by outcome: returned, withdrawn, or found ineligible at screening.",
                _bars(by_name["lifecycle"], f"{TOTAL}/{TOTAL}", "Outcomes", "people"),
            )
        )
    if "outcomes_over_time" in by_name:
        out.append(
            (
                "Mean sustainability scores (economic, social, psychosocial and composite) of"
                " the people followed up, by month of registration.",
                _over_time(by_name["outcomes_over_time"]),
            )
        )
    if "residence" in by_name:
        out.append(
            (
                "People followed up, by residence at the latest contact that reached them.",
                _bars(by_name["residence"], f"{TOTAL}/{TOTAL}", "Residence", "people"),
            )
        )
    if "assistance" in by_name:
        s = by_name["assistance"]
        costs = [c for c in dict.fromkeys(x.split("/")[0] for x in s.column_labels) if c != TOTAL]
        out.append(
            (
                "Assistance committed and paid, by cost category.",
                _paired(s, [(TOTAL, c) for c in costs], "Amounts by cost category"),
            )
        )
        rows = [r for r in s.row_labels if r != TOTAL]
        out.append(
            (
                "Assistance committed and paid, by destination country.",
                _paired(s, [(r, TOTAL) for r in rows], "Amounts by destination"),
            )
        )
    return out
