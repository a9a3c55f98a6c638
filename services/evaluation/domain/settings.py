"""Settings of the evaluation tables and of their disclosure control, with their defaults."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.kit.defaults import DEFAULT_CATEGORIES, DEFAULT_COST_CATEGORIES

UNKNOWN = "unknown"


class AgeBand(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str = Field(min_length=1, max_length=12)
    low: int = Field(ge=0, le=130)
    high: int | None = Field(default=None, description="Inclusive; None for an open band")


DEFAULT_AGE_BANDS = (
    AgeBand(label="0-4", low=0, high=4),
    AgeBand(label="5-11", low=5, high=11),
    AgeBand(label="12-17", low=12, high=17),
    AgeBand(label="18-59", low=18, high=59),
    AgeBand(label="60+", low=60),
)


class TableSettings(BaseModel):
    """What the tables are made of: the levels of the fixed dimensions."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    age_bands: tuple[AgeBand, ...] = DEFAULT_AGE_BANDS
    categories: tuple[str, ...] = tuple(DEFAULT_CATEGORIES)
    cost_categories: tuple[str, ...] = tuple(DEFAULT_COST_CATEGORIES)
    score_threshold: float = Field(
        default=0.5, ge=0, le=1, description="Programme-defined cut-off: composite >= threshold"
    )

    @model_validator(mode="after")
    def _bands_are_contiguous(self) -> TableSettings:
        expected = 0
        for band in self.age_bands:
            if band.low != expected:
                raise ValueError(f"age band {band.label} should start at {expected}")
            if band.high is None:
                break
            expected = band.high + 1
        if self.age_bands[-1].high is not None:
            raise ValueError("the last age band must be open (e.g. '60+')")
        return self

    @property
    def age_labels(self) -> tuple[str, ...]:
        return (*(b.label for b in self.age_bands), UNKNOWN)

    def age_band(self, age_years: int | None) -> str:
        if age_years is None:
            return UNKNOWN
        for band in self.age_bands:
            if band.high is None or age_years <= band.high:
                return band.label
        return UNKNOWN  # pragma: no cover - the last band is open


Fraction = Annotated[float, Field(gt=0, lt=1)]


class DisclosureSettings(BaseModel):
    """The rules of docs/evaluation-disclosure.md; defaults from DOMAIN.md."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    k: int = Field(default=5, ge=2, description="Counts 1..k-1 and means over < k people hidden")
    dominance_n: int = Field(default=2, ge=1, le=2, description="The two largest at most")
    dominance_k: Fraction = 0.85
    p_percent: Fraction = 0.10
    protection_ratio: Fraction = Field(
        default=0.10, description="Each side of a hidden cell's interval: at least this share"
    )
    protection_min_count: int = Field(
        default=5, ge=1, description="...and, for counts, at least this many people upwards"
    )
    max_rounds: int = Field(default=4, ge=1, description="Audit-and-extend rounds before refusing")
