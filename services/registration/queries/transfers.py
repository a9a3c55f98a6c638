"""Read use cases of transfers: one transfer, the transfers of the principal's offices, the
break-the-glass reads (the DPO's review), and the owning office's record of a person."""

from __future__ import annotations

import uuid

from services.kit.definition import Runtime
from services.kit.identity import OFFICE_SCOPED_ROLES, Principal
from services.kit.vault import VAULT
from services.registration import domain, store
from services.registration.schemas.cases import PERSONAL_FIELDS, PersonalData
from services.registration.schemas.transfers import (
    EmergencyReadPage,
    EmergencyReadView,
    PersonRecord,
    TransferPage,
    TransferView,
    transfer_view,
)
from services.registration.store import SERVICE


async def get_transfer(rt: Runtime, principal: Principal, transfer_id: uuid.UUID) -> TransferView:
    async with rt.db(SERVICE).reading() as session:
        row = await store.get_transfer(session, transfer_id)
    if row is None:
        raise domain.TransferNotFoundError(f"there is no transfer {transfer_id}")
    domain.check_transfer_party(principal, row)
    return transfer_view(row)


async def list_transfers(
    rt: Runtime, principal: Principal, *, status: str | None, person_ref: str | None
) -> TransferPage:
    """Transfers from or to the principal's offices (every office for the DPO), newest first."""
    offices = sorted(principal.offices) if principal.role in OFFICE_SCOPED_ROLES else None
    async with rt.db(SERVICE).reading() as session:
        rows = await store.list_transfers(
            session, offices=offices, status=status, person_ref=person_ref
        )
    return TransferPage(items=[transfer_view(r) for r in rows])


async def emergency_reads(rt: Runtime, person_ref: str | None) -> EmergencyReadPage:
    """Every break-the-glass read, newest first (the DPO's review list)."""
    async with rt.db(SERVICE).reading() as session:
        rows = await store.list_emergency_reads(session, person_ref=person_ref)
    return EmergencyReadPage(
        items=[EmergencyReadView(**{k: r[k] for k in EmergencyReadView.model_fields}) for r in rows]
    )


async def read_record(rt: Runtime, principal: Principal, person_ref: str) -> PersonRecord:
    """The owning office's record: for its staff, for staff of an office granted a transfer,
    and for the DPO. The read is logged in the access log."""
    async with rt.db(SERVICE).reading() as session:
        rows = await store.person_cases(session, person_ref)
        if not rows:
            raise domain.PersonNotFoundError(
                f"no person {person_ref} was registered; check the reference"
            )
        holders = await store.holders(session, person_ref)
        assert holders is not None
        owner, granted = holders.owner, holders.granted
        sealed = await store.ciphertexts(session, person_ref)
    access: domain.RecordAccess = "own"
    purpose = "record_read"
    if principal.role in OFFICE_SCOPED_ROLES:
        if not domain.may_read_owner_record(principal.offices, owner, granted):
            raise domain.TransferRequiredError(
                f"person {person_ref}'s record is held by office {owner!r}; request a transfer "
                f"(POST /api/people/{person_ref}/transfers) and wait for its approval"
            )
        if owner not in principal.offices:
            access, purpose = "transfer", "transferred_record"
    opened = await rt.part(VAULT).decrypt_many(
        person_ref, sealed, actor_id=principal.user_id, role=principal.role, purpose=purpose
    )
    latest = rows[-1]
    return PersonRecord(
        person_ref=person_ref,
        owning_office=owner,
        record_access=access,
        sex=latest["sex"],
        nationality=latest["nationality"],
        erased=any(r["erased_at"] is not None for r in rows),
        personal=PersonalData(**{f: opened.get(f) for f in PERSONAL_FIELDS}),
    )
