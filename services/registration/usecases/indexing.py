"""Use case: build the blind index of people registered before it existed (or after the
search key changed): ``retorno search reindex``.

A migration cannot do it (the keys are not there at migrate time), so this reads each record's
searchable ciphertexts, opens them through the vault (each read logged, purpose
``search_index_rebuild``, actor the registration service) and has the vault replace the
record's index entries. Erased people are skipped; running it twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.kit.definition import Runtime
from services.kit.vault import VAULT
from services.registration import store
from services.registration.domain.search import SEARCHABLE
from services.registration.store import SERVICE

PURPOSE = "search_index_rebuild"


@dataclass(frozen=True)
class ReindexReport:
    records: int
    skipped_erased: int


async def reindex(rt: Runtime) -> ReindexReport:
    vault = rt.part(VAULT)
    async with rt.db(SERVICE).reading() as session:
        found = await store.searchable_records(session, list(SEARCHABLE))
    done = erased = 0
    for ref, office, sealed in found:
        if await vault.is_erased(ref):
            erased += 1
            continue
        opened = await vault.decrypt_many(
            ref, sealed, actor_id=SERVICE, role="service", purpose=PURPOSE
        )
        values = {f: v for f, v in opened.items() if v is not None}
        # the vault writes the index with the key; the ciphertexts it returns are not needed
        await vault.encrypt_indexed(ref, values, record_office=office, index=SEARCHABLE)
        done += 1
    return ReindexReport(records=done, skipped_erased=erased)
