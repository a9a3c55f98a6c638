"""Request bodies and response models of the users service's routes."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.api.domain import TokenInfo, User
from services.kit.identity import ROLES


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

    @classmethod
    def of(cls, user: User, tokens: tuple[TokenInfo, ...] = ()) -> UserOut:
        return cls(
            id=user.id,
            name=user.name,
            role=user.role,
            offices=list(user.offices),
            created_at=user.created_at,
            tokens=[
                TokenOut(id=t.id, created_at=t.created_at, revoked_at=t.revoked_at) for t in tokens
            ],
        )


class IssuedToken(BaseModel):
    user: UserOut
    token_id: uuid.UUID
    token: str = Field(description="Shown once; store it now. Only its hash is kept.")
