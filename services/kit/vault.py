"""The vault port: what any service may ask of personal data, built by ``privacy/``.

Registration seals and opens people's fields through it; reintegration checks a person's
consent before a follow-up contact. Services code against this interface and find the vault
with ``rt.part(VAULT)``; privacy's ``on_start`` installs its implementation, and
``services/runtime/ports.py`` makes mypy check that privacy's vault satisfies it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from services.kit.parts import PartKey

SearchKind = Literal["name", "document"]


@dataclass(frozen=True)
class SearchMatch:
    """A record found through the blind index: whose (``person_ref``), which record
    (``record_office`` None: the owning office's; else the record that office entered itself)
    and the names of the fields that matched (never their values)."""

    person_ref: str
    record_office: str | None
    fields: tuple[str, ...]


class Vault(Protocol):
    """Envelope encryption under a key per person; every decryption is logged.

    ``decrypt_many`` answers ``None`` for a field whose person was erased (key destroyed).
    Consent decisions collected at registration are not recorded through the vault: they
    travel in ``return_registered`` and privacy records them when it applies the event, so
    they exist only for a committed case.
    """

    async def new_person(self, person_ref: str) -> None: ...

    async def discard_new_person(self, person_ref: str) -> bool:
        """Destroy the key ``new_person`` made, for a registration that did not commit;
        False (key kept) once privacy knows the person otherwise."""
        ...

    async def encrypt_many(
        self, person_ref: str, fields: Mapping[str, str]
    ) -> Mapping[str, bytes]: ...

    async def encrypt_people(
        self,
        people: Mapping[str, Mapping[str, str]],
        *,
        index: Mapping[str, SearchKind] | None = None,
        record_offices: Mapping[str, str | None] | None = None,
    ) -> Mapping[str, Mapping[str, bytes]]:
        """``encrypt_many`` for several people, their missing keys made in one transaction.
        With ``index`` (field -> kind), each person's blind index entries of those fields
        for their record (``record_offices[ref]``, None for the person's own record) become
        those of their fields, in that same transaction (as ``encrypt_indexed``)."""
        ...

    async def decrypt_many(
        self,
        person_ref: str,
        fields: Mapping[str, bytes],
        *,
        actor_id: str,
        role: str,
        purpose: str,
    ) -> Mapping[str, str | None]: ...

    async def decrypt_people(
        self,
        tokens: Mapping[str, Mapping[str, bytes]],
        *,
        actor_id: str,
        role: str,
        purpose: str,
        purposes: Mapping[str, str] | None = None,
    ) -> Mapping[str, Mapping[str, str | None]]:
        """``decrypt_many`` for several people: one transaction, one access-log row a person
        (its purpose ``purposes[ref]`` when given, else ``purpose``)."""
        ...

    async def is_erased(self, person_ref: str) -> bool: ...

    async def encrypt_indexed(
        self,
        person_ref: str,
        fields: Mapping[str, str],
        *,
        record_office: str | None,
        index: Mapping[str, SearchKind],
    ) -> Mapping[str, bytes]:
        """``encrypt_many``, and in the same transaction as the person's key the blind index
        entries of the fields named in ``index`` (field -> kind) for that record become those
        of ``fields`` (a field named in ``index`` but absent from ``fields`` loses its
        entries)."""
        ...

    async def find_people(self, text: str) -> Sequence[SearchMatch]:
        """The records whose blind index matches ``text`` (every name token typed, or the
        document number). Not logged: the caller logs what it shows (``log_search``).
        ``InvalidInputError`` naming ``q`` for an empty or too long text."""
        ...

    async def log_search(
        self, found: Mapping[str, Sequence[str]], *, actor_id: str, role: str
    ) -> None:
        """One access-log row per person shown by a search (the fields matched; never the
        text searched)."""
        ...

    async def has_consent(self, person_ref: str, purpose: str, partner: str | None = None) -> bool:
        """Whether the person's current decision for ``purpose`` (``assistance``,
        ``partner_sharing``, ``follow_up_contact``) is a grant; False once erased."""
        ...

    async def require_consent(
        self, person_ref: str, purpose: str, partner: str | None = None
    ) -> None:
        """``ForbiddenError`` (403, says which consent to record) unless ``has_consent``."""
        ...

    async def consents(self, person_ref: str) -> Sequence[Any]: ...

    async def access_log(self, person_ref: str) -> Sequence[Any]: ...


VAULT: PartKey[Vault] = PartKey("vault")
