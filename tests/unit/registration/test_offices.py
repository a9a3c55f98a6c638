"""Whose record of a person a case shows, and the rules of transfers between offices."""

from __future__ import annotations

import pytest

from services.kit.errors import ConflictError
from services.registration.domain import (
    RecordChoice,
    TransferState,
    check_transfer_decision,
    check_transfer_request,
    may_read_owner_record,
    owning_office,
    record_for,
)

REF = "p_" + "a" * 32


def test_the_owning_office_is_the_office_of_the_first_case() -> None:
    assert owning_office(["GT-GUA", "MX-TAP", "MX-TAP"]) == "GT-GUA"
    with pytest.raises(ValueError):
        owning_office([])


@pytest.mark.parametrize(
    ("case_office", "own", "granted", "expected"),
    [
        ("GT-GUA", set(), set(), RecordChoice("owner", "GT-GUA", "own")),
        ("MX-TAP", set(), set(), RecordChoice("none", None, "withheld")),
        ("MX-TAP", set(), {"MX-TAP"}, RecordChoice("owner", "GT-GUA", "transfer")),
        ("MX-TAP", {"MX-TAP"}, {"MX-TAP"}, RecordChoice("office", "MX-TAP", "own")),
        ("MX-TAP", {"CR-SJO"}, {"CR-SJO"}, RecordChoice("none", None, "withheld")),
    ],
)
def test_a_case_shows_its_offices_record_the_owners_after_a_transfer_or_none(
    case_office: str, own: set[str], granted: set[str], expected: RecordChoice
) -> None:
    assert record_for(case_office, "GT-GUA", own, granted) == expected


def test_the_owners_record_is_readable_by_the_owner_and_granted_offices_only() -> None:
    assert may_read_owner_record({"GT-GUA"}, "GT-GUA", set())
    assert may_read_owner_record({"MX-TAP", "CR-SJO"}, "GT-GUA", {"CR-SJO"})
    assert not may_read_owner_record({"MX-TAP"}, "GT-GUA", {"CR-SJO"})
    assert not may_read_owner_record(set(), "GT-GUA", set())


def test_a_transfer_is_asked_once_at_a_time_and_never_by_the_owner() -> None:
    with pytest.raises(ConflictError, match="owning office"):
        check_transfer_request(REF, "GT-GUA", "GT-GUA", [])
    for status in ("requested", "approved"):
        with pytest.raises(ConflictError, match="t1"):
            check_transfer_request(REF, "GT-GUA", "MX-TAP", [TransferState("t1", "MX-TAP", status)])
    check_transfer_request(REF, "GT-GUA", "MX-TAP", [TransferState("t1", "MX-TAP", "refused")])
    check_transfer_request(REF, "GT-GUA", "MX-TAP", [TransferState("t2", "CR-SJO", "approved")])


def test_a_transfer_decision_is_final() -> None:
    check_transfer_decision("t1", "requested")
    for status in ("approved", "refused"):
        with pytest.raises(ConflictError, match=status):
            check_transfer_decision("t1", status)
