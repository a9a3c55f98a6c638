"""Offices and records: the owning office of a person, which record a case shows, and
the rules of transfers between offices."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from services.kit.errors import ForbiddenError
from services.kit.identity import Principal
from services.registration.domain.errors import (
    TransferAlreadyApprovedError,
    TransferAlreadyDecidedError,
    TransferNotNeededError,
    TransferPendingError,
)

RecordAccess = Literal["own", "transfer", "withheld", "break_glass"]


@dataclass(frozen=True)
class RecordChoice:
    """Which record of a person a case of ``case_office`` shows.

    ``kind`` ``owner``: the record collected by the owning office; ``office``: the record the
    case's office entered itself; ``none``: withheld (reference and non-identifying facts only).
    """

    kind: Literal["owner", "office", "none"]
    office: str | None
    access: RecordAccess


def owning_office(case_offices: Sequence[str]) -> str:
    """The owning office of a person is the office of their first case (oldest first): the
    office that collected their record. It never changes; other offices read that record only
    through an approved transfer."""
    if not case_offices:
        raise ValueError("a person without a case has no owning office")
    return case_offices[0]


def record_for(
    case_office: str, owner: str, own_records: Iterable[str], granted: Iterable[str]
) -> RecordChoice:
    """The record a case shows: the case office's own record if it entered one, else the
    owning office's record if the case office is the owner or was granted a transfer, else
    none."""
    if case_office in set(own_records):
        return RecordChoice("office", case_office, "own")
    if case_office == owner:
        return RecordChoice("owner", owner, "own")
    if case_office in set(granted):
        return RecordChoice("owner", owner, "transfer")
    return RecordChoice("none", None, "withheld")


@dataclass(frozen=True)
class RecordHolders:
    """Who holds a record of a person: the owning office (the office of their first case),
    the offices that entered their own record, and those granted a transfer."""

    owner: str
    own_records: frozenset[str]
    granted: frozenset[str]

    def record_for(self, case_office: str) -> RecordChoice:
        return record_for(case_office, self.owner, self.own_records, self.granted)


def may_read_owner_record(offices: Iterable[str], owner: str, granted: Iterable[str]) -> bool:
    """Whether staff of ``offices`` may read the owning office's record."""
    mine = set(offices)
    return owner in mine or bool(mine & set(granted))


TRANSFER_STATUSES = ("requested", "approved", "refused")


@dataclass(frozen=True)
class TransferState:
    transfer_id: str
    to_office: str
    status: str


def check_transfer_request(
    person_ref: str, owner: str, to_office: str, earlier: Sequence[TransferState]
) -> None:
    """An office may ask for the owner's record once at a time: not its own record, not while
    a request is pending or after one was approved (a refused one may be asked again)."""
    if to_office == owner:
        raise TransferNotNeededError(
            f"office {to_office!r} is the owning office of person {person_ref} and already "
            "holds their record; no transfer is needed",
            owning_office=owner,
        )
    for t in earlier:
        if t.to_office == to_office and t.status in ("requested", "approved"):
            pending = t.status == "requested"
            what = "is waiting for a decision" if pending else "was approved"
            error = TransferPendingError if pending else TransferAlreadyApprovedError
            raise error(
                f"a transfer of person {person_ref}'s record to {to_office!r} {what} "
                f"(transfer {t.transfer_id})",
                transfer_id=t.transfer_id,
                transfer_status=t.status,
            )


def check_transfer_party(principal: Principal, transfer: Mapping[Any, Any]) -> None:
    """A transfer is visible to staff of its two offices (and the DPO)."""
    offices = {transfer["from_office"], transfer["to_office"]}
    if not any(principal.can_see_office(o) for o in offices):
        raise ForbiddenError(
            f"transfer {transfer['transfer_id']} is between offices "
            f"{', '.join(sorted(offices))}, none of which is one of your offices"
        )


def check_transfer_decision(transfer_id: str, status: str) -> None:
    if status != "requested":
        raise TransferAlreadyDecidedError(
            f"transfer {transfer_id} was already {status}; a decision is final "
            "(the requesting office may ask again after a refusal)",
            transfer_status=status,
        )
