"""The tables an export offers and how each is laid out: one protected cross table per
export table, published wide (a row per level of its row dimension, a column per sex and age
band, or per cost category and measure) with a human header and an HXL hashtag row.

HXL: core hashtags here are ``#date``, ``#country``, ``#affected``, ``#value``, ``#status``,
``#indicator`` and ``#meta``; core attributes ``+start``, ``+end``, ``+code``, ``+f``, ``+m``,
``+children``, ``+adults``, ``+elderly``. Custom (allowed by the standard, named here):
``+returnees`` (proposed, not yet released), ``+dest``, ``+total``, the age bands in the
``+age12_17`` style, ``+age60plus``, ``+age_unknown``, ``+sex_other``, ``+sex_unknown``,
``+committed``, ``+paid``, ``+category``, ``+cost_<category>`` and ``+outcome``.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.evaluation.domain.facts import LifecycleOutcome
from services.evaluation.domain.protect import ProtectedTable
from services.evaluation.domain.publish import SUPPRESSED, notes
from services.evaluation.domain.publish import rows as rows_of
from services.evaluation.domain.settings import TableSettings
from services.evaluation.domain.spec import TOTAL, Dimension, Period, TableKind, TableSpec
from services.evaluation.schemas import TableName


@dataclass(frozen=True)
class TableDef:
    title: str
    kind: TableKind
    row: Dimension
    outcomes: tuple[LifecycleOutcome, ...] = ("returned",)
    over_time: bool = False  # by month of the period, and nothing else

    def spec(self, period: Period) -> TableSpec:
        if self.over_time:
            months = tuple(Period(label=m, months=(m,)) for m in period.months)
            return TableSpec(kind=self.kind, dims=("period",), periods=months)
        cols: tuple[Dimension, ...] = (
            ("cost_category",) if self.kind == "assistance" else ("sex", "age_band")
        )
        return TableSpec(
            kind=self.kind, dims=(self.row, *cols), periods=(period,), outcomes=self.outcomes
        )


TABLES: dict[TableName, TableDef] = {
    "returns": TableDef(
        "People returned, by destination country, sex and age", "returns", "destination"
    ),
    "returns_by_category": TableDef(
        "People returned, by vulnerability category, sex and age", "returns", "category"
    ),
    "lifecycle": TableDef(
        "Cases by outcome (returned, withdrawn, ineligible), sex and age",
        "returns",
        "outcome",
        ("withdrawn", "ineligible", "returned"),
    ),
    "assistance": TableDef(
        "Assistance committed and paid, by destination country and cost category",
        "assistance",
        "destination",
    ),
    "outcomes": TableDef(
        "Reintegration outcomes (mean scores, share above threshold, contacts), by destination"
        " country, sex and age",
        "outcomes",
        "destination",
    ),
    "outcomes_by_category": TableDef(
        "Reintegration outcomes, by vulnerability category, sex and age", "outcomes", "category"
    ),
    "outcomes_over_time": TableDef(
        "Reintegration outcomes by month of registration", "outcomes", "period", over_time=True
    ),
    "residence": TableDef(
        "People followed up, by residence at the latest contact that reached them, sex and age",
        "returns",
        "residence",
    ),
    "remigration_intention": TableDef(
        "People followed up, by re-migration intention at the latest contact, sex and age",
        "returns",
        "intention",
    ),
    "closures": TableDef(
        "People followed up, by how their follow-up closed (or open), sex and age",
        "returns",
        "closure",
    ),
}

Cell = str | int | float


@dataclass(frozen=True)
class Sheet:
    """One published table as rows of text and numbers (amounts as decimal text)."""

    name: TableName
    title: str
    headers: tuple[str, ...]
    hashtags: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    notes: tuple[str, ...]
    cells: int
    suppressed: int
    primary: int
    # for the charts: (row label, column label) -> value or None (suppressed)
    grid: dict[tuple[str, str], tuple[float, ...] | None]
    row_labels: tuple[str, ...]
    column_labels: tuple[str, ...]


_ROW_TAG = {
    "destination": ("Destination country", "#country+code+dest"),
    "category": ("Vulnerability category", "#indicator+category"),
    "outcome": ("Outcome", "#status+outcome"),
    "residence": ("Residence", "#status+residence"),
    "intention": ("Re-migration intention", "#status+intention"),
    "closure": ("Follow-up closure", "#status+closure"),
    "period": ("Month of registration", "#date+month"),
    "sex": ("Sex", "#meta+sex"),
    "age_band": ("Age band", "#meta+age"),
}

# The published measures of an outcomes table (publish._figures), with header and hashtag.
_OUTCOME_COLUMNS = (
    ("people", "People followed up", "#affected+returnees+followed"),
    ("mean_economic", "Mean economic score", "#indicator+score+economic+mean"),
    ("mean_social", "Mean social score", "#indicator+score+social+mean"),
    ("mean_psychosocial", "Mean psychosocial score", "#indicator+score+psychosocial+mean"),
    ("mean_composite", "Mean composite score", "#indicator+score+composite+mean"),
    ("share_above", "Share at or above threshold", "#indicator+score+composite+share_above"),
    ("contacts_done", "Contacts done", "#indicator+contacts+done"),
    ("contacts_due", "Contacts due", "#indicator+contacts+due"),
)
# what the chart of outcomes over time draws, from the grid
OUTCOME_CHART = ("mean_economic", "mean_social", "mean_psychosocial", "mean_composite")


def _sex_attr(sex: str) -> str:
    return {"female": "+f", "male": "+m", "other": "+sex_other", "unknown": "+sex_unknown"}.get(
        sex, ""
    )


def _age_attrs(label: str, settings: TableSettings) -> str:
    if label == TOTAL:
        return ""
    if label == "unknown":
        return "+age_unknown"
    band = next(b for b in settings.age_bands if b.label == label)
    custom = f"+age{band.low}plus" if band.high is None else f"+age{band.low}_{band.high}"
    if band.high is not None and band.high <= 17:
        core = "+children"
    elif band.low >= 60:
        core = "+elderly"
    elif band.low >= 18 and band.high is not None and band.high <= 59:
        core = "+adults"
    else:
        core = ""
    return custom + core


def cents_text(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


def _number(value: float | int | str) -> float:
    return float("nan") if value == "" else float(value)


def _outcomes_sheet(
    name: TableName, protected: ProtectedTable, period: Period, extra_notes: tuple[str, ...]
) -> Sheet:
    """An outcomes table published long: a row per cell (each level and Total of every
    dimension), a column per figure (people, means, share above threshold, contacts)."""
    table = protected.table
    dims = table.spec.dims
    headers = (
        "Period start",
        "Period end",
        *(_ROW_TAG[d][0] for d in dims),
        *(c[1] for c in _OUTCOME_COLUMNS),
    )
    hashtags = (
        "#date+start",
        "#date+end",
        *(_ROW_TAG[d][1] for d in dims),
        *(c[2] for c in _OUTCOME_COLUMNS),
    )
    start, end = period.months[0], period.months[-1]
    rows: list[tuple[Cell, ...]] = []
    grid: dict[tuple[str, str], tuple[float, ...] | None] = {}
    for published in rows_of(protected):
        figures = dict(published.figures)
        values = [figures[n] for n, _, _ in _OUTCOME_COLUMNS]
        rows.append((start, end, *published.label, *values))
        column = "/".join(published.label[1:]) or TOTAL
        hidden = any(v == SUPPRESSED for v in values)
        grid[(published.label[0], column)] = (
            None if hidden else tuple(_number(figures[n]) for n in OUTCOME_CHART)
        )
    loss = protected.loss
    return Sheet(
        name=name,
        title=TABLES[name].title,
        headers=headers,
        hashtags=hashtags,
        rows=tuple(rows),
        notes=(*notes(protected), *extra_notes),
        cells=loss.cells,
        suppressed=loss.suppressed,
        primary=loss.primary,
        grid=grid,
        row_labels=(*table.levels[0], TOTAL),
        column_labels=tuple(dict.fromkeys(c for _, c in grid)),
    )


def sheet(
    name: TableName,
    protected: ProtectedTable,
    period: Period,
    settings: TableSettings,
    rules_note: str,
    extra_notes: tuple[str, ...] = (),
) -> Sheet:
    if protected.table.spec.kind == "outcomes":
        return _outcomes_sheet(name, protected, period, (*extra_notes, rules_note))
    table = protected.table
    spec = table.spec
    definition = TABLES[name]
    row_levels = (*table.levels[0], TOTAL)
    col_cells: list[tuple[tuple[int, ...], str, str, str]] = []  # (index, header, tag, label)
    if spec.kind == "assistance":
        for j, cost in enumerate((*table.levels[1], TOTAL)):
            for m, measure in enumerate(("committed", "paid")):
                tag_cost = "+total" if cost == TOTAL else f"+cost_{cost}"
                col_cells.append(
                    (
                        (j, m),
                        f"{measure} {cost}",
                        f"#value+{measure}{tag_cost}",
                        f"{cost}/{measure}",
                    )
                )
    else:
        base = "#affected+returnees" if spec.outcomes == ("returned",) else "#affected"
        for s, sex in enumerate((*table.levels[1], TOTAL)):
            for a, age in enumerate((*table.levels[2], TOTAL)):
                attrs = _sex_attr(sex) + _age_attrs(age, settings)
                tag = base + (attrs or "+total")
                col_cells.append(((s, a), f"{sex} {age}", tag, f"{sex}/{age}"))
    header_row, tag_row = _ROW_TAG[spec.dims[0]]
    headers = ("Period start", "Period end", header_row, *(c[1] for c in col_cells))
    hashtags = ("#date+start", "#date+end", tag_row, *(c[2] for c in col_cells))
    start, end = period.months[0], period.months[-1]
    rows: list[tuple[Cell, ...]] = []
    grid: dict[tuple[str, str], tuple[float, ...] | None] = {}
    for r, level in enumerate(row_levels):
        out: list[Cell] = [start, end, level]
        for (c, extra), _, _, label in col_cells:
            if spec.kind == "assistance":
                cell: tuple[int, ...] = (r, c)
                hidden = bool(protected.suppressed[cell])
                value = table.values[cell + (extra,)]
                out.append(SUPPRESSED if hidden else cents_text(int(round(float(value)))))
                grid[(level, label)] = None if hidden else (float(value) / 100,)
            else:
                cell = (r, c, extra)
                hidden = bool(protected.suppressed[cell])
                value = table.values[cell + (0,)]
                out.append(SUPPRESSED if hidden else int(round(float(value))))
                grid[(level, label)] = None if hidden else (float(value),)
        rows.append(tuple(out))
    loss = protected.loss
    return Sheet(
        name=name,
        title=definition.title,
        headers=headers,
        hashtags=hashtags,
        rows=tuple(rows),
        notes=(*notes(protected), rules_note),
        cells=loss.cells,
        suppressed=loss.suppressed,
        primary=loss.primary,
        grid=grid,
        row_labels=tuple(row_levels),
        column_labels=tuple(c[3] for c in col_cells),
    )
