"""Authentication and the permission table (role x action), enforced on every route.

INTERFACE (stable): routes declare ``principal: Principal = Depends(require("action"))``.
The full implementation (tokens, OIDC) is built by the API issue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import Depends, Request


@dataclass(frozen=True)
class Principal:
    user_id: str
    role: str
    offices: frozenset[str] = field(default_factory=frozenset)

    def can_see_office(self, office: str) -> bool:
        """Caseworkers and supervisors are scoped to their offices; other roles are not."""
        if self.role in ("caseworker", "supervisor"):
            return office in self.offices
        return True


def require(action: str) -> Callable[..., Principal]:
    async def dependency(request: Request) -> Principal:  # placeholder until the API issue lands
        raise NotImplementedError

    return Depends(dependency)
