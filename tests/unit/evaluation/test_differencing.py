"""The ledger and the differencing guard: overlapping releases cannot be subtracted into a
sensitive cell (the LP over the months' atoms is the oracle)."""

from __future__ import annotations

import numpy as np
import pytest

from services.evaluation.domain.differencing import DifferencingRefused, exposures, guarded
from services.evaluation.domain.facts import ReturnFact
from services.evaluation.domain.ledger import Ledger
from services.evaluation.domain.settings import DisclosureSettings
from services.evaluation.domain.spec import Period, TableSpec, half_year
from tests.unit.evaluation.factories import fact, frame

RULES = DisclosureSettings()
H1, H2 = half_year(2026, 1), half_year(2026, 2)
JAN_MAY = Period(label="2026-01-05", months=tuple(f"2026-{m:02d}" for m in range(1, 6)))
YEAR = Period(label="2026", months=H1.months + H2.months)


def _people(month: str, counts: dict[tuple[str, str], int]) -> list[ReturnFact]:
    return [
        fact(month=month, destination_country=d, sex=s)
        for (d, s), n in sorted(counts.items())
        for _ in range(n)
    ]


BIG = {(d, s): 9 for d in ("GT", "HN", "SV") for s in ("female", "male")}
FACTS = (
    _people("2026-02", BIG)
    + _people("2026-06", {("GT", "female"): 2})
    + _people("2026-09", {("HN", "male"): 1, **{k: 4 for k in BIG}})
)


def _spec(*periods: Period, dims: tuple[str, ...] = ("destination", "sex")) -> TableSpec:
    return TableSpec(kind="returns", dims=dims, periods=periods)  # type: ignore[arg-type]


def _publish(ledger: Ledger, spec: TableSpec) -> Ledger:
    return ledger.add(guarded(ledger, "fund-2026", frame(FACTS), spec, RULES).release)


def test_a_first_release_needs_no_extension() -> None:
    result = guarded(Ledger(), "fund-2026", frame(FACTS), _spec(H1), RULES)

    assert result.extended == ()
    assert not result.protected.suppressed.any()  # 11 GT women: no small cell in H1


def test_h1_minus_a_month_would_reveal_june_so_the_new_table_hides_more() -> None:
    ledger = _publish(Ledger(), _spec(H1))
    naive = guarded(Ledger(), "fund-2026", frame(FACTS), _spec(JAN_MAY), RULES).release
    assert exposures([*ledger.releases, naive], frame(FACTS), _spec(JAN_MAY), RULES)

    result = guarded(ledger, "fund-2026", frame(FACTS), _spec(JAN_MAY), RULES)

    assert ("GT", "female") in result.extended
    assert exposures([*ledger.releases, result.release], frame(FACTS), _spec(JAN_MAY), RULES) == []


def test_a_full_year_after_a_half_year_hides_what_the_second_half_alone_would_show() -> None:
    ledger = _publish(Ledger(), _spec(H1))

    result = guarded(ledger, "fund-2026", frame(FACTS), _spec(YEAR), RULES)

    hidden = {
        result.protected.table.label(c)
        for c in zip(*np.nonzero(result.protected.suppressed), strict=True)
    }
    assert ("HN", "male") in hidden  # H2 has one man to HN: year minus H1 would say so
    assert exposures([*ledger.releases, result.release], frame(FACTS), _spec(YEAR), RULES) == []


def test_a_year_by_half_year_is_checked_block_by_block() -> None:
    ledger = _publish(Ledger(), _spec(H1))

    result = guarded(
        ledger,
        "fund-2026",
        frame(FACTS),
        _spec(H1, H2, dims=("period", "destination", "sex")),
        RULES,
    )

    assert (
        exposures(
            [*ledger.releases, result.release],
            frame(FACTS),
            _spec(H1, H2, dims=("period", "destination", "sex")),
            RULES,
        )
        == []
    )


def test_the_same_period_again_gives_the_same_release_or_is_refused_when_figures_changed() -> None:
    ledger = _publish(Ledger(), _spec(H1))

    again = guarded(ledger, "fund-2026", frame(FACTS), _spec(H1), RULES)
    assert again.release == ledger.releases[0]
    with pytest.raises(DifferencingRefused, match="published already with other figures"):
        guarded(ledger, "fund-2026", frame([*FACTS, fact(month="2026-03")]), _spec(H1), RULES)


def test_an_export_that_only_the_earlier_releases_expose_is_refused_with_the_reason() -> None:
    h1 = guarded(Ledger(), "fund-2026", frame(FACTS), _spec(H1), RULES).release
    jan_may = guarded(Ledger(), "fund-2026", frame(FACTS), _spec(JAN_MAY), RULES).release
    careless = Ledger().add(h1).add(jan_may)  # recorded without the guard: June is exposed

    with pytest.raises(DifferencingRefused, match=r"would be known to lie in \[2, 2\]"):
        guarded(careless, "fund-2026", frame(FACTS), _spec(YEAR), RULES)


def test_disjoint_periods_and_other_populations_are_not_compared() -> None:
    ledger = _publish(Ledger(), _spec(H1))

    assert ledger.overlapping("fund-2026", _spec(H2).key, _spec(H2).months) == []
    assert ledger.overlapping("fund-2027", _spec(H1).key, _spec(H1).months) == []
