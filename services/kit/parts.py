"""Typed keys for the parts a runtime holds (the vault, the authenticator, a signer).

A service that provides a part declares its key next to the interface
(``VAULT: PartKey[Vault] = PartKey("vault")``); users ask ``rt.part(VAULT)`` and get a
``Vault``, checked by mypy, instead of an ``Any`` out of a string-keyed dict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class PartKey(Generic[T]):
    name: str

    def __repr__(self) -> str:
        return f"PartKey({self.name!r})"


class MissingPartError(LookupError):
    """A part was asked for that nothing installed: a wiring mistake, not a user's."""
