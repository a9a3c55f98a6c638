"""The read model of the evaluation service, from registration's and funding's events.

What is kept: the registration month, office, countries, each person's sex, age band
(computed from the age in years the event carries, with the configured bands) and
vulnerability categories, the lifecycle outcome, and amounts committed and paid by cost
category, and from reintegration's events each person's follow-up (the latest scores with
their instrument version, residence and re-migration intention at the latest contact that
reached them, contacts done and due, the closure reason). No person_ref, case id or free text
(the only date kept orders the scores and is never exported): rows are keyed by surrogates
(``store.surrogate``). ``privacy.personal_data_erased`` is not handled on purpose: erasing a
person's personal data leaves these statistics as they are.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from db.uow import UnitOfWork
from events.envelope import Envelope
from events.funding import CommitmentApproved, DisbursementMade, DisbursementReversed
from events.registration import TRANSITION_EVENTS, CaseCorrected, ReturnRegistered
from events.reintegration import (
    ContactOverdue,
    ContactRecorded,
    FollowUpClosed,
    PlanCreated,
    ScoreRecorded,
)
from services.evaluation import store
from services.evaluation.domain.lifecycle import outcome_after
from services.evaluation.settings import table_settings
from services.kit.definition import Handler, Runtime
from services.kit.errors import WaitingForEvent


def _waiting(case_id: uuid.UUID, what: str) -> WaitingForEvent:
    return WaitingForEvent(
        "case_id", case_id, f"{what} of a case whose registration was not applied yet"
    )


def handlers(rt: Runtime) -> Mapping[str, Handler]:
    bands = table_settings(rt.settings)

    async def on_registered(uow: UnitOfWork, event: Envelope) -> None:
        if event.version != ReturnRegistered.version:
            return
        p = event.parse(ReturnRegistered)
        key = store.surrogate(p.case_id)
        if await store.case(uow.session, key) is not None:
            return
        persons = {
            store.surrogate(person.person_ref): {
                "case_key": key,
                "person_key": store.surrogate(person.person_ref),
                "sex": person.sex,
                "age_band": bands.age_band(person.age_years),
                "categories": sorted(set(person.vulnerability_categories)),
            }
            for person in p.people
        }
        await store.add_case(
            uow.session,
            {
                "case_key": key,
                "month": f"{p.registered_on:%Y-%m}",
                "office": p.office,
                "departure_country": p.departure_country,
                "destination_country": p.destination_country,
                "status": "registered",
                "outcome": None,
            },
            [persons[k] for k in sorted(persons)],
        )

    async def on_transition(uow: UnitOfWork, event: Envelope) -> None:
        model = TRANSITION_EVENTS.get(str(event.payload.get("to_status")))
        if model is None or event.type != model.type_name() or event.version != model.version:
            return
        p = event.parse(model)
        key = store.surrogate(p.case_id)
        found = await store.case(uow.session, key)
        if found is None:
            raise _waiting(p.case_id, event.type)
        outcome = outcome_after(p.to_status, found["outcome"])
        await store.set_case(uow.session, key, status=p.to_status, outcome=outcome)

    async def on_corrected(uow: UnitOfWork, event: Envelope) -> None:
        if event.version != CaseCorrected.version:
            return
        p = event.parse(CaseCorrected)
        key = store.surrogate(p.case_id)
        if await store.case(uow.session, key) is None:
            raise _waiting(p.case_id, event.type)
        await store.set_case(
            uow.session,
            key,
            office=p.office,
            departure_country=p.departure_country,
            destination_country=p.destination_country,
        )
        for person in p.people:
            await store.set_person(
                uow.session,
                key,
                store.surrogate(person.person_ref),
                sex=person.sex,
                age_band=bands.age_band(person.age_years),
                categories=sorted(set(person.vulnerability_categories)),
            )

    async def on_committed(uow: UnitOfWork, event: Envelope) -> None:
        if event.version != CommitmentApproved.version:
            return
        p = event.parse(CommitmentApproved)
        key = store.surrogate(p.case_id)
        if await store.case(uow.session, key) is None:
            raise _waiting(p.case_id, event.type)
        person = store.surrogate(p.person_ref)
        for line in p.lines:
            await store.add_amount(
                uow.session, key, person, line.category, committed=line.amount_cents
            )

    async def on_paid(uow: UnitOfWork, event: Envelope) -> None:
        if event.version != DisbursementMade.version:
            return
        p = event.parse(DisbursementMade)
        key = store.surrogate(p.case_id)
        if await store.case(uow.session, key) is None:
            raise _waiting(p.case_id, event.type)
        await store.add_amount(
            uow.session, key, store.surrogate(p.person_ref), p.category, paid=p.amount_cents
        )

    async def on_payment_reversed(uow: UnitOfWork, event: Envelope) -> None:
        if event.version != DisbursementReversed.version:
            return
        p = event.parse(DisbursementReversed)
        key = store.surrogate(p.case_id)
        if await store.case(uow.session, key) is None:
            raise _waiting(p.case_id, event.type)
        await store.add_amount(
            uow.session, key, store.surrogate(p.person_ref), p.category, paid=-p.amount_cents
        )

    async def _person(uow: UnitOfWork, event: Envelope, case_id: uuid.UUID) -> str:
        key = store.surrogate(case_id)
        if await store.case(uow.session, key) is None:
            raise _waiting(case_id, event.type)
        return key

    async def on_plan(uow: UnitOfWork, event: Envelope) -> None:
        if event.version != PlanCreated.version:
            return
        p = event.parse(PlanCreated)
        key = await _person(uow, event, p.case_id)
        await store.start_followup(uow.session, key, store.surrogate(p.person_ref))

    async def on_contact(uow: UnitOfWork, event: Envelope) -> None:
        if event.version != ContactRecorded.version:
            return
        p = event.parse(ContactRecorded)
        key = await _person(uow, event, p.case_id)
        person = store.surrogate(p.person_ref)
        found = await store.followup(uow.session, key, person)
        slots = dict(found["slots"]) if found else {}
        values: dict[str, object] = {}
        if p.slot_status in ("done", "not_reached", "no_consent"):
            slots[str(p.slot)] = "done" if p.slot_status == "done" else "settled"
            values["slots"] = slots
        if p.outcome == "reached":
            values["residence"] = p.residence
            values["remigration_intention"] = p.remigration_intention or "unknown"
        if values:
            await store.set_followup(uow.session, key, person, **values)

    async def on_overdue(uow: UnitOfWork, event: Envelope) -> None:
        if event.version != ContactOverdue.version:
            return
        p = event.parse(ContactOverdue)
        key = await _person(uow, event, p.case_id)
        person = store.surrogate(p.person_ref)
        found = await store.followup(uow.session, key, person)
        slots = dict(found["slots"]) if found else {}
        slots.setdefault(str(p.slot), "overdue")  # a settled slot stays settled
        await store.set_followup(uow.session, key, person, slots=slots)

    async def on_score(uow: UnitOfWork, event: Envelope) -> None:
        if event.version != ScoreRecorded.version:
            return
        p = event.parse(ScoreRecorded)
        key = await _person(uow, event, p.case_id)
        person = store.surrogate(p.person_ref)
        found = await store.followup(uow.session, key, person)
        latest = None if found is None else found["surveyed_on"]
        if latest is not None and p.surveyed_on < latest:
            return  # an older survey rescored: the latest stays the latest
        await store.set_followup(
            uow.session,
            key,
            person,
            instrument_version=p.instrument_version,
            surveyed_on=p.surveyed_on,
            **{
                name: None if value is None else float(value)
                for name, value in (
                    ("economic", p.economic),
                    ("social", p.social),
                    ("psychosocial", p.psychosocial),
                    ("composite", p.composite),
                )
            },
        )

    async def on_closed(uow: UnitOfWork, event: Envelope) -> None:
        if event.version != FollowUpClosed.version:
            return
        p = event.parse(FollowUpClosed)
        key = await _person(uow, event, p.case_id)
        await store.set_followup(
            uow.session, key, store.surrogate(p.person_ref), closure=p.reason_code
        )

    transitions = {model.type_name() for model in TRANSITION_EVENTS.values()}
    return {
        ReturnRegistered.type_name(): on_registered,
        CaseCorrected.type_name(): on_corrected,
        **dict.fromkeys(sorted(transitions), on_transition),
        CommitmentApproved.type_name(): on_committed,
        DisbursementMade.type_name(): on_paid,
        DisbursementReversed.type_name(): on_payment_reversed,
        PlanCreated.type_name(): on_plan,
        ContactRecorded.type_name(): on_contact,
        ContactOverdue.type_name(): on_overdue,
        ScoreRecorded.type_name(): on_score,
        FollowUpClosed.type_name(): on_closed,
    }
