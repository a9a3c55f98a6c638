"""The evaluator's pages: the exports made, with their provenance, a form to make one, and
the download of each file.

The same use case and queries as ``services/evaluation/api.py``, with the signed-in person's
principal: ``usecases.create_export``, ``queries.list_exports`` and ``queries.export_file``
(the download answers as ``GET /api/exports/{id}/files/{name}``: the same permission, the
file's media type, an attachment under its own name, its SHA-256 as the ETag).
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from services.evaluation import queries, usecases
from services.evaluation.api import FILE_NAME
from services.evaluation.domain.errors import ExportFileNotFoundError
from services.evaluation.schemas import TABLE_NAMES, ExportIn
from services.kit.errors import RetornoError
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
)
from services.web.pages.funds import not_found_page

PER_PAGE = 50
FORMATS = ("csv", "xlsx", "html")
TABLE_TITLES: dict[str, str] = {
    "returns": N_("Returns by destination, sex and age"),
    "returns_by_category": N_("Returns by vulnerability category"),
    "lifecycle": N_("Cases by stage"),
    "assistance": N_("Assistance paid"),
    "outcomes": N_("Reintegration outcomes"),
    "outcomes_by_category": N_("Reintegration outcomes by vulnerability category"),
    "outcomes_over_time": N_("Reintegration outcomes over time"),
    "residence": N_("Where people live at follow-up"),
    "remigration_intention": N_("Intention to migrate again"),
    "closures": N_("Follow-ups closed, by reason"),
}
TRIGGER_NAMES: dict[str, str] = {"request": N_("on request"), "schedule": N_("scheduled")}
# Pydantic's field of a refused body, as the form names it.
FORM_FIELD = {"period": "period", "from": "from", "first_day": "from", "to": "to",
              "last_day": "to", "tables": "tables", "format": "format"}  # fmt: skip
FIELD_MESSAGES: dict[str, str] = {
    "period": N_(
        "Write a year (2026), a half-year (2026-H1), a quarter (2026-Q3) or a month (2026-05)."
    ),
    "from": N_("Give the first day as a calendar day."),
    "to": N_("Give the last day as a calendar day."),
    "tables": N_("Choose at least one table."),
    "format": N_("Choose a format: CSV, Excel or a web page."),
}
FILE_PATTERN = re.compile(FILE_NAME)


def router() -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    async def exports_page(
        request: Request,
        rt: Rt,
        signed_in: SignedIn,
        offset: int,
        *,
        form: Typed | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        found = await queries.list_exports(rt, signed_in.principal, PER_PAGE + 1, offset)
        if form is None:
            form = Typed("export", {"period": "", "format": "csv"})
        chosen = form.values.get("tables", ",".join(TABLE_NAMES)).split(",")
        return page(
            request,
            "exports.html",
            signed_in=signed_in,
            exports=found.items[:PER_PAGE],
            more=len(found.items) > PER_PAGE,
            offset=offset,
            per_page=PER_PAGE,
            form=form,
            tables=TABLE_NAMES,
            chosen_tables=chosen,
            formats=FORMATS,
            table_titles=TABLE_TITLES,
            trigger_names=TRIGGER_NAMES,
            done=request.query_params.get("done"),
            status_code=status_code,
        )

    @routes.get("/exports", response_class=HTMLResponse)
    async def exports_list(
        request: Request, rt: Rt, offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0
    ) -> Response:
        """The exports made, newest first, with their provenance: ``queries.list_exports``
        as ``GET /api/exports``; the form to make one (for ``exports.create``)."""
        signed_in = await guard(request, rt, "exports.read")
        if isinstance(signed_in, Response):
            return signed_in
        return await exports_page(request, rt, signed_in, offset)

    @routes.post("/exports", response_class=HTMLResponse)
    async def make_export(
        request: Request,
        rt: Rt,
        period: Annotated[str, Form(max_length=40)] = "",
        first_day: Annotated[str, Form(alias="from", max_length=40)] = "",
        last_day: Annotated[str, Form(alias="to", max_length=40)] = "",
        tables: Annotated[list[str] | None, Form(max_length=20)] = None,
        format: Annotated[str, Form(max_length=10)] = "csv",  # noqa: A002 - the API's name
        csrf_token: Annotated[str, Form(max_length=128)] = "",
    ) -> Response:
        """Make an export: ``usecases.create_export`` as ``POST /api/exports`` (a preset
        period or from/to, the tables, the format). A refusal of the differencing guard or
        of the protection stores nothing and is shown at the top."""
        signed_in = await guard_form(request, rt, "exports.create", csrf_token)
        if isinstance(signed_in, Response):
            return signed_in
        chosen = [t for t in tables or [] if t]
        form = Typed(
            "export",
            {
                "period": period,
                "from": first_day,
                "to": last_day,
                "tables": ",".join(chosen),
                "format": format,
            },
        )
        translate = gettext_for(request, signed_in)
        body: dict[str, object] = {"tables": chosen, "format": format}
        for key, value in (("period", period), ("from", first_day), ("to", last_day)):
            if value.strip():
                body[key] = value.strip()
        try:
            request_body = ExportIn.model_validate(body)
        except ValidationError as invalid:
            for problem in invalid.errors():
                where = FORM_FIELD.get(str(problem["loc"][0]) if problem["loc"] else "", "")
                if where and where not in form.errors:
                    form.errors[where] = translate(FIELD_MESSAGES[where])
            if not form.errors:
                form.problem = translate(FIELD_MESSAGES["period"])
            return await exports_page(request, rt, signed_in, 0, form=form, status_code=422)
        try:
            made = await usecases.create_export(rt, signed_in.principal, request_body)
        except RetornoError as error:
            refuse(form, error, language_of(request, signed_in))
            return await exports_page(
                request, rt, signed_in, 0, form=form, status_code=error.status_code
            )
        return RedirectResponse(f"/exports?done={made.id}#export-{made.id}", status_code=303)

    @routes.get("/exports/{export_id}/files/{name}", response_model=None)
    async def download(
        request: Request, rt: Rt, export_id: uuid.UUID, name: str
    ) -> Response | FileResponse:
        """One file of an export, as ``GET /api/exports/{id}/files/{name}`` serves it."""
        signed_in = await guard(request, rt, "exports.read")
        if isinstance(signed_in, Response):
            return signed_in
        try:
            if not FILE_PATTERN.fullmatch(name):
                raise ExportFileNotFoundError("no such file name")
            found = await queries.export_file(rt, signed_in.principal, export_id, name)
        except RetornoError as error:
            return not_found_page(request, signed_in, error)
        return FileResponse(
            found.path,
            media_type=found.media_type,
            filename=found.name,
            headers={"ETag": f'"{found.sha256}"', "Cache-Control": "no-store"},
        )

    return routes
