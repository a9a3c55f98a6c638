"""Reintegration sustainability scores: a generic engine over a versioned instrument kept as
data (questions, answer options with a value in 0-1, weights per dimension and for the
composite, missing codes, thresholds).

The managing agency measures outcomes with the Reintegration Sustainability Survey (MEASURE,
IOM and Samuel Hall 2017): 15 indicators over three dimensions, four scores per person in 0-1
(higher = more sustainable). Its exact questions and weights are not public in a form we can
cite, so the instrument is data: the repository ships an illustrative version and the agency
enters the official one as a new version, without code. Rules kept whatever the version:

- "don't know" / "refused" (the instrument's missing codes) and unanswered questions are
  missing, never 0;
- a dimension whose answered weight is below ``min_answered_share`` of its weight is
  *insufficient* (no score), and so is the composite when any dimension is (a composite over
  fewer dimensions would not compare with others);
- every score carries the instrument version; scores are exact fractions rounded half-even
  to four decimals.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Annotated, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from events.reintegration import Dimension
from services.reintegration.domain.errors import SurveyAnswersInvalidError

DIMENSIONS: tuple[Dimension, ...] = get_args(Dimension)
SCORE_PLACES = Decimal("0.0001")
Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Unit = Annotated[Decimal, Field(ge=0, le=1)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AnswerOption(_Model):
    code: Code
    label: str = Field(min_length=1)
    value: Unit


class Indicator(_Model):
    id: Code
    dimension: Dimension
    question: str = Field(min_length=1)
    weight: Decimal = Field(gt=0, description="Weight within its dimension")
    options: tuple[AnswerOption, ...] = Field(min_length=2)

    @model_validator(mode="after")
    def _distinct_codes(self) -> Indicator:
        codes = [o.code for o in self.options]
        if len(set(codes)) != len(codes):
            raise ValueError(f"indicator '{self.id}' repeats an answer code")
        return self

    def value_of(self, code: str) -> Decimal:
        for option in self.options:
            if option.code == code:
                return option.value
        raise KeyError(code)


class Instrument(_Model):
    version: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,39}$")]
    title: str = Field(min_length=1)
    illustrative: bool = Field(description="True unless these are an agency's official weights")
    missing_codes: tuple[Code, ...] = ("dont_know", "refused")
    min_answered_share: Decimal = Field(default=Decimal("0.6"), gt=0, le=1)
    threshold: Unit = Field(
        default=Decimal("0.5"), description="Programme-defined cut-off for the composite score"
    )
    composite_weights: dict[Dimension, Decimal]
    indicators: tuple[Indicator, ...]

    @model_validator(mode="after")
    def _complete(self) -> Instrument:
        ids = [i.id for i in self.indicators]
        if len(set(ids)) != len(ids):
            raise ValueError("indicator ids must be unique")
        missing = [d for d in DIMENSIONS if not any(i.dimension == d for i in self.indicators)]
        if missing:
            raise ValueError(f"no indicator for dimension(s): {', '.join(missing)}")
        if set(self.composite_weights) != set(DIMENSIONS):
            raise ValueError(f"composite_weights needs exactly: {', '.join(DIMENSIONS)}")
        if any(w <= 0 for w in self.composite_weights.values()):
            raise ValueError("composite weights must be above 0")
        for indicator in self.indicators:
            clash = {o.code for o in indicator.options} & set(self.missing_codes)
            if clash:
                raise ValueError(
                    f"indicator '{indicator.id}' uses missing code(s) {sorted(clash)} as answers"
                )
        return self

    def indicator(self, indicator_id: str) -> Indicator | None:
        return next((i for i in self.indicators if i.id == indicator_id), None)


def parse_instrument(text: str, *, source: str = "instrument") -> Instrument:
    """An instrument from its TOML text; a clear error names what is wrong in it."""
    try:
        return Instrument.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{source}: not valid TOML: {e}") from e
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in e.errors()
        )
        raise ValueError(f"{source}: {problems}") from e


@dataclass(frozen=True)
class DimensionScore:
    dimension: Dimension
    score: Decimal | None  # None: insufficient
    answered_share: Decimal

    @property
    def insufficient(self) -> bool:
        return self.score is None


@dataclass(frozen=True)
class Scores:
    instrument_version: str
    dimensions: tuple[DimensionScore, ...]
    composite: Decimal | None
    above_threshold: bool | None
    answered: int
    missing: int

    def of(self, dimension: Dimension) -> DimensionScore:
        return next(d for d in self.dimensions if d.dimension == dimension)


def _round(value: Fraction) -> Decimal:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(SCORE_PLACES, rounding=ROUND_HALF_EVEN)


def check_answers(
    instrument: Instrument, answers: Mapping[str, str], *, field_prefix: str = "answers"
) -> None:
    """Every answer names an indicator of the instrument and one of its codes (or a missing
    code); otherwise a 422 naming each wrong answer."""
    problems = []
    for indicator_id, code in sorted(answers.items()):
        indicator = instrument.indicator(indicator_id)
        field = f"{field_prefix}.{indicator_id}"
        if indicator is None:
            problems.append(
                {"field": field, "problem": f"no such indicator in '{instrument.version}'"}
            )
            continue
        allowed = [o.code for o in indicator.options] + list(instrument.missing_codes)
        if code not in allowed:
            problems.append({"field": field, "problem": f"use one of: {', '.join(allowed)}"})
    if problems:
        raise SurveyAnswersInvalidError(
            f"{len(problems)} survey answer(s) do not fit instrument '{instrument.version}'",
            errors=problems,
        )


@dataclass(frozen=True)
class _Tally:
    """One dimension's answers, exactly: total weight, answered weight, weighted values."""

    total: Fraction
    answered_weight: Fraction
    weighted: Fraction
    answered: int

    def sufficient(self, min_share: Decimal) -> bool:
        return self.answered_weight > 0 and self.share >= Fraction(min_share)

    @property
    def share(self) -> Fraction:
        return self.answered_weight / self.total

    @property
    def exact(self) -> Fraction:
        return self.weighted / self.answered_weight


def _tally(instrument: Instrument, answers: Mapping[str, str], dimension: str) -> _Tally:
    missing_codes = set(instrument.missing_codes)
    total, answered_weight, weighted, answered = Fraction(0), Fraction(0), Fraction(0), 0
    for indicator in instrument.indicators:
        if indicator.dimension != dimension:
            continue
        weight = Fraction(indicator.weight)
        total += weight
        code = answers.get(indicator.id)
        if code is None or code in missing_codes:
            continue
        answered += 1
        answered_weight += weight
        weighted += weight * Fraction(indicator.value_of(code))
    return _Tally(total, answered_weight, weighted, answered)


def score(instrument: Instrument, answers: Mapping[str, str]) -> Scores:
    """The four scores of one survey (answers: indicator id -> answer code)."""
    check_answers(instrument, answers)
    tallies = {d: _tally(instrument, answers, d) for d in DIMENSIONS}
    minimum = instrument.min_answered_share
    dimension_scores = tuple(
        DimensionScore(d, _round(t.exact) if t.sufficient(minimum) else None, _round(t.share))
        for d, t in tallies.items()
    )
    composite: Decimal | None = None
    if all(t.sufficient(minimum) for t in tallies.values()):
        weights = {d: Fraction(w) for d, w in instrument.composite_weights.items()}
        exact = sum((weights[d] * t.exact for d, t in tallies.items()), Fraction(0))
        composite = _round(exact / sum(weights.values(), Fraction(0)))
    answered = sum(t.answered for t in tallies.values())
    return Scores(
        instrument_version=instrument.version,
        dimensions=dimension_scores,
        composite=composite,
        above_threshold=None if composite is None else composite >= instrument.threshold,
        answered=answered,
        missing=len(instrument.indicators) - answered,
    )
