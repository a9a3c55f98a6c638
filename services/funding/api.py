"""HTTP routes of the funding service: each parses, calls one use case, commits."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from events.envelope import Actor
from events.funding import ContributionReversalReason, PaymentReversalReason
from events.types import Category, CurrencyCode, DecimalAmount, PersonRef
from services.funding.domain import Line, check_entry_date
from services.funding.domain.money import contribution_scale, parse_cents, parse_country
from services.funding.queries import listings, positions
from services.funding.usecases import casework, funds, reversing
from services.kit.definition import Runtime
from services.kit.errors import ConflictError, InvalidInputError, NotFoundError
from services.kit.identity import OFFICE_SCOPED_ROLES, Principal, ensure_some_office
from services.kit.routes import get_runtime, require

PERIOD = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,19}$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ShareIn(_In):
    member: str
    share_percent: Decimal = Field(description="Exact percentage, e.g. '25' or '12.5'")


class FundIn(_In):
    period: str = Field(pattern=PERIOD)
    currency: CurrencyCode
    target: Decimal = Field(description="Fund total, e.g. '60000.00'")
    per_person_cap: Decimal | None = Field(default=None, description="Default from settings")
    shares: list[ShareIn]


class ContributionIn(_In):
    member: str
    amount: DecimalAmount
    on: date | None = None
    currency: CurrencyCode | None = None


class LineIn(_In):
    category: Category
    amount: DecimalAmount


class CommitmentIn(_In):
    person_ref: PersonRef
    lines: list[LineIn] = Field(default_factory=list, description="Default: the registered lines")
    allow_partial: bool = False
    currency: CurrencyCode | None = None


class DisbursementIn(_In):
    amount: DecimalAmount
    category: Category
    paid_on: date | None = None
    currency: CurrencyCode | None = None


class ContributionReversalIn(_In):
    reason_code: ContributionReversalReason = Field(
        description="Why the entry was wrong (a code; free text is never accepted)"
    )


class PaymentReversalIn(_In):
    reason_code: PaymentReversalReason = Field(
        description="Why the payment is reversed (a code; free text is never accepted)"
    )


class ReversalOut(BaseModel):
    reversal_id: uuid.UUID
    kind: Literal["pledge", "receipt", "payment"]
    entry_id: uuid.UUID = Field(description="The pledge, receipt or payment reversed")
    period: str
    reason_code: str
    reversed_on: date
    amount_cents: int
    amount: str
    attributions: list[listings.MemberPart] = Field(
        description="Payments: each member's attributed part, taken back"
    )
    released_cents: int = Field(
        description="Payments of a released commitment: given back to the cap and the fund"
    )
    released: str


def _reversal_out(done: reversing.Reversal) -> ReversalOut:
    return ReversalOut(
        reversal_id=done.reversal_id,
        kind=done.kind,
        entry_id=done.entry_id,
        period=done.period,
        reason_code=done.reason_code,
        reversed_on=done.reversed_on,
        **positions.money("amount", done.amount_cents),
        attributions=[
            listings.MemberPart(member=m, **positions.money("amount", a))
            for m, a in done.attributions.items()
        ],
        **positions.money("released", done.released_cents),
    )


Page = Annotated[int, Query(ge=1, le=1_000_000, description="1-based page number")]
PageSize = Annotated[int, Query(ge=1, le=listings.MAX_PAGE_SIZE, description="Items per page")]
PeriodPath = Annotated[str, Path(pattern=PERIOD)]
PeriodQuery = Annotated[str | None, Query(pattern=PERIOD, description="Fund period")]
OfficeQuery = Annotated[str | None, Query(min_length=1, max_length=60)]


def ledger_filter(
    period: PeriodQuery = None,
    office: OfficeQuery = None,
    person_ref: PersonRef | None = None,
    case_id: uuid.UUID | None = None,
    page: Page = 1,
    page_size: PageSize = 50,
) -> listings.LedgerFilter:
    """The filters and the page common to the commitment and payment listings."""
    return listings.LedgerFilter(period, office, person_ref, case_id, page, page_size)


def _actor(principal: Principal) -> Actor:
    return Actor.user(principal.user_id, principal.role)


def _category(rt: Runtime, category: str) -> str:
    if category not in rt.settings.cost_categories:
        allowed = ", ".join(rt.settings.cost_categories)
        raise InvalidInputError(f"unknown cost category '{category}'; use one of: {allowed}")
    return category


def router() -> APIRouter:
    r = APIRouter(tags=["funding"])

    @r.post("/api/funds", status_code=201)
    async def create_fund(
        body: FundIn,
        principal: Principal = require("funds.manage"),
        rt: Runtime = Depends(get_runtime),
    ) -> dict[str, Any]:
        cap = rt.settings.default_per_person_cap_cents
        if body.per_person_cap is not None:
            cap = parse_cents(body.per_person_cap, field="per_person_cap")
        new = funds.NewFund(
            body.period,
            body.currency,
            cap,
            parse_cents(body.target, field="target"),
            contribution_scale((s.member, s.share_percent) for s in body.shares),
        )
        async with rt.db("funding").unit_of_work() as uow:
            await funds.create_fund(uow, new, _actor(principal))
            await uow.commit()
            return await positions.fund_view(uow.session, body.period)

    @r.get("/api/funds/{period}")
    async def get_fund(
        period: str,
        principal: Principal = require("funds.read"),
        rt: Runtime = Depends(get_runtime),
    ) -> dict[str, Any]:
        async with rt.db("funding").reading() as session:
            return await positions.fund_view(session, period)

    async def contribution(
        kind: Literal["pledge", "receipt"],
        period: str,
        body: ContributionIn,
        principal: Principal,
        rt: Runtime,
    ) -> dict[str, Any]:
        amount = parse_cents(body.amount)
        today = rt.clock().date()
        on = check_entry_date(body.on or today, today, field="on")
        async with rt.db("funding").unit_of_work() as uow:
            await funds.record_contribution(
                uow,
                kind,
                period,
                parse_country(body.member),
                amount,
                on,
                body.currency,
                _actor(principal),
            )
            await uow.commit()
            return await positions.fund_view(uow.session, period)

    @r.post("/api/funds/{period}/pledges", status_code=201)
    async def pledge(
        period: str,
        body: ContributionIn,
        principal: Principal = require("funds.manage"),
        rt: Runtime = Depends(get_runtime),
    ) -> dict[str, Any]:
        return await contribution("pledge", period, body, principal, rt)

    @r.post("/api/funds/{period}/receipts", status_code=201)
    async def receipt(
        period: str,
        body: ContributionIn,
        principal: Principal = require("funds.manage"),
        rt: Runtime = Depends(get_runtime),
    ) -> dict[str, Any]:
        return await contribution("receipt", period, body, principal, rt)

    @r.post("/api/cases/{case_id}/commitments", status_code=201)
    async def commit(
        case_id: uuid.UUID,
        body: CommitmentIn,
        principal: Principal = require("funding.commit"),
        rt: Runtime = Depends(get_runtime),
    ) -> dict[str, Any]:
        lines = tuple(
            Line(_category(rt, x.category), parse_cents(x.amount, field=f"{x.category} amount"))
            for x in body.lines
        )
        async with rt.db("funding").unit_of_work() as uow:
            outcome = await casework.request_commitment(
                uow,
                case_id,
                body.person_ref,
                lines,
                body.allow_partial,
                body.currency,
                principal,
            )
            await uow.commit()
        d = outcome.decision
        result = {
            "outcome": d.outcome,
            "reason": d.reason,
            "period": outcome.period,
            "commitment_id": outcome.commitment_id,
            **positions.money("requested", d.requested_cents),
            **positions.money("amount", d.amount_cents),
            **positions.money("remaining_cap", d.remaining_cap_cents),
            **positions.money("available", d.available_cents),
            "lines": [
                {"category": x.category, **positions.money("amount", x.amount_cents)}
                for x in d.lines
            ],
        }
        if not d.approved:
            raise ConflictError(
                f"commitment rejected ({d.reason}): remaining cap "
                f"{result['remaining_cap']}, fund available {result['available']}",
                **{k: v for k, v in result.items() if k != "lines"},
            )
        return result

    @r.post("/api/commitments/{commitment_id}/disbursements", status_code=201)
    async def disburse(
        commitment_id: uuid.UUID,
        body: DisbursementIn,
        principal: Principal = require("funding.disburse"),
        rt: Runtime = Depends(get_runtime),
    ) -> dict[str, Any]:
        amount = parse_cents(body.amount)
        category = _category(rt, body.category)
        async with rt.db("funding").unit_of_work() as uow:
            paid = await casework.disburse(
                uow,
                commitment_id,
                amount,
                category,
                check_entry_date(
                    body.paid_on or rt.clock().date(), rt.clock().date(), field="paid_on"
                ),
                body.currency,
                principal,
            )
            await uow.commit()
        return {
            "disbursement_id": paid.disbursement_id,
            "commitment_id": commitment_id,
            **positions.money("amount", paid.amount_cents),
            "attributions": [
                {"member": m, **positions.money("amount", a)} for m, a in paid.attributions.items()
            ],
        }

    @r.get("/api/people/{person_ref}/funding")
    async def person_funding(
        person_ref: PersonRef,
        period: str | None = None,
        principal: Principal = require("funding.read"),
        rt: Runtime = Depends(get_runtime),
    ) -> dict[str, Any]:
        """The person's cap position per fund. A caseworker or supervisor sees it only when the
        person is in a case of one of their offices (403 otherwise, 404 for an unknown person)."""
        async with rt.db("funding").reading() as session:
            if principal.role in OFFICE_SCOPED_ROLES:
                offices = await positions.person_offices(session, person_ref)
                if not offices:
                    raise NotFoundError(f"funding knows nothing about {person_ref}")
                ensure_some_office(principal, offices, f"person {person_ref}")
            return await positions.person_view(session, person_ref, period)

    for kind in ("pledge", "receipt"):
        _contribution_routes(r, kind)

    @r.get("/api/commitments", response_model=listings.CommitmentPage)
    async def list_commitments(
        where: listings.LedgerFilter = Depends(ledger_filter),
        status: listings.CommitmentStatus | None = None,
        principal: Principal = require("funding.read"),
        rt: Runtime = Depends(get_runtime),
    ) -> listings.CommitmentPage:
        """Commitments of your offices (every office for the auditor), newest first."""
        offices = listings.office_scope(principal, where.office)
        async with rt.db("funding").reading() as session:
            return await listings.commitments(session, offices, where, status=status)

    @r.get("/api/commitments/{commitment_id}", response_model=listings.CommitmentDetail)
    async def get_commitment(
        commitment_id: uuid.UUID,
        principal: Principal = require("funding.read"),
        rt: Runtime = Depends(get_runtime),
    ) -> listings.CommitmentDetail:
        """A commitment with its lines (paid and remaining per line) and its payments."""
        async with rt.db("funding").reading() as session:
            return await listings.commitment_detail(session, principal, commitment_id)

    @r.get("/api/payments", response_model=listings.PaymentPage)
    async def list_payments(
        where: listings.LedgerFilter = Depends(ledger_filter),
        commitment_id: uuid.UUID | None = None,
        principal: Principal = require("funding.read"),
        rt: Runtime = Depends(get_runtime),
    ) -> listings.PaymentPage:
        """Payments (disbursements) of your offices, newest first, with their attribution to
        members; reversed ones marked with their reversal."""
        offices = listings.office_scope(principal, where.office)
        async with rt.db("funding").reading() as session:
            return await listings.payments(session, offices, where, commitment_id=commitment_id)

    @r.post("/api/payments/{payment_id}/reversal", status_code=201, response_model=ReversalOut)
    async def reverse_payment(
        payment_id: uuid.UUID,
        body: PaymentReversalIn,
        principal: Principal = require("funding.disburse"),
        rt: Runtime = Depends(get_runtime),
    ) -> ReversalOut:
        """Reverse a payment (event `funding.disbursement_reversed`): once. Its amount goes back
        to its commitment line and each member's attributed part is taken back exactly."""
        async with rt.db("funding").unit_of_work() as uow:
            done = await reversing.reverse_disbursement(
                uow, payment_id, body.reason_code, principal
            )
            await uow.commit()
        return _reversal_out(done)

    return r


MemberQuery = Annotated[str | None, Query(pattern=r"^[A-Z]{2}$", description="e.g. CA")]


def _contribution_routes(r: APIRouter, kind: Literal["pledge", "receipt"]) -> None:
    """The listing and the reversal of a fund's pledges (or receipts)."""
    plural = f"{kind}s"
    refused = (
        " Refused (409, with the shortfall) if the fund would then have committed more than it"
        " received, or the member's received money would fall below what was attributed to it."
    )

    @r.get(
        f"/api/funds/{{period}}/{plural}",
        response_model=listings.ContributionPage,
        description=f"The fund's {plural}, newest first; reversed ones marked with their reversal.",
    )
    async def list_contributions(
        period: PeriodPath,
        member: MemberQuery = None,
        page: Page = 1,
        page_size: PageSize = 50,
        principal: Principal = require("funds.read"),
        rt: Runtime = Depends(get_runtime),
    ) -> listings.ContributionPage:
        async with rt.db("funding").reading() as session:
            return await listings.contributions(
                session, kind, period, member=member, page=page, size=page_size
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
        async with rt.db("funding").unit_of_work() as uow:
            done = await reversing.reverse_contribution(
                uow, kind, period, entry_id, body.reason_code, _actor(principal)
            )
            await uow.commit()
        return _reversal_out(done)
