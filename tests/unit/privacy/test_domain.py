from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from privacy.domain import (
    HoldState,
    add_years,
    check_field,
    check_person_ref,
    consent_target,
    due_for_erasure,
    person_closed_on,
)
from services.kit.errors import InvalidInputError

PLACED = datetime(2030, 1, 1, tzinfo=UTC)


def test_data_is_due_on_the_anniversary_of_closure() -> None:
    closed = date(2030, 6, 30)

    assert not due_for_erasure(closed, 5, [], date(2035, 6, 29))
    assert due_for_erasure(closed, 5, [], date(2035, 6, 30))


def test_nothing_is_due_without_a_closure() -> None:
    assert not due_for_erasure(None, 0, [], date(2099, 1, 1))


def test_an_active_legal_hold_blocks_erasure() -> None:
    holds = [HoldState(PLACED)]

    assert not due_for_erasure(date(2000, 1, 1), 5, holds, date(2030, 1, 1))


def test_a_lifted_legal_hold_no_longer_blocks_erasure() -> None:
    holds = [HoldState(PLACED, lifted_at=PLACED)]

    assert due_for_erasure(date(2000, 1, 1), 5, holds, date(2030, 1, 1))


def test_zero_years_means_due_on_the_closure_day() -> None:
    assert due_for_erasure(date(2030, 1, 1), 0, [], date(2030, 1, 1))


def test_29_february_plus_a_year_is_28_february() -> None:
    assert add_years(date(2028, 2, 29), 1) == date(2029, 2, 28)
    assert add_years(date(2028, 2, 29), -1) == date(2027, 2, 28)


def test_a_person_is_closed_when_all_their_cases_ended() -> None:
    assert person_closed_on([date(2030, 1, 1), date(2031, 5, 1)]) == date(2031, 5, 1)
    assert person_closed_on([date(2030, 1, 1), None]) is None
    assert person_closed_on([]) is None


def test_partner_sharing_consent_names_the_partner() -> None:
    assert consent_target("partner_sharing", " Cruz Roja ") == ("partner_sharing", "Cruz Roja")
    with pytest.raises(InvalidInputError, match="names the partner"):
        consent_target("partner_sharing", None)


def test_other_consents_have_no_partner() -> None:
    assert consent_target("follow_up_contact", None) == ("follow_up_contact", None)
    with pytest.raises(InvalidInputError, match="omit partner"):
        consent_target("assistance", "Someone")


def test_unknown_purpose_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="unknown consent purpose"):
        consent_target("marketing", None)


def test_person_refs_and_field_names_are_checked() -> None:
    assert check_field("contact.phone") == "contact.phone"
    with pytest.raises(InvalidInputError):
        check_field("Name With Spaces")
    with pytest.raises(InvalidInputError):
        check_person_ref("Ana Maria")
