"""Facts for the evaluation tests: tables with known counts, built person by person."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from services.evaluation.domain.facts import ReturnFact
from services.evaluation.domain.frame import FactFrame, frame_of
from services.evaluation.domain.protect import ProtectedTable
from services.evaluation.domain.settings import TableSettings
from services.evaluation.domain.spec import (
    TOTAL,
    Dimension,
    Period,
    TableKind,
    TableSpec,
    half_year,
)

H1 = half_year(2026, 1)
DESTINATIONS = ("GT", "HN", "SV", "NI")
SEX_COLUMNS = ("female", "male", "unknown")  # "other" stays an empty column
AGES = ("0-4", "18-59", "60+")


def fact(**fields: object) -> ReturnFact:
    base: dict[str, object] = {
        "month": "2026-02",
        "office": "MX-01",
        "departure_country": "MX",
        "destination_country": "GT",
        "sex": "female",
        "age_band": "18-59",
        "categories": ("woman_at_risk",),
        "outcome": "returned",
    }
    base.update(fields)
    return ReturnFact.model_validate(base)


def facts_of_counts(
    counts: np.ndarray, dims: tuple[str, ...], levels: tuple[tuple[str, ...], ...]
) -> list[ReturnFact]:
    """``counts[i, j, ...]`` people at levels ``levels[0][i]``, ``levels[1][j]``..."""
    field = {
        "destination": "destination_country",
        "sex": "sex",
        "age_band": "age_band",
        "office": "office",
    }
    out = []
    for index in np.ndindex(counts.shape):
        values = {field[d]: levels[a][i] for a, (d, i) in enumerate(zip(dims, index, strict=True))}
        out.extend(fact(**values) for _ in range(int(counts[index])))
    return out


def frame(facts: Iterable[ReturnFact]) -> FactFrame:
    return frame_of(list(facts), TableSettings())


def spec(kind: TableKind, *dims: Dimension, periods: tuple[Period, ...] = (H1,)) -> TableSpec:
    return TableSpec(kind=kind, dims=dims, periods=periods)


def published(protected: ProtectedTable, measure: int = 0) -> dict[tuple[str, ...], float | None]:
    """Every cell as the export shows it: its value, or None where suppressed."""
    table = protected.table
    return {
        table.label(cell): None
        if protected.suppressed[cell]
        else float(table.values[cell + (measure,)])
        for cell in np.ndindex(table.shape)
    }


def recount(facts: Iterable[ReturnFact], dims: tuple[str, ...], label: tuple[str, ...]) -> int:
    """Independent re-aggregation: the people of the cell ``label``, counted one by one."""
    getters = {
        "destination": lambda f: [f.destination_country],
        "sex": lambda f: [f.sex],
        "age_band": lambda f: [f.age_band],
        "office": lambda f: [f.office],
        "category": lambda f: list(f.categories) or ["none"],
    }
    total = 0
    for f in facts:
        if f.outcome != "returned":
            continue
        weight = 1
        for d, v in zip(dims, label, strict=True):
            values = getters[d](f)
            weight *= len(values) if v == TOTAL else values.count(v)
        total += weight
    return total
