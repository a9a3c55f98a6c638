"""The one door to personal data: encrypt under a person's data key, decrypt with an access log
entry, consent per purpose.

Every method runs in its own transaction on the privacy database. Data keys are never cached,
so an erasure (by any process) takes effect at the next call.
"""

from __future__ import annotations

from collections.abc import Mapping

from db.uow import Clock, ServiceDatabase, utc_now
from events.envelope import Actor
from privacy import crypto, datakeys, records
from privacy.consent import record_decision, text
from privacy.domain import check_field, check_person_ref, consent_target
from privacy.keyring import Keyring
from privacy.records import AccessRecord, ConsentRecord
from services.kit.errors import ForbiddenError

_PURPOSE_NAMES = {
    "assistance": "assistance",
    "partner_sharing": "sharing with a partner",
    "follow_up_contact": "follow-up contact",
}


class Vault:
    def __init__(self, db: ServiceDatabase, keyring: Keyring, clock: Clock = utc_now) -> None:
        self.db = db
        self.keyring = keyring
        self.clock = clock

    async def new_person(self, person_ref: str) -> None:
        """Create the person's data key (idempotent)."""
        check_person_ref(person_ref)
        async with self.db.unit_of_work() as uow:
            await datakeys.ensure_key(uow.session, self.keyring, person_ref, self.clock())
            await uow.commit()

    async def encrypt(self, person_ref: str, field: str, value: str) -> bytes:
        return (await self.encrypt_many(person_ref, {field: value}))[field]

    async def encrypt_many(self, person_ref: str, values: Mapping[str, str]) -> dict[str, bytes]:
        """Tokens bound to the person and each field name (the data key is made if absent)."""
        check_person_ref(person_ref)
        for field in values:
            check_field(field)
        async with self.db.unit_of_work() as uow:
            key = await datakeys.ensure_key(uow.session, self.keyring, person_ref, self.clock())
            await uow.commit()
        return {f: crypto.encrypt_field(key, person_ref, f, v) for f, v in values.items()}

    async def decrypt(
        self, person_ref: str, field: str, token: bytes, *, actor_id: str, role: str, purpose: str
    ) -> str | None:
        found = await self.decrypt_many(
            person_ref, {field: token}, actor_id=actor_id, role=role, purpose=purpose
        )
        return found[field]

    async def decrypt_many(
        self,
        person_ref: str,
        tokens: Mapping[str, bytes],
        *,
        actor_id: str,
        role: str,
        purpose: str,
    ) -> dict[str, str | None]:
        """Plaintexts by field, all None if the person was erased. One access-log row (who,
        when, person, field names, purpose; never values) is committed before anything is
        returned. A token of another person or field, or tampered, raises CryptoError."""
        check_person_ref(person_ref)
        if not tokens:
            return {}
        record = AccessRecord(
            text(actor_id, "actor_id", 120),
            text(role, "role", 60),
            text(purpose, "purpose", 200),
            tuple(check_field(f) for f in tokens),
            self.clock(),
        )
        async with self.db.unit_of_work() as uow:
            key = await datakeys.existing_key(uow.session, self.keyring, person_ref)
            await records.log_access(uow.session, person_ref, record)
            await uow.commit()
        if key is None:
            return dict.fromkeys(tokens)
        return {f: crypto.decrypt_field(key, person_ref, f, t) for f, t in tokens.items()}

    async def is_erased(self, person_ref: str) -> bool:
        async with self.db.unit_of_work() as uow:
            return await datakeys.is_erased(uow.session, person_ref)

    async def record_consent(
        self,
        person_ref: str,
        purpose: str,
        granted: bool,
        *,
        recorded_by: str,
        partner: str | None = None,
        role: str | None = None,
    ) -> ConsentRecord:
        """Record a decision (granted or withdrawn); emits privacy.consent_changed."""
        actor = Actor(kind="user", id=text(recorded_by, "recorded_by", 120), role=role)
        async with self.db.unit_of_work() as uow:
            record = await record_decision(
                uow, person_ref, purpose, granted, partner=partner, actor=actor, at=self.clock()
            )
            await uow.commit()
        return record

    async def discard_new_person(self, person_ref: str) -> bool:
        """Destroy the data key made for a person whose registration did not commit, so the
        refused registration leaves no key behind. Nothing was stored under it, so no erasure
        is recorded and no event emitted. Refused (False, key kept) once privacy knows the
        person from anything else: a case, a consent, a legal hold or an erasure."""
        check_person_ref(person_ref)
        async with self.db.unit_of_work() as uow:
            if await datakeys.is_referenced(uow.session, person_ref):
                return False
            destroyed = await datakeys.destroy_key(uow.session, person_ref)
            await uow.commit()
        return destroyed is not None

    async def has_consent(self, person_ref: str, purpose: str, partner: str | None = None) -> bool:
        purpose, partner = consent_target(purpose, partner)
        async with self.db.unit_of_work() as uow:
            if await datakeys.is_erased(uow.session, person_ref):
                return False
            return await records.current_consent(uow.session, person_ref, purpose, partner)

    async def require_consent(
        self, person_ref: str, purpose: str, partner: str | None = None
    ) -> None:
        """ForbiddenError unless the person's current consent covers this purpose (and partner)."""
        if not await self.has_consent(person_ref, purpose, partner):
            to = f" with {partner}" if partner else ""
            raise ForbiddenError(
                f"{person_ref} has not consented to {_PURPOSE_NAMES[purpose]}{to} (or withdrew "
                f"consent); record their '{purpose}' consent before using their data for it",
                person_ref=person_ref,
                purpose=purpose,
            )

    async def consents(self, person_ref: str) -> list[ConsentRecord]:
        """Every consent decision recorded for the person, oldest first."""
        async with self.db.unit_of_work() as uow:
            return await records.consent_history(uow.session, person_ref)

    async def access_log(self, person_ref: str) -> list[AccessRecord]:
        """Every read of the person's data, oldest first."""
        async with self.db.unit_of_work() as uow:
            return await records.access_history(uow.session, person_ref)
