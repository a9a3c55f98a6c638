"""The blind index's SQL (table ``privacy_search_index``): functions of a caller's session,
never committing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from privacy.domain.search import IndexEntry, SearchKind, SearchQuery
from privacy.store import search_index


async def replace_entries(
    session: AsyncSession,
    person_ref: str,
    record_office: str | None,
    fields: Iterable[str],
    entries: Sequence[IndexEntry],
    key_id: str,
) -> None:
    """The person's entries of ``fields`` in one record become exactly ``entries``."""
    t = search_index
    record = (
        t.c.record_office.is_(None) if record_office is None else t.c.record_office == record_office
    )
    names = list(fields)
    if names:
        await session.execute(
            delete(t).where(t.c.person_ref == person_ref, record, t.c.field.in_(names))
        )
    if entries:
        await session.execute(
            insert(t),
            [
                {
                    "person_ref": person_ref,
                    "record_office": record_office,
                    "field": e.field,
                    "kind": e.kind,
                    "digest": e.digest,
                    "key_id": key_id,
                }
                for e in entries
            ],
        )


async def replace_entries_of_people(
    session: AsyncSession,
    entries: dict[str, tuple[str | None, Sequence[IndexEntry]]],
    fields: Iterable[str],
    key_id: str,
) -> None:
    """``replace_entries`` for several people (``entries[ref]``: the record's office and its
    entries): one delete for each record office among them and one insert for them all."""
    t = search_index
    names = list(fields)
    by_office: dict[str | None, list[str]] = {}
    for ref, (office, _) in entries.items():
        by_office.setdefault(office, []).append(ref)
    if names:
        for office, refs in by_office.items():
            record = t.c.record_office.is_(None) if office is None else t.c.record_office == office
            await session.execute(
                delete(t).where(t.c.person_ref.in_(refs), record, t.c.field.in_(names))
            )
    rows = [
        {
            "person_ref": ref,
            "record_office": office,
            "field": e.field,
            "kind": e.kind,
            "digest": e.digest,
            "key_id": key_id,
        }
        for ref, (office, found) in entries.items()
        for e in found
    ]
    if rows:
        await session.execute(insert(t), rows)


async def forget(session: AsyncSession, person_ref: str) -> None:
    """Every index entry of the person goes (with their data key, on erasure)."""
    await session.execute(delete(search_index).where(search_index.c.person_ref == person_ref))


async def candidates(
    session: AsyncSession, query: SearchQuery, limit: int
) -> list[tuple[str, str | None, str, SearchKind, str]]:
    """Index rows holding any digest of the query (at most ``limit``)."""
    t = search_index
    conditions = [(t.c.kind == "name") & t.c.digest.in_(list(query.name_digests))]
    if query.document_digest is not None:
        conditions.append((t.c.kind == "document") & (t.c.digest == query.document_digest))
    result = await session.execute(
        select(t.c.person_ref, t.c.record_office, t.c.field, t.c.kind, t.c.digest)
        .where(or_(*conditions))
        .order_by(t.c.id)
        .limit(limit)
    )
    return [(r[0], r[1], r[2], r[3], r[4]) for r in result]


async def count_not_under(session: AsyncSession, key_id: str) -> int:
    t = search_index
    rows = await session.execute(select(t.c.id).where(t.c.key_id != key_id).limit(1))
    return len(rows.all())
