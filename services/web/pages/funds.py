"""The supervisor's pages: funds with their members' shares, pledges and receipts; the
commitments of the person's offices and their payments; corrections by reversal.

Every read and write goes through funding's queries and use cases with the signed-in
person's principal, exactly as ``services/funding/api.py`` does, so permissions and office
scope are the API's. Amounts are typed the way the person's language writes them
(``services.web.amounts``) and shown with the ``money`` filter.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal, get_args

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from events.funding import ContributionReversalReason, PaymentReversalReason
from services.funding.domain import LedgerFilter
from services.funding.queries import listings, positions
from services.funding.schemas import (
    CommitmentIn,
    CommitmentStatus,
    ContributionIn,
    ContributionReversalIn,
    DisbursementIn,
    PaymentReversalIn,
)
from services.funding.usecases import casework, funds, reversing
from services.kit.errors import ForbiddenError, RetornoError
from services.web.amounts import AmountRefusedError, example, parse_amount
from services.web.forms import Typed, refuse
from services.web.messages import N_
from services.web.pages.common import (
    Rt,
    SignedIn,
    gettext_for,
    guard,
    guard_form,
    language_of,
    page,
    page_count,
)

PER_PAGE = 50
Kind = Literal["pledge", "receipt"]
KINDS: tuple[Kind, ...] = ("pledge", "receipt")

# The reason codes of a reversal as the pages name them (the codes are the API's).
REASON_NAMES: dict[str, str] = {
    "entered_in_error": N_("entered in error"),
    "duplicate": N_("entered twice"),
    "wrong_amount": N_("wrong amount"),
    "wrong_member": N_("wrong member"),
    "wrong_fund": N_("wrong fund"),
    "refunded_to_member": N_("refunded to the member"),
    "wrong_category": N_("wrong cost category"),
    "returned_by_recipient": N_("returned by the recipient"),
    "payment_failed": N_("the payment failed"),
}
CONTRIBUTION_REASONS: tuple[str, ...] = get_args(ContributionReversalReason)
PAYMENT_REASONS: tuple[str, ...] = get_args(PaymentReversalReason)
ORIGIN_NAMES: dict[str, str] = {
    "screening": N_("screening"),
    "request": N_("request"),
    "reintegration": N_("reintegration"),
}
# Errors of a use case that are about one field of the form they answer.
FIELD_OF_ERROR = {
    "NotAMemberError": "member",
    "CurrencyMismatchError": "amount",
    "OverDisbursementError": "amount",
    "LineOverpaidError": "amount",
    "NoSuchLineError": "category",
    "UnknownCategoryError": "category",
    "NotInCaseError": "person_ref",
}

Text = Annotated[str, Form(max_length=100)]
Token = Annotated[str, Form(max_length=128)]
PageNumber = Annotated[int, Query(alias="page", ge=1, le=100_000)]


def typed_date(form: Typed, key: str, translate: object) -> date | None:
    """The ``yyyy-mm-dd`` of a date field (what ``<input type=date>`` sends), or None when
    left empty; a message next to the field when it is not a date."""
    text = form.value(key).strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        assert callable(translate)
        form.errors[key] = translate(N_("Give the date as a calendar day (year-month-day)."))
        return None


def typed_amount(request: Request, signed_in: SignedIn, form: Typed) -> Decimal | None:
    try:
        return parse_amount(form.value("amount"), language_of(request, signed_in))
    except AmountRefusedError as refused:
        form.errors["amount"] = gettext_for(request, signed_in)(refused.message)
        return None


def status_of(error: RetornoError | None, form: Typed) -> int:
    if error is not None:
        return error.status_code
    return 422 if form.refused else 200


def not_found_page(request: Request, signed_in: SignedIn, error: RetornoError) -> HTMLResponse:
    """The page that stands for a fund, commitment or payment the person may not see."""
    if isinstance(error, ForbiddenError):
        return page(request, "forbidden.html", signed_in=signed_in, status_code=403)
    return page(
        request,
        "funds_missing.html",
        signed_in=signed_in,
        problem=refuse(Typed("missing"), error, language_of(request, signed_in)).problem,
        status_code=error.status_code,
    )


async def currencies(rt: Rt) -> dict[str, str]:
    """Each fund's currency by period, for showing the amounts of commitments and payments."""
    return {f.period: f.currency for f in await positions.funds(rt)}


def router() -> APIRouter:  # noqa: C901 - one closure per route, as the other page modules
    routes = APIRouter(include_in_schema=False)

    # --- funds ---------------------------------------------------------------------------

    @routes.get("/funds", response_class=HTMLResponse)
    async def funds_page(request: Request, rt: Rt) -> Response:
        """Every fund with its position (the same totals as ``GET /api/funds/{period}``)."""
        signed_in = await guard(request, rt, "funds.read")
        if isinstance(signed_in, Response):
            return signed_in
        return page(
            request, "funds_list.html", signed_in=signed_in, funds=await positions.funds(rt)
        )

    async def fund_page(
        request: Request,
        rt: Rt,
        signed_in: SignedIn,
        period: str,
        *,
        form: Typed | None = None,
        error: RetornoError | None = None,
    ) -> HTMLResponse:
        try:
            fund = await positions.fund(rt, period)
            entries = {
                kind: await listings.contributions(
                    rt, kind, period, member=None, page=1, size=PER_PAGE
                )
                for kind in KINDS
            }
        except RetornoError as missing:
            return not_found_page(request, signed_in, missing)
        forms: dict[str, Typed] = {kind: Typed(kind) for kind in KINDS}
        if form is not None:
            forms[form.name] = form
        return page(
            request,
            "funds_fund.html",
            signed_in=signed_in,
            fund=fund,
            entries=entries,
            forms=forms,
            reversal=form if form is not None and form.name == "reversal" else Typed("reversal"),
            done=request.query_params.get("done"),
            reasons=CONTRIBUTION_REASONS,
            reason_names=REASON_NAMES,
            today=rt.clock().date().isoformat(),
            amount_example=example(language_of(request, signed_in)),
            status_code=status_of(error, form or Typed("none")),
        )

    @routes.get("/funds/{period}", response_class=HTMLResponse)
    async def fund_detail(request: Request, rt: Rt, period: str) -> Response:
        """A fund: its position, its members' shares, its pledges and receipts, and the
        forms to record and to reverse them (for ``funds.manage``)."""
        signed_in = await guard(request, rt, "funds.read")
        if isinstance(signed_in, Response):
            return signed_in
        return await fund_page(request, rt, signed_in, period)

    def contribution_routes(kind: Kind) -> None:
        plural = f"{kind}s"

        @routes.post(f"/funds/{{period}}/{plural}", response_class=HTMLResponse)
        async def record(
            request: Request,
            rt: Rt,
            period: str,
            member: Text = "",
            amount: Text = "",
            on: Text = "",
            csrf_token: Token = "",
        ) -> Response:
            """Record a pledge (a receipt): ``funds.record_contribution``, as the API's
            ``POST /api/funds/{period}/pledges`` (``receipts``)."""
            signed_in = await guard_form(request, rt, "funds.manage", csrf_token)
            if isinstance(signed_in, Response):
                return signed_in
            form = Typed(kind, {"member": member, "amount": amount, "on": on})
            translate = gettext_for(request, signed_in)
            if not member:
                form.errors["member"] = translate(N_("Choose the member."))
            value = typed_amount(request, signed_in, form)
            day = typed_date(form, "on", translate)
            if form.refused or value is None:
                return await fund_page(request, rt, signed_in, period, form=form)
            try:
                body = ContributionIn(member=member, amount=value, on=day)
                await funds.record_contribution(rt, signed_in.principal, kind, period, body)
            except RetornoError as error:
                refuse(form, error, language_of(request, signed_in), by_class=FIELD_OF_ERROR)
                return await fund_page(request, rt, signed_in, period, form=form, error=error)
            return RedirectResponse(f"/funds/{period}?done={kind}", status_code=303)

        @routes.post(
            f"/funds/{{period}}/{plural}/{{entry_id}}/reversal", response_class=HTMLResponse
        )
        async def reverse(
            request: Request,
            rt: Rt,
            period: str,
            entry_id: uuid.UUID,
            reason_code: Text = "",
            csrf_token: Token = "",
        ) -> Response:
            """Reverse a mistaken pledge (receipt) with a reason code, once:
            ``reversing.reverse_contribution``, as the API's ``.../reversal``."""
            signed_in = await guard_form(request, rt, "funds.manage", csrf_token)
            if isinstance(signed_in, Response):
                return signed_in
            form = Typed("reversal", {"entry_id": str(entry_id), "reason_code": reason_code})
            if reason_code not in CONTRIBUTION_REASONS:
                form.problem = gettext_for(request, signed_in)(N_("Choose why the entry is wrong."))
                return await fund_page(request, rt, signed_in, period, form=form)
            try:
                body = ContributionReversalIn.model_validate({"reason_code": reason_code})
                await reversing.reverse_contribution(
                    rt, signed_in.principal, kind, period, entry_id, body
                )
            except RetornoError as error:
                refuse(form, error, language_of(request, signed_in))
                return await fund_page(request, rt, signed_in, period, form=form, error=error)
            return RedirectResponse(f"/funds/{period}?done=reversal", status_code=303)

    for kind in KINDS:
        contribution_routes(kind)

    # --- commitments ---------------------------------------------------------------------

    async def commitments_page(
        request: Request,
        rt: Rt,
        signed_in: SignedIn,
        status: CommitmentStatus | None,
        number: int,
        *,
        form: Typed | None = None,
        error: RetornoError | None = None,
    ) -> HTMLResponse:
        where = LedgerFilter(None, None, None, None, number, PER_PAGE)
        offices = listings.office_scope(signed_in.principal, None)
        found = await listings.commitments(rt, offices, where, status=status)
        return page(
            request,
            "funds_commitments.html",
            signed_in=signed_in,
            commitments=found.items,
            total=found.total,
            page_number=number,
            pages=page_count(found.total, PER_PAGE),
            status=status,
            currencies=await currencies(rt),
            origin_names=ORIGIN_NAMES,
            form=form or Typed("commit"),
            status_code=status_of(error, form or Typed("none")),
        )

    @routes.get("/commitments", response_class=HTMLResponse)
    async def commitments_list(
        request: Request,
        rt: Rt,
        status: Annotated[str | None, Query(max_length=20)] = "active",
        number: PageNumber = 1,
    ) -> Response:
        """The commitments of the person's offices (every office for the auditor), newest
        first: ``listings.commitments`` as ``GET /api/commitments``. Active ones by default."""
        signed_in = await guard(request, rt, "funding.read")
        if isinstance(signed_in, Response):
            return signed_in
        chosen: CommitmentStatus | None = (
            "active" if status == "active" else "released" if status == "released" else None
        )
        return await commitments_page(request, rt, signed_in, chosen, number)

    @routes.post("/commitments", response_class=HTMLResponse)
    async def request_commitment(
        request: Request,
        rt: Rt,
        case_id: Text = "",
        person_ref: Text = "",
        allow_partial: Text = "",
        csrf_token: Token = "",
    ) -> Response:
        """Commit money for one person of an eligible case, for the costs registered for
        them: ``casework.request_commitment`` as ``POST /api/cases/{id}/commitments``. A
        refusal (cap, fund balance) is recorded by the use case and shown at the top."""
        signed_in = await guard_form(request, rt, "funding.commit", csrf_token)
        if isinstance(signed_in, Response):
            return signed_in
        form = Typed(
            "commit",
            {"case_id": case_id, "person_ref": person_ref, "allow_partial": allow_partial},
        )
        translate = gettext_for(request, signed_in)
        try:
            case = uuid.UUID(case_id.strip())
        except ValueError:
            form.errors["case_id"] = translate(
                N_("Give the case's number as it is shown on its page.")
            )
        try:
            body = CommitmentIn(person_ref=person_ref.strip(), allow_partial=bool(allow_partial))
        except ValidationError:
            form.errors["person_ref"] = translate(
                N_("Give the person's reference as shown in the case (p_ and 32 characters).")
            )
        if form.refused:
            return await commitments_page(request, rt, signed_in, "active", 1, form=form)
        try:
            made = await casework.request_commitment(rt, signed_in.principal, case, body)
        except RetornoError as error:
            refuse(form, error, language_of(request, signed_in), by_class=FIELD_OF_ERROR)
            return await commitments_page(
                request, rt, signed_in, "active", 1, form=form, error=error
            )
        return RedirectResponse(f"/commitments/{made.commitment_id}?done=commitment", 303)

    async def commitment_page(
        request: Request,
        rt: Rt,
        signed_in: SignedIn,
        commitment_id: uuid.UUID,
        *,
        form: Typed | None = None,
        error: RetornoError | None = None,
    ) -> HTMLResponse:
        try:
            found = await listings.commitment_detail(rt, signed_in.principal, commitment_id)
        except RetornoError as missing:
            return not_found_page(request, signed_in, missing)
        open_lines = [x for x in found.lines if x.remaining_cents > 0]
        return page(
            request,
            "funds_commitment.html",
            signed_in=signed_in,
            commitment=found,
            open_lines=open_lines,
            currency=(await currencies(rt)).get(found.period, "USD"),
            origin_names=ORIGIN_NAMES,
            reason_names=REASON_NAMES,
            form=form or Typed("pay"),
            done=request.query_params.get("done"),
            today=rt.clock().date().isoformat(),
            amount_example=example(language_of(request, signed_in)),
            status_code=status_of(error, form or Typed("none")),
        )

    @routes.get("/commitments/{commitment_id}", response_class=HTMLResponse)
    async def commitment_detail(request: Request, rt: Rt, commitment_id: uuid.UUID) -> Response:
        """A commitment with its lines and payments, and the form to pay under a line
        (for ``funding.disburse``)."""
        signed_in = await guard(request, rt, "funding.read")
        if isinstance(signed_in, Response):
            return signed_in
        return await commitment_page(request, rt, signed_in, commitment_id)

    @routes.post("/commitments/{commitment_id}/payments", response_class=HTMLResponse)
    async def pay(
        request: Request,
        rt: Rt,
        commitment_id: uuid.UUID,
        category: Text = "",
        amount: Text = "",
        paid_on: Text = "",
        csrf_token: Token = "",
    ) -> Response:
        """Pay under a line of the commitment: ``casework.disburse`` as
        ``POST /api/commitments/{id}/disbursements`` (amount, category, day paid)."""
        signed_in = await guard_form(request, rt, "funding.disburse", csrf_token)
        if isinstance(signed_in, Response):
            return signed_in
        form = Typed("pay", {"category": category, "amount": amount, "paid_on": paid_on})
        translate = gettext_for(request, signed_in)
        value = typed_amount(request, signed_in, form)
        day = typed_date(form, "paid_on", translate)
        body: DisbursementIn | None = None
        if value is not None:
            try:
                body = DisbursementIn(amount=value, category=category, paid_on=day)
            except ValidationError:
                form.errors["category"] = translate(N_("Choose the cost line to pay under."))
        if form.refused or body is None:
            return await commitment_page(request, rt, signed_in, commitment_id, form=form)
        try:
            await casework.disburse(rt, signed_in.principal, commitment_id, body)
        except RetornoError as error:
            refuse(form, error, language_of(request, signed_in), by_class=FIELD_OF_ERROR)
            return await commitment_page(
                request, rt, signed_in, commitment_id, form=form, error=error
            )
        return RedirectResponse(f"/commitments/{commitment_id}?done=payment", status_code=303)

    # --- payments ------------------------------------------------------------------------

    async def payments_page(
        request: Request,
        rt: Rt,
        signed_in: SignedIn,
        commitment_id: uuid.UUID | None,
        number: int,
        *,
        form: Typed | None = None,
        error: RetornoError | None = None,
    ) -> HTMLResponse:
        where = LedgerFilter(None, None, None, None, number, PER_PAGE)
        offices = listings.office_scope(signed_in.principal, None)
        found = await listings.payments(rt, offices, where, commitment_id=commitment_id)
        return page(
            request,
            "funds_payments.html",
            signed_in=signed_in,
            payments=found.items,
            total=found.total,
            page_number=number,
            pages=page_count(found.total, PER_PAGE),
            commitment_id=commitment_id,
            currencies=await currencies(rt),
            reasons=PAYMENT_REASONS,
            reason_names=REASON_NAMES,
            form=form or Typed("reversal"),
            done=request.query_params.get("done"),
            status_code=status_of(error, form or Typed("none")),
        )

    @routes.get("/payments", response_class=HTMLResponse)
    async def payments_list(
        request: Request,
        rt: Rt,
        commitment_id: uuid.UUID | None = None,
        number: PageNumber = 1,
    ) -> Response:
        """Payments of the person's offices, newest first, reversed ones marked:
        ``listings.payments`` as ``GET /api/payments``; a form to reverse each."""
        signed_in = await guard(request, rt, "funding.read")
        if isinstance(signed_in, Response):
            return signed_in
        return await payments_page(request, rt, signed_in, commitment_id, number)

    @routes.post("/payments/{payment_id}/reversal", response_class=HTMLResponse)
    async def reverse_payment(
        request: Request,
        rt: Rt,
        payment_id: uuid.UUID,
        reason_code: Text = "",
        commitment_id: Text = "",
        csrf_token: Token = "",
    ) -> Response:
        """Reverse a payment with a reason code, once: ``reversing.reverse_disbursement`` as
        ``POST /api/payments/{id}/reversal``. Its amount goes back to its commitment line."""
        signed_in = await guard_form(request, rt, "funding.disburse", csrf_token)
        if isinstance(signed_in, Response):
            return signed_in
        try:
            listed = uuid.UUID(commitment_id) if commitment_id else None
        except ValueError:
            listed = None
        back = f"/payments?commitment_id={listed}&done=reversal" if listed else None
        form = Typed("reversal", {"payment_id": str(payment_id), "reason_code": reason_code})
        try:
            body = PaymentReversalIn.model_validate({"reason_code": reason_code})
        except ValidationError:
            form.problem = gettext_for(request, signed_in)(
                N_("Choose why the payment is reversed.")
            )
            return await payments_page(request, rt, signed_in, listed, 1, form=form)
        try:
            await reversing.reverse_disbursement(rt, signed_in.principal, payment_id, body)
        except RetornoError as error:
            refuse(form, error, language_of(request, signed_in))
            return await payments_page(request, rt, signed_in, listed, 1, form=form, error=error)
        return RedirectResponse(back or "/payments?done=reversal", status_code=303)

    return routes
