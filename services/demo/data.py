"""The sample ``retorno demo`` loads: the source's fund and three dozen invented cases."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

OFFICES = {"GT-GUA": ("GT", "HN SV NI"), "MX-TAP": ("MX", "GT HN SV"), "CR-SJO": ("CR", "NI VE CO")}
SHARES = {"CA": 25, "MX": 20, "US": 20, "GT": 10, "HN": 10, "SV": 10, "CR": 5}
RECEIVED = ("CA", "MX", "US", "GT", "HN")  # SV and CR have only pledged so far
TARGET_CENTS = 6_000_000
PATH = ["documents_ready", "departed", "arrived", "monitoring", "closed"]
PLANS = (  # where each of the 36 cases ends up, in order
    ["closed"] * 10
    + ["monitoring"] * 6
    + ["arrived"] * 3
    + ["departed"] * 3
    + ["documents_ready"] * 3
    + ["funding_approved"] * 4
    + ["withdrawn", "cancelled"]
    + ["ineligible"] * 3
    + ["registered"] * 2
)
PROFILES = [  # category, ages, sexes
    ("woman_at_risk", (19, 45), "female"),
    ("unaccompanied_minor", (13, 17), "male female"),
    ("disability", (25, 60), "male female other"),
    ("elderly_over_70", (71, 86), "female male"),
    ("injury_or_illness", (20, 65), "male female unknown"),
    ("trafficking_victim", (18, 35), "female male other"),
]
FAMILIES = {  # case number: (category, age) of each person
    3: [("woman_at_risk", 27), ("injury_or_illness", 8)],
    8: [("woman_at_risk", 34), ("disability", 9), ("injury_or_illness", 4)],
    14: [("elderly_over_70", 74), ("elderly_over_70", 72)],
    21: [("trafficking_victim", 29), ("injury_or_illness", 11), ("injury_or_illness", 6)],
}
INELIGIBLE = [  # category, age, nationality is the departure country, reason code
    ("woman_at_risk", 40, False, "not_in_a_vulnerable_situation"),  # the caseworker's finding
    ("elderly_over_70", 74, True, "destination_not_nationality"),
    ("disability", 33, True, "destination_not_nationality"),
]
GIVEN = "Alba Bruno Carmen Dario Elena Fausto Gloria Hugo Irene Julio Karla Lucio Marta Nilo"
FAMILY = "Ficticio Ejemplo Prueba Muestra Inventado"
REQUESTERS = [
    ("government_departure", "Demo Ministry of Foreign Affairs"),
    ("government_return", "Demo Consular Service"),
    ("international_organisation", "Demo Regional Office"),
    ("civil_society_organisation", "Casa del Migrante Demo"),
]


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _person(rng: random.Random, n: int, today: date, member: tuple[Any, ...]) -> dict[str, Any]:
    category, age, sex, nationality = member
    born = date(today.year - age - 1, today.month, min(today.day, 28))
    return {
        "given_names": rng.choice(GIVEN.split()),
        "family_name": f"{rng.choice(FAMILY.split())} Demo{n:02d}",
        "date_of_birth": (born + timedelta(days=rng.randint(4, 300))).isoformat(),
        "sex": sex,
        "nationality": nationality,
        "travel_document": {"type": "passport", "number": f"DEMO{n:04d}{rng.randint(10, 99)}"},
        "contact": {"phone": f"+000 555 {n:04d}", "email": f"demo{n:02d}@example.org"},
        "vulnerability_categories": [category] if category else [],
        "consents": [
            {"purpose": "assistance", "granted": True},
            {"purpose": "follow_up_contact", "granted": rng.random() < 0.8},
        ],
    }


def sample_cases(today: date, period: str, seed: int = 7) -> list[tuple[str, dict[str, Any]]]:
    """(plan, registration body) of the 36 sample cases; the same for the same day."""
    rng, out = random.Random(seed), []
    for n, plan in enumerate(PLANS):
        office = list(OFFICES)[n % 3]
        departure, destinations = OFFICES[office]
        destination = rng.choice(destinations.split())
        if plan == "ineligible":
            category, age, other, _code = INELIGIBLE[n - PLANS.index("ineligible")]
            members = [(category, age, "male", departure if other else destination)]
        elif n in FAMILIES:
            sexes = ["female"] if n != 14 else ["female", "male"]  # mothers and an old couple
            members = [
                (c, a, sexes.pop(0) if sexes else rng.choice(["female", "male"]), destination)
                for c, a in FAMILIES[n]
            ]
        else:
            category, (low, high), sex_choices = PROFILES[n % len(PROFILES)]
            nationality = "SV" if n == 10 else destination  # a recorded exception
            members = [
                (category, rng.randint(low, high), rng.choice(sex_choices.split()), nationality)
            ]
        lines = [
            ("transport", rng.randrange(25000, 45000, 500)),
            ("travel_documents", rng.randrange(4000, 10000, 500)),
            ("subsistence", rng.randrange(6000, 12000, 500)),
            ("reintegration_grant", rng.randrange(10000, 25000, 500)),
        ]
        if n == 5:
            lines.append(("medical", 60000))  # over the cap: committed partially
        kind, name = REQUESTERS[n % len(REQUESTERS)]
        who = "all" if len(members) > 1 else 0
        requested = [
            {"person": who, "category": c, "amount": _money(a), "currency": "USD"} for c, a in lines
        ]
        body = {
            "requester": {"type": kind, "name": name},
            "office": office,
            "fund_period": period,
            "departure_country": departure,
            "destination_country": destination,
            "people": [_person(rng, n, today, member) for member in members],
            "requested": requested,
            "allow_partial": n == 5,
        }
        out.append((plan, body))
    return out
