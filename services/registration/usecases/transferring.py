"""Use cases of transfers: an office asks to read the record a person's owning office holds;
a supervisor of the owning office or the DPO approves or refuses. Every step is an event
(offices, codes, the person_ref: no personal data). Also breaking the glass: reading the
owning office's record now, recorded first."""

from __future__ import annotations

import uuid
from typing import Any

from events.envelope import Actor
from events.registration import (
    RecordEmergencyRead,
    RecordTransferApproved,
    RecordTransferRefused,
    RecordTransferRequested,
)
from services.kit.definition import Runtime
from services.kit.errors import ForbiddenError
from services.kit.identity import OFFICE_SCOPED_ROLES, Principal, ensure_office
from services.kit.vault import VAULT
from services.registration import domain, store
from services.registration.schemas.cases import PERSONAL_FIELDS, PersonalData
from services.registration.schemas.transfers import (
    EmergencyReadIn,
    PersonRecord,
    TransferDecisionIn,
    TransferRequestIn,
    TransferView,
    transfer_view,
)
from services.registration.store import SERVICE


def _actor(principal: Principal) -> Actor:
    return Actor.user(principal.user_id, principal.role)


async def request_transfer(
    rt: Runtime, principal: Principal, person_ref: str, body: TransferRequestIn
) -> TransferView:
    """``body.office`` (one of the principal's offices) asks for the owning office's record."""
    ensure_office(principal, body.office)
    now = rt.clock()
    async with rt.db(SERVICE).unit_of_work() as uow:
        rows = await store.person_cases(uow.session, person_ref, lock=True)
        if not rows:
            raise domain.PersonNotFoundError(
                f"no person {person_ref} was registered; check the reference"
            )
        if any(r["erased_at"] is not None for r in rows):
            raise domain.PersonErasedError(
                f"person {person_ref} was erased: there is no record to transfer"
            )
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


async def decide_transfer(
    rt: Runtime, principal: Principal, transfer_id: uuid.UUID, body: TransferDecisionIn
) -> TransferView:
    """A supervisor of the owning office (``from_office``) or the DPO decides, once."""
    now = rt.clock()
    async with rt.db(SERVICE).unit_of_work() as uow:
        row = await store.get_transfer(uow.session, transfer_id, lock=True)
        if row is None:
            raise domain.TransferNotFoundError(f"there is no transfer {transfer_id}")
        domain.check_transfer_party(principal, row)
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
            raise domain.TransferAlreadyDecidedError(
                f"transfer {transfer_id} was decided meanwhile; read it again"
            )
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


async def break_the_glass(
    rt: Runtime, principal: Principal, person_ref: str, body: EmergencyReadIn
) -> PersonRecord:
    """Read the owning office's record without a transfer, with a mandatory reason code: the
    read is recorded (for the DPO's review) and emitted before the record is decrypted, and
    the decryption is in the access log. Not for an office that may read it anyway."""
    ensure_office(principal, body.office)
    now = rt.clock()
    async with rt.db(SERVICE).unit_of_work() as uow:
        rows = await store.person_cases(uow.session, person_ref)
        if not rows:
            raise domain.PersonNotFoundError(
                f"no person {person_ref} was registered; check the reference"
            )
        if any(r["erased_at"] is not None for r in rows):
            raise domain.PersonErasedError(
                f"person {person_ref} was erased: there is no record to read"
            )
        owner = domain.owning_office([r["office"] for r in rows])
        granted = await store.granted_offices(uow.session, person_ref)
        if domain.may_read_owner_record({body.office}, owner, granted):
            raise domain.BreakGlassNotNeededError(
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
    opened = await rt.part(VAULT).decrypt_many(
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
