"""What a table is: its kind (what it counts or sums), its dimensions and its periods."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.evaluation.domain.facts import LifecycleOutcome

TOTAL = "Total"
NO_CATEGORY = "none"

Dimension = Literal[
    "period",
    "office",
    "departure",
    "destination",
    "sex",
    "age_band",
    "category",
    "outcome",
    "cost_category",
    "residence",
    "intention",
    "closure",
    "instrument",
]
TableKind = Literal["returns", "assistance", "outcomes"]
# Dimensions where one fact falls in several cells: its categories, its cost lines.
EXPLODED: tuple[Dimension, ...] = ("category", "cost_category")


class Period(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str = Field(pattern=r"^[A-Za-z0-9_-]{1,20}$")
    months: tuple[str, ...] = Field(min_length=1)


def half_year(year: int, half: Literal[1, 2]) -> Period:
    first = 1 if half == 1 else 7
    return Period(
        label=f"{year}-H{half}", months=tuple(f"{year}-{m:02d}" for m in range(first, first + 6))
    )


class TableSpec(BaseModel):
    """A table over the facts of ``periods``: people (returns), cents (assistance) or
    follow-up outcomes, by ``dims`` with every margin."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: TableKind
    dims: tuple[Dimension, ...] = Field(min_length=1)
    periods: tuple[Period, ...] = Field(min_length=1)
    outcomes: tuple[LifecycleOutcome, ...] = ("returned",)

    @model_validator(mode="after")
    def _consistent(self) -> TableSpec:
        if len(set(self.dims)) != len(self.dims):
            raise ValueError("a dimension appears twice")
        months = [m for p in self.periods for m in p.months]
        if len(set(months)) != len(months):
            raise ValueError("periods of one table must not overlap")
        if "cost_category" in self.dims and self.kind != "assistance":
            raise ValueError("cost_category is a dimension of assistance tables only")
        return self

    @property
    def months(self) -> frozenset[str]:
        return frozenset(m for p in self.periods for m in p.months)

    @property
    def key(self) -> str:
        """The table's identity in the ledger: kind, dimensions other than the period (a
        period dimension only splits the months) and population filter."""
        dims = "x".join(d for d in self.dims if d != "period") or "-"
        return f"{self.kind}:{dims}:{'+'.join(self.outcomes)}"
