"""HTTP routes of the API service: who am I, and user and token administration."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from services.api import users
from services.kit.definition import Runtime
from services.kit.identity import PERMISSIONS, ROLES, Principal
from services.kit.routes import get_runtime, require


class Me(BaseModel):
    user_id: str
    role: str
    offices: list[str]
    actions: list[str]


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, examples=["ana.caseworker"])
    role: str = Field(description=f"One of: {', '.join(ROLES)}", examples=["caseworker"])
    offices: list[str] = Field(default_factory=list, max_length=50, examples=[["GT-01"]])


class TokenOut(BaseModel):
    id: uuid.UUID
    created_at: datetime
    revoked_at: datetime | None


class UserOut(BaseModel):
    id: uuid.UUID
    name: str
    role: str
    offices: list[str]
    created_at: datetime
    tokens: list[TokenOut] = []


class IssuedToken(BaseModel):
    user: UserOut
    token_id: uuid.UUID
    token: str = Field(description="Shown once; store it now. Only its hash is kept.")


def _user_out(user: users.User, tokens: tuple[users.TokenInfo, ...] = ()) -> UserOut:
    return UserOut(
        id=user.id,
        name=user.name,
        role=user.role,
        offices=list(user.offices),
        created_at=user.created_at,
        tokens=[
            TokenOut(id=t.id, created_at=t.created_at, revoked_at=t.revoked_at) for t in tokens
        ],
    )


def router() -> APIRouter:
    r = APIRouter(prefix="/api", tags=["users"])

    @r.get("/me", summary="The caller's identity and permitted actions")
    async def me(principal: Principal = require("me.read")) -> Me:
        return Me(
            user_id=principal.user_id,
            role=principal.role,
            offices=sorted(principal.offices),
            actions=sorted(PERMISSIONS.get(principal.role, ())),
        )

    @r.get("/users", summary="Users and their tokens (never the tokens themselves)")
    async def list_users(
        _: Principal = require("users.manage"), rt: Runtime = Depends(get_runtime)
    ) -> list[UserOut]:
        return [_user_out(item.user, item.tokens) for item in await users.list_users(rt)]

    @r.post("/users", status_code=201, summary="Add a user; the response holds its token once")
    async def add_user(
        body: NewUser, _: Principal = require("users.manage"), rt: Runtime = Depends(get_runtime)
    ) -> IssuedToken:
        user, info, token = await users.add_user_with_token(rt, body.name, body.role, body.offices)
        return IssuedToken(user=_user_out(user, (info,)), token_id=info.id, token=token)

    @r.delete("/tokens/{token_id}", status_code=204, summary="Revoke a token")
    async def revoke(
        token_id: uuid.UUID,
        _: Principal = require("users.manage"),
        rt: Runtime = Depends(get_runtime),
    ) -> Response:
        await users.revoke_token(rt, token_id)
        return Response(status_code=204)

    return r
