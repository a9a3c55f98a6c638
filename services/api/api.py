"""HTTP routes of the users service: who am I, and user and token administration."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Response

from services.api import usecases
from services.api.queries import users
from services.api.schemas import IssuedToken, Me, NewUser, UserOut
from services.kit.definition import Runtime
from services.kit.identity import Principal
from services.kit.routes import get_runtime, require


def router() -> APIRouter:
    r = APIRouter(prefix="/api", tags=["users"])

    @r.get("/me", summary="The caller's identity and permitted actions", response_model=Me)
    async def me(principal: Principal = require("me.read")) -> Me:
        return users.whoami(principal)

    @r.get(
        "/users",
        summary="Users and their tokens (never the tokens themselves)",
        response_model=list[UserOut],
    )
    async def list_users(
        _: Principal = require("users.manage"), rt: Runtime = Depends(get_runtime)
    ) -> list[UserOut]:
        return [UserOut.of(item.user, item.tokens) for item in await users.list_users(rt)]

    @r.post(
        "/users",
        status_code=201,
        summary="Add a user; the response holds its token once",
        response_model=IssuedToken,
    )
    async def add_user(
        body: NewUser, _: Principal = require("users.manage"), rt: Runtime = Depends(get_runtime)
    ) -> IssuedToken:
        user, info, token = await usecases.add_user_with_token(
            rt, body.name, body.role, body.offices
        )
        return IssuedToken(user=UserOut.of(user, (info,)), token_id=info.id, token=token)

    @r.delete("/tokens/{token_id}", status_code=204, summary="Revoke a token")
    async def revoke(
        token_id: uuid.UUID,
        _: Principal = require("users.manage"),
        rt: Runtime = Depends(get_runtime),
    ) -> Response:
        await usecases.revoke_token(rt, token_id)
        return Response(status_code=204)

    return r
