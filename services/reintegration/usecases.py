"""Write use cases of the follow-up: plans on arrival, contacts, assistance, scores, closure
and the overdue check. Each opens one unit of work, checks, writes and emits, and commits."""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, get_args

from sqlalchemy.engine import RowMapping

from db.uow import UnitOfWork
from events.envelope import Actor
from events.reintegration import (
    AssistanceItem,
    AssistanceRecorded,
    ClosedBy,
    ClosureReason,
    ContactOverdue,
    ContactRecorded,
    FollowUpClosed,
    FollowUpClosureReason,
    PlanCreated,
    ScheduledContact,
    ScoreRecorded,
    ScoreSource,
)
from services.kit.definition import Runtime
from services.kit.identity import Principal
from services.kit.vault import VAULT
from services.reintegration import store
from services.reintegration.domain.errors import (
    AlreadyScoredUnderVersionError,
    DateOutOfRangeError,
    NoFollowUpConsentError,
    NoSurveyToRescoreError,
    NotApplicableForOutcomeError,
    PlanAlreadyDrawnUpError,
    PlanClosedError,
    PlanNotFoundError,
    UnknownInstrumentError,
)
from services.reintegration.domain.records import (
    CONSENT_PURPOSE,
    NOTE_FIELD,
    Row,
    attempts_of,
    ensure_visible,
    slot_of,
    states_of,
)
from services.reintegration.domain.schedule import (
    ScheduleRules,
    check_contact_date,
    choose_slot,
    closure_after_schedule,
    plan_due_on,
    schedule_complete,
    slot_state,
    slots,
)
from services.reintegration.domain.scoring import Instrument, Scores, check_answers, score
from services.reintegration.schemas import (
    AssistanceIn,
    AssistanceItemIn,
    AssistanceView,
    ClosureIn,
    ClosureView,
    ContactIn,
    ContactRecordedView,
    RescoreIn,
    ScoreView,
    assistance_view,
    contact_view,
    score_view,
)
from services.reintegration.settings import FollowUpConfig, config
from services.reintegration.store import SERVICE

OVERDUE_BATCH = 500
log = logging.getLogger(__name__)


def _actor(principal: Principal) -> Actor:
    return Actor.user(principal.user_id, principal.role)


# --- shared readings --------------------------------------------------------------------------


async def visible_plan(rt: Runtime, principal: Principal, plan_id: uuid.UUID) -> Row:
    async with rt.db(SERVICE).reading() as session:
        found, granted = await store.plan_and_offices(session, plan_id)
    return ensure_visible(principal, found, granted, plan_id)


async def _locked_open_plan(uow: UnitOfWork, plan_id: uuid.UUID) -> RowMapping:
    found = await store.plan(uow.session, plan_id, lock=True)
    if found is None:
        raise PlanNotFoundError(f"no follow-up plan {plan_id}")
    if found["closed_on"] is not None:
        raise PlanClosedError(
            f"the follow-up of plan {plan_id} was closed on {found['closed_on']} "
            f"({found['closure_reason']}); nothing more is recorded on it"
        )
    return found


def _check_day(on: date, arrived_on: date, today: date, what: str) -> None:
    if on > today or on < arrived_on:
        raise DateOutOfRangeError(
            f"the {what} date {on.isoformat()} must be between the arrival "
            f"({arrived_on.isoformat()}) and today ({today.isoformat()})",
            errors=[{"field": "on", "problem": "is in the future or before the arrival"}],
        )


def _plan_ids(plan: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "plan_id": plan["plan_id"],
        "case_id": plan["case_id"],
        "person_ref": plan["person_ref"],
        "office": plan["office"],
    }


# --- plans on arrival ----------------------------------------------------------------------


async def make_plans(
    uow: UnitOfWork, case_id: uuid.UUID, office: str, arrived_on: date, rules: ScheduleRules
) -> None:
    """Each person of an arrived case gets a plan and its schedule (once: safe to re-run)."""
    now = uow.clock()
    schedule = slots(arrived_on, rules)
    for person_ref in await store.people_of(uow.session, case_id):
        if await store.plan_of(uow.session, case_id, person_ref) is not None:
            continue
        plan_id = uuid.uuid4()
        due = plan_due_on(arrived_on, rules)
        await store.add_plan(
            uow.session,
            {
                "plan_id": plan_id,
                "case_id": case_id,
                "person_ref": person_ref,
                "office": office,
                "arrived_on": arrived_on,
                "plan_due_on": due,
                "created_at": now,
            },
            [
                {
                    "plan_id": plan_id,
                    "slot": s.number,
                    "offset_months": s.offset_months,
                    "due_on": s.due_on,
                    "opens_on": s.opens_on,
                    "closes_on": s.closes_on,
                }
                for s in schedule
            ],
        )
        uow.emit(
            PlanCreated(
                plan_id=plan_id,
                case_id=case_id,
                person_ref=person_ref,
                office=office,
                arrived_on=arrived_on,
                plan_due_on=due,
                contacts=[
                    ScheduledContact(
                        slot=s.number,
                        offset_months=s.offset_months,
                        due_on=s.due_on,
                        opens_on=s.opens_on,
                        closes_on=s.closes_on,
                    )
                    for s in schedule
                ],
            )
        )


# --- contacts ------------------------------------------------------------------------------


def _check_outcome_fields(body: ContactIn) -> None:
    if body.outcome == "reached":
        if body.residence is None:
            raise NotApplicableForOutcomeError(
                "a reached contact records where the person lives now (residence)",
                errors=[{"field": "residence", "problem": "is required when reached"}],
            )
        return
    sent = [
        name
        for name, value in (
            ("residence", body.residence),
            ("remigration_intention", body.remigration_intention),
            ("survey", body.survey),
            ("assistance_received", body.assistance_received or None),
            ("note", body.note if body.outcome == "no_consent" else None),
        )
        if value is not None
    ]
    if sent:
        raise NotApplicableForOutcomeError(
            f"a contact recorded as {body.outcome.replace('_', ' ')} cannot carry "
            f"{', '.join(sent)}; send them with a reached contact",
            errors=[
                {"field": name, "problem": f"not allowed when {body.outcome}"} for name in sent
            ],
        )


def instrument_for(cfg: FollowUpConfig, version: str | None, field: str) -> Instrument:
    wanted = version or cfg.default_instrument
    found = cfg.instruments.get(wanted)
    if found is None:
        raise UnknownInstrumentError(
            f"no instrument version {wanted!r} is loaded (loaded: "
            f"{', '.join(sorted(cfg.instruments))})",
            errors=[{"field": field, "problem": "is not a loaded instrument version"}],
        )
    return found


def score_row(
    scores: Scores, survey_id: uuid.UUID, plan_id: uuid.UUID, source: ScoreSource, now: Any
) -> dict[str, Any]:
    dims = {d.dimension: d.score for d in scores.dimensions}
    return {
        "score_id": uuid.uuid4(),
        "survey_id": survey_id,
        "plan_id": plan_id,
        "instrument_version": scores.instrument_version,
        "source": source,
        "economic": _text(dims["economic"]),
        "social": _text(dims["social"]),
        "psychosocial": _text(dims["psychosocial"]),
        "composite": _text(scores.composite),
        "above_threshold": scores.above_threshold,
        "answered": scores.answered,
        "missing": scores.missing,
        "scored_at": now,
    }


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _score_event(
    plan: Mapping[Any, Any], row: Mapping[Any, Any], surveyed_on: date
) -> ScoreRecorded:
    return ScoreRecorded(
        **_plan_ids(plan),
        score_id=row["score_id"],
        survey_id=row["survey_id"],
        instrument_version=row["instrument_version"],
        source=row["source"],
        surveyed_on=surveyed_on,
        economic=row["economic"],
        social=row["social"],
        psychosocial=row["psychosocial"],
        composite=row["composite"],
        above_threshold=row["above_threshold"],
        answered=row["answered"],
        missing=row["missing"],
    )


def _assistance_rows(
    plan_id: uuid.UUID,
    stage: str,
    on: date,
    items: Sequence[AssistanceItemIn],
    principal: Principal,
    now: Any,
    contact_id: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    return [
        {
            "item_id": uuid.uuid4(),
            "plan_id": plan_id,
            "stage": stage,
            "category": item.category,
            "kind": item.kind,
            "amount_cents": item.amount_cents,
            "on_date": on,
            "contact_id": contact_id,
            "recorded_at": now,
            "recorded_by": principal.user_id,
        }
        for item in items
    ]


async def _ask_for_grant(
    uow: UnitOfWork,
    event_id: uuid.UUID,
    plan_id: uuid.UUID,
    stage: str,
    on: date,
    rows: Sequence[Mapping[Any, Any]],
) -> None:
    """Cash received is asked of funding (it consumes ``assistance_recorded``): the grant is
    ``requested`` until funding's answer, which is caused by that event, arrives."""
    cash = sum(r["amount_cents"] or 0 for r in rows if r["kind"] == "cash")
    if stage != "received" or cash <= 0:
        return
    await store.add_grant(
        uow.session,
        {
            "grant_id": event_id,
            "plan_id": plan_id,
            "on_date": on,
            "requested_cents": cash,
            "requested_at": uow.clock(),
            "status": "requested",
        },
    )


async def grant_decided(
    uow: UnitOfWork,
    cause: uuid.UUID | None,
    committed_cents: int | None,
    refusal_reason: str | None,
) -> bool:
    """Funding answered a grant asked by the event ``cause``: committed (perhaps less than
    asked, within the cap) or refused (the cap used up, the fund short...). False when the
    answer is not about a grant of ours (another commitment of the case). Safe to re-run."""
    if cause is None:
        return False
    found = await store.grant(uow.session, cause)
    if found is None:
        return False
    if found["status"] != "requested":
        return True
    await store.decide_grant(
        uow.session,
        cause,
        status="committed" if committed_cents is not None else "refused",
        committed_cents=committed_cents,
        refusal_reason=refusal_reason,
        decided_at=uow.clock(),
    )
    return True


def _items(rows: Sequence[Mapping[Any, Any]]) -> list[AssistanceItem]:
    return [
        AssistanceItem(category=r["category"], kind=r["kind"], amount_cents=r["amount_cents"])
        for r in rows
    ]


async def record_contact(
    rt: Runtime, principal: Principal, plan_id: uuid.UUID, body: ContactIn
) -> ContactRecordedView:
    """One contact attempt. Contacting needs the person's ``follow_up_contact`` consent:
    without it only "no consent" is recorded. The note is sealed by the vault first."""
    cfg = config(rt)
    plan = await visible_plan(rt, principal, plan_id)
    today = rt.clock().date()
    check_contact_date(body.on, plan["arrived_on"], today)
    _check_outcome_fields(body)
    instrument: Instrument | None = None
    if body.survey is not None:
        instrument = instrument_for(
            cfg, body.survey.instrument_version, "survey.instrument_version"
        )
        check_answers(instrument, body.survey.answers, field_prefix="survey.answers")
    person_ref = plan["person_ref"]
    vault = rt.part(VAULT)
    if body.outcome != "no_consent":
        consented = await vault.has_consent(person_ref, CONSENT_PURPOSE)
        log.info(
            "follow-up consent checked for plan %s by %s: %s",
            plan_id,
            principal.user_id,
            "granted" if consented else "not granted",
        )
        if not consented:
            raise NoFollowUpConsentError(
                "this person has not consented to follow-up contact: record the contact as "
                "'no_consent', or record their consent first",
                errors=[{"field": "outcome", "problem": "only no_consent without consent"}],
            )
    sealed = None
    if body.note is not None:
        sealed = (await vault.encrypt_many(person_ref, {NOTE_FIELD: body.note}))[NOTE_FIELD]

    async with rt.db(SERVICE).unit_of_work() as uow:
        now = uow.clock()
        plan = await _locked_open_plan(uow, plan_id)
        slot_rows = await store.slots_of(uow.session, [plan_id])
        contacts = await store.contacts_of(uow.session, [plan_id])
        states = states_of(slot_rows, contacts, today, cfg.rules)
        state = choose_slot(states, body.slot, body.on)
        attempt = sum(1 for c in contacts if c["slot"] == state.slot.number) + 1
        contact_id = uuid.uuid4()
        row = {
            "contact_id": contact_id,
            "plan_id": plan_id,
            "slot": state.slot.number,
            "attempt": attempt,
            "contacted_on": body.on,
            "method": body.method,
            "outcome": body.outcome,
            "residence": body.residence,
            "remigration_intention": body.remigration_intention,
            "note_sealed": sealed,
            "recorded_at": now,
            "recorded_by": principal.user_id,
        }
        await store.add_contact(uow.session, row)
        after = states_of(slot_rows, [*contacts, row], today, cfg.rules)
        slot_after = after[state.slot.number - 1]
        actor = _actor(principal)
        uow.emit(
            ContactRecorded(
                **_plan_ids(plan),
                contact_id=contact_id,
                slot=state.slot.number,
                attempt=attempt,
                contacted_on=body.on,
                method=body.method,
                outcome=body.outcome,
                slot_status=slot_after.status,
                timeliness=state.slot.timeliness(body.on),
                residence=body.residence,
                remigration_intention=body.remigration_intention,
                has_note=sealed is not None,
            ),
            actor=actor,
        )
        if body.assistance_received:
            rows = _assistance_rows(
                plan_id, "received", body.on, body.assistance_received, principal, now, contact_id
            )
            await store.add_assistance(uow.session, rows)
            told = uow.emit(
                AssistanceRecorded(
                    **_plan_ids(plan),
                    stage="received",
                    on=body.on,
                    items=_items(rows),
                    contact_id=contact_id,
                ),
                actor=actor,
            )
            await _ask_for_grant(uow, told.event_id, plan_id, "received", body.on, rows)
        scored: ScoreView | None = None
        if body.survey is not None and instrument is not None:
            survey_id = uuid.uuid4()
            await store.add_survey(
                uow.session,
                {
                    "survey_id": survey_id,
                    "plan_id": plan_id,
                    "contact_id": contact_id,
                    "surveyed_on": body.on,
                    "answers": dict(body.survey.answers),
                    "recorded_at": now,
                },
            )
            srow = score_row(
                score(instrument, body.survey.answers), survey_id, plan_id, "contact", now
            )
            await store.add_score(uow.session, srow)
            uow.emit(_score_event(plan, srow, body.on), actor=actor)
            scored = score_view(srow, body.on)
        closed = schedule_complete(after)
        if closed:
            await _close(uow, plan, body.on, closure_after_schedule(after), "schedule", actor)
        await uow.commit()
    view = contact_view(row)
    view.slot_status = slot_after.status
    return ContactRecordedView(contact=view, score=scored, closed=closed)


# --- assistance ----------------------------------------------------------------------------


async def record_assistance(
    rt: Runtime, principal: Principal, plan_id: uuid.UUID, body: AssistanceIn
) -> list[AssistanceView]:
    """Planned assistance draws the plan up (once; an empty list: none needed); received
    assistance is told at any time."""
    await visible_plan(rt, principal, plan_id)
    today = rt.clock().date()
    async with rt.db(SERVICE).unit_of_work() as uow:
        now = uow.clock()
        plan = await _locked_open_plan(uow, plan_id)
        _check_day(body.on, plan["arrived_on"], today, "assistance")
        if body.stage == "planned":
            if plan["drawn_up_on"] is not None:
                raise PlanAlreadyDrawnUpError(
                    f"the plan was drawn up on {plan['drawn_up_on']}; record assistance "
                    "received instead"
                )
            await store.set_drawn_up(uow.session, plan_id, body.on)
        rows = _assistance_rows(plan_id, body.stage, body.on, body.items, principal, now)
        await store.add_assistance(uow.session, rows)
        told = uow.emit(
            AssistanceRecorded(**_plan_ids(plan), stage=body.stage, on=body.on, items=_items(rows)),
            actor=_actor(principal),
        )
        await _ask_for_grant(uow, told.event_id, plan_id, body.stage, body.on, rows)
        await uow.commit()
    return [assistance_view(r) for r in rows]


# --- scores ----------------------------------------------------------------------------------


async def rescore(
    rt: Runtime, principal: Principal, plan_id: uuid.UUID, body: RescoreIn
) -> ScoreView:
    """Score the person's latest survey again under another instrument version, explicitly.
    The old score stays as it was."""
    cfg = config(rt)
    await visible_plan(rt, principal, plan_id)
    instrument = instrument_for(cfg, body.instrument_version, "instrument_version")
    async with rt.db(SERVICE).unit_of_work() as uow:
        plan = await store.plan(uow.session, plan_id, lock=True)
        assert plan is not None
        survey = await store.latest_survey(uow.session, plan_id)
        if survey is None or not survey["answers"]:
            raise NoSurveyToRescoreError(
                "this person has no survey to score (none recorded yet, or the person's data "
                "was erased); record a reached contact with a survey first"
            )
        if await store.score_exists(uow.session, survey["survey_id"], instrument.version):
            raise AlreadyScoredUnderVersionError(
                f"the latest survey is already scored under {instrument.version!r}"
            )
        answers = {
            k: v for k, v in survey["answers"].items() if instrument.indicator(k) is not None
        }
        srow = score_row(
            score(instrument, answers), survey["survey_id"], plan_id, "rescore", uow.clock()
        )
        await store.add_score(uow.session, srow)
        uow.emit(_score_event(plan, srow, survey["surveyed_on"]), actor=_actor(principal))
        await uow.commit()
    return score_view(srow, survey["surveyed_on"])


# --- closure -------------------------------------------------------------------------------


async def _close(
    uow: UnitOfWork,
    plan: Mapping[Any, Any],
    on: date,
    reason: FollowUpClosureReason,
    by: ClosedBy,
    actor: Actor | None,
) -> None:
    await store.close_plan(uow.session, plan["plan_id"], on, reason)
    uow.emit(
        FollowUpClosed(**_plan_ids(plan), closed_on=on, reason_code=reason, closed_by=by),
        actor=actor,
    )


async def close_follow_up(
    rt: Runtime, principal: Principal, plan_id: uuid.UUID, body: ClosureIn
) -> ClosureView:
    """A caseworker's decision to close, with a reason code."""
    await visible_plan(rt, principal, plan_id)
    today = rt.clock().date()
    async with rt.db(SERVICE).unit_of_work() as uow:
        plan = await _locked_open_plan(uow, plan_id)
        _check_day(body.on, plan["arrived_on"], today, "closure")
        await _close(uow, plan, body.on, body.reason, "caseworker", _actor(principal))
        await uow.commit()
    return ClosureView(
        plan_id=plan_id, closed_on=body.on, reason=body.reason, closed_by="caseworker"
    )


def closure_reason_of(registration_reason: str | None) -> FollowUpClosureReason:
    """The follow-up's reason when registration closed the case: registration's own code if
    it is one of ours (``re_migrated``, or ``follow_up_re_migrated``), else ``case_closed``."""
    code = (registration_reason or "").removeprefix("follow_up_")
    return code if code in get_args(ClosureReason) else "case_closed"  # type: ignore[return-value]


async def close_with_case(
    uow: UnitOfWork, case_id: uuid.UUID, on: date, registration_reason: str | None
) -> int:
    """Registration closed the case: every plan of it still open closes (``closed_by``
    "registration"); plans closed already stay as they are. Safe to re-run."""
    closed = 0
    for plan in await store.open_plans_of_case(uow.session, case_id):
        await _close(uow, plan, on, closure_reason_of(registration_reason), "registration", None)
        closed += 1
    return closed


# --- the overdue check (periodic) --------------------------------------------------------------


async def report_overdue(rt: Runtime) -> int:
    """Emit ``contact_overdue`` once for each contact whose window closed with nothing
    settling it; returns how many. Each slot is looked at once after its window closed."""
    cfg = config(rt)
    emitted = 0
    while True:
        async with rt.db(SERVICE).unit_of_work() as uow:
            now = uow.clock()
            today = now.date()
            candidates = await store.overdue_candidates(uow.session, today, OVERDUE_BATCH)
            if not candidates:
                return emitted
            plan_ids = sorted({c["plan_id"] for c in candidates})
            by_plan: dict[uuid.UUID, list[RowMapping]] = defaultdict(list)
            for contact in await store.contacts_of(uow.session, plan_ids):
                by_plan[contact["plan_id"]].append(contact)
            for candidate in candidates:
                state = slot_state(
                    slot_of(candidate), attempts_of(by_plan[candidate["plan_id"]]), today, cfg.rules
                )
                if state.status == "overdue":
                    uow.emit(
                        ContactOverdue(
                            plan_id=candidate["plan_id"],
                            case_id=candidate["case_id"],
                            person_ref=candidate["person_ref"],
                            office=candidate["office"],
                            slot=candidate["slot"],
                            due_on=candidate["due_on"],
                            closes_on=candidate["closes_on"],
                            failed_attempts=state.failed_attempts,
                        )
                    )
                    emitted += 1
                await store.mark_overdue_checked(
                    uow.session, candidate["plan_id"], candidate["slot"], now
                )
            await uow.commit()
