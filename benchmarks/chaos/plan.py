"""What the driver does, decided up front from a seed: journeys of one or two cases.

A journey registers a person (sometimes with a child), screens the case, sometimes races
several manual commitments for one person against the cap, and sometimes brings the same
person back in a second case (after the first one is closed), so their cap adds up.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

OFFICES = {"GT-GUA": ("GT", "HN"), "MX-TAP": ("MX", "GT"), "CR-SJO": ("CR", "NI")}
CAP_CENTS = 100_000


@dataclass(frozen=True)
class Line:
    category: str
    cents: int


@dataclass(frozen=True)
class Race:
    """Concurrent manual commitments for the case's first person (more than the cap)."""

    amounts_cents: tuple[int, ...]
    allow_partial: bool


@dataclass(frozen=True)
class CasePlan:
    eligible: bool
    lines: tuple[Line, ...]  # requested for each person
    allow_partial: bool
    race: Race | None


@dataclass(frozen=True)
class Journey:
    number: int
    office: str
    with_child: bool
    first: CasePlan
    second: CasePlan | None  # the same person returns in a second case

    @property
    def cases(self) -> int:
        return 1 if self.second is None else 2


def _case(rng: random.Random, *, eligible: bool, returning: bool) -> CasePlan:
    if rng.random() < 0.1:  # more than the cap on its own
        lines = (Line("transport", 70_000), Line("medical", rng.randrange(40_000, 60_000, 500)))
        allow_partial = rng.random() < 0.6
    else:
        lines = (
            Line("transport", rng.randrange(25_000, 50_000, 500)),
            Line("reintegration_grant", rng.randrange(10_000, 40_000, 500)),
        )
        allow_partial = returning or rng.random() < 0.2
    race = None
    if eligible and rng.random() < 0.4:
        amounts = tuple(rng.randrange(15_000, 45_000, 500) for _ in range(rng.randint(3, 4)))
        race = Race(amounts, allow_partial=rng.random() < 0.5)
    return CasePlan(eligible, lines, allow_partial, race)


def make_plan(returns: int, seed: int) -> list[Journey]:
    """Journeys adding up to ``returns`` cases: ~90% eligible, ~12% of people come back."""
    rng = random.Random(seed)
    journeys: list[Journey] = []
    total = 0
    while total < returns:
        n = len(journeys)
        first = _case(rng, eligible=rng.random() >= 0.1, returning=False)
        second = None
        if total + 2 <= returns and rng.random() < 0.12:
            second = _case(rng, eligible=True, returning=True)
            # the first case must be funded, then closed, before the person may come back
            first = replace(first, allow_partial=True)
        journey = Journey(n, list(OFFICES)[n % len(OFFICES)], rng.random() < 0.1, first, second)
        journeys.append(journey)
        total += journey.cases
    return journeys
