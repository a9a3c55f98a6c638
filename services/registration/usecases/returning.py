"""Part of registering: a person who returned before, their earlier record checked and
reused."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from events.registration import PersonFacts
from events.types import Sex
from services.kit.definition import Runtime
from services.kit.errors import InvalidInputError
from services.kit.identity import Principal
from services.kit.vault import Vault
from services.registration import domain, store
from services.registration.schemas.registering import KnownPersonIn
from services.registration.store import SERVICE


@dataclass(frozen=True)
class Earlier:
    """What registration already holds about a returning person, for a case of one office.

    ``record`` says which record of the person the new case's office may show; with
    ``kind == "none"`` it shows the reference and non-identifying facts only.
    """

    sex: Sex
    nationality: str
    date_of_birth: date
    owner: str
    record: domain.RecordChoice


def returning_facts(ref: str, person: KnownPersonIn, earlier: Earlier, on: date) -> PersonFacts:
    return domain.person_facts(
        ref,
        sex=earlier.sex,
        nationality=earlier.nationality,
        date_of_birth=earlier.date_of_birth,
        categories=person.vulnerability_categories,
        on=on,
    )


def _check_not_in_open_case(ref: str, rows: Sequence[RowMapping]) -> None:
    open_cases = [r for r in rows if domain.is_open(r["status"])]
    if open_cases:
        case = open_cases[-1]
        raise domain.PersonInOpenCaseError(
            f"person {ref} is already in open case {case['case_id']} (status "
            f"'{case['status']}'); close, withdraw or cancel that case before registering "
            "them in a new one",
            person_ref=ref,
            open_case_id=str(case["case_id"]),
            open_case_status=case["status"],
        )


def _erased(ref: str) -> domain.PersonErasedError:
    return domain.PersonErasedError(
        f"person {ref} was erased: their personal data no longer exists; register "
        "them as a new person with their personal data",
        person_ref=ref,
    )


async def earlier_records(
    rt: Runtime, vault: Vault, known: Sequence[KnownPersonIn], principal: Principal, office: str
) -> dict[str, Earlier]:
    """Check each returning person may be registered in a case of ``office``, and find the
    record of theirs that office may use.

    Their age comes from the date of birth this office gave (``personal``), else from the
    record the office may read, else (another office's record, no transfer) from the owning
    office's record for the age only: the read is logged, nothing of it is copied or shown.
    """
    found: dict[str, tuple[RowMapping, domain.RecordChoice, str, bytes | None]] = {}
    async with rt.db(SERVICE).reading() as session:
        for person in known:
            ref = person.person_ref
            rows = await store.person_cases(session, ref)
            if not rows:
                raise domain.PersonNotFoundError(
                    f"no person {ref} was registered before; register them as a new person "
                    "with their personal data",
                    person_ref=ref,
                )
            if any(r["erased_at"] is not None for r in rows):
                raise _erased(ref)
            _check_not_in_open_case(ref, rows)
            holders = await store.holders(session, ref)
            assert holders is not None, f"{ref} is in a case"
            owner = holders.owner
            choice = holders.record_for(office)
            if person.personal is not None and office == owner:
                raise InvalidInputError(
                    f"office {office!r} is the owning office of person {ref} and holds their "
                    "record; leave out 'personal' (correcting a record is not done here)",
                    errors=[{"field": "personal", "problem": "only for another office"}],
                )
            if choice.kind == "office":
                sealed = await store.office_ciphertexts(session, ref, office)
            else:  # the owning office's record, if only for the age
                sealed = await store.ciphertexts(session, ref)
            found[ref] = (rows[-1], choice, owner, sealed.get("date_of_birth"))
    earlier: dict[str, Earlier] = {}
    for person in known:
        ref = person.person_ref
        row, choice, owner, token = found[ref]
        if await vault.is_erased(ref):
            raise _erased(ref)
        if person.personal is not None:
            born = person.personal.date_of_birth
        else:
            if token is None:
                raise _erased(ref)
            purpose = (
                "registration_returning_person"
                if choice.kind != "none"
                else "registration_returning_person_age_only"
            )
            opened = await vault.decrypt_many(
                ref,
                {"date_of_birth": token},
                actor_id=principal.user_id,
                role=principal.role,
                purpose=purpose,
            )
            text = opened.get("date_of_birth")
            if text is None:
                raise _erased(ref)
            born = date.fromisoformat(text)
        if person.personal is not None:
            choice = domain.RecordChoice("office", office, "own")
        earlier[ref] = Earlier(row["sex"], row["nationality"], born, owner, choice)
    return earlier


async def check_assistance_consent(vault: Vault, person: KnownPersonIn) -> None:
    """Return is voluntary: the person's latest decision on 'assistance' must be a grant.

    No decision at all in privacy means privacy has not applied the person's registration yet
    (its consumer lags, e.g. after a crash): that registration carried a grant (every new
    person's does), and a withdrawal cannot have been recorded before it (privacy records one
    only for a person it knows, and orders it after the registration's grant), so the grant
    counts."""
    if any(c.purpose == "assistance" for c in person.consents):
        return  # the request carries it (a refusal is already a 422)
    decisions = [c for c in await vault.consents(person.person_ref) if c.purpose == "assistance"]
    if decisions and not decisions[-1].granted:
        raise domain.AssistanceConsentWithdrawnError(
            f"return is voluntary: person {person.person_ref} withdrew their consent to "
            '\'assistance\'; include {"purpose": "assistance", "granted": true} in their '
            "consents once they grant it again",
            person_ref=person.person_ref,
        )


async def recheck_known(session: AsyncSession, refs: Sequence[str]) -> None:
    """Under the write transaction: no returning person joined an open case meanwhile."""
    for ref in refs:
        await store.person_cases(session, ref, lock=True)
        rows = await store.person_cases(session, ref)  # a new statement sees recent commits
        if any(r["erased_at"] is not None for r in rows):
            raise domain.PersonErasedError(
                f"person {ref} was erased meanwhile; nothing was registered"
            )
        _check_not_in_open_case(ref, rows)
