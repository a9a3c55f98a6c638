"""Users and their tokens (ids and times, never the tokens themselves)."""

from __future__ import annotations

import uuid

from services.api import store
from services.api.domain import TokenInfo, UserListing
from services.api.schemas import Me
from services.kit.definition import Runtime
from services.kit.identity import PERMISSIONS, Principal


async def list_users(rt: Runtime) -> list[UserListing]:
    async with rt.db("api").reading() as session:
        users = await store.all_users(session)
        tokens = await store.all_tokens(session)
    by_user: dict[uuid.UUID, list[TokenInfo]] = {}
    for user_id, info in tokens:
        by_user.setdefault(user_id, []).append(info)
    return [UserListing(user, tuple(by_user.get(user.id, ()))) for user in users]


def whoami(principal: Principal) -> Me:
    """The caller's identity and the actions their role permits."""
    return Me(
        user_id=principal.user_id,
        role=principal.role,
        offices=sorted(principal.offices),
        actions=sorted(PERMISSIONS.get(principal.role, ())),
    )
