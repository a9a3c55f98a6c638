"""HTTP routes of the registration service: routes only translate."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response, status

from events.registration import CaseStatus
from services.kit.definition import Runtime
from services.kit.identity import Principal
from services.kit.routes import get_runtime, require
from services.registration.queries import cases, search, transfers
from services.registration.schemas.cases import (
    CaseDetail,
    CasePage,
    SubjectAccessReport,
    TransitionDone,
)
from services.registration.schemas.correcting import CaseCorrectionIn
from services.registration.schemas.registering import RegisterCase, TransitionIn
from services.registration.schemas.search import CaseSearchIn, CaseSearchPage
from services.registration.schemas.transfers import (
    EmergencyReadIn,
    EmergencyReadPage,
    PersonRecord,
    TransferDecisionIn,
    TransferPage,
    TransferRequestIn,
    TransferView,
)
from services.registration.usecases import correcting, registering, transferring, transitioning

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

CORRECTION_DOC = """Correct a case's data while it is `registered`, before screening (event
`registration.case_corrected`, listed in the case's `history` with who and when).

Give `version` (the case's `version` as you read it) and only the fields to change:
`requester`, `fund_period`, `departure_country`, `destination_country`, `allow_partial`,
`requested` (replaces every line; `person` is a person_ref or 'all'), and in `people`, per
`person_ref`: `sex`, `nationality`, `date_of_birth`, `vulnerability_categories`,
`given_names`, `family_name`, `travel_document`, `contact` (these two replaced as a whole;
`null` removes them). People are neither added nor removed.

Every registration check applies to the corrected case as a whole (422 naming the fields);
ages are computed again at the registration date. Personal fields are sealed through the
vault under the person's key; the event carries only the names of the personal fields
corrected. Only the record the case's office holds is written: for a person whose record
belongs to another office, only this case's data of theirs (sex, nationality, categories).

409 when the case is no longer `registered` (screened: withdraw or cancel it and register
again) or changed since `version` (reload and retry). Nothing is stored on any refusal.
"""

SEARCH_DOC = """Find cases by a person's name or document number, in the offices you work for
(the scope of `GET /api/cases`), newest first.

A POST with the text in the body, not a GET with it in the URL: a name typed is personal
data, and URLs end up in proxy logs, browser history and `Referer` headers.

`q` is a name (every word typed must be a word of the person's given names or family name;
accents, case and extra spaces do not matter: `maria lopez` finds `María del Carmen López`)
or a document number (whole, separators ignored: `gt-123 456` finds `GT123456`). Whole words
only: no prefixes or partial numbers. A case is found only through the record it shows (a
person whose record another office holds is found there by what your office entered, or
after an approved transfer).

Matched through a keyed blind index (HMAC-SHA256 digests, no plaintext); the text is never
stored or logged. Each person shown gets an entry in their access log (purpose `search`).
`matched_people` names the person_refs of each case that matched. 422 (`q`) when the text has
no letter or digit, more than 8 words or more than 200 characters.
"""

Rt = Annotated[Runtime, Depends(get_runtime)]
PERSON_REF = r"^p_[0-9a-f]{32}$"
PersonRefPath = Annotated[str, Path(pattern=PERSON_REF)]


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
        case_id = await registering.register_case(rt, principal, body)
        response.headers["Location"] = f"/api/cases/{case_id}"
        sent = registering.new_people_fields(body)
        return await cases.get_case(rt, principal, case_id, sent=sent)

    @api.post("/search/cases", response_model=CaseSearchPage, description=SEARCH_DOC)
    async def search_cases(
        body: CaseSearchIn, rt: Rt, principal: Principal = require("cases.read_personal")
    ) -> CaseSearchPage:
        return await search.search_cases(
            rt,
            principal,
            body.q,
            status=body.status,
            office=body.office,
            page=body.page,
            size=body.page_size,
        )

    @api.get("/cases/{case_id}", response_model=CaseDetail)
    async def get_case(
        case_id: uuid.UUID, rt: Rt, principal: Principal = require("cases.read")
    ) -> CaseDetail:
        """A case; personal data only for roles allowed to see it, and every such read is logged."""
        return await cases.get_case(rt, principal, case_id)

    @api.patch("/cases/{case_id}", response_model=CaseDetail, description=CORRECTION_DOC)
    async def correct_case(
        case_id: uuid.UUID,
        body: CaseCorrectionIn,
        rt: Rt,
        principal: Principal = require("cases.create"),
    ) -> CaseDetail:
        await correcting.correct_case(rt, principal, case_id, body)
        return await cases.get_case(rt, principal, case_id)

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
        return await cases.list_cases(
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
        return await transitioning.transition_case(rt, principal, case_id, body)

    @api.get("/people/{person_ref}/data", response_model=SubjectAccessReport)
    async def subject_access(
        person_ref: PersonRefPath,
        rt: Rt,
        principal: Principal = require("privacy.subject_access"),
    ) -> SubjectAccessReport:
        """Subject access: everything held about the person, readable, with consents and the
        access log. The read itself is logged."""
        return await cases.subject_access(rt, principal, person_ref)

    @api.get("/people/{person_ref}/record", response_model=PersonRecord)
    async def person_record(
        person_ref: PersonRefPath, rt: Rt, principal: Principal = require("cases.read_personal")
    ) -> PersonRecord:
        """The record the person's owning office holds (the office of their first case): for
        that office's staff, for an office granted a transfer, and for the DPO. Logged."""
        return await transfers.read_record(rt, principal, person_ref)

    @api.post(
        "/people/{person_ref}/transfers",
        status_code=status.HTTP_201_CREATED,
        response_model=TransferView,
    )
    async def request_transfer(
        person_ref: PersonRefPath,
        body: TransferRequestIn,
        rt: Rt,
        response: Response,
        principal: Principal = require("transfers.request"),
    ) -> TransferView:
        """Ask, for one of your offices, to read the record the person's owning office holds
        (event `registration.record_transfer_requested`). Until a supervisor of the owning
        office or the DPO approves, your cases show the person's reference and
        non-identifying facts only."""
        made = await transferring.request_transfer(rt, principal, person_ref, body)
        response.headers["Location"] = f"/api/transfers/{made.transfer_id}"
        return made

    @api.get("/transfers", response_model=TransferPage)
    async def list_transfers(
        rt: Rt,
        status: Literal["requested", "approved", "refused"] | None = None,
        person_ref: Annotated[str | None, Query(pattern=PERSON_REF)] = None,
        principal: Principal = require("transfers.read"),
    ) -> TransferPage:
        """Transfers from or to your offices (every office for the DPO), newest first."""
        return await transfers.list_transfers(rt, principal, status=status, person_ref=person_ref)

    @api.get("/transfers/{transfer_id}", response_model=TransferView)
    async def get_transfer(
        transfer_id: uuid.UUID, rt: Rt, principal: Principal = require("transfers.read")
    ) -> TransferView:
        """One transfer, for staff of its two offices and the DPO."""
        return await transfers.get_transfer(rt, principal, transfer_id)

    @api.post("/transfers/{transfer_id}/decision", response_model=TransferView)
    async def decide_transfer(
        transfer_id: uuid.UUID,
        body: TransferDecisionIn,
        rt: Rt,
        principal: Principal = require("transfers.decide"),
    ) -> TransferView:
        """Approve or refuse, with a reason code: a supervisor of the owning office or the DPO
        (events `registration.record_transfer_approved` / `_refused`). A decision is final."""
        return await transferring.decide_transfer(rt, principal, transfer_id, body)

    @api.post("/people/{person_ref}/emergency-read", response_model=PersonRecord)
    async def emergency_read(
        person_ref: PersonRefPath,
        body: EmergencyReadIn,
        rt: Rt,
        principal: Principal = require("cases.break_glass"),
    ) -> PersonRecord:
        """Break the glass: read the owning office's record now, without a transfer, with a
        mandatory reason code. Recorded (event `registration.record_emergency_read`), in the
        person's access log, and listed for the DPO (`GET /api/emergency-reads`). 409 when
        your office may read the record anyway."""
        return await transferring.break_the_glass(rt, principal, person_ref, body)

    @api.get("/emergency-reads", response_model=EmergencyReadPage)
    async def list_emergency_reads(
        rt: Rt,
        person_ref: Annotated[str | None, Query(pattern=PERSON_REF)] = None,
        principal: Principal = require("privacy.emergency_reads"),
    ) -> EmergencyReadPage:
        """Every break-the-glass read, newest first: for the DPO's review."""
        return await transfers.emergency_reads(rt, person_ref)

    return api
