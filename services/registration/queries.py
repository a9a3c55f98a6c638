"""Read use cases: one case, a page of cases, and a person's subject access report.

Rows are read in a short transaction; decryption happens afterwards through the vault,
which logs every read of personal data with who, which person and the purpose.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.definition import Runtime
from services.kit.errors import NotFoundError
from services.kit.identity import Principal, can, ensure_office
from services.kit.vault import Vault
from services.registration import domain, fund_view, store
from services.registration.lifecycle import SERVICE, visible_case
from services.registration.views import (
    PERSONAL_FIELDS,
    CaseDetail,
    CasePage,
    OfficeRecord,
    PersonalData,
    SubjectAccessReport,
    SubjectCase,
    TransitionView,
    correction_view,
    funding_brief,
    funding_detail,
    line_view,
    person_view,
    summary,
    transition_view,
)


def may_read_personal(principal: Principal) -> bool:
    return can(principal, "cases.read_personal")


def _detail_key(row: RowMapping) -> str:
    return str(row["detail_field"])


async def _decrypt(
    vault: Vault,
    people: Sequence[RowMapping],
    sealed: dict[str, dict[str, bytes]],
    history: Sequence[RowMapping],
    principal: Principal,
    purpose: str,
    purposes: dict[str, str] | None = None,
) -> dict[str, dict[str, str | None]]:
    """One logged vault read per person: their fields and the notes sealed under their key."""
    plain: dict[str, dict[str, str | None]] = {}
    for person in people:
        ref = person["person_ref"]
        purpose_of = (purposes or {}).get(ref, purpose)
        fields = dict(sealed.get(ref, {}))
        for row in history:
            if row["detail_person_ref"] == ref and row["detail_field"] is not None:
                fields[_detail_key(row)] = row["reason_detail"]
        if not fields:  # nothing of theirs to show (withheld, or erased): no read to log
            plain[ref] = {}
            continue
        opened = await vault.decrypt_many(
            ref, fields, actor_id=principal.user_id, role=principal.role, purpose=purpose_of
        )
        plain[ref] = dict(opened)
    return plain


def _notes(plain: dict[str, dict[str, str | None]], row: RowMapping) -> str | None:
    return plain.get(row["detail_person_ref"] or "", {}).get(_detail_key(row))


def _personal(plain: dict[str, dict[str, str | None]], ref: str) -> dict[str, str | None]:
    return {f: plain.get(ref, {}).get(f) for f in PERSONAL_FIELDS}


async def owner_of(session: AsyncSession, person_ref: str) -> str | None:
    rows = await store.person_cases(session, person_ref)
    return domain.owning_office([r["office"] for r in rows]) if rows else None


async def record_choice(
    session: AsyncSession, person_ref: str, case_office: str
) -> tuple[domain.RecordChoice, dict[str, bytes]]:
    """Which record of the person a case of ``case_office`` shows, and its ciphertexts."""
    owner = await owner_of(session, person_ref)
    assert owner is not None, f"{person_ref} is in a case"
    choice = domain.record_for(
        case_office,
        owner,
        await store.record_offices(session, person_ref),
        await store.granted_offices(session, person_ref),
    )
    if choice.kind == "owner":
        return choice, await store.ciphertexts(session, person_ref)
    if choice.kind == "office":
        return choice, await store.office_ciphertexts(session, person_ref, case_office)
    return choice, {}


async def get_case(
    rt: Runtime, vault: Vault, case_id: uuid.UUID, principal: Principal
) -> CaseDetail:
    """A case with, per person, the record its office may show (``domain.record_for``)."""
    async with rt.db(SERVICE).reading() as session:
        case = await visible_case(session, case_id, principal)
        people = await store.people_of(session, [case_id])
        lines = await store.lines_of(session, case_id)
        history = await store.history(session, case_id)
        corrected = await store.corrections_of(session, case_id)
        decided = (await fund_view.decisions(session, [case_id])).get(case_id)
        outcomes = await fund_view.outcomes(session, case_id)
        currency = (await fund_view.currencies(session, [case["fund_period"]])).get(
            case["fund_period"]
        )
        choices: dict[str, domain.RecordChoice] = {}
        sealed: dict[str, dict[str, bytes]] = {}
        for p in people:
            ref = p["person_ref"]
            choices[ref], sealed[ref] = await record_choice(session, ref, case["office"])
    personal = may_read_personal(principal)
    purposes = {
        ref: "case_management_transferred_record"
        for ref, c in choices.items()
        if c.access == "transfer"
    }
    plain = (
        await _decrypt(vault, people, sealed, history, principal, "case_management", purposes)
        if personal
        else {}
    )
    return CaseDetail(
        **summary(case).model_dump(exclude={"funding"}),
        funding=funding_detail(decided, outcomes, currency, [p["person_ref"] for p in people]),
        personal_data_included=personal,
        people=[
            person_view(
                p,
                _personal(plain, p["person_ref"]) if personal else None,
                choices[p["person_ref"]],
            )
            for p in people
        ],
        requested=[line_view(line) for line in lines],
        history=_timeline(plain, history, corrected),
    )


def _timeline(
    plain: dict[str, dict[str, str | None]],
    history: Sequence[RowMapping],
    corrected: Sequence[RowMapping],
) -> list[TransitionView]:
    """A case's transitions and corrections, oldest first."""
    entries = [transition_view(h, _notes(plain, h)) for h in history]
    return sorted(entries + [correction_view(c) for c in corrected], key=lambda e: e.at)


async def list_cases(
    rt: Runtime,
    principal: Principal,
    *,
    status: str | None,
    office: str | None,
    page: int,
    size: int,
) -> CasePage:
    if office is not None:
        ensure_office(principal, office)
    async with rt.db(SERVICE).reading() as session:
        known = await store.offices(session)
        visible = [o for o in known if principal.can_see_office(o)]
        scope = [office] if office is not None else visible
        rows, total = await store.list_cases(
            session, offices=scope, status=status, page=page, size=size
        )
        decided = await fund_view.decisions(session, [r["case_id"] for r in rows])
        currency = await fund_view.currencies(session, [r["fund_period"] for r in rows])
    items = [
        summary(r, funding_brief(decided.get(r["case_id"]), currency.get(r["fund_period"])))
        for r in rows
    ]
    return CasePage(items=items, page=page, page_size=size, total=total)


def _plain(item: Any) -> Any:
    if hasattr(item, "model_dump"):
        return item.model_dump(mode="json")
    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        return dataclasses.asdict(item)
    return item


async def subject_access(
    rt: Runtime, vault: Vault, person_ref: str, principal: Principal
) -> SubjectAccessReport:
    """Everything held about one person in all their cases, readable, with their consents and
    the access log. One logged vault read covers their data and the notes of every case."""
    async with rt.db(SERVICE).reading() as session:
        rows = await store.person_cases(session, person_ref)
        if not rows:
            raise NotFoundError(f"no person {person_ref} in the registration service")
        found: list[tuple[RowMapping, RowMapping, list[RowMapping], list[RowMapping]]] = []
        corrected: dict[uuid.UUID, list[RowMapping]] = {}
        for row in rows:
            case = await visible_case(session, row["case_id"], principal)
            lines = [
                r
                for r in await store.lines_of(session, case["case_id"])
                if r["person_ref"] == person_ref
            ]
            found.append((row, case, lines, await store.history(session, case["case_id"])))
            corrected[case["case_id"]] = await store.corrections_of(session, case["case_id"])
        sealed = {person_ref: await store.ciphertexts(session, person_ref)}
        office_sealed = {
            office: await store.office_ciphertexts(session, person_ref, office)
            for office in sorted(await store.record_offices(session, person_ref))
        }
    owner = domain.owning_office([r["office"] for r in rows])
    office_records = []
    for office, tokens in office_sealed.items():
        opened = await vault.decrypt_many(
            person_ref,
            tokens,
            actor_id=principal.user_id,
            role=principal.role,
            purpose="subject_access",
        )
        office_records.append(
            OfficeRecord(
                office=office, personal=PersonalData(**{f: opened.get(f) for f in PERSONAL_FIELDS})
            )
        )
    every_history = [h for *_, history in found for h in history]
    plain = await _decrypt(vault, [rows[-1]], sealed, every_history, principal, "subject_access")
    personal = _personal(plain, person_ref)
    cases = [
        SubjectCase(
            case=summary(case),
            person=person_view(row, personal),
            requested=[line_view(line) for line in lines],
            history=_timeline(plain, history, corrected[case["case_id"]]),
        )
        for row, case, lines, history in found
    ]
    latest = cases[-1]
    return SubjectAccessReport(
        person=latest.person,
        cases=cases,
        case=latest.case,
        requested=latest.requested,
        history=latest.history,
        owning_office=owner,
        office_records=office_records,
        consents=[_plain(c) for c in await vault.consents(person_ref)],
        access_log=[_plain(a) for a in await vault.access_log(person_ref)],
    )
