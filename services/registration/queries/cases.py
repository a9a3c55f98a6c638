"""Read use cases of cases: one case, a page of cases, and a person's subject access report.

Rows are read in a short transaction; decryption happens afterwards through the vault,
which logs every read of personal data with who, which person and the purpose.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy.engine import RowMapping

from services.kit.definition import Runtime
from services.kit.identity import Principal, can, ensure_office
from services.kit.vault import VAULT, Vault
from services.registration import domain, store
from services.registration.schemas.cases import (
    PERSONAL_FIELDS,
    AccessView,
    CaseDetail,
    CasePage,
    ConsentView,
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
from services.registration.store import SERVICE


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
    sent: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, dict[str, str | None]]:
    """One logged vault read per person (all in one vault transaction): their fields and the
    notes sealed under their key. A person whose every field is in ``sent`` (what the caller
    just sent) is shown from it: no stored data is read, so there is nothing to decrypt or
    log."""
    plain: dict[str, dict[str, str | None]] = {}
    to_open: dict[str, dict[str, bytes]] = {}
    for person in people:
        ref = person["person_ref"]
        fields = dict(sealed.get(ref, {}))
        for row in history:
            if row["detail_person_ref"] == ref and row["detail_field"] is not None:
                fields[_detail_key(row)] = row["reason_detail"]
        if not fields:  # nothing of theirs to show (withheld, or erased): no read to log
            plain[ref] = {}
            continue
        given = (sent or {}).get(ref)
        if given is not None and fields.keys() <= given.keys():
            plain[ref] = {f: given[f] for f in fields}
            continue
        to_open[ref] = fields
    if to_open:
        opened = await vault.decrypt_people(
            to_open,
            actor_id=principal.user_id,
            role=principal.role,
            purpose=purpose,
            purposes={ref: (purposes or {}).get(ref, purpose) for ref in to_open},
        )
        plain.update({ref: dict(fields) for ref, fields in opened.items()})
    return plain


def _notes(plain: dict[str, dict[str, str | None]], row: RowMapping) -> str | None:
    return plain.get(row["detail_person_ref"] or "", {}).get(_detail_key(row))


def _personal(plain: dict[str, dict[str, str | None]], ref: str) -> dict[str, str | None]:
    return {f: plain.get(ref, {}).get(f) for f in PERSONAL_FIELDS}


async def get_case(
    rt: Runtime,
    principal: Principal,
    case_id: uuid.UUID,
    *,
    show_personal: bool = True,
    purpose: str | None = None,
    sent: Mapping[int, Mapping[str, str]] | None = None,
) -> CaseDetail:
    """A case with, per person, the record its office may show (``domain.record_for``).

    ``show_personal=False`` leaves personal data out (nothing is decrypted, nothing logged)
    even for a role that may read it: the web UI shows it only on an explicit request.
    ``purpose`` (a code) is added to the access log's purpose of each read
    (``case_management:<purpose>``), so the log says why the data was opened.

    ``sent``: for the answer to the request that just registered the case, the personal
    fields that request gave for its new people, by their position in the case. Those are
    shown as sent rather than decrypted: answering a caller with what it just sent is not a
    read of stored personal data (the access log records reads of stored data)."""
    async with rt.db(SERVICE).reading() as session:
        case = await store.load_case(session, case_id)
        ensure_office(principal, case["office"])
        people = await store.people_of(session, [case_id])
        lines = await store.lines_of(session, case_id)
        history = await store.history(session, case_id)
        corrected = await store.corrections_of(session, case_id)
        decided = (await store.decisions(session, [case_id])).get(case_id)
        outcomes = await store.outcomes(session, case_id)
        currency = await store.fund_currency(session, case["fund_period"])
        choices: dict[str, domain.RecordChoice] = {}
        sealed: dict[str, dict[str, bytes]] = {}
        for p in people:
            ref = p["person_ref"]
            holders = await store.holders(session, ref)
            assert holders is not None, f"{ref} is in a case"
            choices[ref] = holders.record_for(case["office"])
            sealed[ref] = await store.record_ciphertexts(session, ref, choices[ref])
    personal = show_personal and may_read_personal(principal)
    why = f":{purpose}" if purpose else ""
    purposes = {
        ref: f"case_management_transferred_record{why}"
        for ref, c in choices.items()
        if c.access == "transfer"
    }
    by_ref = {
        p["person_ref"]: sent[p["position"]]
        for p in people
        if sent and p["position"] in sent and choices[p["person_ref"]].kind == "owner"
    }
    plain = (
        await _decrypt(
            rt.part(VAULT),
            people,
            sealed,
            history,
            principal,
            f"case_management{why}",
            purposes,
            by_ref,
        )
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
        decided = await store.decisions(session, [r["case_id"] for r in rows])
        currency = await store.currencies(session, [r["fund_period"] for r in rows])
    items = [
        summary(r, funding_brief(decided.get(r["case_id"]), currency.get(r["fund_period"])))
        for r in rows
    ]
    return CasePage(items=items, page=page, page_size=size, total=total)


async def subject_access(rt: Runtime, principal: Principal, person_ref: str) -> SubjectAccessReport:
    """Everything held about one person in all their cases, readable, with their consents and
    the access log. One logged vault read covers their data and the notes of every case."""
    vault = rt.part(VAULT)
    async with rt.db(SERVICE).reading() as session:
        rows = await store.person_cases(session, person_ref)
        if not rows:
            raise domain.PersonNotFoundError(f"no person {person_ref} in the registration service")
        found: list[tuple[RowMapping, RowMapping, list[RowMapping], list[RowMapping]]] = []
        corrected: dict[uuid.UUID, list[RowMapping]] = {}
        for row in rows:
            case = await store.load_case(session, row["case_id"])
            ensure_office(principal, case["office"])
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
        consents=[ConsentView.model_validate(c) for c in await vault.consents(person_ref)],
        access_log=[AccessView.model_validate(a) for a in await vault.access_log(person_ref)],
    )
