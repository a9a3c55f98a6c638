"""Events for the evaluation tests: returns with known sexes, ages and countries, their
lifecycle and their money, and the runtime and HTTP client the service runs in."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from db.uow import ServiceDatabase
from events.envelope import Actor, Envelope, Payload, new_envelope
from events.funding import CommitmentApproved, CommittedLine, DisbursementMade, DisbursementReversed
from events.registration import (
    CaseArrived,
    CaseScreened,
    CaseWithdrawn,
    PersonFacts,
    ReturnRegistered,
)
from services.evaluation import store
from services.evaluation.handlers import handlers
from services.evaluation.service import SERVICE
from services.kit.definition import Runtime
from services.kit.identity import Principal
from services.kit.settings import Settings
from services.runtime.composition import build_runtime

EVALUATOR = Principal("u_evaluator", "evaluator")
# A name that must never reach an export (the read model never sees names at all).
SENTINEL_NAME = "Zzyzx-Quetzalcoatl"


def envelope(payload: Payload, source: str) -> Envelope:
    return new_envelope(payload, actor=Actor.service(source))


def band(age: int) -> str:
    return (
        "0-4"
        if age < 5
        else "5-11"
        if age < 12
        else "12-17"
        if age < 18
        else "18-59"
        if age < 60
        else "60+"
    )


@dataclass
class Case:
    case_id: uuid.UUID
    people: list[str]
    events: list[Envelope] = field(default_factory=list)
    destination: str = ""
    sexes: tuple[str, ...] = ()
    ages: tuple[int, ...] = ()
    outcome: str = ""


def returned_case(
    *,
    destination: str = "GT",
    sexes: tuple[str, ...] = ("female",),
    ages: tuple[int, ...] = (30,),
    on: date = date(2026, 2, 10),
    categories: tuple[str, ...] = ("woman_at_risk",),
    committed: int = 0,
    paid: int = 0,
    outcome: str = "returned",
    fund: str = "F2026",
) -> Case:
    case_id = uuid.uuid4()
    refs = [f"p_{uuid.uuid4().hex}" for _ in sexes]
    people = [
        PersonFacts(
            person_ref=ref,
            sex=sex,  # type: ignore[arg-type]
            age_years=age,
            age_band=band(age),  # type: ignore[arg-type]
            nationality=destination,
            vulnerability_categories=list(categories),
        )
        for ref, sex, age in zip(refs, sexes, ages, strict=True)
    ]
    events = [
        envelope(
            ReturnRegistered(
                case_id=case_id,
                fund_period=fund,
                office="MX-01",
                requester_type="international_organisation",
                departure_country="MX",
                destination_country=destination,
                registered_on=on,
                people=people,
            ),
            "registration",
        )
    ]
    if outcome == "ineligible":
        events.append(
            envelope(
                CaseScreened(
                    case_id=case_id,
                    office="MX-01",
                    from_status="registered",
                    to_status="ineligible",
                    eligible=False,
                    reason_code="not_a_national",
                ),
                "registration",
            )
        )
        return Case(case_id, refs, events, destination, sexes, ages, outcome)
    events.append(
        envelope(
            CaseScreened(
                case_id=case_id,
                office="MX-01",
                from_status="registered",
                to_status="eligible",
                eligible=True,
            ),
            "registration",
        )
    )
    for ref in refs:
        commitment = uuid.uuid4()
        if committed:
            events.append(
                envelope(
                    CommitmentApproved(
                        commitment_id=commitment,
                        period=fund,
                        case_id=case_id,
                        person_ref=ref,
                        requested_cents=committed,
                        amount_cents=committed,
                        lines=[CommittedLine(category="transport", amount_cents=committed)],
                        partial=False,
                        remaining_cap_cents=0,
                    ),
                    "funding",
                )
            )
        if paid:
            events.append(
                envelope(
                    DisbursementMade(
                        disbursement_id=uuid.uuid4(),
                        commitment_id=commitment,
                        period=fund,
                        case_id=case_id,
                        person_ref=ref,
                        category="transport",
                        amount_cents=paid,
                        paid_on=on,
                        attributions=[],
                    ),
                    "funding",
                )
            )
    if outcome == "withdrawn":
        events.append(
            envelope(
                CaseWithdrawn(
                    case_id=case_id,
                    office="MX-01",
                    from_status="eligible",
                    to_status="withdrawn",
                    reason_code="person_request",
                ),
                "registration",
            )
        )
    elif outcome == "returned":
        events.append(
            envelope(
                CaseArrived(
                    case_id=case_id,
                    office="MX-01",
                    from_status="departed",
                    to_status="arrived",
                    arrived_on=on,
                ),
                "registration",
            )
        )
    return Case(case_id, refs, events, destination, sexes, ages, outcome)


def reversal(case: Case, cents: int) -> Envelope:
    return envelope(
        DisbursementReversed(
            reversal_id=uuid.uuid4(),
            disbursement_id=uuid.uuid4(),
            commitment_id=uuid.uuid4(),
            period="F2026",
            case_id=case.case_id,
            person_ref=case.people[0],
            category="transport",
            amount_cents=cents,
            attributions=[],
            reason_code="duplicate",
            reversed_on=date(2026, 3, 1),
        ),
        "funding",
    )


def make_runtime(db: ServiceDatabase, data_dir: Path) -> Runtime:
    return build_runtime(Settings(data_dir=data_dir), [SERVICE], databases={"evaluation": db})


async def deliver(rt: Runtime, event: Envelope) -> None:
    """Apply one event through the service's handler in its own committed unit of work."""
    handler = handlers(rt)[event.type]
    async with rt.db("evaluation").unit_of_work(cause=event) as uow:
        await handler(uow, event)
        await uow.commit()


async def deliver_all(rt: Runtime, cases: list[Case]) -> None:
    for case in cases:
        for event in case.events:
            await deliver(rt, event)


def population() -> list[Case]:
    """A half-year of returns to GT (many), HN (some) and SV (a few), with small cells."""
    cases = []
    for i in range(12):
        cases.append(
            returned_case(
                destination="GT", sexes=("female",), ages=(25 + i,), committed=50_000, paid=40_000
            )
        )
    for i in range(9):
        cases.append(
            returned_case(
                destination="GT", sexes=("male",), ages=(30 + i,), committed=60_000, paid=60_000
            )
        )
    for i in range(6):
        cases.append(
            returned_case(
                destination="HN",
                sexes=("male",),
                ages=(40 + i,),
                on=date(2026, 4, 3),
                committed=30_000,
            )
        )
    cases.append(
        returned_case(
            destination="HN", sexes=("female", "female"), ages=(33, 3), on=date(2026, 5, 2)
        )
    )
    cases.append(
        returned_case(
            destination="SV",
            sexes=("male",),
            ages=(70,),
            on=date(2026, 6, 1),
            committed=90_000,
            paid=90_000,
        )
    )
    cases.append(
        returned_case(destination="SV", sexes=("other",), ages=(19,), on=date(2026, 6, 20))
    )
    for i in range(5):
        cases.append(
            returned_case(destination="GT", sexes=("female",), ages=(20 + i,), outcome="withdrawn")
        )
    cases.append(returned_case(destination="HN", sexes=("male",), ages=(50,), outcome="ineligible"))
    # in progress: in no table
    cases.append(
        returned_case(destination="GT", sexes=("female",), ages=(44,), outcome="in_progress")
    )
    return cases


def recount(
    cases: list[Case], destination: str, sex: str, age: str, outcome: str = "returned"
) -> int:
    """Independent re-aggregation from the events' facts: people of a cell, one by one."""
    total = 0
    for case in cases:
        if case.outcome != outcome or destination not in ("Total", case.destination):
            continue
        for s, a in zip(case.sexes, case.ages, strict=True):
            if sex in ("Total", s) and age in ("Total", band(a)):
                total += 1
    return total


def export_dir(rt: Runtime, export_id: uuid.UUID) -> Path:
    return store.export_dir(rt.settings.data_dir, export_id)


@dataclass
class FollowUp:
    """What a person's follow-up told evaluation, to recount the outcome tables by hand."""

    case: Case
    person: int
    scores: tuple[float | None, float | None, float | None, float | None] | None
    residence: str | None
    intention: str | None
    done: int
    due: int
    closure: str
    events: list[Envelope] = field(default_factory=list)


def followed_up(
    case: Case,
    person: int = 0,
    *,
    scores: tuple[float | None, float | None, float | None, float | None] | None = (
        0.5,
        0.5,
        0.5,
        0.5,
    ),
    residence: str | None = "same_community",
    intention: str | None = "none",
    reached: int = 1,
    not_reached: int = 0,
    overdue: int = 0,
    closure: str | None = None,
    version: str = "illustrative-1",
) -> FollowUp:
    """Reintegration's events for one person of ``case``: the plan, ``reached`` contacts
    (the last with ``residence`` and ``intention``), slots given up after three attempts
    (``not_reached``), slots ``overdue``, a score, and a closure."""
    from decimal import Decimal

    from events.reintegration import (
        ContactOverdue,
        ContactRecorded,
        FollowUpClosed,
        PlanCreated,
        ScheduledContact,
        ScoreRecorded,
    )

    ref, plan = case.people[person], uuid.uuid4()
    base = {"plan_id": plan, "case_id": case.case_id, "person_ref": ref, "office": "MX-01"}
    slots = [
        ScheduledContact(
            slot=i,
            offset_months=3 * i,
            due_on=date(2026, 5 + i, 10),
            opens_on=date(2026, 5 + i, 1),
            closes_on=date(2026, 5 + i, 24),
        )
        for i in range(1, 4)
    ]
    events = [
        envelope(
            PlanCreated(
                **base, arrived_on=date(2026, 2, 10), plan_due_on=date(2026, 3, 12), contacts=slots
            ),
            "reintegration",
        )
    ]
    slot = 1
    for i in range(reached):
        last = i == reached - 1
        events.append(
            envelope(
                ContactRecorded(
                    **base,
                    contact_id=uuid.uuid4(),
                    slot=slot,
                    attempt=1,
                    contacted_on=date(2026, 5 + slot, 10),
                    method="call",
                    outcome="reached",
                    slot_status="done",
                    timeliness="on_time",
                    residence=residence if last else "same_community",  # type: ignore[arg-type]
                    remigration_intention=intention if last else "none",  # type: ignore[arg-type]
                    has_note=True,
                ),
                "reintegration",
            )
        )
        slot += 1
    for _ in range(not_reached):
        for attempt in (1, 2, 3):
            events.append(
                envelope(
                    ContactRecorded(
                        **base,
                        contact_id=uuid.uuid4(),
                        slot=slot,
                        attempt=attempt,
                        contacted_on=date(2026, 5 + slot, 10 + attempt),
                        method="call",
                        outcome="not_reached",
                        slot_status="not_reached" if attempt == 3 else "due",
                        timeliness="on_time",
                        has_note=False,
                    ),
                    "reintegration",
                )
            )
        slot += 1
    for _ in range(overdue):
        events.append(
            envelope(
                ContactOverdue(
                    **base,
                    slot=slot,
                    due_on=date(2026, 5 + slot, 10),
                    closes_on=date(2026, 5 + slot, 24),
                    failed_attempts=0,
                ),
                "reintegration",
            )
        )
        slot += 1
    if scores is not None:
        values = [None if v is None else Decimal(str(v)) for v in scores]
        events.append(
            envelope(
                ScoreRecorded(
                    **base,
                    score_id=uuid.uuid4(),
                    survey_id=uuid.uuid4(),
                    instrument_version=version,
                    source="contact",
                    surveyed_on=date(2026, 6, 10),
                    economic=values[0],
                    social=values[1],
                    psychosocial=values[2],
                    composite=values[3],
                    above_threshold=None if values[3] is None else values[3] >= Decimal("0.5"),
                    answered=15,
                    missing=0,
                ),
                "reintegration",
            )
        )
    if closure is not None:
        events.append(
            envelope(
                FollowUpClosed(
                    **base,
                    closed_on=date(2026, 12, 1),
                    reason_code=closure,  # type: ignore[arg-type]
                    closed_by="caseworker",
                ),
                "reintegration",
            )
        )
    return FollowUp(
        case,
        person,
        scores,
        residence if reached else None,
        (intention or "unknown") if reached else None,
        reached,
        reached + not_reached + overdue,
        closure or "open",
        events,
    )


def followed_population() -> tuple[list[Case], list[FollowUp]]:
    """``population()`` with follow-ups: 12 women and 9 men to GT, 6 men to HN of whom only 3
    have a score (a mean over fewer than k), one man of 70 to SV; one man re-migrated."""
    cases = population()
    returned = [c for c in cases if c.outcome == "returned"]
    women = [c for c in returned if c.destination == "GT" and c.sexes == ("female",)]
    men = [c for c in returned if c.destination == "GT" and c.sexes == ("male",)]
    hn = [c for c in returned if c.destination == "HN" and c.sexes == ("male",)]
    sv = [c for c in returned if c.destination == "SV" and c.sexes == ("male",)]
    assert (len(women), len(men), len(hn), len(sv)) == (12, 9, 6, 1)
    follows = []
    for i, c in enumerate(women):
        follows.append(
            followed_up(
                c,
                scores=(
                    round(0.3 + 0.04 * i, 4),
                    0.6,
                    round(0.2 + 0.05 * i, 4),
                    round(0.35 + 0.03 * i, 4),
                ),
                residence="urban_centre" if i % 3 == 0 else "same_community",
                intention="considering" if i % 4 == 0 else "none",
                reached=1 + i % 3,
                overdue=1 if i % 5 == 0 else 0,
            )
        )
    for i, c in enumerate(men):
        follows.append(
            followed_up(
                c,
                scores=(0.7, round(0.5 + 0.02 * i, 4), None, None)
                if i == 0
                else (0.7, round(0.5 + 0.02 * i, 4), 0.4, 0.55),
                residence="abroad_again"
                if i == 8
                else "other_community"
                if i < 3
                else "same_community",
                intention="planning" if i == 8 else "declined_to_answer" if i == 1 else "none",
                not_reached=1 if i in (4, 5) else 0,
                closure="re_migrated" if i == 8 else None,
            )
        )
    for i, c in enumerate(hn):
        follows.append(followed_up(c, scores=(0.5, 0.5, 0.5, 0.6) if i < 3 else None))
    follows.append(followed_up(sv[0], scores=(0.9, 0.9, 0.9, 0.9), closure="completed"))
    return cases, follows


async def deliver_followed(rt: Runtime) -> tuple[list[Case], list[FollowUp]]:
    cases, follows = followed_population()
    await deliver_all(rt, cases)
    for f in follows:
        for event in f.events:
            await deliver(rt, event)
    return cases, follows
