"""The data protection officer's pages: find a person by reference, what privacy holds about
them (no personal data), subject access (the registration service's report, whose read the
access log records), consents, legal holds, erasure with its safeguards, and the access log.

Every action calls the use case of the JSON API (``privacy.api``, ``registration.api``)
with the signed-in principal, its request parsed by the same ``schemas`` model.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from privacy import queries as privacy_queries
from privacy.domain import PURPOSES
from privacy.schemas import AccessFilter, ConsentRequest, ErasureIn, LegalHoldRequest
from privacy.usecases import consent, erasure, holds
from services.kit.errors import RetornoError
from services.registration.queries import cases as case_queries
from services.registration.queries import transfers as transfer_queries
from services.web.messages import N_
from services.web.pages.common import (
    Rt,
    SignedIn,
    gettext_for,
    guard,
    guard_form,
    page,
    page_count,
    problem_of,
)

PERSON_REF = re.compile(r"^p_[0-9a-f]{32}$")
ACCESS_PER_PAGE = 50
READ = "privacy.subject_access"

DONE = {
    "hold_placed": N_("The legal hold was placed: the person's data cannot be erased now."),
    "hold_lifted": N_("The legal hold was lifted."),
    "consent_recorded": N_("The consent decision was recorded."),
    "erased": N_(
        "The person's data key was destroyed: their personal data can no longer be read anywhere."
    ),
}
PURPOSE_NAMES = {
    "assistance": N_("assistance"),
    "partner_sharing": N_("sharing with a partner"),
    "follow_up_contact": N_("follow-up contact"),
}
BAD_REFERENCE = N_("A person's reference is p_ followed by 32 digits or letters a to f.")
BAD_HOLD_REASON = N_("Give the reason for the hold: 1 to 2000 characters.")
BAD_CONSENT = N_(
    "Choose a purpose and whether it is granted; name the partner for sharing with a "
    "partner (and only then)."
)
NOT_CONFIRMED = N_("Tick the box to confirm that the erasure cannot be undone.")
WRONG_REFERENCE = N_("Type the person's reference exactly as shown to confirm the erasure.")
BAD_OVERRIDE = N_(
    "A reason code is lower case letters, digits and _ (2 to 60), e.g. data_subject_objection."
)
BAD_FILTER = N_(
    "Check the filters: a reference is p_ and 32 digits or letters a to f, dates are YYYY-MM-DD."
)


def reference(value: str) -> str:
    return value.strip().lower()


def router() -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    def home(
        request: Request,
        signed_in: SignedIn,
        typed: str = "",
        problem: str | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        return page(
            request,
            "privacy_home.html",
            signed_in=signed_in,
            typed=typed,
            problem=problem,
            status_code=status_code,
        )

    async def person(
        request: Request,
        rt: Rt,
        signed_in: SignedIn,
        person_ref: str,
        *,
        done: str | None = None,
        problem: str | None = None,
        form: str | None = None,
        typed: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        """The person's page, or the search page with the reason when there is no such
        person (nothing about them is shown then)."""
        try:
            standing = await privacy_queries.person_standing(rt, person_ref)
        except RetornoError as error:
            return home(
                request,
                signed_in,
                person_ref,
                problem_of(request, signed_in, error),
                error.status_code,
            )
        translate = gettext_for(request, signed_in)
        return page(
            request,
            "privacy_person.html",
            signed_in=signed_in,
            standing=standing,
            done=translate(DONE[done]) if done in DONE else None,
            problem=problem,
            form=form,
            typed=typed or {},
            purposes=PURPOSES,
            purpose_names={p: translate(n) for p, n in PURPOSE_NAMES.items()},
            status_code=status_code,
        )

    @routes.get("/privacy", response_class=HTMLResponse)
    async def privacy_home(
        request: Request,
        rt: Rt,
        person_ref: Annotated[str | None, Query(max_length=200)] = None,
    ) -> Response:
        """Find a person by reference: the reference leads to their page."""
        signed_in = await guard(request, rt, READ)
        if isinstance(signed_in, Response):
            return signed_in
        if person_ref is None:
            return home(request, signed_in)
        ref = reference(person_ref)
        if not PERSON_REF.match(ref):
            problem = gettext_for(request, signed_in)(BAD_REFERENCE)
            return home(request, signed_in, person_ref, problem, 422)
        return RedirectResponse(f"/privacy/people/{ref}", status_code=303)

    @routes.get("/privacy/people/{person_ref}", response_class=HTMLResponse)
    async def person_page(
        request: Request,
        rt: Rt,
        person_ref: str,
        done: Annotated[str | None, Query(max_length=40)] = None,
    ) -> Response:
        signed_in = await guard(request, rt, READ)
        if isinstance(signed_in, Response):
            return signed_in
        return await person(request, rt, signed_in, person_ref, done=done)

    @routes.get("/privacy/people/{person_ref}/data", response_class=HTMLResponse)
    async def subject_access(request: Request, rt: Rt, person_ref: str) -> Response:
        """Everything held about the person, readable: ``GET /api/people/{ref}/data``'s
        report; the read is in the access log (purpose ``subject_access``)."""
        signed_in = await guard(request, rt, READ)
        if isinstance(signed_in, Response):
            return signed_in
        if not PERSON_REF.match(person_ref):
            problem = gettext_for(request, signed_in)(BAD_REFERENCE)
            return home(request, signed_in, person_ref, problem, 422)
        try:
            report = await case_queries.subject_access(rt, signed_in.principal, person_ref)
        except RetornoError as error:
            return await person(
                request,
                rt,
                signed_in,
                person_ref,
                problem=problem_of(request, signed_in, error),
                status_code=error.status_code,
            )
        return page(request, "privacy_subject.html", signed_in=signed_in, report=report)

    @routes.post("/privacy/people/{person_ref}/legal-holds", response_class=HTMLResponse)
    async def place_hold(
        request: Request,
        rt: Rt,
        person_ref: str,
        reason: Annotated[str, Form(max_length=4000)] = "",
        csrf_token: Annotated[str, Form(max_length=128)] = "",
    ) -> Response:
        signed_in = await guard_form(request, rt, "privacy.legal_hold", csrf_token)
        if isinstance(signed_in, Response):
            return signed_in
        typed = {"reason": reason}
        try:
            body = LegalHoldRequest(reason=reason.strip())
        except ValidationError:
            problem = gettext_for(request, signed_in)(BAD_HOLD_REASON)
            return await person(
                request,
                rt,
                signed_in,
                person_ref,
                problem=problem,
                form="hold",
                typed=typed,
                status_code=422,
            )
        try:
            await holds.place_legal_hold(rt, person_ref, body.reason, signed_in.principal)
        except RetornoError as error:
            return await person(
                request,
                rt,
                signed_in,
                person_ref,
                problem=problem_of(request, signed_in, error),
                form="hold",
                typed=typed,
                status_code=error.status_code,
            )
        return RedirectResponse(f"/privacy/people/{person_ref}?done=hold_placed", 303)

    @routes.post(
        "/privacy/people/{person_ref}/legal-holds/{hold_id}/lift", response_class=HTMLResponse
    )
    async def lift_hold(
        request: Request,
        rt: Rt,
        person_ref: str,
        hold_id: uuid.UUID,
        csrf_token: Annotated[str, Form(max_length=128)] = "",
    ) -> Response:
        signed_in = await guard_form(request, rt, "privacy.legal_hold", csrf_token)
        if isinstance(signed_in, Response):
            return signed_in
        try:
            await holds.lift_legal_hold(rt, person_ref, hold_id, signed_in.principal)
        except RetornoError as error:
            return await person(
                request,
                rt,
                signed_in,
                person_ref,
                problem=problem_of(request, signed_in, error),
                form="holds",
                status_code=error.status_code,
            )
        return RedirectResponse(f"/privacy/people/{person_ref}?done=hold_lifted", 303)

    @routes.post("/privacy/people/{person_ref}/consents", response_class=HTMLResponse)
    async def record_consent(
        request: Request,
        rt: Rt,
        person_ref: str,
        purpose: Annotated[str, Form(max_length=60)] = "",
        granted: Annotated[str, Form(max_length=10)] = "",
        partner: Annotated[str, Form(max_length=400)] = "",
        csrf_token: Annotated[str, Form(max_length=128)] = "",
    ) -> Response:
        signed_in = await guard_form(request, rt, "privacy.consent", csrf_token)
        if isinstance(signed_in, Response):
            return signed_in
        typed = {"purpose": purpose, "granted": granted, "partner": partner}
        try:
            body = ConsentRequest.model_validate(
                {
                    "purpose": purpose,
                    "granted": {"yes": True, "no": False}.get(granted, granted),
                    "partner": partner.strip() or None,
                }
            )
            await consent.record_consent(
                rt, signed_in.principal, person_ref, body.purpose, body.granted, body.partner
            )
        except (ValidationError, RetornoError) as error:
            if isinstance(error, RetornoError) and error.status_code != 422:
                problem, code = problem_of(request, signed_in, error), error.status_code
            else:
                problem, code = gettext_for(request, signed_in)(BAD_CONSENT), 422
            return await person(
                request,
                rt,
                signed_in,
                person_ref,
                problem=problem,
                form="consent",
                typed=typed,
                status_code=code,
            )
        return RedirectResponse(f"/privacy/people/{person_ref}?done=consent_recorded", 303)

    async def erasure_page(
        request: Request,
        rt: Rt,
        signed_in: SignedIn,
        person_ref: str,
        *,
        problem: str | None = None,
        typed: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        try:
            standing = await privacy_queries.person_standing(rt, person_ref)
        except RetornoError as error:
            return home(
                request,
                signed_in,
                person_ref,
                problem_of(request, signed_in, error),
                error.status_code,
            )
        return page(
            request,
            "privacy_erasure.html",
            signed_in=signed_in,
            standing=standing,
            problem=problem,
            typed=typed or {},
            status_code=status_code,
        )

    @routes.get("/privacy/people/{person_ref}/erasure", response_class=HTMLResponse)
    async def erasure_form(request: Request, rt: Rt, person_ref: str) -> Response:
        """What an erasure destroys and what it keeps, and the form that asks for it."""
        signed_in = await guard(request, rt, "privacy.erase")
        if isinstance(signed_in, Response):
            return signed_in
        return await erasure_page(request, rt, signed_in, person_ref)

    @routes.post("/privacy/people/{person_ref}/erasure", response_class=HTMLResponse)
    async def erase(
        request: Request,
        rt: Rt,
        person_ref: str,
        confirm: Annotated[str, Form(max_length=10)] = "",
        typed_ref: Annotated[str, Form(max_length=200)] = "",
        override_reason: Annotated[str, Form(max_length=200)] = "",
        csrf_token: Annotated[str, Form(max_length=128)] = "",
    ) -> Response:
        """Erase on request (``POST /api/people/{ref}/erasure``) once the officer ticked the
        confirmation and typed the reference again; refused under a legal hold, and for a
        person in an open case without an override reason code."""
        signed_in = await guard_form(request, rt, "privacy.erase", csrf_token)
        if isinstance(signed_in, Response):
            return signed_in
        typed = {"confirm": confirm, "typed_ref": typed_ref, "override_reason": override_reason}
        translate = gettext_for(request, signed_in)
        problem = None
        body = None
        if confirm != "yes":
            problem = translate(NOT_CONFIRMED)
        elif reference(typed_ref) != person_ref:
            problem = translate(WRONG_REFERENCE)
        else:
            try:
                body = ErasureIn(override_reason=override_reason.strip() or None)
            except ValidationError:
                problem = translate(BAD_OVERRIDE)
        if body is None:
            return await erasure_page(
                request, rt, signed_in, person_ref, problem=problem, typed=typed, status_code=422
            )
        try:
            await erasure.erase_on_request(
                rt, person_ref, signed_in.principal, body.override_reason
            )
        except RetornoError as error:
            return await erasure_page(
                request,
                rt,
                signed_in,
                person_ref,
                problem=problem_of(request, signed_in, error),
                typed=typed,
                status_code=error.status_code,
            )
        return RedirectResponse(f"/privacy/people/{person_ref}?done=erased", 303)

    @routes.get("/privacy/access-log", response_class=HTMLResponse)
    async def access_log(
        request: Request,
        rt: Rt,
        person_ref: Annotated[str, Query(max_length=200)] = "",
        actor_id: Annotated[str, Query(max_length=200)] = "",
        purpose: Annotated[str, Query(max_length=200)] = "",
        date_from: Annotated[str, Query(max_length=40)] = "",
        date_to: Annotated[str, Query(max_length=40)] = "",
        number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
    ) -> Response:
        """Every logged read of personal data, newest first, filtered and paged."""
        signed_in = await guard(request, rt, READ)
        if isinstance(signed_in, Response):
            return signed_in
        typed = {
            "person_ref": person_ref,
            "actor_id": actor_id,
            "purpose": purpose,
            "date_from": date_from,
            "date_to": date_to,
        }
        try:
            chosen = AccessFilter.model_validate(
                {name: value.strip() or None for name, value in typed.items()}
                | {"person_ref": reference(person_ref) or None}
            )
        except ValidationError:
            return page(
                request,
                "privacy_access_log.html",
                signed_in=signed_in,
                typed=typed,
                entries=[],
                total=0,
                page_number=1,
                pages=1,
                query="",
                problem=gettext_for(request, signed_in)(BAD_FILTER),
                status_code=422,
            )
        found = await privacy_queries.access_log(rt, chosen, page=number, size=ACCESS_PER_PAGE)
        query = urlencode({k: v for k, v in chosen.model_dump(mode="json").items() if v})
        return page(
            request,
            "privacy_access_log.html",
            signed_in=signed_in,
            typed=typed,
            entries=found.items,
            total=found.total,
            page_number=number,
            pages=page_count(found.total, ACCESS_PER_PAGE),
            query=query,
            problem=None,
        )

    @routes.get("/privacy/emergency-reads", response_class=HTMLResponse)
    async def emergency_reads(
        request: Request,
        rt: Rt,
        person_ref: Annotated[str, Query(max_length=200)] = "",
    ) -> Response:
        """Every break-the-glass read, newest first, for the officer's review: the query of
        ``GET /api/emergency-reads``."""
        signed_in = await guard(request, rt, "privacy.emergency_reads")
        if isinstance(signed_in, Response):
            return signed_in
        ref = reference(person_ref) or None
        if ref is not None and not PERSON_REF.match(ref):
            return page(
                request,
                "privacy_emergency_reads.html",
                signed_in=signed_in,
                typed=person_ref,
                reads=[],
                problem=gettext_for(request, signed_in)(BAD_REFERENCE),
                status_code=422,
            )
        found = await transfer_queries.emergency_reads(rt, ref)
        return page(
            request,
            "privacy_emergency_reads.html",
            signed_in=signed_in,
            typed=person_ref,
            reads=found.items,
            problem=None,
        )

    return routes
