"""HTTP routes of the funding service: each parses a ``schemas`` body, guards, calls one use
case or query and returns its ``schemas`` model. No route opens a transaction."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query

from events.types import PersonRef
from services.funding.queries import listings, positions
from services.funding.schemas import (
    MAX_PAGE_SIZE,
    PERIOD,
    CommitmentDetail,
    CommitmentIn,
    CommitmentOutcomeOut,
    CommitmentPage,
    CommitmentStatus,
    ContributionIn,
    ContributionPage,
    ContributionReversalIn,
    DisbursementIn,
    DisbursementOut,
    FundIn,
    FundOut,
    LedgerFilter,
    PaymentPage,
    PaymentReversalIn,
    PersonFundingOut,
    ReversalOut,
)
from services.funding.usecases import casework, funds, reversing
from services.kit.definition import Runtime
from services.kit.identity import Principal
from services.kit.routes import get_runtime, require

Page = Annotated[int, Query(ge=1, le=1_000_000, description="1-based page number")]
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page")]
PeriodPath = Annotated[str, Path(pattern=PERIOD)]
PeriodQuery = Annotated[str | None, Query(pattern=PERIOD, description="Fund period")]
OfficeQuery = Annotated[str | None, Query(min_length=1, max_length=60)]
MemberQuery = Annotated[str | None, Query(pattern=r"^[A-Z]{2}$", description="e.g. CA")]


def ledger_filter(
    period: PeriodQuery = None,
    office: OfficeQuery = None,
    person_ref: PersonRef | None = None,
    case_id: uuid.UUID | None = None,
    page: Page = 1,
    page_size: PageSize = 50,
) -> LedgerFilter:
    """The filters and the page common to the commitment and payment listings."""
    return LedgerFilter(period, office, person_ref, case_id, page, page_size)


def router() -> APIRouter:
    r = APIRouter(tags=["funding"])

    @r.post("/api/funds", status_code=201, response_model=FundOut)
    async def create_fund(
        body: FundIn,
        principal: Principal = require("funds.manage"),
        rt: Runtime = Depends(get_runtime),
    ) -> FundOut:
        return await funds.create_fund(rt, principal, body)

    @r.get("/api/funds/{period}", response_model=FundOut)
    async def get_fund(
        period: str,
        principal: Principal = require("funds.read"),
        rt: Runtime = Depends(get_runtime),
    ) -> FundOut:
        return await positions.fund(rt, period)

    @r.post("/api/funds/{period}/pledges", status_code=201, response_model=FundOut)
    async def pledge(
        period: str,
        body: ContributionIn,
        principal: Principal = require("funds.manage"),
        rt: Runtime = Depends(get_runtime),
    ) -> FundOut:
        return await funds.record_contribution(rt, principal, "pledge", period, body)

    @r.post("/api/funds/{period}/receipts", status_code=201, response_model=FundOut)
    async def receipt(
        period: str,
        body: ContributionIn,
        principal: Principal = require("funds.manage"),
        rt: Runtime = Depends(get_runtime),
    ) -> FundOut:
        return await funds.record_contribution(rt, principal, "receipt", period, body)

    @r.post(
        "/api/cases/{case_id}/commitments",
        status_code=201,
        response_model=CommitmentOutcomeOut,
    )
    async def commit(
        case_id: uuid.UUID,
        body: CommitmentIn,
        principal: Principal = require("funding.commit"),
        rt: Runtime = Depends(get_runtime),
    ) -> CommitmentOutcomeOut:
        """Commit money for one person of an eligible case. A rejection is recorded and
        answered 409 with its binding limit as the problem type (`cap-exhausted`,
        `insufficient-fund-balance`) and the decision's figures."""
        return await casework.request_commitment(rt, principal, case_id, body)

    @r.post(
        "/api/commitments/{commitment_id}/disbursements",
        status_code=201,
        response_model=DisbursementOut,
    )
    async def disburse(
        commitment_id: uuid.UUID,
        body: DisbursementIn,
        principal: Principal = require("funding.disburse"),
        rt: Runtime = Depends(get_runtime),
    ) -> DisbursementOut:
        return await casework.disburse(rt, principal, commitment_id, body)

    @r.get("/api/people/{person_ref}/funding", response_model=PersonFundingOut)
    async def person_funding(
        person_ref: PersonRef,
        period: str | None = None,
        principal: Principal = require("funding.read"),
        rt: Runtime = Depends(get_runtime),
    ) -> PersonFundingOut:
        """The person's cap position per fund. A caseworker or supervisor sees it only when the
        person is in a case of one of their offices (403 otherwise, 404 for an unknown person)."""
        return await positions.person_funding(rt, principal, person_ref, period)

    for kind in ("pledge", "receipt"):
        _contribution_routes(r, kind)

    @r.get("/api/commitments", response_model=CommitmentPage)
    async def list_commitments(
        where: LedgerFilter = Depends(ledger_filter),
        status: CommitmentStatus | None = None,
        principal: Principal = require("funding.read"),
        rt: Runtime = Depends(get_runtime),
    ) -> CommitmentPage:
        """Commitments of your offices (every office for the auditor), newest first."""
        offices = listings.office_scope(principal, where.office)
        return await listings.commitments(rt, offices, where, status=status)

    @r.get("/api/commitments/{commitment_id}", response_model=CommitmentDetail)
    async def get_commitment(
        commitment_id: uuid.UUID,
        principal: Principal = require("funding.read"),
        rt: Runtime = Depends(get_runtime),
    ) -> CommitmentDetail:
        """A commitment with its lines (paid and remaining per line) and its payments."""
        return await listings.commitment_detail(rt, principal, commitment_id)

    @r.get("/api/payments", response_model=PaymentPage)
    async def list_payments(
        where: LedgerFilter = Depends(ledger_filter),
        commitment_id: uuid.UUID | None = None,
        principal: Principal = require("funding.read"),
        rt: Runtime = Depends(get_runtime),
    ) -> PaymentPage:
        """Payments (disbursements) of your offices, newest first, with their attribution to
        members; reversed ones marked with their reversal."""
        offices = listings.office_scope(principal, where.office)
        return await listings.payments(rt, offices, where, commitment_id=commitment_id)

    @r.post("/api/payments/{payment_id}/reversal", status_code=201, response_model=ReversalOut)
    async def reverse_payment(
        payment_id: uuid.UUID,
        body: PaymentReversalIn,
        principal: Principal = require("funding.disburse"),
        rt: Runtime = Depends(get_runtime),
    ) -> ReversalOut:
        """Reverse a payment (event `funding.disbursement_reversed`): once. Its amount goes back
        to its commitment line and each member's attributed part is taken back exactly."""
        return await reversing.reverse_disbursement(rt, principal, payment_id, body)

    return r


def _contribution_routes(r: APIRouter, kind: Literal["pledge", "receipt"]) -> None:
    """The listing and the reversal of a fund's pledges (or receipts)."""
    plural = f"{kind}s"
    refused = (
        " Refused (409, with the shortfall) if the fund would then have committed more than it"
        " received, or the member's received money would fall below what was attributed to it."
    )

    @r.get(
        f"/api/funds/{{period}}/{plural}",
        response_model=ContributionPage,
        description=f"The fund's {plural}, newest first; reversed ones marked with their reversal.",
    )
    async def list_contributions(
        period: PeriodPath,
        member: MemberQuery = None,
        page: Page = 1,
        page_size: PageSize = 50,
        principal: Principal = require("funds.read"),
        rt: Runtime = Depends(get_runtime),
    ) -> ContributionPage:
        return await listings.contributions(
            rt, kind, period, member=member, page=page, size=page_size
        )

    @r.post(
        f"/api/funds/{{period}}/{plural}/{{entry_id}}/reversal",
        status_code=201,
        response_model=ReversalOut,
        description=f"Reverse a mistaken {kind} (event `funding.contribution_reversed`), once."
        + (refused if kind == "receipt" else ""),
    )
    async def reverse_contribution(
        period: PeriodPath,
        entry_id: uuid.UUID,
        body: ContributionReversalIn,
        principal: Principal = require("funds.manage"),
        rt: Runtime = Depends(get_runtime),
    ) -> ReversalOut:
        return await reversing.reverse_contribution(rt, principal, kind, period, entry_id, body)
