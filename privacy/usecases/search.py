"""The blind index: written with a person's data key, searched by keyed digests, destroyed
with the key (``datakeys.destroy_key``). Rules and normalization: ``privacy.domain.search``.

The text searched is turned into digests at once and never stored or logged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from db.uow import ServiceDatabase
from privacy.domain import AccessRecord, check_field, check_person_ref, check_text
from privacy.domain.search import SearchKind, entries_for, matching_records, search_query
from privacy.store import datakeys, records
from privacy.store import search as index_store
from privacy.store.keyring import Keyring
from privacy.store.searchkey import SearchKey
from services.kit.vault import SearchMatch

SEARCH_PURPOSE = "search"
CANDIDATE_ROWS = 20_000
"""At most this many index rows are read per search (a very common token alone)."""


async def index_and_key(
    db: ServiceDatabase,
    keyring: Keyring,
    search_key: SearchKey,
    person_ref: str,
    values: Mapping[str, str],
    *,
    record_office: str | None,
    index: Mapping[str, SearchKind],
    now: datetime,
) -> bytes:
    """In one transaction: the person's data key (made if absent) and their index entries of
    the ``index`` fields of that record, replaced by those of ``values``. Returns the key."""
    check_person_ref(person_ref)
    for field in (*values, *index):
        check_field(field)
    entries = entries_for(search_key.secret, values, index)
    async with db.unit_of_work() as uow:
        key = await datakeys.ensure_key(uow.session, keyring, person_ref, now)
        await index_store.replace_entries(
            uow.session, person_ref, record_office, index, entries, search_key.key_id
        )
        await uow.commit()
    return key


async def index_people_and_keys(
    db: ServiceDatabase,
    keyring: Keyring,
    search_key: SearchKey,
    people: Mapping[str, Mapping[str, str]],
    *,
    record_offices: Mapping[str, str | None],
    index: Mapping[str, SearchKind],
    now: datetime,
) -> dict[str, bytes]:
    """``index_and_key`` for several people in one transaction: their data keys (the missing
    ones made together) and each one's index entries for their record. Returns the keys."""
    for ref, values in people.items():
        check_person_ref(ref)
        for field in (*values, *index):
            check_field(field)
    entries = {ref: entries_for(search_key.secret, values, index) for ref, values in people.items()}
    async with db.unit_of_work() as uow:
        keys = await datakeys.ensure_keys(uow.session, keyring, list(people), now)
        await index_store.replace_entries_of_people(
            uow.session,
            {ref: (record_offices.get(ref), entries[ref]) for ref in people},
            index,
            search_key.key_id,
        )
        await uow.commit()
    return keys


async def find(db: ServiceDatabase, search_key: SearchKey, text: str) -> list[SearchMatch]:
    """The records matching ``text``, person_ref order."""
    query = search_query(search_key.secret, text)
    async with db.reading() as session:
        rows = await index_store.candidates(session, query, CANDIDATE_ROWS)
    found = matching_records(rows, query)
    return [
        SearchMatch(person_ref=ref, record_office=office, fields=tuple(sorted(fields)))
        for (ref, office), fields in sorted(found.items(), key=lambda i: (i[0][0], i[0][1] or ""))
    ]


async def log_found(
    db: ServiceDatabase,
    found: Mapping[str, Sequence[str]],
    *,
    actor_id: str,
    role: str,
    now: datetime,
) -> None:
    """One access-log row per person a search showed (purpose ``search``, the fields matched)."""
    if not found:
        return
    actor, role = check_text(actor_id, "actor_id", 120), check_text(role, "role", 60)
    async with db.unit_of_work() as uow:
        for ref, fields in found.items():
            check_person_ref(ref)
            record = AccessRecord(
                actor, role, SEARCH_PURPOSE, tuple(check_field(f) for f in fields), now
            )
            await records.log_access(uow.session, ref, record)
        await uow.commit()


async def stale_entries(db: ServiceDatabase, search_key: SearchKey) -> bool:
    """Whether some entries were made under another search key (run a reindex)."""
    async with db.reading() as session:
        return await index_store.count_not_under(session, search_key.key_id) > 0
