"""Use case: register a return case on behalf of a requesting organisation."""

from __future__ import annotations

import logging
import secrets
import uuid
from datetime import date, datetime
from typing import Any

from events.envelope import Actor
from events.registration import ConsentGiven, PersonFacts, RequestedLine, ReturnRegistered
from services.kit.definition import Runtime
from services.kit.errors import ForbiddenError
from services.kit.identity import Principal
from services.kit.vault import VAULT, Vault
from services.registration import domain, store
from services.registration.domain.search import SEARCHABLE
from services.registration.schemas.registering import (
    FreshPersonalIn,
    KnownPersonIn,
    PersonIn,
    RegisterCase,
    check_fund,
    check_registration,
)
from services.registration.store import SERVICE
from services.registration.usecases.returning import (
    check_assistance_consent,
    earlier_records,
    recheck_known,
    returning_facts,
)

log = logging.getLogger(__name__)


def new_person_ref() -> str:
    """Random, never derived from personal data."""
    return "p_" + secrets.token_hex(16)


def personal_fields(person: PersonIn | FreshPersonalIn) -> dict[str, str]:
    fields = {
        "given_names": person.given_names,
        "family_name": person.family_name,
        "date_of_birth": person.date_of_birth.isoformat(),
    }
    if person.travel_document is not None:
        fields["travel_document_type"] = person.travel_document.type
        fields["travel_document_number"] = person.travel_document.number
    if person.contact is not None:
        for name in ("phone", "email", "address"):
            value = getattr(person.contact, name)
            if value:
                fields[name] = value
    return fields


def facts(ref: str, person: PersonIn, on: date) -> PersonFacts:
    return domain.person_facts(
        ref,
        sex=person.sex,
        nationality=person.nationality,
        date_of_birth=person.date_of_birth,
        categories=person.vulnerability_categories,
        on=on,
    )


def requested_lines(body: RegisterCase, refs: list[str]) -> list[RequestedLine]:
    lines: list[RequestedLine] = []
    for line in body.requested:
        targets = refs if line.person == "all" else [refs[line.person]]
        lines.extend(
            RequestedLine(
                person_ref=ref,
                category=line.category,
                amount_cents=line.amount_cents,
                currency=line.currency,
            )
            for ref in targets
        )
    return lines


def consents_given(refs: list[str], body: RegisterCase) -> list[ConsentGiven]:
    """The consent decisions of the request, for ``return_registered`` (privacy records them)."""
    return [
        ConsentGiven(person_ref=ref, purpose=c.purpose, partner=c.partner, granted=c.granted)
        for ref, person in zip(refs, body.people, strict=True)
        for c in person.consents
    ]


async def _seal(
    vault: Vault, refs: list[str], body: RegisterCase
) -> tuple[list[dict[str, Any]], dict[str, dict[str, bytes]], list[str]]:
    """Encrypt each new person's data under a new key: the only vault writes of a
    registration, made after every check that can refuse it. The blind index entries of
    their names and document number are written in the vault's same transaction (and go
    with the key if the registration does not commit).

    Also the own records of returning people whose record another office holds: sealed under
    the person's key, kept as this office's record (``office_personal_data``). Returns the
    ciphertext rows, those records, and the refs whose key was made here."""
    rows: list[dict[str, Any]] = []
    office_records: dict[str, dict[str, bytes]] = {}
    created = [
        ref for ref, p in zip(refs, body.people, strict=True) if not isinstance(p, KnownPersonIn)
    ]
    plain = entered(refs, body)
    try:
        # The new keys and everyone's blind index entries, in one vault transaction.
        sealed = await vault.encrypt_people(
            plain,
            index=SEARCHABLE,
            record_offices={
                ref: body.office if isinstance(p, KnownPersonIn) else None
                for ref, p in zip(refs, body.people, strict=True)
            },
        )
    except BaseException:
        await _discard(vault, created)
        raise
    for ref, person in zip(refs, body.people, strict=True):
        if isinstance(person, KnownPersonIn):  # the owning office's record is kept as is
            if person.personal is not None:
                office_records[ref] = dict(sealed[ref])
            continue
        rows.extend(
            {"person_ref": ref, "field": f, "ciphertext": ct} for f, ct in sealed[ref].items()
        )
    return rows, office_records, created


def new_people_fields(body: RegisterCase) -> dict[int, dict[str, str]]:
    """The personal fields of each new person of the request, by position: what the answer
    to the registration shows them from (``queries.cases.get_case``'s ``sent``)."""
    return {
        i: personal_fields(p) for i, p in enumerate(body.people) if not isinstance(p, KnownPersonIn)
    }


def entered(refs: list[str], body: RegisterCase) -> dict[str, dict[str, str]]:
    """The personal fields the request gives, by person: each new person's record, and the
    record a returning person's office entered itself (``personal``)."""
    plain: dict[str, dict[str, str]] = {}
    for ref, person in zip(refs, body.people, strict=True):
        if not isinstance(person, KnownPersonIn):
            plain[ref] = personal_fields(person)
        elif person.personal is not None:
            plain[ref] = personal_fields(person.personal)
    return plain


async def _discard(vault: Vault, refs: list[str]) -> None:
    """Compensation: destroy the keys made for a registration that did not commit."""
    for ref in refs:
        try:
            await vault.discard_new_person(ref)
        except Exception:  # the original failure matters more; the key holds no data
            log.exception("could not discard the data key of %s after a refused registration", ref)


async def _stored(rt: Runtime, case_id: uuid.UUID) -> bool:
    """Whether the case is stored after all (a commit whose answer was lost); True when it
    cannot be told, so that a key is never destroyed under stored data."""
    try:
        async with rt.db(SERVICE).reading() as session:
            return await store.get_case(session, case_id) is not None
    except Exception:
        return True


async def register_case(rt: Runtime, principal: Principal, body: RegisterCase) -> uuid.UUID:
    """Record the request and register it (requested -> registered) in one step.

    Every check that can refuse the command runs before the vault is written. The vault
    then makes a key per new person and encrypts (its own store); the case, its anonymous
    facts, the ciphertexts and the ``return_registered`` event (with the consent decisions,
    which privacy records from it) commit together. If that transaction fails (a concurrent
    registration of the same returning person won, a database error), the keys made for it
    are destroyed: a refused registration leaves no key, consent or event behind.

    A returning person (``KnownPersonIn``) keeps their person_ref, sex and nationality. In
    their owning office (or one granted a transfer) the case shows their record; in another
    office it shows what that office entered itself (``personal``) or nothing personal: the
    other office's record is never copied into the case nor returned.
    """
    if not principal.can_see_office(body.office):
        raise ForbiddenError(f"you cannot register cases for office '{body.office}'")
    vault = rt.part(VAULT)
    now = rt.clock()
    on = now.date()
    check_registration(
        body,
        categories=rt.settings.vulnerability_categories,
        cost_categories=rt.settings.cost_categories,
        on=on,
    )
    period = body.fund_period or str(on.year)
    async with rt.db(SERVICE).reading() as session:
        currency = await store.fund_currency(session, period)
    check_fund(body, period, currency)
    known = [p for p in body.people if isinstance(p, KnownPersonIn)]
    earlier = await earlier_records(rt, vault, known, principal, body.office) if known else {}
    for person in known:
        await check_assistance_consent(vault, person)
    case_id = uuid.uuid4()
    refs = [p.person_ref if isinstance(p, KnownPersonIn) else new_person_ref() for p in body.people]
    people = [
        returning_facts(ref, person, earlier[ref], on)
        if isinstance(person, KnownPersonIn)
        else facts(ref, person, on)
        for ref, person in zip(refs, body.people, strict=True)
    ]
    lines = requested_lines(body, refs)
    payload = ReturnRegistered(
        case_id=case_id,
        fund_period=period,
        office=body.office,
        requester_type=body.requester.type,
        departure_country=body.departure_country,
        destination_country=body.destination_country,
        registered_on=on,
        people=people,
        requested=lines,
        allow_partial=body.allow_partial,
        consents=consents_given(refs, body),
    )
    data_rows, office_records, created = await _seal(vault, refs, body)
    try:
        await _commit_case(rt, payload, body, principal, known, data_rows, office_records, now)
    except BaseException:
        if not await _stored(rt, case_id):
            await _discard(vault, created)
        raise
    return case_id


async def _commit_case(
    rt: Runtime,
    payload: ReturnRegistered,
    body: RegisterCase,
    principal: Principal,
    known: list[KnownPersonIn],
    data_rows: list[dict[str, Any]],
    office_records: dict[str, dict[str, bytes]],
    now: datetime,
) -> None:
    case_id = payload.case_id
    case_row = {
        **payload.model_dump(
            include={
                "case_id",
                "fund_period",
                "office",
                "requester_type",
                "departure_country",
                "destination_country",
                "registered_on",
                "allow_partial",
            }
        ),
        "status": "registered",
        "requester_name": body.requester.name,
        "eligibility_exception": None,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    person_rows = [
        {**p.model_dump(), "case_id": case_id, "position": i, "erased_at": None}
        for i, p in enumerate(payload.people)
    ]
    line_rows = [{**line.model_dump(), "case_id": case_id} for line in payload.requested]
    actor = Actor.user(principal.user_id, principal.role)
    async with rt.db(SERVICE).unit_of_work() as uow:
        await recheck_known(uow.session, [p.person_ref for p in known])
        await store.add_case(uow.session, case_row, person_rows, data_rows, line_rows)
        for ref, sealed in office_records.items():
            await store.replace_office_record(uow.session, ref, body.office, sealed)
        envelope = uow.emit(payload, actor=actor)
        await store.add_transition(
            uow.session,
            {
                "case_id": case_id,
                "from_status": "requested",
                "to_status": "registered",
                "reason_code": None,
                "failed_checks": None,
                "detail_person_ref": None,
                "reason_detail": None,
                "actor_kind": actor.kind,
                "actor_id": actor.id,
                "actor_role": actor.role,
                "event_id": envelope.event_id,
                "at": now,
            },
        )
        await uow.commit()
