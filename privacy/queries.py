"""Privacy's reads on ``db.reading()``: master keys in use, a person's legal holds, what
privacy holds about a person, the access log."""

from __future__ import annotations

from dataclasses import asdict

from privacy.domain import UnknownPersonError, check_person_ref
from privacy.schemas import (
    AccessEntry,
    AccessFilter,
    AccessPage,
    ConsentResponse,
    Erasure,
    LegalHold,
    PersonStanding,
)
from privacy.store import as_utc, datakeys, records, registrations
from privacy.store.keyring import keyring_of
from services.kit.definition import Runtime


async def master_key_usage(rt: Runtime) -> dict[str, int]:
    """Data keys wrapped by each master key id in the keyring (0 for unused ones)."""
    keyring = keyring_of(rt)
    async with rt.db("privacy").reading() as session:
        counts = await datakeys.count_by_master_key(session)
    return {key_id: counts.pop(key_id, 0) for key_id in keyring.key_ids()} | counts


async def person_standing(rt: Runtime, person_ref: str) -> PersonStanding:
    """What privacy holds about the person (no personal data, so nothing is logged):
    UnknownPersonError (404) for a person privacy knows nothing of."""
    check_person_ref(person_ref)
    async with rt.db("privacy").reading() as session:
        if not await registrations.is_known(session, person_ref):
            raise UnknownPersonError(
                f"no person {person_ref} is known to the privacy service; check the reference"
            )
        key = await datakeys.key_row(session, person_ref)
        erased = await datakeys.erasure_row(session, person_ref)
        offices = await registrations.person_offices(session, person_ref)
        open_cases = await registrations.open_cases(session, person_ref)
        consents = await records.consent_history(session, person_ref)
    erasure = (
        Erasure(
            person_ref=person_ref,
            erased_at=as_utc(erased.erased_at),
            trigger=erased.trigger,
            key_fingerprint=erased.key_fingerprint,
        )
        if erased is not None
        else None
    )
    return PersonStanding(
        person_ref=person_ref,
        key_held=key is not None,
        erasure=erasure,
        offices=sorted(offices),
        open_cases=open_cases,
        legal_holds=await legal_holds_of(rt, person_ref),
        consents=[ConsentResponse(person_ref=person_ref, **asdict(c)) for c in consents],
    )


async def access_log(rt: Runtime, chosen: AccessFilter, *, page: int, size: int) -> AccessPage:
    """Everyone's logged reads of personal data, newest first, one page of ``size``."""
    async with rt.db("privacy").reading() as session:
        rows, total = await records.access_page(
            session, **chosen.model_dump(), offset=(page - 1) * size, limit=size
        )
    items = [
        AccessEntry(person_ref=ref, **asdict(r) | {"fields": list(r.fields)}) for ref, r in rows
    ]
    return AccessPage(items=items, page=page, page_size=size, total=total)


async def legal_holds_of(rt: Runtime, person_ref: str) -> list[LegalHold]:
    """The person's holds, without their (encrypted) reasons."""
    async with rt.db("privacy").reading() as session:
        rows = await records.hold_rows(session, person_ref)
    return [
        LegalHold(
            hold_id=r.hold_id,
            person_ref=r.person_ref,
            placed_by=r.placed_by,
            placed_at=as_utc(r.placed_at),
            lifted_by=r.lifted_by,
            lifted_at=as_utc(r.lifted_at) if r.lifted_at is not None else None,
        )
        for r in rows
    ]
