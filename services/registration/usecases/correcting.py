"""Use case: correct a registered case before screening (event ``case_corrected``).

The rules are in ``domain.correcting``; here the case is read, the corrected personal fields are
sealed through the vault under the person's key, and the case's rows, the ciphertexts, the
correction's record and the event commit together, compare-and-set on the case's version.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from events.envelope import Actor
from events.registration import CaseCorrected, PersonalFieldsCorrected, PersonFacts, RequestedLine
from services.kit.definition import Runtime
from services.kit.identity import Principal, ensure_office
from services.kit.vault import VAULT
from services.registration import domain, store
from services.registration.domain import correcting as rules
from services.registration.domain.correcting import CaseNow, Correction
from services.registration.domain.search import searchable_of
from services.registration.schemas.correcting import CaseCorrectionIn
from services.registration.store import SERVICE


def case_now(
    case: RowMapping, people: Sequence[RowMapping], lines: Sequence[RowMapping]
) -> CaseNow:
    return CaseNow(
        status=case["status"],
        version=case["version"],
        registered_on=case["registered_on"],
        fund_period=case["fund_period"],
        requester_type=case["requester_type"],
        requester_name=case["requester_name"],
        departure_country=case["departure_country"],
        destination_country=case["destination_country"],
        allow_partial=case["allow_partial"],
        people=tuple(PersonFacts(**{k: p[k] for k in PersonFacts.model_fields}) for p in people),
        lines=tuple(
            RequestedLine(**{k: line[k] for k in RequestedLine.model_fields}) for line in lines
        ),
    )


async def _record_to_write(
    session: AsyncSession, person: RowMapping, case_office: str
) -> str | None:
    """Which record of the person a correction of a case of ``case_office`` writes: the one
    the office holds (its own, or the owning office's when it is the owner; None). The record
    of another office is never read nor written here, even after a transfer (a transfer lets
    an office read a record, not change it)."""
    ref = person["person_ref"]
    if person["erased_at"] is not None:
        raise domain.PersonErasedError(
            f"person {ref} was erased: their personal data no longer exists and cannot be "
            "corrected (their sex, nationality and categories in this case still can)",
            person_ref=ref,
        )
    holders = await store.holders(session, ref)
    assert holders is not None, f"{ref} is in a case"
    choice = holders.record_for(case_office)
    if choice.kind == "office":
        return case_office
    if choice.kind == "owner" and choice.access == "own":
        return None
    owner = holders.owner
    raise domain.RecordOfAnotherOfficeError(
        f"the personal record of person {ref} belongs to their owning office {owner!r}, not "
        f"to office {case_office!r}; only that office corrects it. In this case you may "
        "correct their sex, nationality and vulnerability categories",
        person_ref=ref,
        owning_office=owner,
    )


def _event(case: RowMapping, fixed: Correction, version: int) -> CaseCorrected:
    return CaseCorrected(
        case_id=case["case_id"],
        office=case["office"],
        case_version=version,
        fund_period=fixed.values["fund_period"],
        requester_type=fixed.values["requester_type"],
        departure_country=fixed.values["departure_country"],
        destination_country=fixed.values["destination_country"],
        allow_partial=fixed.values["allow_partial"],
        vulnerability_categories=fixed.categories,
        people=list(fixed.changed),
        requested=list(fixed.lines),
        corrected=list(fixed.corrected),
        personal_fields=[
            PersonalFieldsCorrected(person_ref=ref, fields=names)
            for ref, names in fixed.personal_names().items()
        ],
    )


async def correct_case(
    rt: Runtime, principal: Principal, case_id: uuid.UUID, body: CaseCorrectionIn
) -> None:
    """Correct a registered case (404 unknown, 403 another office's, 409 not ``registered``
    or changed since ``body.version``, 422 a rule broken); nothing is stored on a refusal."""
    vault = rt.part(VAULT)
    db = rt.db(SERVICE)
    async with db.reading() as session:
        case = await store.load_case(session, case_id)
        ensure_office(principal, case["office"])
        people = await store.people_of(session, [case_id])
        lines = await store.lines_of(session, case_id)
        fixed = rules.correct(
            case_now(case, people, lines),
            body,
            categories=rt.settings.vulnerability_categories,
            cost_categories=rt.settings.cost_categories,
        )
        if body.fund_period is not None or body.requested is not None:
            period = fixed.values["fund_period"]
            domain.check_fund_terms(
                period,
                [line.currency for line in fixed.lines],
                await store.fund_currency(session, period),
                outcome="the case was not corrected",
            )
        rows = {p["person_ref"]: p for p in people}
        records = {
            ref: await _record_to_write(session, rows[ref], case["office"])
            for ref in fixed.personal
        }
    sealed: dict[str, dict[str, bytes]] = {}
    for ref, values in fixed.personal.items():
        if await vault.is_erased(ref):
            raise domain.PersonErasedError(
                f"person {ref} was erased: their personal data cannot be corrected"
            )
        plain = {f: v for f, v in values.items() if v is not None}
        index = searchable_of(values)
        if index:  # the blind index follows the record (in the vault's transaction)
            sealed[ref] = dict(
                await vault.encrypt_indexed(ref, plain, record_office=records[ref], index=index)
            )
        else:
            sealed[ref] = dict(await vault.encrypt_many(ref, plain)) if plain else {}
    version = body.version + 1
    payload = _event(case, fixed, version)
    actor = Actor.user(principal.user_id, principal.role)
    async with db.unit_of_work() as uow:
        now = uow.clock()
        if not await store.correct_case(uow.session, case_id, body.version, now, **fixed.values):
            current = await store.get_case(uow.session, case_id)
            assert current is not None, "a case is never deleted"
            rules.check_correctable(current["status"], current["version"], body.version)
            raise domain.CaseChangedMeanwhileError(
                "the case changed meanwhile; reload it and send the correction again"
            )
        for person in fixed.changed:
            facts = person.model_dump(exclude={"person_ref"})
            await store.correct_person(uow.session, case_id, person.person_ref, **facts)
        if body.requested is not None:
            line_rows = [{**line.model_dump(), "case_id": case_id} for line in fixed.lines]
            await store.replace_lines(uow.session, case_id, line_rows)
        for ref, values in fixed.personal.items():
            removed = [f for f, v in values.items() if v is None]
            await store.replace_fields(uow.session, ref, sealed[ref], removed, office=records[ref])
        envelope = uow.emit(payload, actor=actor)
        await store.add_correction(
            uow.session,
            {
                "case_id": case_id,
                "version": version,
                "fields": fixed.field_names(),
                "actor_kind": actor.kind,
                "actor_id": actor.id,
                "actor_role": actor.role,
                "event_id": envelope.event_id,
                "at": now,
            },
        )
        await uow.commit()
