"""Read use cases of the follow-up, on ``db.reading()``: a plan, the caseworkers' working
list (computed from the stored schedule, the attempts and the clock) and, for oversight,
counts and timeliness per office (never an answer or a note)."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.engine import RowMapping

from services.kit.definition import Runtime
from services.kit.errors import InvalidInputError
from services.kit.identity import OFFICE_SCOPED_ROLES, Principal, ensure_office
from services.kit.vault import VAULT
from services.reintegration import store
from services.reintegration.domain.errors import NoteNotFoundError
from services.reintegration.domain.records import (
    CONSENT_PURPOSE,
    NOTE_FIELD,
    Row,
    ensure_visible,
    states_of,
)
from services.reintegration.domain.schedule import plan_status
from services.reintegration.domain.scoring import Instrument
from services.reintegration.domain.worklist import DUE_STATUSES, DueStatus, work_rows
from services.reintegration.schemas import (
    MAX_PAGE_SIZE,
    CaseFollowUp,
    CountsView,
    DueItem,
    DuePage,
    NoteView,
    OfficeCounts,
    PlanView,
    SlotView,
    assistance_view,
    contact_view,
    grant_view,
    score_view,
)
from services.reintegration.settings import config
from services.reintegration.store import SERVICE
from services.reintegration.usecases import instrument_for


async def visible_plan(rt: Runtime, principal: Principal, plan_id: uuid.UUID) -> Row:
    async with rt.db(SERVICE).reading() as session:
        found, granted = await store.plan_and_offices(session, plan_id)
    return ensure_visible(principal, found, granted, plan_id)


def _offices(principal: Principal | None, office: str | None) -> list[str] | None:
    """The offices a listing covers: the one asked for (if the principal may), else every
    office of a scoped principal, else all (None)."""
    if office is not None:
        if principal is not None:
            ensure_office(principal, office)
        return [office]
    if principal is not None and principal.role in OFFICE_SCOPED_ROLES:
        return sorted(principal.offices)
    return None


async def plan(rt: Runtime, principal: Principal, plan_id: uuid.UUID) -> PlanView:
    rules = config(rt).rules
    found = await visible_plan(rt, principal, plan_id)
    today = rt.clock().date()
    async with rt.db(SERVICE).reading() as session:
        slot_rows = await store.slots_of(session, [plan_id])
        contacts = await store.contacts_of(session, [plan_id])
        assistance = await store.assistance_of(session, plan_id)
        grants = await store.grants_of(session, plan_id)
        scores = await store.scores_of(session, plan_id)
    states = states_of(slot_rows, contacts, today, rules)
    return PlanView(
        plan_id=plan_id,
        case_id=found["case_id"],
        person_ref=found["person_ref"],
        office=found["office"],
        arrived_on=found["arrived_on"],
        plan_due_on=found["plan_due_on"],
        plan_status=(
            "drawn_up"
            if found["drawn_up_on"] is not None
            else plan_status(found["arrived_on"], None, today, rules)
        ),
        drawn_up_on=found["drawn_up_on"],
        closed_on=found["closed_on"],
        closure_reason=found["closure_reason"],
        schedule=[
            SlotView(
                slot=s.slot.number,
                offset_months=s.slot.offset_months,
                due_on=s.slot.due_on,
                opens_on=s.slot.opens_on,
                closes_on=s.slot.closes_on,
                status=s.status,
                failed_attempts=s.failed_attempts,
                settled_on=s.settled_on,
            )
            for s in states
        ],
        contacts=[contact_view(c) for c in contacts],
        assistance=[assistance_view(a) for a in assistance],
        grants=[grant_view(g) for g in grants],
        scores=[score_view(s, s["surveyed_on"]) for s in scores],
    )


async def case_follow_up(
    rt: Runtime, principal: Principal, case_id: uuid.UUID
) -> list[CaseFollowUp]:
    """The follow-up plans of a case's people (none before arrival), each with whether the
    person consented to follow-up contact; 403 for a plan of an office not the principal's."""
    async with rt.db(SERVICE).reading() as session:
        rows = await store.plans_of_case(session, case_id)
    vault = rt.part(VAULT)
    found = []
    for row in rows:
        view = await plan(rt, principal, row["plan_id"])
        consent = await vault.has_consent(row["person_ref"], CONSENT_PURPOSE)
        found.append(CaseFollowUp(plan=view, contact_consent=consent))
    return found


def instrument(rt: Runtime, version: str | None = None) -> Instrument:
    """The survey instrument a contact is scored with (the configured default, or
    ``version``): its questions and answer options, for a survey form."""
    return instrument_for(config(rt), version, "instrument_version")


async def note(
    rt: Runtime, principal: Principal, plan_id: uuid.UUID, contact_id: uuid.UUID
) -> NoteView:
    """A contact's note, opened by the vault (which logs who read it, and why)."""
    found = await visible_plan(rt, principal, plan_id)
    async with rt.db(SERVICE).reading() as session:
        row = await store.contact(session, plan_id, contact_id)
    if row is None or row["note_sealed"] is None:
        raise NoteNotFoundError(f"contact {contact_id} of plan {plan_id} has no note")
    opened = await rt.part(VAULT).decrypt_many(
        found["person_ref"],
        {NOTE_FIELD: row["note_sealed"]},
        actor_id=principal.user_id,
        role=principal.role,
        purpose=CONSENT_PURPOSE,
    )
    return NoteView(contact_id=contact_id, note=opened.get(NOTE_FIELD))


@dataclass(frozen=True)
class DueFilter:
    office: str | None = None
    statuses: Sequence[DueStatus] = ()
    before: date | None = None
    page: int = 1
    page_size: int = 50
    as_of: date | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.page_size <= MAX_PAGE_SIZE or self.page < 1:
            raise InvalidInputError(
                f"page starts at 1 and page_size is 1 to {MAX_PAGE_SIZE}",
                errors=[{"field": "page_size", "problem": f"1 to {MAX_PAGE_SIZE}"}],
            )


def _group(rows: Sequence[RowMapping]) -> dict[uuid.UUID, list[RowMapping]]:
    grouped: dict[uuid.UUID, list[RowMapping]] = defaultdict(list)
    for row in rows:
        grouped[row["plan_id"]].append(row)
    return grouped


async def due(rt: Runtime, principal: Principal | None, where: DueFilter) -> DuePage:
    """The working list of open follow-ups: plans missing, overdue, due this week, not
    reached, upcoming; most urgent first, then by date. ``principal`` None: an operator on
    the server (every office). ``where.as_of``: the list as it will stand on that later day
    if nothing more is recorded (planning visits); never an earlier day."""
    rules = config(rt).rules
    due_soon = config(rt).rules.due_soon_days
    offices = _offices(principal, where.office)
    today = rt.clock().date()
    if where.as_of is not None and where.as_of < today:
        raise InvalidInputError(
            f"as_of {where.as_of} is before today ({today}): the list is computed from what is "
            "recorded now, so it can show today or a later day, not how it stood before",
            errors=[{"field": "as_of", "problem": "is before today"}],
        )
    today = where.as_of or today
    async with rt.db(SERVICE).reading() as session:
        plans = await store.open_plans(session, offices)
        ids = [p["plan_id"] for p in plans]
        slot_rows = _group(await store.slots_of(session, ids))
        contacts = _group(await store.contacts_of(session, ids))
    items: list[tuple[Any, DueItem]] = []
    for p in plans:
        states = states_of(slot_rows[p["plan_id"]], contacts[p["plan_id"]], today, rules)
        for row in work_rows(
            p["plan_due_on"], p["drawn_up_on"] is not None, states, today, due_soon
        ):
            slot = row.slot
            item = DueItem(
                status=row.status,
                plan_id=p["plan_id"],
                case_id=p["case_id"],
                person_ref=p["person_ref"],
                office=p["office"],
                arrived_on=p["arrived_on"],
                due_on=row.on,
                plan_overdue=row.plan_overdue,
                slot=None if slot is None else slot.slot.number,
                opens_on=None if slot is None else slot.slot.opens_on,
                closes_on=None if slot is None else slot.slot.closes_on,
                failed_attempts=0 if slot is None else slot.failed_attempts,
            )
            items.append(((row.rank, row.on, p["person_ref"], item.slot or 0), item))
    if where.before is not None:
        items = [i for i in items if i[1].due_on < where.before]
    counts = Counter(i.status for _, i in items)
    if where.statuses:
        items = [i for i in items if i[1].status in where.statuses]
    items.sort(key=lambda i: i[0])
    start = (where.page - 1) * where.page_size
    return DuePage(
        items=[i for _, i in items[start : start + where.page_size]],
        counts={s: counts.get(s, 0) for s in DUE_STATUSES},
        on=today,
        page=where.page,
        page_size=where.page_size,
        total=len(items),
    )


async def counts(
    rt: Runtime, principal: Principal, office: str | None, date_from: date, date_to: date
) -> CountsView:
    """Per office and period: contacts due vs done (on time, late), not reached, no consent,
    overdue; plans made and drawn up on time; closures per reason. Counts only."""
    if date_to < date_from:
        raise InvalidInputError(
            "the period ends before it starts",
            errors=[{"field": "to", "problem": "is before from"}],
        )
    rules = config(rt).rules
    offices = _offices(principal, office)
    today = rt.clock().date()
    async with rt.db(SERVICE).reading() as session:
        plans = await store.plans_in(session, offices)
        ids = [p["plan_id"] for p in plans]
        slot_rows = _group(await store.slots_of(session, ids))
        contacts = _group(await store.contacts_of(session, ids))
    per: dict[str, Counter[str]] = defaultdict(Counter)
    closed: dict[str, Counter[str]] = defaultdict(Counter)
    for p in plans:
        tally = per[p["office"]]
        if date_from <= p["arrived_on"] <= date_to:
            tally["plans_made"] += 1
            if p["drawn_up_on"] is not None and p["drawn_up_on"] <= p["plan_due_on"]:
                tally["plans_drawn_up_on_time"] += 1
        if p["closed_on"] is not None and date_from <= p["closed_on"] <= date_to:
            closed[p["office"]][p["closure_reason"]] += 1
        for s in states_of(slot_rows[p["plan_id"]], contacts[p["plan_id"]], today, rules):
            if not date_from <= s.slot.due_on <= date_to:
                continue
            if p["closed_on"] is not None and not s.settled:
                continue  # closed before this contact: no longer due
            tally["contacts_due"] += 1
            if s.status == "done":
                tally["done"] += 1
                assert s.settled_on is not None
                tally[f"done_{s.slot.timeliness(s.settled_on)}"] += 1
            elif s.status in ("not_reached", "no_consent", "overdue"):
                tally[s.status] += 1
            else:
                tally["open"] += 1
    names = sorted(set(per) | set(offices or []))
    return CountsView(
        date_from=date_from,
        date_to=date_to,
        offices=[
            OfficeCounts(
                office=name,
                **{
                    k: per[name].get(k, 0)
                    for k in OfficeCounts.model_fields
                    if k not in ("office", "closed")
                },
                closed=dict(sorted(closed[name].items())),
            )
            for name in names
        ],
    )
