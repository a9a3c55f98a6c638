"""Recording a follow-up contact from the case page, with the survey of the current
instrument: the use case of ``POST /api/monitoring/plans/{id}/contacts``, so the consent rule
is the API's (without the person's ``follow_up_contact`` consent only "no consent" is
recorded). A refused contact shows the case page again with what was typed."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from services.kit.errors import ForbiddenError, NotFoundError, RetornoError
from services.reintegration import queries as follow_up
from services.reintegration import usecases as reintegration
from services.reintegration.schemas import ContactIn
from services.web.pages import casetext
from services.web.pages.casework import Errors, Typed, case_page, forbidden, not_found
from services.web.pages.common import (
    Rt,
    SignedIn,
    gettext_for,
    guard,
    problem_of,
    refused_form,
    token_of,
)


def contact_body(typed: Typed, indicators: list[str]) -> dict[str, Any]:
    """The ``POST /api/monitoring/plans/{id}/contacts`` body of the form: only what was
    filled in; the survey only when a question was answered."""
    body: dict[str, Any] = {
        k: v
        for k, v in {
            "on": typed.get("on"),
            "slot": typed.get("slot"),
            "method": typed.get("method"),
            "outcome": typed.get("outcome"),
            "residence": typed.get("residence"),
            "remigration_intention": typed.get("remigration_intention"),
            "note": typed.get("note"),
        }.items()
        if v
    }
    answers = {i: typed.get(f"survey.{i}") for i in indicators if typed.get(f"survey.{i}")}
    if answers:
        body["survey"] = {"answers": answers}
    return body


def _errors(error: ValidationError | RetornoError, gettext: Any) -> Errors:
    found: Errors = {}
    if isinstance(error, ValidationError):
        for e in error.errors():
            name = ".".join(str(p) for p in e["loc"])
            found.setdefault(
                name, casetext.field_message(name, e.get("msg", ""), e["type"], gettext)
            )
    else:
        for p in error.extra.get("errors") or []:
            name = str(p.get("field", ""))
            found.setdefault(
                name, casetext.field_message(name, str(p.get("problem", "")), "", gettext)
            )
    return found


def router() -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.post("/cases/{case_id:uuid}/plans/{plan_id:uuid}/contacts", response_class=HTMLResponse)
    async def record_contact(
        request: Request, rt: Rt, case_id: uuid.UUID, plan_id: uuid.UUID
    ) -> Response:
        signed_in = await guard(request, rt, "monitoring.record")
        if isinstance(signed_in, Response):
            return signed_in
        form = await request.form()
        if (refused := refused_form(request, signed_in, token_of(form))) is not None:
            return refused
        typed = Typed(form)
        indicators = [i.id for i in follow_up.instrument(rt).indicators]
        try:
            body = ContactIn.model_validate(contact_body(typed, indicators))
            await reintegration.record_contact(rt, signed_in.principal, plan_id, body)
        except NotFoundError:
            return not_found(request, signed_in)
        except ForbiddenError as error:
            if not error.extra.get("errors"):  # not the person's office: the 403 page
                return forbidden(request, signed_in)
            return await refused_contact(request, rt, signed_in, case_id, plan_id, typed, error)
        except (ValidationError, RetornoError) as error:
            return await refused_contact(request, rt, signed_in, case_id, plan_id, typed, error)
        return RedirectResponse(f"/cases/{case_id}#follow-up", status_code=303)

    return routes


async def refused_contact(
    request: Request,
    rt: Rt,
    signed_in: SignedIn,
    case_id: uuid.UUID,
    plan_id: uuid.UUID,
    typed: Typed,
    error: ValidationError | RetornoError,
) -> Response:
    """The case page again, the contact form with what was typed and the messages."""
    gettext = gettext_for(request, signed_in)
    errors = _errors(error, gettext)
    problem = (
        gettext("The contact was not recorded. Check the fields marked below.")
        if errors or isinstance(error, ValidationError)
        else problem_of(request, signed_in, error)
    )
    status = 422 if isinstance(error, ValidationError) else error.status_code
    return await case_page(
        request,
        rt,
        signed_in,
        case_id,
        contact={"plan_id": plan_id, "typed": typed, "errors": errors, "problem": problem},
        status_code=status,
    )
