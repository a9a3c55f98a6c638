"""HTTP routes of the registration service: routes only translate."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status

from events.registration import CaseStatus
from services.kit.auth import Principal, require
from services.kit.definition import Runtime
from services.kit.web import get_runtime
from services.registration import lifecycle, queries, registering
from services.registration.commands import RegisterCase, TransitionIn
from services.registration.ports import Vault
from services.registration.views import CaseDetail, CasePage, SubjectAccessReport, TransitionDone

TRANSITIONS_DOC = """Move a case to its next status: one route for every transition.

`to` names the target status; each accepted move is its own event
(`registration.case_screened`, `case_documents_ready`, `case_departed`, `case_arrived`,
`case_monitoring_started`, `case_closed`, `case_withdrawn`, `case_cancelled`) with actor and time.

- `eligible` / `ineligible`: the caseworker's screening decision; `reason_code` required.
  `eligible` is refused (409) while automatic checks fail; a return to a country other than
  the person's nationality needs `eligibility_exception_reason` (a code).
- `withdrawn` (the migrant's choice) and `cancelled` (the agency's decision): from any state
  before `departed`; `reason_code` required.
- `funding_approved` follows the funding service's decision and cannot be requested here.
- `reason_detail` is optional free text: personal data, stored only encrypted, never on events.

An illegal move answers 409 naming the current status and the allowed next ones.
"""


Rt = Annotated[Runtime, Depends(get_runtime)]


def _vault(rt: Runtime) -> Vault:
    vault: Vault = rt.parts["vault"]
    return vault


def router() -> APIRouter:
    api = APIRouter(prefix="/api", tags=["registration"])

    @api.post("/cases", status_code=status.HTTP_201_CREATED, response_model=CaseDetail)
    async def register_case(
        body: RegisterCase,
        rt: Rt,
        response: Response,
        principal: Principal = require("cases.create"),
    ) -> CaseDetail:
        """Register a return case (requested -> registered); personal data is encrypted."""
        case_id = await registering.register_case(rt, _vault(rt), body, principal)
        response.headers["Location"] = f"/api/cases/{case_id}"
        return await queries.get_case(rt, _vault(rt), case_id, principal)

    @api.get("/cases/{case_id}", response_model=CaseDetail)
    async def get_case(
        case_id: uuid.UUID, rt: Rt, principal: Principal = require("cases.read")
    ) -> CaseDetail:
        """A case; personal data only for roles allowed to see it, and every such read is logged."""
        return await queries.get_case(rt, _vault(rt), case_id, principal)

    @api.get("/cases", response_model=CasePage)
    async def list_cases(
        rt: Rt,
        status: CaseStatus | None = None,
        office: str | None = None,
        page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
        page_size: Annotated[int, Query(ge=1, le=200)] = 50,
        principal: Principal = require("cases.read"),
    ) -> CasePage:
        """Cases of the offices you work for, newest first; no personal data."""
        return await queries.list_cases(
            rt, principal, status=status, office=office, page=page, size=page_size
        )

    @api.post(
        "/cases/{case_id}/transitions", response_model=TransitionDone, description=TRANSITIONS_DOC
    )
    async def transition(
        case_id: uuid.UUID,
        body: TransitionIn,
        rt: Rt,
        principal: Principal = require("cases.transition"),
    ) -> TransitionDone:
        return await lifecycle.transition_case(rt, _vault(rt), case_id, body, principal)

    @api.get("/people/{person_ref}/data", response_model=SubjectAccessReport)
    async def subject_access(
        person_ref: Annotated[str, Path(pattern=r"^p_[0-9a-f]{32}$")],
        rt: Rt,
        principal: Principal = require("privacy.subject_access"),
    ) -> SubjectAccessReport:
        """Subject access: everything held about the person, readable, with consents and the
        access log. The read itself is logged."""
        return await queries.subject_access(rt, _vault(rt), person_ref, principal)

    return api
