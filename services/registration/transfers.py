"""Transfers: an office asks to read the record a person's owning office holds; a supervisor
of the owning office or the DPO approves or refuses. Every step is an event (offices, codes,
the person_ref: no personal data). Also reading the owning office's record itself."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.engine import RowMapping

from events.envelope import Actor
from events.registration import (
    RecordEmergencyRead,
    RecordTransferApproved,
    RecordTransferRefused,
    RecordTransferRequested,
)
from services.kit.definition import Runtime
from services.kit.errors import ConflictError, ForbiddenError, NotFoundError
from services.kit.identity import OFFICE_SCOPED_ROLES, Principal, ensure_office
from services.kit.vault import Vault
from services.registration import domain, store
from services.registration.commands import (
    EmergencyReadIn,
    TransferDecisionIn,
    TransferRequestIn,
)
from services.registration.queries import owner_of
from services.registration.views import (
    PERSONAL_FIELDS,
    EmergencyReadPage,
    EmergencyReadView,
    PersonalData,
    PersonRecord,
    TransferPage,
    TransferView,
    transfer_view,
)

SERVICE = "registration"


def _actor(principal: Principal) -> Actor:
    return Actor.user(principal.user_id, principal.role)


async def request_transfer(
    rt: Runtime, person_ref: str, body: TransferRequestIn, principal: Principal
) -> TransferView:
    """``body.office`` (one of the principal's offices) asks for the owning office's record."""
    ensure_office(principal, body.office)
    now = rt.clock()
    async with rt.db(SERVICE).unit_of_work() as uow:
        rows = await store.person_cases(uow.session, person_ref, lock=True)
        if not rows:
            raise NotFoundError(f"no person {person_ref} was registered; check the reference")
        if any(r["erased_at"] is not None for r in rows):
            raise ConflictError(f"person {person_ref} was erased: there is no record to transfer")
        owner = domain.owning_office([r["office"] for r in rows])
        earlier = [
            domain.TransferState(str(t["transfer_id"]), t["to_office"], t["status"])
            for t in await store.transfers_of(uow.session, person_ref)
        ]
        domain.check_transfer_request(person_ref, owner, body.office, earlier)
        transfer_id = uuid.uuid4()
        row: dict[str, Any] = {
            "transfer_id": transfer_id,
            "person_ref": person_ref,
            "from_office": owner,
            "to_office": body.office,
            "status": "requested",
            "reason_code": body.reason_code,
            "requested_by": principal.user_id,
            "requested_role": principal.role,
            "requested_at": now,
            "decision_reason_code": None,
            "decided_by": None,
            "decided_role": None,
            "decided_at": None,
        }
        await store.add_transfer(uow.session, row)
        uow.emit(
            RecordTransferRequested(
                transfer_id=transfer_id,
                person_ref=person_ref,
                from_office=owner,
                to_office=body.office,
                reason_code=body.reason_code,
            ),
            actor=_actor(principal),
        )
        await uow.commit()
    return TransferView(**row)


def _ensure_party(principal: Principal, row: RowMapping) -> None:
    """A transfer is visible to staff of its two offices (and the DPO)."""
    offices = {row["from_office"], row["to_office"]}
    if not any(principal.can_see_office(o) for o in offices):
        raise ForbiddenError(
            f"transfer {row['transfer_id']} is between offices {', '.join(sorted(offices))}, "
            "none of which is one of your offices"
        )


async def decide_transfer(
    rt: Runtime, transfer_id: uuid.UUID, body: TransferDecisionIn, principal: Principal
) -> TransferView:
    """A supervisor of the owning office (``from_office``) or the DPO decides, once."""
    now = rt.clock()
    async with rt.db(SERVICE).unit_of_work() as uow:
        row = await store.get_transfer(uow.session, transfer_id, lock=True)
        if row is None:
            raise NotFoundError(f"there is no transfer {transfer_id}")
        _ensure_party(principal, row)
        if principal.role in OFFICE_SCOPED_ROLES and not principal.can_see_office(
            row["from_office"]
        ):
            raise ForbiddenError(
                f"transfer {transfer_id} is decided by a supervisor of the owning office "
                f"{row['from_office']!r} or by the data protection officer, not by the "
                "requesting office"
            )
        domain.check_transfer_decision(str(transfer_id), row["status"])
        status = "approved" if body.decision == "approve" else "refused"
        decided = {
            "decision_reason_code": body.reason_code,
            "decided_by": principal.user_id,
            "decided_role": principal.role,
            "decided_at": now,
        }
        if not await store.decide_transfer(uow.session, transfer_id, status, **decided):
            raise ConflictError(f"transfer {transfer_id} was decided meanwhile; read it again")
        model = RecordTransferApproved if status == "approved" else RecordTransferRefused
        uow.emit(
            model(
                transfer_id=transfer_id,
                person_ref=row["person_ref"],
                from_office=row["from_office"],
                to_office=row["to_office"],
                reason_code=body.reason_code,
            ),
            actor=_actor(principal),
        )
        result = TransferView(**{**transfer_view(row).model_dump(), "status": status, **decided})
        await uow.commit()
    return result


async def get_transfer(rt: Runtime, transfer_id: uuid.UUID, principal: Principal) -> TransferView:
    async with rt.db(SERVICE).reading() as session:
        row = await store.get_transfer(session, transfer_id)
    if row is None:
        raise NotFoundError(f"there is no transfer {transfer_id}")
    _ensure_party(principal, row)
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


async def break_the_glass(
    rt: Runtime, vault: Vault, person_ref: str, body: EmergencyReadIn, principal: Principal
) -> PersonRecord:
    """Read the owning office's record without a transfer, with a mandatory reason code: the
    read is recorded (for the DPO's review) and emitted before the record is decrypted, and
    the decryption is in the access log. Not for an office that may read it anyway."""
    ensure_office(principal, body.office)
    now = rt.clock()
    async with rt.db(SERVICE).unit_of_work() as uow:
        rows = await store.person_cases(uow.session, person_ref)
        if not rows:
            raise NotFoundError(f"no person {person_ref} was registered; check the reference")
        if any(r["erased_at"] is not None for r in rows):
            raise ConflictError(f"person {person_ref} was erased: there is no record to read")
        owner = domain.owning_office([r["office"] for r in rows])
        granted = await store.granted_offices(uow.session, person_ref)
        if domain.may_read_owner_record({body.office}, owner, granted):
            raise ConflictError(
                f"office {body.office!r} may read person {person_ref}'s record without breaking "
                f"the glass: GET /api/people/{person_ref}/record"
            )
        sealed = await store.ciphertexts(uow.session, person_ref)
        await store.add_emergency_read(
            uow.session,
            {
                "person_ref": person_ref,
                "office": body.office,
                "owning_office": owner,
                "actor_id": principal.user_id,
                "actor_role": principal.role,
                "reason_code": body.reason_code,
                "at": now,
            },
        )
        uow.emit(
            RecordEmergencyRead(
                person_ref=person_ref,
                office=body.office,
                owning_office=owner,
                reason_code=body.reason_code,
            ),
            actor=_actor(principal),
        )
        await uow.commit()
    opened = await vault.decrypt_many(
        person_ref,
        sealed,
        actor_id=principal.user_id,
        role=principal.role,
        purpose=f"break_the_glass:{body.reason_code}",
    )
    latest = rows[-1]
    return PersonRecord(
        person_ref=person_ref,
        owning_office=owner,
        record_access="break_glass",
        sex=latest["sex"],
        nationality=latest["nationality"],
        erased=False,
        personal=PersonalData(**{f: opened.get(f) for f in PERSONAL_FIELDS}),
    )


async def emergency_reads(rt: Runtime, person_ref: str | None) -> EmergencyReadPage:
    """Every break-the-glass read, newest first (the DPO's review list)."""
    async with rt.db(SERVICE).reading() as session:
        rows = await store.list_emergency_reads(session, person_ref=person_ref)
    return EmergencyReadPage(
        items=[EmergencyReadView(**{k: r[k] for k in EmergencyReadView.model_fields}) for r in rows]
    )


async def read_record(
    rt: Runtime, vault: Vault, person_ref: str, principal: Principal
) -> PersonRecord:
    """The owning office's record: for its staff, for staff of an office granted a transfer,
    and for the DPO. The read is logged in the access log."""
    async with rt.db(SERVICE).reading() as session:
        rows = await store.person_cases(session, person_ref)
        if not rows:
            raise NotFoundError(f"no person {person_ref} was registered; check the reference")
        owner = await owner_of(session, person_ref)
        assert owner is not None
        granted = await store.granted_offices(session, person_ref)
        sealed = await store.ciphertexts(session, person_ref)
    access: domain.RecordAccess = "own"
    purpose = "record_read"
    if principal.role in OFFICE_SCOPED_ROLES:
        if not domain.may_read_owner_record(principal.offices, owner, granted):
            raise ForbiddenError(
                f"person {person_ref}'s record is held by office {owner!r}; request a transfer "
                f"(POST /api/people/{person_ref}/transfers) and wait for its approval"
            )
        if owner not in principal.offices:
            access, purpose = "transfer", "transferred_record"
    opened = await vault.decrypt_many(
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
