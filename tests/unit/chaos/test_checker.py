"""The chaos run's verdicts: what counts as lost, doubled, stuck or over the cap."""

from __future__ import annotations

import uuid

from benchmarks.chaos.checker import (
    ASSISTANCE,
    DECIDED,
    FOLLOW_UP_CLOSED,
    SCREENED,
    ClientView,
    Commitment,
    Consumer,
    Event,
    Held,
    Observed,
    check,
    figures,
    subject_matches,
)

TAG = "chaos t "
PERIOD = "2026"
CAP = 100_000


def _id() -> str:
    return str(uuid.uuid4())


class World:
    """One eligible case, screened, decided and committed, everything published and applied."""

    def __init__(self) -> None:
        self.case = _id()
        self.person = "p_" + "a" * 32
        registered = Event("registration", _id(), "registration.return_registered", True)
        screened = Event("registration", _id(), SCREENED, True, case_id=self.case, eligible=True)
        decided = Event("funding", _id(), DECIDED, True, case_id=self.case, approved=True)
        self.events = [registered, screened, decided]
        self.commitment = Commitment(_id(), self.case, PERIOD, self.person, 60_000, 0, "screening")
        self.seen = ClientView(
            cases={TAG + "1": self.case},
            screened={self.case: True},
            commitments=[self.commitment.commitment_id],
        )

    def observed(self, **changes: object) -> Observed:
        ids = [e.event_id for e in self.events]
        got = Observed(
            cases={self.case: ("funding_approved", TAG + "1")},
            funding_cases={self.case: "funded"},
            events=list(self.events),
            audit_ids=list(ids),
            stream=[("retorno." + e.type, e.event_id) for e in self.events],
            stream_messages=len(ids),
            consumers=[Consumer("funding", ("retorno.registration.>",), 0, 0)],
            inbox={"funding": {e.event_id for e in self.events if e.service == "registration"}},
            commitments=[self.commitment],
            ledger={(PERIOD, self.person): 60_000},
            caps={PERIOD: CAP},
        )
        for name, value in changes.items():
            setattr(got, name, value)
        return got

    def kinds(self, **changes: object) -> list[str]:
        return sorted({p.kind for p in check(self.seen, self.observed(**changes), TAG)})


def test_a_clean_run_has_no_problem():
    world = World()
    assert check(world.seen, world.observed(), TAG) == []
    assert figures(world.seen, world.observed())["people over the cap"] == 0


def test_an_answered_registration_missing_from_the_database_is_lost():
    world = World()
    assert world.kinds(cases={}, funding_cases={}) == ["lost"]


def test_a_registration_stored_twice_is_doubled():
    world = World()
    cases = {world.case: ("funding_approved", TAG + "1"), _id(): ("registered", TAG + "1")}
    assert "doubled" in world.kinds(cases=cases)


def test_an_eligible_case_without_decision_is_stuck_and_names_the_dead_letter():
    world = World()
    events = [e for e in world.events if e.type != DECIDED]
    dead = [Held("funding", events[1].event_id, SCREENED, "5 deliveries: CaseNotSeenError")]
    problems = check(
        world.seen,
        world.observed(events=events, audit_ids=[e.event_id for e in events], dead_letters=dead),
        TAG,
    )
    stuck = [p.what for p in problems if p.kind == "stuck"]
    assert any("no funding decision" in w and world.case in w for w in stuck)
    assert any("dead letter" in w and "CaseNotSeenError" in w for w in stuck)


def test_two_automatic_decisions_for_one_case_are_doubled():
    world = World()
    again = Event("funding", _id(), DECIDED, True, case_id=world.case, approved=True)
    events = [*world.events, again]
    got = world.observed(
        events=events,
        audit_ids=[e.event_id for e in events],
        stream=[("retorno." + e.type, e.event_id) for e in events],
        stream_messages=len(events),
    )
    assert [p.kind for p in check(world.seen, got, TAG)] == ["doubled"]


def test_a_manual_decision_after_a_refusal_is_not_a_second_decision():
    world = World()
    manual = Event(
        "funding", _id(), DECIDED, True, actor_kind="user", case_id=world.case, approved=True
    )
    events = [*world.events, manual]
    got = world.observed(
        events=events,
        audit_ids=[e.event_id for e in events],
        stream=[("retorno." + e.type, e.event_id) for e in events],
        stream_messages=len(events),
    )
    assert check(world.seen, got, TAG) == []


def test_commitments_adding_up_over_the_cap_are_over_cap():
    world = World()
    manual = Commitment(_id(), world.case, PERIOD, world.person, 50_000, 0, "request")
    got = world.observed(
        commitments=[world.commitment, manual], ledger={(PERIOD, world.person): 110_000}
    )
    assert world.kinds(commitments=got.commitments, ledger=got.ledger) == ["over_cap"]
    assert figures(world.seen, got)["people over the cap"] == 1


def test_released_money_does_not_count_against_the_cap():
    world = World()
    released = Commitment(_id(), world.case, PERIOD, world.person, 90_000, 90_000, "request")
    assert world.kinds(commitments=[world.commitment, released]) == []


def test_an_unpublished_outbox_row_and_an_unacknowledged_message_are_stuck():
    world = World()
    late = Event("funding", _id(), "funding.commitment_approved", False)
    assert "stuck" in world.kinds(events=[*world.events, late])
    busy = [Consumer("funding", ("retorno.registration.>",), 0, 3)]
    assert world.kinds(consumers=busy) == ["stuck"]


def test_an_event_a_consumer_never_applied_is_lost_unless_dead_lettered():
    world = World()
    assert world.kinds(inbox={"funding": set()}) == ["lost"]
    dead = [Held("funding", e.event_id, e.type, "x") for e in world.events[:2]]
    assert world.kinds(inbox={"funding": set()}, dead_letters=dead) == ["stuck"]


def test_an_event_twice_on_the_stream_or_missing_from_the_audit_log():
    world = World()
    first = world.events[0]
    stream = [("retorno." + e.type, e.event_id) for e in world.events]
    twice = world.kinds(stream=[*stream, stream[0]], stream_messages=len(stream) + 1)
    assert twice == ["note"]  # applied once by every consumer and the audit log: not a failure
    assert world.kinds(audit_ids=[e.event_id for e in world.events if e is not first]) == ["lost"]


def test_subjects_match_like_nats():
    assert subject_matches("retorno.>", "retorno.funding.case_funding_decided")
    assert subject_matches("retorno.*.case_screened", "retorno.registration.case_screened")
    assert not subject_matches("retorno.registration.>", "retorno.funding.x")
    assert not subject_matches("retorno.>", "retorno")
    assert not subject_matches("retorno.funding", "retorno.funding.x")


def _problems(world: World) -> list[str]:
    return [f"{p.kind}: {p.what}" for p in check(world.seen, world.observed(), TAG)]


def test_a_contact_answered_but_not_recorded_is_lost_and_one_recorded_twice_is_doubled() -> None:
    world = World()
    contact = _id()
    world.seen.contacts.append(contact)
    assert any(p.startswith("lost") and "contacts" in p for p in _problems(world))
    recorded = Event(
        "reintegration", _id(), "reintegration.contact_recorded", True, contact_id=contact
    )
    world.events.append(recorded)
    assert not [p for p in _problems(world) if "contacts" in p]
    world.events.append(
        Event("reintegration", _id(), "reintegration.contact_recorded", True, contact_id=contact)
    )
    assert any(p.startswith("doubled") and "contacts" in p for p in _problems(world))


def test_an_arrived_case_without_a_plan_per_person_is_lost() -> None:
    world = World()
    world.seen.arrivals[world.case] = 2
    plan = Event("reintegration", _id(), "reintegration.plan_created", True, case_id=world.case)
    world.events.append(plan)
    assert any(p.startswith("lost") and "plan per person" in p for p in _problems(world))
    world.events.append(
        Event("reintegration", _id(), "reintegration.plan_created", True, case_id=world.case)
    )
    assert not [p for p in _problems(world) if "plan" in p]


def _assistance(plan: str, stage: str, *, cash: bool = False) -> Event:
    return Event("reintegration", _id(), ASSISTANCE, True, plan_id=plan, stage=stage, cash=cash)


def test_a_plan_drawn_up_but_not_recorded_is_lost_and_twice_is_doubled() -> None:
    world, plan = World(), _id()
    world.seen.drawn_up.append(plan)
    assert any(p.startswith("lost") and "drawn up" in p for p in _problems(world))
    world.events.append(_assistance(plan, "planned"))
    assert not [p for p in _problems(world) if "drawn up" in p]
    world.events.append(_assistance(plan, "planned"))
    assert any(p.startswith("doubled") and "drawn up twice" in p for p in _problems(world))


def test_a_cash_grant_needs_one_answer_from_funding_and_a_decided_grant() -> None:
    world, plan = World(), _id()
    world.seen.grants.append(plan)
    assert any(p.startswith("lost") and "cash grants answered" in p for p in _problems(world))
    asked = _assistance(plan, "received", cash=True)
    world.events.append(asked)
    found = _problems(world)
    assert any(p.startswith("stuck") and "no answer from funding" in p for p in found)
    assert any(p.startswith("lost") and "have no grant in reintegration" in p for p in found)

    def answer() -> Event:
        return Event(
            "funding", _id(), "funding.commitment_approved", True, causation_id=asked.event_id
        )

    world.events.append(answer())
    kinds = {
        p.kind for p in check(world.seen, world.observed(grants={asked.event_id: "requested"}), TAG)
    }
    assert kinds == {"stuck"}  # funding answered, but reintegration still waits for it
    decided = world.observed(grants={asked.event_id: "committed"})
    assert not [p for p in check(world.seen, decided, TAG) if "grant" in p.what]
    world.events.append(answer())
    again = world.observed(grants={asked.event_id: "committed"})
    assert any(
        p.kind == "doubled" and "answered twice" in p.what for p in check(world.seen, again, TAG)
    )


def test_a_closed_follow_up_must_be_recorded_once_and_close_its_case_in_registration() -> None:
    world, plan = World(), _id()
    world.seen.closures.append(plan)
    world.seen.closing.append(world.case)
    found = _problems(world)
    assert any(p.startswith("lost") and "closures answered" in p for p in found)
    assert any(p.startswith("stuck") and "not closed in registration" in p for p in found)
    world.events.append(Event("reintegration", _id(), FOLLOW_UP_CLOSED, True, plan_id=plan))
    closed = world.observed(cases={world.case: ("closed", TAG + "1")})
    assert not [p for p in check(world.seen, closed, TAG) if "clos" in p.what]
    world.events.append(Event("reintegration", _id(), FOLLOW_UP_CLOSED, True, plan_id=plan))
    twice = world.observed(cases={world.case: ("closed", TAG + "1")})
    assert any(
        p.kind == "doubled" and "closed twice" in p.what for p in check(world.seen, twice, TAG)
    )
