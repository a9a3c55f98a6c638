"""Facts and their tables: what a fact may hold, how people and cents are counted."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from services.evaluation.domain.facts import ReintegrationFacts, ReturnFact
from services.evaluation.domain.primary import primary_cells
from services.evaluation.domain.protect import protect
from services.evaluation.domain.publish import SUPPRESSED, notes, rows
from services.evaluation.domain.settings import DisclosureSettings, TableSettings
from services.evaluation.domain.tables import aggregate
from tests.unit.evaluation.factories import fact, frame, spec

RULES = DisclosureSettings()


def test_a_fact_holds_nothing_that_identifies_a_person() -> None:
    fields = set(ReturnFact.model_fields) | set(ReintegrationFacts.model_fields)

    assert not {"person_ref", "case_id", "name", "date_of_birth", "notes", "arrived_on"} & fields
    with pytest.raises(ValidationError):
        fact(person_ref="p_" + "0" * 32)


def test_age_bands_are_a_setting_with_the_unhcr_defaults() -> None:
    settings = TableSettings()

    assert settings.age_labels == ("0-4", "5-11", "12-17", "18-59", "60+", "unknown")
    assert [settings.age_band(a) for a in (0, 4, 5, 17, 18, 59, 60, None)] == [
        "0-4", "0-4", "5-11", "12-17", "18-59", "18-59", "60+", "unknown",
    ]  # fmt: skip


def test_a_person_counts_once_in_each_of_their_categories_and_the_notes_say_so() -> None:
    facts = [fact(categories=("woman_at_risk", "disability")), fact(categories=("disability",))]

    table = aggregate(frame(facts), spec("returns", "category"))
    protected = protect(table, RULES)

    people = dict(zip(table.levels[0] + ("Total",), table.values[:, 0].tolist(), strict=True))
    assert people["disability"] == 2 and people["woman_at_risk"] == 1 and people["Total"] == 3
    assert table.contributors[-1] == 2  # two people behind the three person-categories
    assert any("not of people" in n for n in notes(protected))


def test_withdrawn_and_ineligible_people_are_counted_only_when_asked_for() -> None:
    facts = [fact(), fact(outcome="withdrawn"), fact(outcome="ineligible")]

    returned = aggregate(frame(facts), spec("returns", "sex"))
    by_outcome = aggregate(
        frame(facts),
        spec("returns", "outcome").model_copy(
            update={"outcomes": ("withdrawn", "ineligible", "returned")}
        ),
    )

    assert returned.values[-1, 0] == 1
    assert by_outcome.values[:, 0].tolist() == [1, 1, 1, 3]


def _assistance(amounts: list[int]):
    facts = [
        fact(committed_cents=(("transport", a),), paid_cents=(("transport", a),)) for a in amounts
    ]
    return aggregate(frame(facts), spec("assistance", "destination", "cost_category"))


def test_a_sum_dominated_by_two_people_is_primary_by_the_n_k_rule() -> None:
    table = _assistance([90_000, 5_000, 1_000, 1_000, 1_000])

    primary = primary_cells(table, RULES)

    cell = table.index(("GT", "transport"))
    assert table.top1[cell + (0,)] == 90_000 and table.top2[cell + (0,)] == 5_000
    assert primary[cell]


def test_the_p_percent_rule_catches_what_dominance_lets_through() -> None:
    # top two = 80% (< 85%), but the other three sum to 2,000: under 10% of the largest
    table = _assistance([40_000, 40_000, 20_000, 1_000, 1_000])
    assert not (table.top1 + table.top2 > 0.85 * table.values)[
        table.index(("GT", "transport")) + (0,)
    ]

    primary = primary_cells(table, RULES)

    assert not primary[table.index(("GT", "transport"))]  # 20,000+2,000 >= 4,000: safe
    table = _assistance([40_000, 30_000, 1_500, 1_000, 1_000, 1_000])
    assert primary_cells(table, RULES)[table.index(("GT", "transport"))]


def test_equal_amounts_of_five_people_are_published_to_the_cent() -> None:
    table = _assistance([12_345] * 5)

    protected = protect(table, RULES)

    assert not protected.suppressed.any()
    assert dict(rows(protected)[-1].figures) == {"committed_cents": 61_725, "paid_cents": 61_725}


def _followed(composite: float, economic: float | None = 0.5, sex: str = "female") -> ReturnFact:
    return fact(
        sex=sex,
        reintegration=ReintegrationFacts(
            instrument_version="rss-2017",
            economic=economic,
            composite=composite,
            contacts_done=2,
            contacts_due=3,
        ),
    )


def test_outcome_means_over_fewer_than_k_people_are_suppressed_and_the_others_published() -> None:
    facts = [_followed(0.2 + 0.1 * i) for i in range(6)] + [
        _followed(0.9, sex="male") for _ in range(2)
    ]
    table = aggregate(frame(facts), spec("outcomes", "sex"))

    protected = protect(table, RULES)

    published = {r.label: dict(r.figures) for r in rows(protected)}
    assert published[("male",)]["mean_composite"] == SUPPRESSED
    assert published[("female",)]["mean_composite"] == SUPPRESSED  # else male = Total - female
    assert published[("Total",)]["mean_composite"] == round(
        (sum(0.2 + 0.1 * i for i in range(6)) + 1.8) / 8, 3
    )
    assert published[("Total",)]["share_above"] == round(5 / 8, 3)
    assert published[("Total",)]["contacts_due"] == 24


def test_a_mean_with_too_few_answers_hides_the_cell_even_with_enough_people() -> None:
    facts = [_followed(0.5, economic=None) for _ in range(8)] + [
        _followed(0.5, economic=0.4) for _ in range(2)
    ]
    table = aggregate(frame(facts), spec("outcomes", "sex"))

    assert primary_cells(table, RULES)[table.index(("female",))]
    assert np.isclose(
        table.values[table.index(("female",)) + (table.measures.index("sum_economic"),)], 0.8
    )


def test_tables_of_one_population_are_slices_of_one_pattern() -> None:
    facts = [
        fact(destination_country=d, sex=s)
        for d in ("GT", "HN")
        for s in ("female", "male")
        for _ in range(6)
    ]
    facts += [fact(destination_country="SV", sex="male")]
    protected = protect(
        aggregate(frame(facts), spec("returns", "destination", "sex", "age_band")), RULES
    )

    by_destination = {r.label: dict(r.figures)["people"] for r in rows(protected, ("destination",))}

    assert by_destination[("Total",)] == 25 and len(by_destination) == 4
    assert by_destination[("SV",)] == SUPPRESSED  # one person
    table = protected.table
    for (destination,), shown in by_destination.items():
        cell = table.index((destination, "Total", "Total"))
        assert shown == (SUPPRESSED if protected.suppressed[cell] else table.values[cell + (0,)])
