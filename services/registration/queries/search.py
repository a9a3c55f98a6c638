"""Search cases by a person's name or document number, within the caller's offices.

The vault finds the records whose blind index matches (keyed digests: the text is never
stored nor logged); a case is found only through the record it shows (``domain.search``), and
only in an office the caller may see (the scope of ``GET /api/cases``). Every person shown is
in their access log (purpose ``search``); the text searched is nowhere.
"""

from __future__ import annotations

import logging
import uuid

from services.kit.definition import Runtime
from services.kit.identity import Principal, ensure_office
from services.kit.vault import VAULT
from services.registration import store
from services.registration.domain.search import found_through
from services.registration.schemas.cases import funding_brief, summary
from services.registration.schemas.search import CaseFound, CaseSearchPage
from services.registration.store import SERVICE

log = logging.getLogger(__name__)

MAX_PEOPLE = 500
"""At most this many people matched are looked at (a single very common name)."""


async def search_cases(
    rt: Runtime,
    principal: Principal,
    text: str,
    *,
    status: str | None = None,
    office: str | None = None,
    page: int = 1,
    size: int = 50,
) -> CaseSearchPage:
    """The cases of the caller's offices (``office``: only that one) with a person whose name
    tokens include every word typed, or whose document number is the one typed; newest
    first. 422 (``q``) for an empty or too long text."""
    if office is not None:
        ensure_office(principal, office)
    vault = rt.part(VAULT)
    matches = list(await vault.find_people(text))[:MAX_PEOPLE]
    fields_of = {(m.person_ref, m.record_office): m.fields for m in matches}
    refs = sorted({m.person_ref for m in matches})
    matched: dict[uuid.UUID, dict[str, tuple[str, ...]]] = {}
    async with rt.db(SERVICE).reading() as session:
        for ref in refs:
            holders = await store.holders(session, ref)
            if holders is None:  # a registration that never committed
                continue
            for row in await store.person_cases(session, ref):
                case_office = row["office"]
                if not principal.can_see_office(case_office):
                    continue
                if office is not None and case_office != office:
                    continue
                choice = holders.record_for(case_office)
                for (found_ref, record), fields in fields_of.items():
                    if found_ref == ref and found_through(choice, record):
                        matched.setdefault(row["case_id"], {})[ref] = fields
        rows, total = await store.cases_among(
            session, list(matched), status=status, page=page, size=size
        )
        decided = await store.decisions(session, [r["case_id"] for r in rows])
        currency = await store.currencies(session, [r["fund_period"] for r in rows])
    shown: dict[str, set[str]] = {}
    items = []
    for r in rows:
        people = matched[r["case_id"]]
        for ref, fields in people.items():
            shown.setdefault(ref, set()).update(fields)
        brief = funding_brief(decided.get(r["case_id"]), currency.get(r["fund_period"]))
        items.append(CaseFound(**summary(r, brief).model_dump(), matched_people=sorted(people)))
    await vault.log_search(
        {ref: sorted(f) for ref, f in sorted(shown.items())},
        actor_id=principal.user_id,
        role=principal.role,
    )
    log.info("case search by %s: %d cases, %d people shown", principal.user_id, total, len(shown))
    return CaseSearchPage(items=items, page=page, page_size=size, total=total)
