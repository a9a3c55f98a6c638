"""The caseworker's pages: register a case (a family, its cost lines and consents) and the
case page (its people, their data on an explicit request with a purpose, the timeline, the
funding decision, the legal next steps, the follow-up).

Every page calls the same use cases and queries as the JSON API with the signed-in person's
principal, so permissions and office scope are the API's: a case of another office is the
403 page, an unknown case the 404 page. A refused form is shown again with everything typed
and the message next to each field. The follow-up's contact form is ``followup``."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from events.privacy import Purpose
from services.funding.queries import positions
from services.kit.errors import ForbiddenError, InvalidInputError, NotFoundError, RetornoError
from services.kit.identity import can
from services.registration import domain as registration
from services.registration.queries import cases as case_queries
from services.registration.schemas.registering import RegisterCase, TransitionIn
from services.registration.usecases import registering, transitioning
from services.reintegration import queries as follow_up
from services.web.pages import casetext
from services.web.pages.common import (
    Rt,
    SignedIn,
    gettext_for,
    guard,
    guard_form,
    language_of,
    page,
    problem_of,
    refused_form,
    token_of,
)

PURPOSES: tuple[str, ...] = get_args(Purpose)
START_PEOPLE = 1
START_LINES = 2
MAX_ROWS = 30
CONSENTS = ("assistance", "follow_up_contact")
Errors = dict[str, str]


# --- the registration form ----------------------------------------------------------------


class Typed:
    """What a form held, to show it again: one value per name, or every value of a name
    (checkboxes)."""

    def __init__(self, form: FormData | None = None) -> None:
        self.form = form

    def get(self, name: str, default: str = "") -> str:
        value = self.form.get(name) if self.form is not None else None
        return value.strip() if isinstance(value, str) else default

    def all(self, name: str) -> list[str]:
        if self.form is None:
            return []
        return [v for v in self.form.getlist(name) if isinstance(v, str)]

    def checked(self, name: str, value: str = "yes") -> bool:
        return value in self.all(name)


def _count(typed: Typed, name: str, start: int) -> int:
    try:
        return max(1, min(MAX_ROWS, int(typed.get(name, str(start)))))
    except ValueError:
        return start


def _some(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in ("", None)}


def _person(typed: Typed, i: int) -> dict[str, Any] | None:
    """Person row ``i`` as ``POST /api/cases`` takes it; None for a row left blank."""
    at = f"people.{i}."
    typed_any = any(
        typed.get(at + name)
        for name in ("given_names", "family_name", "date_of_birth", "nationality")
    )
    if not typed_any and not typed.all(at + "vulnerability_categories"):
        return None
    person = _some(
        {
            "given_names": typed.get(at + "given_names"),
            "family_name": typed.get(at + "family_name"),
            "date_of_birth": typed.get(at + "date_of_birth"),
            "sex": typed.get(at + "sex"),
            "nationality": typed.get(at + "nationality").upper(),
        }
    )
    document = _some(
        {
            "type": typed.get(at + "travel_document.type"),
            "number": typed.get(at + "travel_document.number"),
        }
    )
    if document:
        person["travel_document"] = document
    contact = _some(
        {
            "phone": typed.get(at + "contact.phone"),
            "email": typed.get(at + "contact.email"),
        }
    )
    if contact:
        person["contact"] = contact
    person["vulnerability_categories"] = typed.all(at + "vulnerability_categories")
    person["consents"] = [
        {"purpose": purpose, "granted": typed.checked(at + f"consents.{purpose}")}
        for purpose in CONSENTS
    ]
    return person


def registration_body(typed: Typed) -> tuple[dict[str, Any], list[int], list[int]]:
    """The ``POST /api/cases`` body of the form, and for each of its people and cost lines
    the form row it came from (blank rows are left out)."""
    people, people_rows = [], []
    for i in range(_count(typed, "people_count", START_PEOPLE)):
        person = _person(typed, i)
        if person is not None:
            people.append(person)
            people_rows.append(i)
    index_of = {row: k for k, row in enumerate(people_rows)}
    lines, line_rows = [], []
    for j in range(_count(typed, "lines_count", START_LINES)):
        at = f"requested.{j}."
        if not typed.get(at + "amount"):
            continue
        who = typed.get(at + "person", "all")
        target: int | str = (
            "all" if who == "all" else index_of.get(int(who) if who.isdigit() else -1, -1)
        )
        lines.append(
            _some(
                {
                    "person": target,
                    "category": typed.get(at + "category"),
                    "amount": typed.get(at + "amount"),
                    "currency": typed.get(at + "currency").upper(),
                }
            )
        )
        line_rows.append(j)
    body: dict[str, Any] = _some(
        {
            "office": typed.get("office"),
            "fund_period": typed.get("fund_period"),
            "departure_country": typed.get("departure_country").upper(),
            "destination_country": typed.get("destination_country").upper(),
        }
    )
    body["requester"] = _some(
        {"type": typed.get("requester.type"), "name": typed.get("requester.name")}
    )
    body["people"] = people
    body["requested"] = lines
    body["allow_partial"] = typed.checked("allow_partial")
    return body, people_rows, line_rows


def _form_name(loc: list[str], people_rows: list[int], line_rows: list[int]) -> str:
    """A field of the body (``people.1.date_of_birth``) as the form row's name."""
    if len(loc) >= 2 and loc[0] in ("people", "requested") and loc[1].isdigit():
        rows = people_rows if loc[0] == "people" else line_rows
        k = int(loc[1])
        loc = [loc[0], str(rows[k]) if k < len(rows) else loc[1], *loc[2:]]
    return ".".join(loc)


def validation_errors(
    error: ValidationError, people_rows: list[int], line_rows: list[int], gettext: Any
) -> Errors:
    found: Errors = {}
    for e in error.errors():
        loc = [str(p) for p in e["loc"]]
        message = str(e.get("msg", ""))
        if len(loc) == 2 and loc[0] == "people" and "assistance" in message:
            loc = [*loc, "consents", "assistance"]
            message = ""
        elif len(loc) == 1 and loc[0] == "people":
            loc = ["people", "0", "given_names"]
        name = _form_name(loc, people_rows, line_rows)
        found.setdefault(name, casetext.field_message(name, message, e["type"], gettext))
    return found


def problem_errors(
    error: RetornoError, people_rows: list[int], line_rows: list[int], gettext: Any
) -> Errors:
    found: Errors = {}
    for p in error.extra.get("errors") or []:
        loc = casetext.dotted(str(p.get("field", ""))).split(".")
        name = _form_name(loc, people_rows, line_rows)
        found.setdefault(name, casetext.field_message(name, str(p.get("problem", "")), "", gettext))
    return found


def register_page(
    request: Request,
    rt: Rt,
    signed_in: SignedIn,
    typed: Typed,
    *,
    errors: Errors | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    offices = sorted(signed_in.principal.offices)
    language = language_of(request, signed_in)
    named = casetext.names(language)
    gettext = gettext_for(request, signed_in)
    people_count = _count(typed, "people_count", START_PEOPLE)
    person_options = [("all", gettext("each person"))] + [
        (str(i), gettext("person %(number)d") % {"number": i + 1}) for i in range(people_count)
    ]
    return page(
        request,
        "register_case.html",
        signed_in=signed_in,
        typed=typed,
        errors=errors or {},
        problem=problem,
        people_count=people_count,
        lines_count=_count(typed, "lines_count", START_LINES),
        office_options=[(o, o) for o in offices],
        person_options=person_options,
        categories=rt.settings.vulnerability_categories,
        cost_options=[(c, named["cost"].get(c, c)) for c in rt.settings.cost_categories],
        names=named,
        status_code=status_code,
    )


# --- the case page ------------------------------------------------------------------------


def not_found(request: Request, signed_in: SignedIn) -> HTMLResponse:
    return page(request, "case_not_found.html", signed_in=signed_in, status_code=404)


def forbidden(request: Request, signed_in: SignedIn) -> HTMLResponse:
    return page(request, "forbidden.html", signed_in=signed_in, status_code=403)


async def case_page(
    request: Request,
    rt: Rt,
    signed_in: SignedIn,
    case_id: uuid.UUID,
    *,
    purpose: str | None = None,
    problem: str | None = None,
    contact: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The case page; ``purpose``: the person asked to see personal data, for that purpose
    (the vault logs each read with it)."""
    principal = signed_in.principal
    try:
        case = await case_queries.get_case(
            rt, principal, case_id, show_personal=purpose is not None, purpose=purpose
        )
    except NotFoundError:
        return not_found(request, signed_in)
    except ForbiddenError:
        return forbidden(request, signed_in)
    remaining: dict[str, Any] = {}
    if can(principal, "funding.read"):
        for person in case.people:
            try:
                found = await positions.person_funding(
                    rt, principal, person.person_ref, case.fund_period
                )
            except RetornoError:  # funding has not learned of the case yet
                continue
            remaining[person.person_ref] = found.funds[0] if found.funds else None
    plans = []
    instrument = None
    if can(principal, "monitoring.read"):
        order = {p.person_ref: i for i, p in enumerate(case.people)}
        plans = sorted(
            await follow_up.case_follow_up(rt, principal, case_id),
            key=lambda f: order.get(f.plan.person_ref, len(order)),
        )
        if plans:
            instrument = follow_up.instrument(rt)
    steps = [s for s in case.allowed_next if s not in registration.FROM_EVENTS_ONLY]
    return page(
        request,
        "case_page.html",
        signed_in=signed_in,
        case=case,
        position={p.person_ref: i + 1 for i, p in enumerate(case.people)},
        steps=steps if can(principal, "cases.transition") else [],
        reasons=casetext.REASONS,
        remaining=remaining,
        plans=plans,
        instrument=instrument,
        purposes=PURPOSES if can(principal, "cases.read_personal") else (),
        shown_for=purpose,
        problem=problem,
        contact=contact or {},
        blank=Typed(),
        today=rt.clock().date(),
        may_record=can(principal, "monitoring.record"),
        names=casetext.names(language_of(request, signed_in)),
        status_code=status_code,
    )


def transition_problem(request: Request, signed_in: SignedIn, error: RetornoError) -> str:
    gettext = gettext_for(request, signed_in)
    message = problem_of(request, signed_in, error)
    if isinstance(error, registration.EligibilityChecksFailedError):
        checks = [
            gettext(casetext.FAILED_CHECK_NAMES.get(c, c))
            for c in error.extra.get("failed_checks", [])
        ]
        message = gettext("The case fails the eligibility checks: %(checks)s.") % {
            "checks": "; ".join(checks)
        }
    elif isinstance(error, registration.IllegalTransitionError):
        message = gettext("This step is not possible from the case's status. Reload the page.")
    elif isinstance(error, InvalidInputError) and error.extra.get("errors"):
        message = gettext("Choose a reason for this step.")
    return message


def router() -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get("/cases/new", response_class=HTMLResponse)
    async def new_case(request: Request, rt: Rt) -> Response:
        signed_in = await guard(request, rt, "cases.create")
        if isinstance(signed_in, Response):
            return signed_in
        return register_page(request, rt, signed_in, Typed())

    @routes.post("/cases/new", response_class=HTMLResponse)
    async def register(request: Request, rt: Rt) -> Response:
        """Register the family through the use case of ``POST /api/cases``: every check of
        the API (categories against the date of birth, the fund, the office), nothing stored
        on a refusal. "Add a person" / "Add a cost line" show the form again, one row more."""
        signed_in = await guard(request, rt, "cases.create")
        if isinstance(signed_in, Response):
            return signed_in
        form = await request.form()
        typed = Typed(form)
        if (refused := refused_form(request, signed_in, token_of(form))) is not None:
            return refused
        action = typed.get("action")
        if action in ("add_person", "add_line"):
            counter = "people_count" if action == "add_person" else "lines_count"
            start = START_PEOPLE if action == "add_person" else START_LINES
            grown = {k: form.getlist(k) for k in form}
            grown[counter] = [str(min(MAX_ROWS, _count(typed, counter, start) + 1))]
            return register_page(request, rt, signed_in, Typed(_form_of(grown)))
        gettext = gettext_for(request, signed_in)
        body, people_rows, line_rows = registration_body(typed)
        try:
            parsed = RegisterCase.model_validate(body)
        except ValidationError as error:
            return register_page(
                request,
                rt,
                signed_in,
                typed,
                errors=validation_errors(error, people_rows, line_rows, gettext),
                problem=gettext("The case was not registered. Check the fields marked below."),
                status_code=422,
            )
        try:
            case_id = await registering.register_case(rt, signed_in.principal, parsed)
        except RetornoError as error:
            errors = problem_errors(error, people_rows, line_rows, gettext)
            if isinstance(error, ForbiddenError):
                errors["office"] = gettext("This office is not one of yours.")
            message = (
                gettext("The case was not registered. Check the fields marked below.")
                if errors
                else problem_of(request, signed_in, error)
            )
            return register_page(
                request,
                rt,
                signed_in,
                typed,
                errors=errors,
                problem=message,
                status_code=error.status_code,
            )
        return RedirectResponse(f"/cases/{case_id}", status_code=303)

    @routes.get("/cases/new/check", response_class=HTMLResponse)
    async def check_person(
        request: Request, rt: Rt, person: Annotated[int, Query(ge=0, lt=MAX_ROWS)] = 0
    ) -> Response:
        """As the caseworker types (htmx, optional): the categories of person row
        ``person`` checked against the date of birth by registration's own rules, as a
        fragment of messages (empty when they agree). The registration checks again."""
        signed_in = await guard(request, rt, "cases.create")
        if isinstance(signed_in, Response):
            return signed_in
        at = f"people.{person}."
        gettext = gettext_for(request, signed_in)
        found: list[str] = []
        try:
            born = date.fromisoformat(request.query_params.get(at + "date_of_birth", ""))
        except ValueError:
            born = None
        today = rt.clock().date()
        if born is not None and born > today:
            found.append(casetext.field_message("date_of_birth", "is in the future", "", gettext))
        elif born is not None:
            categories = request.query_params.getlist(at + "vulnerability_categories")
            age = registration.completed_years(born, today)
            found += [
                casetext.field_message("vulnerability_categories", p, "", gettext)
                for p in registration.age_category_problems(categories, age)
            ]
        return page(request, "register_check.html", signed_in=signed_in, found=found)

    @routes.get("/cases/{case_id:uuid}", response_class=HTMLResponse)
    async def show_case(request: Request, rt: Rt, case_id: uuid.UUID) -> Response:
        signed_in = await guard(request, rt, "cases.read")
        if isinstance(signed_in, Response):
            return signed_in
        return await case_page(request, rt, signed_in, case_id)

    @routes.post("/cases/{case_id:uuid}/personal", response_class=HTMLResponse)
    async def show_personal(
        request: Request,
        rt: Rt,
        case_id: uuid.UUID,
        purpose: Annotated[str, Form(max_length=40)] = "",
        csrf_token: Annotated[str, Form(max_length=128)] = "",
    ) -> Response:
        """The case page with its people's personal data, opened for ``purpose`` through the
        API's decryption path: the person's access log records who, when and why."""
        signed_in = await guard_form(request, rt, "cases.read_personal", csrf_token)
        if isinstance(signed_in, Response):
            return signed_in
        if purpose not in PURPOSES:
            gettext = gettext_for(request, signed_in)
            problem = gettext("Choose why you open the personal data.")
            return await case_page(
                request, rt, signed_in, case_id, problem=problem, status_code=422
            )
        return await case_page(request, rt, signed_in, case_id, purpose=purpose)

    @routes.post("/cases/{case_id:uuid}/transitions", response_class=HTMLResponse)
    async def transition(
        request: Request,
        rt: Rt,
        case_id: uuid.UUID,
        to: Annotated[str, Form(max_length=40)] = "",
        reason_code: Annotated[str, Form(max_length=60)] = "",
        csrf_token: Annotated[str, Form(max_length=128)] = "",
    ) -> Response:
        """One step of the case through the use case of ``POST /api/cases/{id}/transitions``."""
        signed_in = await guard_form(request, rt, "cases.transition", csrf_token)
        if isinstance(signed_in, Response):
            return signed_in
        try:
            body = TransitionIn.model_validate({"to": to, "reason_code": reason_code or None})
            await transitioning.transition_case(rt, signed_in.principal, case_id, body)
        except ValidationError:
            gettext = gettext_for(request, signed_in)
            problem = gettext("This step is not possible. Reload the page.")
            return await case_page(
                request, rt, signed_in, case_id, problem=problem, status_code=422
            )
        except NotFoundError:
            return not_found(request, signed_in)
        except ForbiddenError:
            return forbidden(request, signed_in)
        except RetornoError as error:
            return await case_page(
                request,
                rt,
                signed_in,
                case_id,
                problem=transition_problem(request, signed_in, error),
                status_code=error.status_code,
            )
        return RedirectResponse(f"/cases/{case_id}", status_code=303)

    return routes


def _form_of(values: dict[str, list[Any]]) -> FormData:
    return FormData([(k, v) for k, vs in values.items() for v in vs])
