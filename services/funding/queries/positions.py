"""Read use cases on positions: a fund's position and a person's position (``db.reading()``).

Both read the running totals through the domain rules (``available_cents``,
``remaining_cap_cents``): what a read shows is what the decisions use.
"""

from __future__ import annotations

from services.funding import store
from services.funding.domain import PersonPosition
from services.funding.domain.errors import UnknownFundError, UnknownPersonError
from services.funding.schemas import FundOut, PersonFundingOut, PersonFundOut
from services.kit.definition import Runtime
from services.kit.identity import OFFICE_SCOPED_ROLES, Principal, ensure_some_office


async def fund(rt: Runtime, period: str) -> FundOut:
    async with rt.db("funding").reading() as session:
        totals = await store.fund_totals(session, period)
    if totals is None:
        raise UnknownFundError(f"there is no fund for period '{period}'")
    return FundOut.of(totals)


async def funds(rt: Runtime, limit: int = 100) -> list[FundOut]:
    """The positions of the funds defined, newest period first (the web UI's list)."""
    async with rt.db("funding").reading() as session:
        found = [
            await store.fund_totals(session, p) for p in await store.fund_periods(session, limit)
        ]
    return [FundOut.of(totals) for totals in found if totals is not None]


async def person_funding(
    rt: Runtime, principal: Principal, person_ref: str, period: str | None
) -> PersonFundingOut:
    """The person's cap position in each fund they have a ledger in (or the one asked for).
    A caseworker or supervisor sees it only when the person is in a case of one of their
    offices (403 otherwise, 404 for an unknown person)."""
    async with rt.db("funding").reading() as session:
        if principal.role in OFFICE_SCOPED_ROLES:
            offices = await store.person_offices(session, person_ref)
            if not offices:
                raise UnknownPersonError(f"funding knows nothing about {person_ref}")
            ensure_some_office(principal, offices, f"person {person_ref}")
        funds = await store.person_positions(session, person_ref)
        if period is not None:
            funds = [x for x in funds if x.period == period]
            if not funds:
                found = await store.fund(session, period)
                if found is None:
                    raise UnknownFundError(f"there is no fund for period '{period}'")
                funds = [PersonPosition(period, found.currency, found.cap_cents, 0, 0)]
        elif not funds and not await store.known_person(session, person_ref):
            raise UnknownPersonError(f"funding knows nothing about {person_ref}")
    return PersonFundingOut(person_ref=person_ref, funds=[PersonFundOut.of(x) for x in funds])
