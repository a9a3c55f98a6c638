"""HTTP routes of privacy: erasure on request, legal holds, consent, the retention job."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, status
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from events.privacy import Purpose
from privacy.erasure import erase_on_request
from privacy.holds import lift_legal_hold, place_legal_hold
from privacy.retention import run_retention
from privacy.scope import ensure_person_in_scope
from privacy.wiring import vault_of
from services.kit.definition import Runtime
from services.kit.identity import Principal
from services.kit.routes import get_runtime, require

PersonRefPath = Annotated[str, Path(pattern=r"^p_[0-9a-f]{32}$")]


class LegalHoldRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000, description="Stored encrypted")


class ConsentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purpose: Purpose
    granted: StrictBool = Field(description="true or false; no 0/1 or strings")
    partner: str | None = Field(default=None, max_length=120)


class ConsentResponse(BaseModel):
    person_ref: str
    purpose: str
    partner: str | None
    granted: bool
    recorded_by: str
    recorded_at: datetime


class ErasureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    override_reason: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,59}$")] | None = Field(
        default=None,
        description="Code for erasing a person whose case is still open "
        "(e.g. data_subject_objection); recorded in the erasure event",
    )


def router() -> APIRouter:
    api = APIRouter(prefix="/api", tags=["privacy"])

    @api.post("/people/{person_ref}/erasure")
    async def erase(
        person_ref: PersonRefPath,
        body: ErasureIn | None = None,
        principal: Principal = require("privacy.erase"),
        rt: Runtime = Depends(get_runtime),
    ) -> dict[str, Any]:
        """Crypto-shred the person's data now. Refused (409 person-in-open-case) while one of
        their cases is open, unless ``override_reason`` gives a code for it."""
        reason = body.override_reason if body is not None else None
        return asdict(await erase_on_request(rt, person_ref, principal, reason))

    @api.post("/people/{person_ref}/legal-holds", status_code=status.HTTP_201_CREATED)
    async def place_hold(
        person_ref: PersonRefPath,
        body: LegalHoldRequest,
        principal: Principal = require("privacy.legal_hold"),
        rt: Runtime = Depends(get_runtime),
    ) -> dict[str, Any]:
        return asdict(await place_legal_hold(rt, person_ref, body.reason, principal))

    @api.delete("/people/{person_ref}/legal-holds/{hold_id}")
    async def lift_hold(
        person_ref: PersonRefPath,
        hold_id: uuid.UUID,
        principal: Principal = require("privacy.legal_hold"),
        rt: Runtime = Depends(get_runtime),
    ) -> dict[str, Any]:
        return asdict(await lift_legal_hold(rt, person_ref, hold_id, principal))

    @api.post("/people/{person_ref}/consents", status_code=status.HTTP_201_CREATED)
    async def record_consent(
        person_ref: PersonRefPath,
        body: ConsentRequest,
        principal: Principal = require("privacy.consent"),
        rt: Runtime = Depends(get_runtime),
    ) -> ConsentResponse:
        """Record a consent decision: 404 for an unknown person; a caseworker or supervisor
        only for a person in a case of one of their offices (403 otherwise)."""
        await ensure_person_in_scope(rt, person_ref, principal)
        record = await vault_of(rt).record_consent(
            person_ref,
            body.purpose,
            body.granted,
            recorded_by=principal.user_id,
            partner=body.partner,
            role=principal.role,
        )
        return ConsentResponse(person_ref=person_ref, **asdict(record))

    @api.post("/retention/run")
    async def retention_run(
        principal: Principal = require("privacy.retention"),
        rt: Runtime = Depends(get_runtime),
    ) -> dict[str, Any]:
        return asdict(await run_retention(rt))

    return api
