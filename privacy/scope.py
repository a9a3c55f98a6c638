"""Which offices a person belongs to, as privacy learned it from registration events, and the
office scoping of privacy's routes for caseworkers and supervisors."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from privacy import datakeys
from privacy.store import case_people, cases
from services.kit.definition import Runtime
from services.kit.errors import ConflictError, NotFoundError
from services.kit.identity import OFFICE_SCOPED_ROLES, Principal, ensure_some_office


async def person_offices(session: AsyncSession, person_ref: str) -> set[str]:
    query = (
        select(cases.c.office)
        .join(case_people, case_people.c.case_id == cases.c.case_id)
        .where(case_people.c.person_ref == person_ref, cases.c.office.is_not(None))
        .distinct()
    )
    return {str(o) for o in (await session.execute(query)).scalars()}


async def _known(session: AsyncSession, person_ref: str) -> bool:
    if await datakeys.key_row(session, person_ref) is not None:
        return True
    if await datakeys.is_erased(session, person_ref):
        return True
    query = select(case_people.c.person_ref).where(case_people.c.person_ref == person_ref)
    return (await session.execute(query.limit(1))).first() is not None


async def ensure_person_in_scope(rt: Runtime, person_ref: str, principal: Principal) -> None:
    """404 for a person privacy holds nothing about; for a caseworker or supervisor, 403 unless
    the person is in a case of one of their offices."""
    async with rt.db("privacy").reading() as session:
        if not await _known(session, person_ref):
            raise NotFoundError(
                f"no person {person_ref} is known to the privacy service; check the reference"
            )
        if principal.role not in OFFICE_SCOPED_ROLES:
            return
        offices = await person_offices(session, person_ref)
    if not offices:
        raise ConflictError(
            f"the registration of person {person_ref} has not reached the privacy service yet "
            "(its office is not known here); try again in a few seconds"
        )
    ensure_some_office(principal, offices, f"person {person_ref}")
