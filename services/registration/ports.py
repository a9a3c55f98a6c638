"""What the registration service needs from others, as interfaces (built by ``privacy/``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol


class Vault(Protocol):
    """Envelope encryption under a key per person; every decryption is logged.

    ``decrypt_many`` answers ``None`` for a field whose person was erased (key destroyed).
    Consent decisions collected at registration are not recorded through the vault: they
    travel in ``return_registered`` and privacy records them when it applies the event, so
    they exist only for a committed case. ``services/runtime/ports.py`` makes mypy check that
    privacy's vault satisfies this interface.
    """

    async def new_person(self, person_ref: str) -> None: ...

    async def discard_new_person(self, person_ref: str) -> bool:
        """Destroy the key ``new_person`` made, for a registration that did not commit;
        False (key kept) once privacy knows the person otherwise."""
        ...

    async def encrypt_many(
        self, person_ref: str, fields: Mapping[str, str]
    ) -> Mapping[str, bytes]: ...

    async def decrypt_many(
        self,
        person_ref: str,
        fields: Mapping[str, bytes],
        *,
        actor_id: str,
        role: str,
        purpose: str,
    ) -> Mapping[str, str | None]: ...

    async def is_erased(self, person_ref: str) -> bool: ...

    async def consents(self, person_ref: str) -> Sequence[Any]: ...

    async def access_log(self, person_ref: str) -> Sequence[Any]: ...
