"""The one door to personal data: encrypt under a person's data key, decrypt with an access log
entry, consent per purpose. Other services use it through the port ``services.kit.vault``
(``rt.part(VAULT)``); ``install_vault`` puts it there at privacy's start.

Every method runs in its own transaction on the privacy database (reads on ``reading()``).
Data keys are never cached, so an erasure (by any process) takes effect at the next call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from db.uow import Clock, ServiceDatabase, utc_now
from events.envelope import Actor
from privacy.domain import (
    AccessRecord,
    ConsentRecord,
    check_field,
    check_person_ref,
    check_text,
    consent_target,
    crypto,
    require_consent_granted,
)
from privacy.store import datakeys, records
from privacy.store.keyring import Keyring, keyring_of
from privacy.store.searchkey import SearchKey, search_key_of
from privacy.usecases import search
from privacy.usecases.consent import record_now
from services.kit.definition import Runtime
from services.kit.parts import PartKey
from services.kit.vault import VAULT, SearchKind, SearchMatch


class Vault:
    def __init__(
        self,
        db: ServiceDatabase,
        keyring: Keyring,
        clock: Clock = utc_now,
        search_key: SearchKey | None = None,
    ) -> None:
        self.db = db
        self.keyring = keyring
        self.clock = clock
        self.search_key = search_key

    def _search_key(self) -> SearchKey:
        if self.search_key is None:
            raise RuntimeError("this vault was built without a search key (install_vault)")
        return self.search_key

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
        return (await self.encrypt_people({person_ref: values}))[person_ref]

    async def encrypt_people(
        self,
        people: Mapping[str, Mapping[str, str]],
        *,
        index: Mapping[str, SearchKind] | None = None,
        record_offices: Mapping[str, str | None] | None = None,
    ) -> dict[str, dict[str, bytes]]:
        """``encrypt_many`` for several people at once: the keys that exist are read in one
        read-only transaction (no write lock, no fsync); the missing ones are made together
        in one committed transaction. Then every field is sealed in memory. With ``index``,
        the keys and every person's blind index entries are written in one transaction."""
        for ref, values in people.items():
            check_person_ref(ref)
            for field in values:
                check_field(field)
        if not people:
            return {}
        refs = list(people)
        if index is not None:
            keys = await search.index_people_and_keys(
                self.db,
                self.keyring,
                self._search_key(),
                people,
                record_offices=record_offices or {},
                index=index,
                now=self.clock(),
            )
            return {
                ref: crypto.encrypt_fields(keys[ref], ref, dict(values))
                for ref, values in people.items()
            }
        async with self.db.reading() as session:
            rows = await datakeys.key_rows(session, refs)
        if len(rows) == len(refs):
            keys = {ref: datakeys.unwrap(self.keyring, row) for ref, row in rows.items()}
        else:
            async with self.db.unit_of_work() as uow:
                keys = await datakeys.ensure_keys(uow.session, self.keyring, refs, self.clock())
                await uow.commit()
        return {
            ref: crypto.encrypt_fields(keys[ref], ref, dict(values))
            for ref, values in people.items()
        }

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
        found = await self.decrypt_people(
            {person_ref: tokens}, actor_id=actor_id, role=role, purpose=purpose
        )
        return found[person_ref]

    async def decrypt_people(
        self,
        tokens: Mapping[str, Mapping[str, bytes]],
        *,
        actor_id: str,
        role: str,
        purpose: str,
        purposes: Mapping[str, str] | None = None,
    ) -> dict[str, dict[str, str | None]]:
        """``decrypt_many`` for several people in one committed transaction: their keys read
        in one query, one access-log row a person (purpose ``purposes[ref]`` if given, else
        ``purpose``) inserted together, committed before anything is returned."""
        for ref in tokens:
            check_person_ref(ref)
        wanted = {ref: fields for ref, fields in tokens.items() if fields}
        now = self.clock()
        actor_id, role = check_text(actor_id, "actor_id", 120), check_text(role, "role", 60)
        reads = {}
        for ref, fields in wanted.items():
            why = check_text((purposes or {}).get(ref, purpose), "purpose", 200)
            reads[ref] = AccessRecord(
                actor_id, role, why, tuple(check_field(f) for f in fields), now
            )
        opened: dict[str, dict[str, str | None]] = {ref: {} for ref in tokens}
        if not wanted:
            return opened
        async with self.db.unit_of_work() as uow:
            keys = await datakeys.existing_keys(uow.session, self.keyring, list(wanted))
            await records.log_accesses(uow.session, reads)
            await uow.commit()
        for ref, fields in wanted.items():
            key = keys[ref]
            if key is None:
                opened[ref] = dict.fromkeys(fields)
            else:
                opened[ref] = dict(crypto.decrypt_fields(key, ref, dict(fields)))
        return opened

    async def is_erased(self, person_ref: str) -> bool:
        async with self.db.reading() as session:
            return await datakeys.is_erased(session, person_ref)

    async def encrypt_indexed(
        self,
        person_ref: str,
        values: Mapping[str, str],
        *,
        record_office: str | None,
        index: Mapping[str, SearchKind],
    ) -> dict[str, bytes]:
        """``encrypt_many``, with the record's blind index entries of the ``index`` fields
        replaced in the transaction that makes (or reads) the person's key
        (``privacy.usecases.search``)."""
        key = await search.index_and_key(
            self.db,
            self.keyring,
            self._search_key(),
            person_ref,
            values,
            record_office=record_office,
            index=index,
            now=self.clock(),
        )
        return {f: crypto.encrypt_field(key, person_ref, f, v) for f, v in values.items()}

    async def find_people(self, text: str) -> list[SearchMatch]:
        return await search.find(self.db, self._search_key(), text)

    async def log_search(
        self, found: Mapping[str, Sequence[str]], *, actor_id: str, role: str
    ) -> None:
        await search.log_found(self.db, found, actor_id=actor_id, role=role, now=self.clock())

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
        actor = Actor(kind="user", id=check_text(recorded_by, "recorded_by", 120), role=role)
        return await record_now(
            self.db, person_ref, purpose, granted, partner=partner, actor=actor, at=self.clock()
        )

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
        async with self.db.reading() as session:
            if await datakeys.is_erased(session, person_ref):
                return False
            return await records.current_consent(session, person_ref, purpose, partner)

    async def require_consent(
        self, person_ref: str, purpose: str, partner: str | None = None
    ) -> None:
        """ConsentRequiredError (a ForbiddenError, 403) unless the person's current consent
        covers this purpose (and partner)."""
        granted = await self.has_consent(person_ref, purpose, partner)
        require_consent_granted(person_ref, purpose, partner, granted)

    async def consents(self, person_ref: str) -> list[ConsentRecord]:
        """Every consent decision recorded for the person, oldest first."""
        async with self.db.reading() as session:
            return await records.consent_history(session, person_ref)

    async def access_log(self, person_ref: str) -> list[AccessRecord]:
        """Every read of the person's data, oldest first."""
        async with self.db.reading() as session:
            return await records.access_history(session, person_ref)


# privacy's own key for its full vault (consent recording, the keyring); other services see it
# through the port ``services.kit.vault.VAULT``, installed alongside at start-up
PRIVACY_VAULT: PartKey[Vault] = PartKey("privacy.vault")


def vault_of(rt: Runtime) -> Vault:
    """The runtime's vault, built on first use when ``on_start`` has not run."""
    vault = rt.find(PRIVACY_VAULT)
    if vault is None:
        vault = install_vault(rt)
    return vault


def install_vault(rt: Runtime) -> Vault:
    """Build the vault (on the runtime's keyring and clock) and install it for privacy and,
    through the port, for every service."""
    vault = rt.put(
        PRIVACY_VAULT,
        Vault(rt.db("privacy"), keyring_of(rt), rt.clock, search_key=search_key_of(rt)),
    )
    rt.put(VAULT, vault)
    return vault
