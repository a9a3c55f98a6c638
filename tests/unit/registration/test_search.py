"""Which found record a case is found by: only the record the case shows."""

from __future__ import annotations

from services.registration.domain.offices import RecordChoice
from services.registration.domain.search import SEARCHABLE, found_through, searchable_of


def test_a_case_showing_the_owners_record_is_found_by_the_owners_record_only() -> None:
    owner = RecordChoice("owner", "GT-GUA", "own")
    assert found_through(owner, None)
    assert not found_through(owner, "MX-TAP")
    transferred = RecordChoice("owner", "GT-GUA", "transfer")
    assert found_through(transferred, None)


def test_a_case_showing_its_offices_own_record_is_found_by_that_record_only() -> None:
    own = RecordChoice("office", "MX-TAP", "own")
    assert found_through(own, "MX-TAP")
    assert not found_through(own, None)
    assert not found_through(own, "HN-SPS")


def test_a_withheld_record_is_never_found() -> None:
    withheld = RecordChoice("none", None, "withheld")
    assert not found_through(withheld, None)
    assert not found_through(withheld, "MX-TAP")


def test_names_and_the_document_number_are_searchable_nothing_else() -> None:
    assert set(SEARCHABLE) == {"given_names", "family_name", "travel_document_number"}
    assert searchable_of(["family_name", "phone", "date_of_birth"]) == {"family_name": "name"}
