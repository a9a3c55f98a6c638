"""Primary and complementary suppression, proved by the LP audit on crafted tables."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from services.evaluation.domain.audit import audit, under_protected
from services.evaluation.domain.primary import sensitivity
from services.evaluation.domain.protect import protect
from services.evaluation.domain.settings import DisclosureSettings
from services.evaluation.domain.tables import aggregate
from tests.unit.evaluation.factories import (
    AGES,
    DESTINATIONS,
    SEX_COLUMNS,
    facts_of_counts,
    frame,
    published,
    recount,
    spec,
)

RULES = DisclosureSettings()
GRID = np.array([[20, 3, 15], [12, 9, 14], [10, 11, 30]])


def _grid_table(counts: np.ndarray = GRID):
    facts = facts_of_counts(counts, ("destination", "sex"), (DESTINATIONS, SEX_COLUMNS))
    return facts, aggregate(frame(facts), spec("returns", "destination", "sex"))


def _interval(protected, label: tuple[str, ...]) -> tuple[float, float]:
    """The LP interval of one hidden cell given everything published (full audit)."""
    everything = audit(protected.table, protected.suppressed)
    flat = np.ravel_multi_index(protected.table.index(label), protected.table.shape)
    row = int(np.searchsorted(everything.cells, flat))
    lo, hi = everything.intervals[row, 0]
    return float(lo), float(hi)


def test_a_lone_suppressed_cell_is_recomputed_from_its_margins() -> None:
    _, table = _grid_table()
    sens = sensitivity(table, RULES)

    result = audit(table, sens.primary)

    assert sens.primary.sum() == 1
    assert result.intervals[0, 0].tolist() == [3.0, 3.0]
    assert under_protected(table, result, sens.lower, sens.upper).sum() == 1


def test_complementary_suppression_hides_the_cheapest_rectangle_and_the_lp_proves_it() -> None:
    _, table = _grid_table()

    protected = protect(table, RULES)

    hidden = {label for label, value in published(protected).items() if value is None}
    assert hidden == {("GT", "male"), ("GT", "unknown"), ("HN", "male"), ("HN", "unknown")}
    assert _interval(protected, ("GT", "male")) == (1.0, 11.0)
    assert _interval(protected, ("GT", "unknown")) == (7.0, 17.0)
    assert _interval(protected, ("HN", "male")) == (1.0, 11.0)
    assert _interval(protected, ("HN", "unknown")) == (12.0, 22.0)
    assert not under_protected(
        table, protected.audit, protected.sensitivity.lower, protected.sensitivity.upper
    ).any()


def test_zeros_are_published_and_never_hidden() -> None:
    _, table = _grid_table()

    protected = protect(table, RULES)

    empty = published(protected)
    assert all(empty[(d, "other")] == 0.0 for d in (*DESTINATIONS[:3], "Total"))


def test_a_margin_below_k_is_protected_too() -> None:
    counts = np.array([[1, 2, 0], [12, 9, 14], [10, 11, 30]])
    _, table = _grid_table(counts)

    protected = protect(table, RULES)

    shown = published(protected)
    assert shown[("GT", "Total")] is None
    assert shown[("GT", "female")] is None and shown[("GT", "male")] is None
    assert shown[("Total", "Total")] == 89.0
    assert not under_protected(
        table, protected.audit, protected.sensitivity.lower, protected.sensitivity.upper
    ).any()


def test_three_dimensional_table_is_protected_in_every_line_and_beyond() -> None:
    rng = np.random.default_rng(7)
    counts = rng.choice(
        [0, 1, 2, 3, 6, 9, 14], size=(4, 3, 3), p=[0.1, 0.15, 0.1, 0.1, 0.2, 0.2, 0.15]
    )
    facts = facts_of_counts(
        counts, ("destination", "sex", "age_band"), (DESTINATIONS, SEX_COLUMNS, AGES)
    )
    table = aggregate(frame(facts), spec("returns", "destination", "sex", "age_band"))

    protected = protect(table, RULES)

    sens = protected.sensitivity
    assert sens.primary.sum() >= 10
    assert not under_protected(table, protected.audit, sens.lower, sens.upper).any()
    hidden = protected.suppressed
    for axis in range(3):  # no line of the table holds exactly one hidden cell
        assert not (hidden.sum(axis) == 1).any()
    assert protected.loss.suppressed_share < 0.8


def test_the_same_facts_give_the_same_pattern_byte_for_byte() -> None:
    facts, table = _grid_table()
    again = aggregate(frame(reversed(facts)), spec("returns", "destination", "sex"))

    first, second = protect(table, RULES), protect(again, RULES)

    assert first.suppressed.tobytes() == second.suppressed.tobytes()
    assert first.audit.intervals.tobytes() == second.audit.intervals.tobytes()


small_counts = st.one_of(
    arrays(np.int64, st.tuples(st.integers(2, 4), st.integers(2, 3)), elements=st.integers(0, 12)),
    arrays(
        np.int64,
        st.tuples(st.integers(2, 3), st.integers(2, 3), st.integers(2, 3)),
        elements=st.integers(0, 9),
    ),
)


@settings(max_examples=40, deadline=None)
@given(small_counts)
def test_every_hidden_cell_keeps_its_protection_and_published_cells_recount_exactly(
    counts: np.ndarray,
) -> None:
    dims = ("destination", "sex", "age_band")[: counts.ndim]
    levels = (DESTINATIONS, SEX_COLUMNS, AGES)[: counts.ndim]
    facts = facts_of_counts(counts, dims, levels)
    if not facts:
        return
    table = aggregate(frame(facts), spec("returns", *dims))

    protected = protect(table, RULES)

    sens = protected.sensitivity
    assert not under_protected(table, protected.audit, sens.lower, sens.upper).any()
    lo, hi = protected.audit.intervals[:, 0, 0], protected.audit.intervals[:, 0, 1]
    values = table.values[..., 0].ravel()[protected.audit.cells]
    need = sens.primary.ravel()[protected.audit.cells]
    assert (hi[need] - values[need] >= RULES.protection_min_count).all()
    assert (lo <= values).all() and (values <= hi).all()
    for label, value in published(protected).items():
        if value is not None:
            assert value == recount(facts, dims, label)


people_amounts = st.lists(
    st.tuples(
        st.sampled_from(DESTINATIONS[:3]),
        st.sampled_from(("transport", "medical", "reception")),
        st.integers(1, 100_000),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=30, deadline=None)
@given(people_amounts)
def test_amount_tables_protect_dominated_and_small_sums_and_publish_exact_cents(lines) -> None:
    from tests.unit.evaluation.factories import fact

    facts = [
        fact(destination_country=d, committed_cents=((c, cents),), paid_cents=((c, cents // 2),))
        for d, c, cents in lines
    ]
    table = aggregate(frame(facts), spec("assistance", "destination", "cost_category"))

    protected = protect(table, RULES)

    sens = protected.sensitivity
    assert not under_protected(table, protected.audit, sens.lower, sens.upper).any()
    for cell in zip(*np.nonzero(~protected.suppressed), strict=True):
        d, c = table.label(cell)
        expected = sum(
            cents for dd, cc, cents in lines if d in (dd, "Total") and c in (cc, "Total")
        )
        assert table.values[cell + (0,)] == expected
        assert not sens.primary[cell]


def test_two_hidden_cells_in_every_line_are_not_enough_when_the_partners_are_small() -> None:
    counts = np.array([[2, 1, 20], [1, 9, 20], [20, 20, 20]])
    _, table = _grid_table(counts)
    sens = sensitivity(table, RULES)
    per_line = np.zeros(table.shape, dtype=bool)
    per_line[0, 0] = per_line[0, 1] = per_line[1, 0] = per_line[1, 1] = True  # a rectangle

    naive = audit(table, per_line)
    protected = protect(table, RULES)

    assert naive.intervals[0, 0].tolist() == [1.0, 2.0]  # a hidden 2 known to be 1 or 2
    assert under_protected(table, naive, sens.lower, sens.upper).any()
    assert not under_protected(table, protected.audit, sens.lower, sens.upper).any()
    assert (
        protected.audit.intervals[:, 0, 1]
        >= table.values[..., 0].ravel()[protected.audit.cells] + 5
    ).all()


category_people = st.lists(
    st.tuples(
        st.sampled_from(DESTINATIONS[:2]),
        st.sampled_from(SEX_COLUMNS[:2]),
        st.sets(
            st.sampled_from(("woman_at_risk", "disability", "unaccompanied_minor")), max_size=2
        ),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=25, deadline=None)
@given(category_people)
def test_a_3d_table_with_several_categories_per_person_is_protected_and_recounts(people) -> None:
    from tests.unit.evaluation.factories import fact

    facts = [fact(destination_country=d, sex=s, categories=tuple(c)) for d, s, c in people]
    dims = ("destination", "sex", "category")
    table = aggregate(frame(facts), spec("returns", *dims))

    protected = protect(table, RULES)

    sens = protected.sensitivity
    assert not under_protected(table, protected.audit, sens.lower, sens.upper).any()
    for label, value in published(protected).items():
        if value is not None:
            assert value == recount(facts, dims, label)


def test_no_facts_make_an_empty_table_with_nothing_to_hide() -> None:
    table = aggregate(frame([]), spec("returns", "destination", "sex"))

    protected = protect(table, RULES)

    assert table.values.sum() == 0 and not protected.suppressed.any()
