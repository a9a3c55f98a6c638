"""A small programme history for the audit service: registrations, transitions, funds,
commitments, payments, reversals and an erasure, as envelopes.

The audit tests feed it to the handlers (tests/integration/audit/scenario.py) and
``benchmarks.audit_verify`` repeats it into a large log; only events, no test harness.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from events import funding as f
from events import privacy as pv
from events import registration as r
from events.envelope import Actor, Envelope, Payload, new_envelope

CASEWORKER = Actor.user("cw-1", "caseworker")
SUPERVISOR = Actor.user("sup-1", "supervisor")
FUNDING = Actor.service("funding")


def ref() -> str:
    return "p_" + uuid.uuid4().hex


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@dataclass
class Scenario:
    envelopes: list[Envelope] = field(default_factory=list)
    cases: dict[str, uuid.UUID] = field(default_factory=dict)
    people: dict[str, str] = field(default_factory=dict)

    def add(self, payload: Payload, when: datetime, actor: Actor = CASEWORKER) -> Envelope:
        envelope = new_envelope(payload, actor=actor, occurred_at=when)
        self.envelopes.append(envelope)
        return envelope


def _person(person_ref: str, categories: list[str]) -> r.PersonFacts:
    return r.PersonFacts(
        person_ref=person_ref,
        sex="female",
        age_years=30,
        age_band="18-59",
        nationality="HN",
        vulnerability_categories=categories,
    )


def register(
    s: Scenario,
    name: str,
    period: str,
    office: str,
    dest: str,
    people: dict[str, list[str]],
    when: datetime,
) -> None:
    s.cases[name] = case_id = uuid.uuid4()
    for person in people:
        s.people[person] = ref()
    payload = r.ReturnRegistered(
        case_id=case_id,
        fund_period=period,
        office=office,
        requester_type="civil_society_organisation",
        departure_country="MX",
        destination_country=dest,
        registered_on=when.date(),
        people=[_person(s.people[p], cats) for p, cats in people.items()],
    )
    s.add(payload, when)


def move(
    s: Scenario,
    name: str,
    model: type[r._Transition],
    office: str,
    frm: str,
    to: str,
    when: datetime,
    **extra: object,
) -> None:
    s.add(model(case_id=s.cases[name], office=office, from_status=frm, to_status=to, **extra), when)  # type: ignore[arg-type]


def _commit(
    s: Scenario, period: str, case: str, person: str, lines: dict[str, int], when: datetime
) -> uuid.UUID:
    commitment_id = uuid.uuid4()
    total = sum(lines.values())
    s.add(
        f.CommitmentApproved(
            commitment_id=commitment_id,
            period=period,
            case_id=s.cases[case],
            person_ref=s.people[person],
            requested_cents=total,
            amount_cents=total,
            lines=[f.CommittedLine(category=c, amount_cents=a) for c, a in lines.items()],
            partial=False,
            remaining_cap_cents=100_000 - total,
        ),
        when,
        FUNDING,
    )
    return commitment_id


def _disburse(
    s: Scenario,
    period: str,
    case: str,
    person: str,
    commitment: uuid.UUID,
    category: str,
    parts: dict[str, int],
    paid_on: date,
) -> None:
    s.add(
        f.DisbursementMade(
            disbursement_id=uuid.uuid4(),
            commitment_id=commitment,
            period=period,
            case_id=s.cases[case],
            person_ref=s.people[person],
            category=category,
            amount_cents=sum(parts.values()),
            paid_on=paid_on,
            attributions=[f.MemberAmount(member=m, amount_cents=a) for m, a in parts.items()],
        ),
        datetime.combine(paid_on, datetime.min.time(), tzinfo=UTC),
        SUPERVISOR,
    )


def build() -> Scenario:
    """Two funds, three members, three cases (one withdrawn), and one erasure."""
    s = Scenario()
    shares = [
        f.MemberShare(member="CA", share_percent="25", expected_cents=1_500_000),
        f.MemberShare(member="MX", share_percent="75", expected_cents=4_500_000),
    ]
    s.add(
        f.FundCreated(
            period="2026-A",
            currency="USD",
            per_person_cap_cents=100_000,
            target_cents=6_000_000,
            shares=shares,
        ),
        at(1, 2),
        SUPERVISOR,
    )
    s.add(
        f.FundCreated(
            period="2026-B",
            currency="USD",
            per_person_cap_cents=100_000,
            target_cents=2_000_000,
            shares=[f.MemberShare(member="US", share_percent="100", expected_cents=2_000_000)],
        ),
        at(1, 2),
        SUPERVISOR,
    )
    for period, member, amount in (
        ("2026-A", "CA", 1_500_000),
        ("2026-A", "MX", 4_500_000),
        ("2026-B", "US", 2_000_000),
    ):
        s.add(
            f.ContributionPledged(
                period=period, member=member, amount_cents=amount, on=date(2026, 1, 3)
            ),
            at(1, 3),
            SUPERVISOR,
        )
    s.add(
        f.ContributionReceived(
            period="2026-A", member="CA", amount_cents=1_500_000, on=date(2026, 1, 5)
        ),
        at(1, 5),
        SUPERVISOR,
    )
    s.add(
        f.ContributionReceived(
            period="2026-A", member="MX", amount_cents=3_000_000, on=date(2026, 1, 6)
        ),
        at(1, 6),
        SUPERVISOR,
    )
    s.add(
        f.ContributionReceived(
            period="2026-B", member="US", amount_cents=2_000_000, on=date(2026, 1, 6)
        ),
        at(1, 6),
        SUPERVISOR,
    )

    register(
        s,
        "family",
        "2026-A",
        "GT-CITY",
        "HN",
        {"mother": ["woman_at_risk"], "child": ["unaccompanied_minor"]},
        at(1, 10),
    )
    move(s, "family", r.CaseScreened, "GT-CITY", "registered", "eligible", at(1, 12), eligible=True)
    c1 = _commit(
        s,
        "2026-A",
        "family",
        "mother",
        {"transport": 50_000, "reintegration_grant": 30_000},
        at(1, 14),
    )
    c2 = _commit(s, "2026-A", "family", "child", {"transport": 60_000, "escort": 40_000}, at(1, 14))
    move(s, "family", r.CaseFundingApproved, "GT-CITY", "eligible", "funding_approved", at(1, 15))
    move(
        s,
        "family",
        r.CaseDocumentsReady,
        "GT-CITY",
        "funding_approved",
        "documents_ready",
        at(1, 20),
    )
    _disburse(
        s,
        "2026-A",
        "family",
        "mother",
        c1,
        "transport",
        {"CA": 12_500, "MX": 37_500},
        date(2026, 1, 30),
    )
    _disburse(
        s,
        "2026-A",
        "family",
        "child",
        c2,
        "transport",
        {"CA": 15_000, "MX": 45_000},
        date(2026, 1, 30),
    )
    move(s, "family", r.CaseDeparted, "GT-CITY", "documents_ready", "departed", at(2, 1))

    register(s, "single", "2026-B", "MX-TAP", "SV", {"man": ["disability"]}, at(2, 1))
    move(s, "single", r.CaseScreened, "MX-TAP", "registered", "eligible", at(2, 3), eligible=True)
    c3 = _commit(s, "2026-B", "single", "man", {"medical": 50_000}, at(2, 4))
    s.add(
        f.CommitmentRejected(
            period="2026-B",
            case_id=s.cases["single"],
            person_ref=s.people["man"],
            requested_cents=80_000,
            reason="cap_exhausted",
            remaining_cap_cents=50_000,
            available_cents=1_950_000,
        ),
        at(2, 4),
        FUNDING,
    )
    _disburse(s, "2026-B", "single", "man", c3, "medical", {"US": 20_000}, date(2026, 7, 2))

    register(s, "elder", "2026-A", "GT-CITY", "HN", {"elder": ["elderly_over_70"]}, at(3, 1))
    c4 = _commit(s, "2026-A", "elder", "elder", {"transport": 30_000}, at(3, 2))
    move(
        s,
        "elder",
        r.CaseWithdrawn,
        "GT-CITY",
        "registered",
        "withdrawn",
        at(3, 5),
        reason_code="changed_mind",
    )
    s.add(
        f.CommitmentReleased(
            commitment_id=c4,
            period="2026-A",
            case_id=s.cases["elder"],
            person_ref=s.people["elder"],
            released_cents=30_000,
            reason_code="case_withdrawn",
        ),
        at(3, 5),
        FUNDING,
    )
    s.add(
        pv.PersonalDataErased(
            person_ref=s.people["elder"],
            erased_at=at(3, 20),
            trigger="request",
            key_fingerprint="f" * 64,
        ),
        at(3, 20),
        Actor.user("dpo-1", "data_protection_officer"),
    )
    return s
