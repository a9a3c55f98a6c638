"""A vault for tests: the privacy vault's interface with real AES-GCM, kept in memory.

Consents collected at registration reach it as they reach privacy: from the committed
``return_registered`` event (``apply_registered``; the test client feeds it after each 201).

Tokens are nonce + ciphertext bound to the person and field; erasure forgets the key.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from events.envelope import Envelope
from events.registration import ReturnRegistered


@dataclass(frozen=True)
class Consent:
    purpose: str
    partner: str | None
    granted: bool
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class Access:
    actor_id: str
    role: str
    purpose: str
    fields: tuple[str, ...]
    accessed_at: datetime


@dataclass
class FakeVault:
    keys: dict[str, bytes] = field(default_factory=dict)
    erased: set[str] = field(default_factory=set)
    consent_log: dict[str, list[Consent]] = field(default_factory=dict)
    reads: dict[str, list[Access]] = field(default_factory=dict)
    applied: set[uuid.UUID] = field(default_factory=set)

    async def new_person(self, person_ref: str) -> None:
        self.keys.setdefault(person_ref, AESGCM.generate_key(bit_length=256))

    async def encrypt_many(self, person_ref: str, fields: Mapping[str, str]) -> dict[str, bytes]:
        await self.new_person(person_ref)
        aead = AESGCM(self.keys[person_ref])
        sealed = {}
        for name, value in fields.items():
            nonce = os.urandom(12)
            aad = f"{person_ref}/{name}".encode()
            sealed[name] = nonce + aead.encrypt(nonce, value.encode(), aad)
        return sealed

    async def encrypt_people(
        self,
        people: Mapping[str, Mapping[str, str]],
        *,
        index: Mapping[str, str] | None = None,
        record_offices: Mapping[str, str | None] | None = None,
    ) -> dict[str, dict[str, bytes]]:
        """No blind index here: the real one is tested with privacy's vault."""
        return {ref: await self.encrypt_many(ref, fields) for ref, fields in people.items()}

    async def decrypt_many(
        self,
        person_ref: str,
        fields: Mapping[str, bytes],
        *,
        actor_id: str,
        role: str,
        purpose: str,
    ) -> dict[str, str | None]:
        access = Access(actor_id, role, purpose, tuple(fields), datetime.now(UTC))
        self.reads.setdefault(person_ref, []).append(access)
        key = self.keys.get(person_ref)
        if key is None:
            return dict.fromkeys(fields)
        aead = AESGCM(key)
        return {
            name: aead.decrypt(token[:12], token[12:], f"{person_ref}/{name}".encode()).decode()
            for name, token in fields.items()
        }

    async def decrypt_people(
        self,
        tokens: Mapping[str, Mapping[str, bytes]],
        *,
        actor_id: str,
        role: str,
        purpose: str,
        purposes: Mapping[str, str] | None = None,
    ) -> dict[str, dict[str, str | None]]:
        return {
            ref: await self.decrypt_many(
                ref,
                fields,
                actor_id=actor_id,
                role=role,
                purpose=(purposes or {}).get(ref, purpose),
            )
            if fields
            else {}
            for ref, fields in tokens.items()
        }

    async def encrypt_indexed(
        self,
        person_ref: str,
        fields: Mapping[str, str],
        *,
        record_office: str | None,
        index: Mapping[str, str],
    ) -> dict[str, bytes]:
        """No blind index here: the real one is tested with privacy's vault."""
        return await self.encrypt_many(person_ref, fields)

    async def find_people(self, text: str) -> list[object]:
        return []

    async def log_search(
        self, found: Mapping[str, Sequence[str]], *, actor_id: str, role: str
    ) -> None:
        return None

    async def discard_new_person(self, person_ref: str) -> bool:
        if person_ref in self.consent_log or person_ref in self.erased:
            return False
        return self.keys.pop(person_ref, None) is not None

    def apply_registered(self, envelope: Envelope) -> None:
        """What privacy does with a committed ``return_registered``: record its consents."""
        if envelope.event_id in self.applied:
            return
        self.applied.add(envelope.event_id)
        for c in envelope.parse(ReturnRegistered).consents:
            consent = Consent(
                c.purpose, c.partner, c.granted, envelope.actor.id, envelope.occurred_at
            )
            self.consent_log.setdefault(c.person_ref, []).append(consent)

    async def is_erased(self, person_ref: str) -> bool:
        return person_ref in self.erased

    async def erase(self, person_ref: str) -> None:
        self.keys.pop(person_ref, None)
        self.erased.add(person_ref)

    async def record_consent(
        self,
        person_ref: str,
        purpose: str,
        granted: bool,
        *,
        recorded_by: str,
        partner: str | None = None,
    ) -> Consent:
        consent = Consent(purpose, partner, granted, recorded_by, datetime.now(UTC))
        self.consent_log.setdefault(person_ref, []).append(consent)
        return consent

    async def consents(self, person_ref: str) -> list[Consent]:
        return list(self.consent_log.get(person_ref, []))

    async def access_log(self, person_ref: str) -> list[Access]:
        return list(self.reads.get(person_ref, []))
