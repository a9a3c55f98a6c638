"""What was published: the cells of each release, by population, table and months."""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from services.evaluation.domain.protect import ProtectedTable
from services.evaluation.domain.spec import TOTAL


class PublishedCell(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    label: tuple[str, ...]  # one level per dimension of the release (``Total`` for a margin)
    values: tuple[float, ...] | None  # None: suppressed


class Release(BaseModel):
    """One published table. ``population`` names whose facts these are (e.g. a fund)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    population: str = Field(min_length=1)
    table: str  # TableSpec.key
    dims: tuple[str, ...]
    periods: tuple[tuple[str, tuple[str, ...]], ...]  # (label, months) of each period level
    cells: tuple[PublishedCell, ...]

    @property
    def months(self) -> frozenset[str]:
        return frozenset(m for _, months in self.periods for m in months)

    def blocks(
        self,
    ) -> list[tuple[frozenset[str], dict[tuple[str, ...], tuple[float, ...] | None]]]:
        """The release as blocks of months: one per period level and one for them all, each
        with its cells keyed by their levels of the other dimensions."""
        if "period" not in self.dims:
            return [(self.months, {c.label: c.values for c in self.cells})]
        at = self.dims.index("period")
        months = {label: frozenset(ms) for label, ms in self.periods} | {TOTAL: self.months}
        out: dict[str, dict[tuple[str, ...], tuple[float, ...] | None]] = {p: {} for p in months}
        for cell in self.cells:
            out[cell.label[at]][cell.label[:at] + cell.label[at + 1 :]] = cell.values
        return [(months[p], cells) for p, cells in out.items()]


class Ledger(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    releases: tuple[Release, ...] = ()

    def add(self, release: Release) -> Ledger:
        return Ledger(releases=(*self.releases, release))

    def overlapping(self, population: str, table: str, months: frozenset[str]) -> list[Release]:
        return [
            r
            for r in self.releases
            if r.population == population and r.table == table and r.months & months
        ]


def release_of(protected: ProtectedTable, population: str) -> Release:
    """The release as published: every cell's values, or None where suppressed."""
    table = protected.table
    cells = []
    for cell in np.ndindex(table.shape):
        hidden = bool(protected.suppressed[cell])
        values = None if hidden else tuple(float(v) for v in table.values[cell])
        cells.append(PublishedCell(label=table.label(cell), values=values))
    return Release(
        population=population,
        table=table.spec.key,
        dims=table.spec.dims,
        periods=tuple((p.label, p.months) for p in table.spec.periods),
        cells=tuple(cells),
    )
