"""The scoring engine over versioned instruments: missing is never 0, too little answered is
insufficient, each score keeps its instrument's version."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.kit.errors import InvalidInputError
from services.reintegration.domain.scoring import (
    DIMENSIONS,
    Instrument,
    parse_instrument,
    score,
)

SHIPPED = Path(__file__).resolve().parents[3] / "services" / "reintegration" / "instruments"
ILLUSTRATIVE = parse_instrument((SHIPPED / "illustrative-1.toml").read_text())

SMALL = """
version = "{version}"
title = "two questions a dimension"
illustrative = true
min_answered_share = "0.5"
threshold = "0.5"
[composite_weights]
economic = "{economic_weight}"
social = "1"
psychosocial = "1"
[[indicators]]
id = "income"
dimension = "economic"
question = "Income?"
weight = "3"
options = [{{ code = "yes", label = "Yes", value = "1" }}, {{ code = "no", label = "No", value = "0" }}]
[[indicators]]
id = "debt"
dimension = "economic"
question = "Debt?"
weight = "1"
options = [{{ code = "none", label = "None", value = "1" }}, {{ code = "some", label = "Some", value = "0.5" }}]
[[indicators]]
id = "housing"
dimension = "social"
question = "Housing?"
weight = "1"
options = [{{ code = "good", label = "Good", value = "1" }}, {{ code = "poor", label = "Poor", value = "0" }}]
[[indicators]]
id = "network"
dimension = "psychosocial"
question = "Support?"
weight = "1"
options = [{{ code = "yes", label = "Yes", value = "1" }}, {{ code = "no", label = "No", value = "0.25" }}]
"""


def small(version: str = "test-1", economic_weight: str = "1") -> Instrument:
    return parse_instrument(SMALL.format(version=version, economic_weight=economic_weight))


ALL = {"income": "no", "debt": "some", "housing": "good", "network": "no"}


def test_the_shipped_instrument_has_15_indicators_over_three_dimensions_and_says_it_is_illustrative() -> (
    None
):
    assert ILLUSTRATIVE.version == "illustrative-1"
    assert ILLUSTRATIVE.illustrative
    assert len(ILLUSTRATIVE.indicators) == 15
    assert {d: sum(i.dimension == d for i in ILLUSTRATIVE.indicators) for d in DIMENSIONS} == {
        "economic": 5,
        "social": 5,
        "psychosocial": 5,
    }


def test_dimension_scores_are_weighted_means_and_the_composite_weights_the_dimensions() -> None:
    scores = score(small(), ALL)
    # economic: (3*0 + 1*0.5) / 4 = 0.125; social 1; psychosocial 0.25
    assert [d.score for d in scores.dimensions] == [
        Decimal("0.1250"),
        Decimal("1.0000"),
        Decimal("0.2500"),
    ]
    assert scores.composite == Decimal("0.4583")  # (0.125 + 1 + 0.25) / 3, half-even
    assert scores.above_threshold is False
    assert (scores.answered, scores.missing) == (4, 0)


def test_dont_know_is_missing_not_zero() -> None:
    answered = {**ALL, "income": "yes"}
    with_dont_know = score(small(), {**answered, "debt": "dont_know"})
    left_out = score(small(), {k: v for k, v in answered.items() if k != "debt"})
    # income alone (3 of 4 weight answered): 1.0, not (3*1 + 1*0) / 4 = 0.75
    assert with_dont_know.of("economic").score == Decimal("1.0000")
    assert with_dont_know.of("economic").answered_share == Decimal("0.7500")
    assert with_dont_know == left_out
    assert score(small(), answered).of("economic").score == Decimal("0.8750")


def test_too_little_answered_weight_is_insufficient_and_so_is_the_composite() -> None:
    # income carries 3 of the economic dimension's 4: without it, 1/4 < 0.5 answered
    only_debt = score(small(), {"debt": "some", "housing": "good", "network": "yes"})
    assert only_debt.of("economic").insufficient
    assert only_debt.of("economic").answered_share == Decimal("0.2500")
    assert only_debt.composite is None and only_debt.above_threshold is None
    assert only_debt.of("social").score == Decimal("1.0000")


def test_a_new_version_scores_the_same_answers_its_own_way_and_the_old_result_keeps_its_own() -> (
    None
):
    old = score(small("test-1"), ALL)
    new = score(small("test-2", economic_weight="4"), ALL)
    assert (old.instrument_version, new.instrument_version) == ("test-1", "test-2")
    assert old.composite == Decimal("0.4583")
    assert new.composite == Decimal("0.2917")  # (4 * 0.125 + 1 + 0.25) / 6
    assert old == score(small("test-1"), ALL)


def test_answers_outside_the_instrument_are_refused_naming_each_field() -> None:
    with pytest.raises(InvalidInputError) as e:
        score(small(), {**ALL, "income": "maybe", "shoe_size": "42"})
    fields = {p["field"]: p["problem"] for p in e.value.extra["errors"]}
    assert set(fields) == {"answers.income", "answers.shoe_size"}
    assert "yes, no, dont_know, refused" in fields["answers.income"]
    assert "no such indicator in 'test-1'" in fields["answers.shoe_size"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('economic = "{economic_weight}"', 'economic = "0"'), "composite weights must be above 0"),
        (('id = "debt"', 'id = "income"'), "indicator ids must be unique"),
        (('dimension = "social"', 'dimension = "economic"'), "no indicator for dimension"),
        (('code = "none"', 'code = "dont_know"'), "uses missing code"),
        (('value = "0.5"', 'value = "1.5"'), "less than or equal to 1"),
        (('version = "{version}"', 'version = "Has Spaces"'), "version"),
        (("[[indicators]]", "[[indicators]"), "not valid TOML"),
    ],
)
def test_an_instrument_file_that_is_wrong_says_what_is_wrong(
    change: tuple[str, str], message: str
) -> None:
    text = SMALL.replace(*change, 1).format(version="bad-1", economic_weight="1")
    with pytest.raises(ValueError, match=message):
        parse_instrument(text, source="bad.toml")


answer_sets = st.fixed_dictionaries(
    {},
    optional={
        i.id: st.sampled_from([o.code for o in i.options] + ["dont_know", "refused"])
        for i in ILLUSTRATIVE.indicators
    },
)


@given(answer_sets)
def test_every_score_is_in_0_1_and_the_composite_exists_only_when_every_dimension_does(
    answers: dict[str, str],
) -> None:
    scores = score(ILLUSTRATIVE, answers)
    values = [d.score for d in scores.dimensions if d.score is not None]
    assert all(Decimal(0) <= v <= Decimal(1) for v in values)
    assert (scores.composite is not None) == (len(values) == 3)
    if scores.composite is not None:
        assert (
            min(values) - Decimal("0.0001") <= scores.composite <= max(values) + Decimal("0.0001")
        )
    assert scores.answered + scores.missing == 15


@given(answer_sets)
def test_a_missing_answer_scores_as_if_the_question_was_not_asked(answers: dict[str, str]) -> None:
    as_missing = {k: v for k, v in answers.items() if v not in ("dont_know", "refused")}
    assert score(ILLUSTRATIVE, answers) == score(ILLUSTRATIVE, as_missing)
