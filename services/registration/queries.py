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

from services.kit.auth import Principal, can, ensure_office
from services.kit.definition import Runtime
from services.kit.errors import NotFoundError
from services.registration import store
from services.registration.lifecycle import SERVICE, visible_case
from services.registration.ports import Vault
from services.registration.views import (
    PERSONAL_FIELDS,
    CaseDetail,
    CasePage,
    SubjectAccessReport,
    SubjectCase,
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
) -> dict[str, dict[str, str | None]]:
    """One logged vault read per person: their fields and the notes sealed under their key."""
    plain: dict[str, dict[str, str | None]] = {}
    for person in people:
        ref = person["person_ref"]
        fields = dict(sealed.get(ref, {}))
        for row in history:
            if row["detail_person_ref"] == ref and row["detail_field"] is not None:
                fields[_detail_key(row)] = row["reason_detail"]
        opened = await vault.decrypt_many(
            ref, fields, actor_id=principal.user_id, role=principal.role, purpose=purpose
        )
        plain[ref] = dict(opened)
    return plain


def _notes(plain: dict[str, dict[str, str | None]], row: RowMapping) -> str | None:
    return plain.get(row["detail_person_ref"] or "", {}).get(_detail_key(row))


def _personal(plain: dict[str, dict[str, str | None]], ref: str) -> dict[str, str | None]:
    return {f: plain.get(ref, {}).get(f) for f in PERSONAL_FIELDS}


async def get_case(
    rt: Runtime, vault: Vault, case_id: uuid.UUID, principal: Principal
) -> CaseDetail:
    async with rt.db(SERVICE).reading() as session:
        case = await visible_case(session, case_id, principal)
        people = await store.people_of(session, [case_id])
        lines = await store.lines_of(session, case_id)
        history = await store.history(session, case_id)
        sealed = {
            p["person_ref"]: await store.ciphertexts(session, p["person_ref"]) for p in people
        }
    personal = may_read_personal(principal)
    plain = (
        await _decrypt(vault, people, sealed, history, principal, "case_management")
        if personal
        else {}
    )
    return CaseDetail(
        **summary(case).model_dump(),
        personal_data_included=personal,
        people=[
            person_view(p, _personal(plain, p["person_ref"]) if personal else None) for p in people
        ],
        requested=[line_view(line) for line in lines],
        history=[transition_view(h, _notes(plain, h)) for h in history],
    )


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
    return CasePage(items=[summary(r) for r in rows], page=page, page_size=size, total=total)


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
        for row in rows:
            case = await visible_case(session, row["case_id"], principal)
            lines = [
                r
                for r in await store.lines_of(session, case["case_id"])
                if r["person_ref"] == person_ref
            ]
            found.append((row, case, lines, await store.history(session, case["case_id"])))
        sealed = {person_ref: await store.ciphertexts(session, person_ref)}
    every_history = [h for *_, history in found for h in history]
    plain = await _decrypt(vault, [rows[-1]], sealed, every_history, principal, "subject_access")
    personal = _personal(plain, person_ref)
    cases = [
        SubjectCase(
            case=summary(case),
            person=person_view(row, personal),
            requested=[line_view(line) for line in lines],
            history=[transition_view(h, _notes(plain, h)) for h in history],
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
        consents=[_plain(c) for c in await vault.consents(person_ref)],
        access_log=[_plain(a) for a in await vault.access_log(person_ref)],
    )
