"""What counts as lost, doubled, stuck or over the cap: pure rules over what the clients saw
(``ClientView``) and what the system holds once drained (``Observed``)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

SCREENED = "registration.case_screened"
DECIDED = "funding.case_funding_decided"
ASSISTANCE = "reintegration.assistance_recorded"
FOLLOW_UP_CLOSED = "reintegration.case_closed"  # FollowUpClosed
GRANT_ANSWERS = ("funding.commitment_approved", "funding.commitment_rejected")


@dataclass(frozen=True)
class Event:
    """One outbox row of some service, with the few payload fields the checks need."""

    service: str
    event_id: str
    type: str
    published: bool
    actor_kind: str = "service"
    case_id: str | None = None
    eligible: bool | None = None  # case_screened
    approved: bool | None = None  # case_funding_decided
    contact_id: str | None = None  # reintegration.contact_recorded
    plan_id: str | None = None  # reintegration events
    stage: str | None = None  # reintegration.assistance_recorded: planned or received
    cash: bool = False  # reintegration.assistance_recorded with a cash item
    causation_id: str | None = None  # the event that caused it (funding's answer to a grant)


@dataclass(frozen=True)
class Commitment:
    commitment_id: str
    case_id: str
    period: str
    person_ref: str
    amount_cents: int
    released_cents: int
    origin: str  # screening (automatic) or request (manual)


@dataclass(frozen=True)
class Consumer:
    name: str
    filters: tuple[str, ...]
    pending: int
    unacknowledged: int


@dataclass(frozen=True)
class Held:
    """A dead letter or a parked event of a service."""

    service: str
    event_id: str
    type: str
    detail: str


@dataclass
class Observed:
    cases: dict[str, tuple[str, str]]  # registration: case id -> (status, requester name)
    funding_cases: dict[str, str]  # funding: case id -> status
    events: list[Event]  # every service's outbox
    audit_ids: list[str]
    stream: list[tuple[str, str]]  # (subject, event id) of every message on the stream
    stream_messages: int  # as the stream's info counts them
    consumers: list[Consumer]
    inbox: dict[str, set[str]]  # consumer -> applied event ids
    commitments: list[Commitment]
    ledger: dict[tuple[str, str], int]  # (period, person) -> committed cents
    caps: dict[str, int]  # period -> per-person cap in cents
    grants: dict[str, str] = field(default_factory=dict)  # reintegration: grant id -> status
    dead_letters: list[Held] = field(default_factory=list)
    parked: list[Held] = field(default_factory=list)
    audit_verified: bool = True
    audit_output: str = ""


@dataclass
class ClientView:
    cases: dict[str, str]  # requester tag -> case id, as answered (or found after a lost answer)
    screened: dict[str, bool]  # case id -> eligible
    commitments: list[str]  # approved commitment ids as answered
    arrivals: dict[str, int] = field(default_factory=dict)  # arrived case id -> its people
    contacts: list[str] = field(default_factory=list)  # follow-up contact ids as answered
    drawn_up: list[str] = field(default_factory=list)  # plan ids: planned assistance answered
    grants: list[str] = field(default_factory=list)  # plan ids: cash received answered
    closures: list[str] = field(default_factory=list)  # plan ids closed by a caseworker
    closing: list[str] = field(default_factory=list)  # cases registration must close itself
    server_errors: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    kind: str  # lost, doubled, stuck, over_cap, broken; or note (reported, not a failure)
    what: str


def subject_matches(pattern: str, subject: str) -> bool:
    """NATS subject matching: ``*`` one token, ``>`` one or more trailing tokens."""
    want, got = pattern.split("."), subject.split(".")
    for i, token in enumerate(want):
        if token == ">":
            return len(got) > i
        if i >= len(got) or (token != "*" and token != got[i]):
            return False
    return len(want) == len(got)


def _cases_of(events: Iterable[Event], type_: str, actor_kind: str | None = None) -> Counter[str]:
    return Counter(
        e.case_id
        for e in events
        if e.type == type_ and e.case_id and (actor_kind is None or e.actor_kind == actor_kind)
    )


def _eligible(events: Iterable[Event]) -> set[str]:
    return {e.case_id for e in events if e.type == SCREENED and e.eligible and e.case_id}


def _held(h: Held, case_of: dict[str, str]) -> str:
    case = case_of.get(h.event_id)
    return f"{h.type} {h.event_id}" + (f" (case {case})" if case else "") + f": {h.detail}"


def _sample(items: Iterable[str], n: int = 10) -> str:
    listed = sorted(items)
    more = f" (+{len(listed) - n} more)" if len(listed) > n else ""
    return ", ".join(listed[:n]) + more


def check(seen: ClientView, got: Observed, tag_prefix: str) -> list[Problem]:
    problems: list[Problem] = []

    def add(kind: str, what: str) -> None:
        problems.append(Problem(kind, what))

    # registrations: every answered case exists once; none exists that no client knows of
    by_tag: dict[str, list[str]] = defaultdict(list)
    for case_id, (_status, name) in got.cases.items():
        if name.startswith(tag_prefix):
            by_tag[name].append(case_id)
    if lost := {c for c in seen.cases.values() if c not in got.cases}:
        add("lost", f"{len(lost)} registered cases are missing: {_sample(lost)}")
    if doubled := {t for t, ids in by_tag.items() if len(ids) > 1}:
        add("doubled", f"{len(doubled)} registrations were stored twice: {_sample(doubled)}")
    if orphans := set(by_tag) - set(seen.cases):
        add("doubled", f"{len(orphans)} cases were stored that no client knows of")
    if unseen := set(got.cases) - set(got.funding_cases):
        add("lost", f"{len(unseen)} cases never reached funding: {_sample(unseen)}")

    # screening: one event per screened case, and one automatic decision per eligible case
    screenings = _cases_of(got.events, SCREENED)
    eligible = _eligible(got.events)
    if missing := {c for c in seen.screened if screenings[c] == 0}:
        add("lost", f"{len(missing)} screenings answered but not recorded: {_sample(missing)}")
    if twice := {c for c, n in screenings.items() if n > 1}:
        add("doubled", f"{len(twice)} cases were screened twice: {_sample(twice)}")
    decisions = _cases_of(got.events, DECIDED, actor_kind="service")
    if undecided := {c for c in eligible if decisions[c] == 0}:
        add(
            "stuck",
            f"{len(undecided)} eligible cases have no funding decision: {_sample(undecided)}",
        )
    if many := {c for c in eligible if decisions[c] > 1}:
        add("doubled", f"{len(many)} eligible cases have several decisions: {_sample(many)}")
    if wrong := {c for c, n in decisions.items() if n and c not in eligible}:
        add("broken", f"{len(wrong)} cases not screened eligible were decided: {_sample(wrong)}")
    approved = {e.case_id for e in got.events if e.type == DECIDED and e.approved and e.case_id}
    if behind := {c for c in approved if got.cases.get(c, ("", ""))[0] == "eligible"}:
        add(
            "stuck",
            f"{len(behind)} approved cases are still 'eligible' in registration: {_sample(behind)}",
        )

    # commitments: answered ones exist; one automatic commitment per person and case
    held_ids = {c.commitment_id for c in got.commitments}
    if gone := set(seen.commitments) - held_ids:
        add("lost", f"{len(gone)} approved commitments are missing: {_sample(gone)}")
    automatic = Counter(
        (c.case_id, c.person_ref) for c in got.commitments if c.origin == "screening"
    )
    if repeated := {f"{c} {p}" for (c, p), n in automatic.items() if n > 1}:
        add(
            "doubled", f"{len(repeated)} automatic commitments were made twice: {_sample(repeated)}"
        )

    # the cap, from the commitments and from the ledger
    committed: Counter[tuple[str, str]] = Counter()
    for c in got.commitments:
        committed[(c.period, c.person_ref)] += c.amount_cents - c.released_cents
    for key in set(committed) | set(got.ledger):
        period, person = key
        cap = got.caps.get(period)
        total = committed.get(key, 0)
        if cap is not None and max(total, got.ledger.get(key, 0)) > cap:
            add("over_cap", f"{person} in {period}: {total} cents committed, cap {cap}")
        if got.ledger.get(key, 0) != total:
            add(
                "broken",
                f"{person} in {period}: ledger says {got.ledger.get(key, 0)} cents, "
                f"commitments add up to {total}",
            )

    # reintegration: one plan per person of every arrived case; every contact answered is
    # recorded once
    plans = _cases_of(got.events, "reintegration.plan_created")
    if unplanned := {c for c, n in seen.arrivals.items() if plans[c] < n}:
        add("lost", f"{len(unplanned)} arrived cases lack a plan per person: {_sample(unplanned)}")
    if overplanned := {c for c, n in seen.arrivals.items() if plans[c] > n}:
        add("doubled", f"{len(overplanned)} arrived cases got plans twice: {_sample(overplanned)}")
    recorded = Counter(
        e.contact_id
        for e in got.events
        if e.type == "reintegration.contact_recorded" and e.contact_id
    )
    if unrecorded := {c for c in seen.contacts if recorded[c] == 0}:
        add("lost", f"{len(unrecorded)} contacts answered but not recorded: {_sample(unrecorded)}")
    if again := {c for c, n in recorded.items() if n > 1}:
        add("doubled", f"{len(again)} contacts were recorded twice: {_sample(again)}")

    # plans drawn up, cash grants asked of funding and answered once, closures by a
    # caseworker recorded once and the cases closed by registration through events
    assisted = [e for e in got.events if e.type == ASSISTANCE and e.plan_id]
    drawn = Counter(str(e.plan_id) for e in assisted if e.stage == "planned")
    if undrawn := {p for p in seen.drawn_up if drawn[p] == 0}:
        add("lost", f"{len(undrawn)} plans drawn up but not recorded: {_sample(undrawn)}")
    if redrawn := {p for p, n in drawn.items() if n > 1}:
        add("doubled", f"{len(redrawn)} plans were drawn up twice: {_sample(redrawn)}")
    asked = {e.event_id: str(e.plan_id) for e in assisted if e.stage == "received" and e.cash}
    if unasked := set(seen.grants) - set(asked.values()):
        add("lost", f"{len(unasked)} cash grants answered but not recorded: {_sample(unasked)}")
    answers = Counter(
        e.causation_id for e in got.events if e.type in GRANT_ANSWERS and e.causation_id in asked
    )
    if unanswered := {g for g in asked if answers[g] == 0}:
        add("stuck", f"{len(unanswered)} cash grants have no answer from funding")
    if twice_answered := {g for g, n in answers.items() if n > 1}:
        add("doubled", f"{len(twice_answered)} cash grants were answered twice by funding")
    if missing_rows := set(asked) - set(got.grants):
        add("lost", f"{len(missing_rows)} cash grants asked have no grant in reintegration")
    if undecided_grants := {g for g, status in got.grants.items() if status == "requested"}:
        add(
            "stuck",
            f"{len(undecided_grants)} grants still 'requested' in reintegration: "
            f"{_sample(undecided_grants)}",
        )
    closings = Counter(
        str(e.plan_id) for e in got.events if e.type == FOLLOW_UP_CLOSED and e.plan_id
    )
    if unclosed := {p for p in seen.closures if closings[p] == 0}:
        add("lost", f"{len(unclosed)} follow-up closures answered but not recorded")
    if reclosed := {p for p, n in closings.items() if n > 1}:
        add("doubled", f"{len(reclosed)} follow-ups were closed twice: {_sample(reclosed)}")
    if still_open := {c for c in seen.closing if got.cases.get(c, ("", ""))[0] != "closed"}:
        add(
            "stuck",
            f"{len(still_open)} cases whose follow-ups all closed are not closed in "
            f"registration: {_sample(still_open)}",
        )

    # events: every committed event published once, chained once, applied by each consumer
    outbox = {e.event_id for e in got.events}
    if unpublished := [e for e in got.events if not e.published]:
        by_service = Counter(e.service for e in unpublished)
        add("stuck", f"{len(unpublished)} outbox rows unpublished: {dict(by_service)}")
    on_stream = Counter(event_id for _subject, event_id in got.stream)
    if twice_on_stream := {i for i, n in on_stream.items() if n > 1}:
        # A relay that re-publishes after the broker's duplicate window (it kept dying before
        # it could mark the rows published) adds a second message; inboxes and the audit log
        # apply each event once (checked above and below), so this is noted, not a failure.
        add(
            "note",
            f"{len(twice_on_stream)} events are twice on the stream (published again after the "
            f"duplicate window): {_sample(twice_on_stream, 5)}",
        )
    if not_streamed := outbox - set(on_stream):
        add("lost", f"{len(not_streamed)} outbox events never reached the stream")
    if strangers := set(on_stream) - outbox:
        add("broken", f"{len(strangers)} stream messages are in no outbox")
    if got.stream_messages != len(got.stream):
        add("broken", f"stream info counts {got.stream_messages} messages, {len(got.stream)} read")
    audited = Counter(got.audit_ids)
    if unaudited := outbox - set(audited):
        add("lost", f"{len(unaudited)} events are missing from the audit log")
    if twice_audited := {i for i, n in audited.items() if n > 1}:
        add("doubled", f"{len(twice_audited)} events are twice in the audit log")
    held = {(h.service, h.event_id) for h in got.dead_letters + got.parked}
    for consumer in got.consumers:
        if consumer.pending or consumer.unacknowledged:
            add(
                "stuck",
                f"consumer {consumer.name}: {consumer.pending} pending, "
                f"{consumer.unacknowledged} unacknowledged",
            )
        applied = got.inbox.get(consumer.name, set())
        expected = {
            event_id
            for subject, event_id in got.stream
            if any(subject_matches(f, subject) for f in consumer.filters)
        }
        if missed := {i for i in expected - applied if (consumer.name, i) not in held}:
            add("lost", f"{consumer.name} never applied {len(missed)} events: {_sample(missed, 5)}")

    case_of = {e.event_id: e.case_id for e in got.events if e.case_id}
    for h in got.dead_letters:
        add("stuck", f"dead letter in {h.service}: {_held(h, case_of)}")
    for h in got.parked:
        add("stuck", f"parked in {h.service}: {_held(h, case_of)}")
    if not got.audit_verified:
        add("broken", f"retorno audit verify failed: {got.audit_output.strip()[-500:]}")
    for error in seen.server_errors:
        add("broken", f"server error: {error}")
    for failure in seen.failures:
        add("broken", f"driver: {failure}")
    return problems


def figures(seen: ClientView, got: Observed) -> dict[str, int]:
    """The counts of the report (one column per mode)."""
    eligible = _eligible(got.events)
    decisions = _cases_of(got.events, DECIDED, actor_kind="service")
    committed: Counter[tuple[str, str]] = Counter()
    for c in got.commitments:
        committed[(c.period, c.person_ref)] += c.amount_cents - c.released_cents
    return {
        "cases accepted (answered 201 or found)": len(seen.cases),
        "cases stored": len(got.cases),
        "screened eligible": len(eligible),
        "screened ineligible": sum(
            1 for e in got.events if e.type == SCREENED and e.eligible is False
        ),
        "funding decisions (automatic)": sum(decisions.values()),
        "funding decisions (manual, after a refusal)": sum(
            1 for e in got.events if e.type == DECIDED and e.actor_kind == "user"
        ),
        "eligible cases with no decision": sum(1 for c in eligible if decisions[c] == 0),
        "eligible cases with several decisions": sum(1 for c in eligible if decisions[c] > 1),
        "commitments (automatic)": sum(1 for c in got.commitments if c.origin == "screening"),
        "commitments (manual)": sum(1 for c in got.commitments if c.origin != "screening"),
        "people at the cap": sum(1 for (p, _r), v in committed.items() if v == got.caps.get(p, -1)),
        "people over the cap": sum(1 for (p, _r), v in committed.items() if v > got.caps.get(p, v)),
        "follow-up plans": sum(1 for e in got.events if e.type == "reintegration.plan_created"),
        "follow-up contacts answered": len(seen.contacts),
        "follow-up contacts recorded": sum(
            1 for e in got.events if e.type == "reintegration.contact_recorded"
        ),
        "follow-up plans drawn up": sum(
            1 for e in got.events if e.type == ASSISTANCE and e.stage == "planned"
        ),
        "cash grants asked": sum(
            1 for e in got.events if e.type == ASSISTANCE and e.stage == "received" and e.cash
        ),
        "cash grants committed": sum(1 for s in got.grants.values() if s == "committed"),
        "cash grants refused": sum(1 for s in got.grants.values() if s == "refused"),
        "follow-ups closed by a caseworker": len(seen.closures),
        "follow-ups closed (all)": sum(1 for e in got.events if e.type == FOLLOW_UP_CLOSED),
        "cases closed by registration after the follow-ups": sum(
            1 for c in seen.closing if got.cases.get(c, ("", ""))[0] == "closed"
        ),
        "events in all outboxes": len(got.events),
        "audit log records": len(got.audit_ids),
        "stream messages": got.stream_messages,
        "unpublished outbox rows": sum(1 for e in got.events if not e.published),
        "consumer pending + unacknowledged": sum(
            c.pending + c.unacknowledged for c in got.consumers
        ),
        "dead letters": len(got.dead_letters),
        "parked events": len(got.parked),
        "audit verify ok": int(got.audit_verified),
        "HTTP 5xx answers": len(seen.server_errors),
    }
