"""HTTP routes of privacy: erasure on request, legal holds, consent, the retention job."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, status

from privacy.schemas import (
    ConsentRequest,
    ConsentResponse,
    Erasure,
    ErasureIn,
    LegalHold,
    LegalHoldRequest,
    RetentionReport,
)
from privacy.usecases import consent, erasure, holds, retention
from services.kit.definition import Runtime
from services.kit.identity import Principal
from services.kit.routes import get_runtime, require

PersonRefPath = Annotated[str, Path(pattern=r"^p_[0-9a-f]{32}$")]


def router() -> APIRouter:
    api = APIRouter(prefix="/api", tags=["privacy"])

    @api.post("/people/{person_ref}/erasure", response_model=Erasure)
    async def erase(
        person_ref: PersonRefPath,
        body: ErasureIn | None = None,
        principal: Principal = require("privacy.erase"),
        rt: Runtime = Depends(get_runtime),
    ) -> Erasure:
        """Crypto-shred the person's data now. Refused (409 person-in-open-case) while one of
        their cases is open, unless ``override_reason`` gives a code for it."""
        reason = body.override_reason if body is not None else None
        return await erasure.erase_on_request(rt, person_ref, principal, reason)

    @api.post(
        "/people/{person_ref}/legal-holds",
        status_code=status.HTTP_201_CREATED,
        response_model=LegalHold,
    )
    async def place_hold(
        person_ref: PersonRefPath,
        body: LegalHoldRequest,
        principal: Principal = require("privacy.legal_hold"),
        rt: Runtime = Depends(get_runtime),
    ) -> LegalHold:
        return await holds.place_legal_hold(rt, person_ref, body.reason, principal)

    @api.delete("/people/{person_ref}/legal-holds/{hold_id}", response_model=LegalHold)
    async def lift_hold(
        person_ref: PersonRefPath,
        hold_id: uuid.UUID,
        principal: Principal = require("privacy.legal_hold"),
        rt: Runtime = Depends(get_runtime),
    ) -> LegalHold:
        return await holds.lift_legal_hold(rt, person_ref, hold_id, principal)

    @api.post(
        "/people/{person_ref}/consents",
        status_code=status.HTTP_201_CREATED,
        response_model=ConsentResponse,
    )
    async def record_consent(
        person_ref: PersonRefPath,
        body: ConsentRequest,
        principal: Principal = require("privacy.consent"),
        rt: Runtime = Depends(get_runtime),
    ) -> ConsentResponse:
        """Record a consent decision: 404 for an unknown person; a caseworker or supervisor
        only for a person in a case of one of their offices (403 otherwise)."""
        return await consent.record_consent(
            rt, principal, person_ref, body.purpose, body.granted, body.partner
        )

    @api.post("/retention/run", response_model=RetentionReport)
    async def retention_run(
        principal: Principal = require("privacy.retention"),
        rt: Runtime = Depends(get_runtime),
    ) -> RetentionReport:
        return await retention.run_retention(rt)

    return api
