"""Search by name or document number: which fields are in the blind index, and which found
record a case may be found by.

The index itself (keyed digests, no plaintext) is privacy's (``privacy.domain.search``); a
case is found only through the record it shows, so a search never links a name to a case
whose office may not read that name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from services.registration.domain.offices import RecordChoice

SEARCHABLE: Mapping[str, Literal["name", "document"]] = {
    "given_names": "name",
    "family_name": "name",
    "travel_document_number": "document",
}
"""The fields of a record in the blind index, and how each is matched."""


def searchable_of(fields: Iterable[str]) -> dict[str, Literal["name", "document"]]:
    """The searchable fields among ``fields`` (those whose index entries a write replaces)."""
    return {f: SEARCHABLE[f] for f in fields if f in SEARCHABLE}


def found_through(choice: RecordChoice, record_office: str | None) -> bool:
    """Whether a case showing ``choice`` is found by a match in the record ``record_office``
    (None: the owning office's record): only when it is the record the case shows."""
    if choice.kind == "owner":
        return record_office is None
    if choice.kind == "office":
        return record_office == choice.office
    return False
