"""The auditor's pages: verify the audit log's chain, the secretariat's queries and the
semi-annual summary, each as a table with its CSV download.

A table and its CSV come from the same query as ``services.audit.api`` (the same filters,
parsed and refused the same way). The audit log holds no personal data (people appear only as
pseudonymous references), so neither does anything here.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, cast

from babel.numbers import format_decimal
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError

from services.audit.domain.dates import check_date_range
from services.audit.queries.cap import cap_compliance
from services.audit.queries.checkpoints import list_checkpoints
from services.audit.queries.events import events
from services.audit.queries.money import commitments_by, disbursements_by, member_use
from services.audit.queries.stages import case_stages
from services.audit.queries.summary import summary
from services.audit.schemas import (
    CapViolation,
    CaseDimension,
    Checkpoint,
    Dimension,
    EventFilter,
    EventRow,
    MemberUse,
    MoneyFilter,
    MoneyRow,
    StageRow,
    Summary,
)
from services.audit.usecases.verify import verify_log
from services.kit.cli import flatten
from services.kit.definition import Runtime
from services.kit.errors import InvalidInputError, RetornoError
from services.web.i18n import moment
from services.web.messages import N_
from services.web.pages.common import (
    Rt,
    SignedIn,
    gettext_for,
    guard,
    language_of,
    page,
    problem_of,
)

READ = "audit.read"
VERIFY = "audit.verify"
TEXT = re.compile(r"^[^\x00-\x1f\x7f]+$")
DIMENSIONS: tuple[Dimension, ...] = ("fund_period", "category", "destination_country", "member")
CASE_DIMENSIONS: tuple[CaseDimension, ...] = ("office", "category")
PAGE_ROWS = 200  # a page shows at most these rows (under its weight budget); the CSV has all
BAD_FILTER = N_("Check the filter “%(field)s”: what it holds is not valid.")

COLUMN_NAMES = {
    "fund_period": N_("Fund period"),
    "category": N_("Category"),
    "destination_country": N_("Destination"),
    "member": N_("Member"),
    "office": N_("Office"),
    "count": N_("Count"),
    "amount_cents": N_("Amount"),
    "released_cents": N_("Released"),
    "reversed_cents": N_("Reversed"),
    "position": N_("Position"),
    "type": N_("Event"),
    "occurred_at": N_("When"),
    "actor_id": N_("Actor"),
    "actor_role": N_("Role"),
    "case_id": N_("Case"),
    "payload": N_("Content"),
    "stage": N_("Stage"),
    "group": N_("Group"),
    "cases_entered": N_("Cases entered"),
    "cases_now": N_("Cases now"),
    "stays_completed": N_("Stays completed"),
    "mean_days": N_("Mean days"),
    "median_days": N_("Median days"),
    "max_days": N_("Longest days"),
    "person_ref": N_("Person (reference)"),
    "cap_cents": N_("Cap"),
    "committed_cents": N_("Committed"),
    "disbursed_cents": N_("Disbursed"),
    "share_percent": N_("Share %"),
    "expected_cents": N_("Expected"),
    "pledged_cents": N_("Pledged"),
    "received_cents": N_("Received"),
    "attributed_cents": N_("Attributed"),
    "unused_received_cents": N_("Received, unused"),
    "used_percent": N_("Used %"),
    "signed_at": N_("Signed"),
    "hash": N_("Hash"),
    "key_id": N_("Key"),
    "measure": N_("Measure"),
    "by": N_("Group by"),
    "limit": N_("At most"),
    "after_position": N_("After position"),
}
# what the event table shows of a row (the CSV keeps every column)
EVENT_COLUMNS = ("position", "occurred_at", "type", "actor_id", "actor_role", "case_id", "payload")


class Count(BaseModel):
    """One figure of the summary's activity."""

    measure: str
    count: int


@dataclass(frozen=True)
class Filters:
    """The filters a report's form offers, as the API names its query parameters."""

    dates: bool = False
    fund_period: bool = False
    money_by: bool = False
    case_by: bool = False
    events: bool = False


@dataclass(frozen=True)
class Report:
    slug: str
    title: str
    explanation: str
    model: type[BaseModel]
    filters: Filters
    run: Callable[[Runtime, dict[str, Any]], Awaitable[Sequence[BaseModel]]]


async def _commitments(rt: Runtime, f: dict[str, Any]) -> Sequence[BaseModel]:
    return await commitments_by(rt, f["by"], f["money"])


async def _disbursements(rt: Runtime, f: dict[str, Any]) -> Sequence[BaseModel]:
    return await disbursements_by(rt, f["by"], f["money"])


async def _members(rt: Runtime, f: dict[str, Any]) -> Sequence[BaseModel]:
    return await member_use(rt, f["fund_period"])


async def _cap(rt: Runtime, f: dict[str, Any]) -> Sequence[BaseModel]:
    return (await cap_compliance(rt, f["fund_period"])).violations


async def _stages(rt: Runtime, f: dict[str, Any]) -> Sequence[BaseModel]:
    return await case_stages(rt, f["case_by"], f["date_from"], f["date_to"])


async def _events(rt: Runtime, f: dict[str, Any]) -> Sequence[BaseModel]:
    return await events(rt, f["events"])


async def _checkpoints(rt: Runtime, f: dict[str, Any]) -> Sequence[BaseModel]:
    return await list_checkpoints(rt)


REPORTS = {
    r.slug: r
    for r in (
        Report(
            "commitments",
            N_("Commitments"),
            N_("Money committed to cases, grouped as chosen; releases are not split by category."),
            MoneyRow,
            Filters(dates=True, fund_period=True, money_by=True),
            _commitments,
        ),
        Report(
            "disbursements",
            N_("Disbursements"),
            N_("Money paid out, net of reversals, grouped as chosen."),
            MoneyRow,
            Filters(dates=True, fund_period=True, money_by=True),
            _disbursements,
        ),
        Report(
            "members",
            N_("Contributions and use"),
            N_("Each member's contribution received against the payments attributed to it."),
            MemberUse,
            Filters(fund_period=True),
            _members,
        ),
        Report(
            "cap-compliance",
            N_("People above the cap"),
            N_("Every person whose exposure in a fund exceeds its per-person cap: none is due."),
            CapViolation,
            Filters(fund_period=True),
            _cap,
        ),
        Report(
            "stages",
            N_("Cases by stage"),
            N_("How many cases entered each stage and how long they stayed."),
            StageRow,
            Filters(dates=True, case_by=True),
            _stages,
        ),
        Report(
            "events",
            N_("Events of the log"),
            N_("The events of the tamper-evident log, oldest first (no personal data)."),
            EventRow,
            Filters(dates=True, events=True),
            _events,
        ),
        Report(
            "checkpoints",
            N_("Signed checkpoints"),
            N_("The signed checkpoints of the log's head."),
            Checkpoint,
            Filters(),
            _checkpoints,
        ),
    )
}
SUMMARY_TABLES: dict[str, tuple[str, type[BaseModel]]] = {
    "activity": (N_("Activity"), Count),
    "commitments_by_category": (N_("Commitments by category"), MoneyRow),
    "commitments_by_destination": (N_("Commitments by destination"), MoneyRow),
    "disbursements_by_category": (N_("Disbursements by category"), MoneyRow),
    "disbursements_by_destination": (N_("Disbursements by destination"), MoneyRow),
    "disbursements_by_member": (N_("Disbursements by member"), MoneyRow),
    "members": (N_("Contributions and use"), MemberUse),
    "cap_violations": (N_("People above the cap"), CapViolation),
}


def _one(request: Request, name: str, limit: int) -> str | None:
    value = request.query_params.get(name)
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > limit or not TEXT.match(value):
        raise InvalidInputError(f"{name} is not valid", field=name)
    return value


def parse_filters(rt: Runtime, request: Request, report: Report) -> dict[str, Any]:
    """The report's filters from the query string, checked as the API checks them."""
    chosen = report.filters
    found: dict[str, Any] = {"date_from": None, "date_to": None, "fund_period": None}
    if chosen.dates:
        dates = check_date_range(
            _one(request, "date_from", 40), _one(request, "date_to", 40), today=rt.clock().date()
        )
        found.update(date_from=dates.date_from, date_to=dates.date_to)
    if chosen.fund_period:
        found["fund_period"] = _one(request, "fund_period", 20)
    if chosen.money_by:
        by = request.query_params.getlist("by") or ["fund_period"]
        if any(b not in DIMENSIONS for b in by):
            raise InvalidInputError("by is not a grouping", field="by")
        found["by"] = list(dict.fromkeys(cast(list[Dimension], by)))
        found["money"] = MoneyFilter(
            fund_period=found["fund_period"], date_from=found["date_from"], date_to=found["date_to"]
        )
    if chosen.case_by:
        case_by = _one(request, "by", 20)
        if case_by is not None and case_by not in CASE_DIMENSIONS:
            raise InvalidInputError("by is not a grouping", field="by")
        found["case_by"] = case_by
    if chosen.events:
        try:
            found["events"] = EventFilter.model_validate(
                {
                    "case_id": _one(request, "case_id", 40),
                    "actor_id": _one(request, "actor_id", 120),
                    "type": _one(request, "type", 120),
                    "after_position": _one(request, "after_position", 20) or 0,
                    "limit": _one(request, "limit", 5) or 100,
                    "date_from": found["date_from"],
                    "date_to": found["date_to"],
                }
            )
        except ValidationError as error:
            field = str(error.errors()[0]["loc"][0])
            raise InvalidInputError(f"{field} is not valid", field=field) from None
        kind = found["events"].type
        if kind is not None and not re.fullmatch(r"[a-z_]+\.[a-z_]+", kind):
            raise InvalidInputError("type is not an event type", field="type")
    return found


def csv_text(rows: Sequence[BaseModel], model: type[BaseModel]) -> str:
    """The rows as CSV, a column per field (``keys`` spread into one column per dimension,
    ``payload`` as JSON); the header alone when there is no row."""
    flat = [_csv_row(r) for r in rows]
    columns = list(dict.fromkeys(k for r in flat for k in r)) or [
        name for name in model.model_fields if name != "keys"
    ]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(flat)
    return out.getvalue()


def _csv_row(row: BaseModel) -> dict[str, Any]:
    flat = flatten(row)
    if "payload" in flat:
        flat["payload"] = json.dumps(flat["payload"], sort_keys=True, ensure_ascii=False)
    return flat


def csv_response(text: str, name: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="retorno-{name}.csv"',
            "Cache-Control": "no-store",
        },
    )


@dataclass(frozen=True)
class Table:
    columns: list[str]
    headers: list[str]
    rows: list[list[str]]


def table_of(
    rows: Sequence[BaseModel],
    model: type[BaseModel],
    language: str,
    translate: Callable[[str], str],
    only: Sequence[str] | None = None,
) -> Table:
    """The rows for the page: amounts in cents as the language writes decimals, times in UTC,
    content as compact JSON."""
    flat = [flatten(r) for r in rows]
    columns = list(dict.fromkeys(k for r in flat for k in r)) or [
        name for name in model.model_fields if name != "keys"
    ]
    if only is not None:
        columns = [c for c in only if c in columns]
    return Table(
        columns=columns,
        headers=[translate(COLUMN_NAMES[c]) if c in COLUMN_NAMES else c for c in columns],
        rows=[[_cell(c, r.get(c), language) for c in columns] for r in flat],
    )


def _cell(column: str, value: object, language: str) -> str:
    if value is None:
        return "—"
    if column.endswith("_cents") and isinstance(value, int):
        return format_decimal(Decimal(value).scaleb(-2), format="#,##0.00", locale=language)
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if column == "payload":
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, str) and column.endswith("_at"):
        try:
            return moment(datetime.fromisoformat(value), language)
        except ValueError:
            return value
    if isinstance(value, float):
        return format_decimal(value, format="#,##0.0", locale=language)
    return str(value)


def summary_tables(found: Summary) -> dict[str, Sequence[BaseModel]]:
    activity = found.activity
    counts = [
        Count(measure="events_total", count=activity.events_total),
        Count(measure="cases_registered", count=activity.cases_registered),
        Count(measure="people_registered", count=activity.people_registered),
        Count(measure="erasures", count=activity.erasures),
        *(
            Count(measure=f"events:{t}", count=n)
            for t, n in sorted(activity.events_by_type.items())
        ),
        *(Count(measure=f"stage:{s}", count=n) for s, n in sorted(activity.stages_entered.items())),
    ]
    return {
        "activity": counts,
        "commitments_by_category": found.commitments_by_category,
        "commitments_by_destination": found.commitments_by_destination,
        "disbursements_by_category": found.disbursements_by_category,
        "disbursements_by_destination": found.disbursements_by_destination,
        "disbursements_by_member": found.disbursements_by_member,
        "members": found.members,
        "cap_violations": found.cap_compliance.violations,
    }


def default_half(today: date) -> str:
    """The half-year before the current one (the one a report is due for)."""
    return f"{today.year - 1}-H2" if today.month <= 6 else f"{today.year}-H1"


def router() -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get("/audit", response_class=HTMLResponse)
    async def audit_home(request: Request, rt: Rt) -> Response:
        signed_in = await guard(request, rt, READ)
        if isinstance(signed_in, Response):
            return signed_in
        return page(
            request,
            "audit_home.html",
            signed_in=signed_in,
            reports=list(REPORTS.values()),
            half=default_half(rt.clock().date()),
        )

    @routes.get("/audit/verify", response_class=HTMLResponse)
    async def verify_page(
        request: Request, rt: Rt, run: Annotated[str | None, Query(max_length=5)] = None
    ) -> Response:
        """The verification of ``GET /api/audit/verify``, run when asked (``?run=1``)."""
        signed_in = await guard(request, rt, VERIFY)
        if isinstance(signed_in, Response):
            return signed_in
        result = await verify_log(rt) if run else None
        return page(request, "audit_verify.html", signed_in=signed_in, result=result)

    async def report_rows(
        request: Request, rt: Runtime, signed_in: SignedIn, report: Report
    ) -> tuple[Sequence[BaseModel], str | None, int]:
        try:
            filters = parse_filters(rt, request, report)
            return await report.run(rt, filters), None, 200
        except RetornoError as error:
            field = error.extra.get("field")
            if field is None:
                message = problem_of(request, signed_in, error)
            else:
                translate = gettext_for(request, signed_in)
                label = translate(COLUMN_NAMES[field]) if field in COLUMN_NAMES else field
                message = translate(BAD_FILTER) % {"field": label}
            return [], message, error.status_code

    @routes.get("/audit/reports/{name}", response_class=HTMLResponse)
    async def report_page(request: Request, rt: Rt, name: str) -> Response:
        signed_in = await guard(request, rt, READ)
        if isinstance(signed_in, Response):
            return signed_in
        report = REPORTS.get(name)
        if report is None:
            return page(request, "forbidden.html", signed_in=signed_in, status_code=404)
        rows, problem, code = await report_rows(request, rt, signed_in, report)
        translate = gettext_for(request, signed_in)
        only = EVENT_COLUMNS if report.slug == "events" else None
        return page(
            request,
            "audit_report.html",
            signed_in=signed_in,
            report=report,
            table=table_of(
                rows[:PAGE_ROWS], report.model, language_of(request, signed_in), translate, only
            ),
            shown=min(len(rows), PAGE_ROWS),
            found=len(rows),
            problem=problem,
            params=request.query_params,
            chosen_by=request.query_params.getlist("by"),
            dimensions=DIMENSIONS,
            case_dimensions=CASE_DIMENSIONS,
            column_names={k: translate(v) for k, v in COLUMN_NAMES.items()},
            query=str(request.url.query),
            status_code=code,
        )

    @routes.get("/audit/reports/{name}/csv")
    async def report_csv(request: Request, rt: Rt, name: str) -> Response:
        """The report's rows as CSV, from the same query as its page."""
        signed_in = await guard(request, rt, READ)
        if isinstance(signed_in, Response):
            return signed_in
        report = REPORTS.get(name)
        if report is None:
            return page(request, "forbidden.html", signed_in=signed_in, status_code=404)
        rows, problem, code = await report_rows(request, rt, signed_in, report)
        if problem is not None:
            return Response(problem, status_code=code, media_type="text/plain; charset=utf-8")
        return csv_response(csv_text(rows, report.model), report.slug)

    async def run_summary(
        request: Request, rt: Runtime, signed_in: SignedIn, half: str
    ) -> tuple[Summary | None, str | None, int]:
        try:
            return await summary(rt, half.strip()), None, 200
        except RetornoError as error:
            return None, problem_of(request, signed_in, error), error.status_code

    @routes.get("/audit/summary", response_class=HTMLResponse)
    async def summary_page(
        request: Request, rt: Rt, half: Annotated[str | None, Query(max_length=20)] = None
    ) -> Response:
        """The semi-annual summary (``GET /api/audit/summary``) of a half-year."""
        signed_in = await guard(request, rt, READ)
        if isinstance(signed_in, Response):
            return signed_in
        chosen = half or default_half(rt.clock().date())
        found, problem, code = await run_summary(request, rt, signed_in, chosen)
        language, translate = language_of(request, signed_in), gettext_for(request, signed_in)
        tables = (
            {
                name: (
                    translate(SUMMARY_TABLES[name][0]),
                    table_of(rows, SUMMARY_TABLES[name][1], language, translate),
                )
                for name, rows in summary_tables(found).items()
            }
            if found is not None
            else {}
        )
        return page(
            request,
            "audit_summary.html",
            signed_in=signed_in,
            half=chosen,
            found=found,
            tables=tables,
            problem=problem,
            status_code=code,
        )

    @routes.get("/audit/summary/csv")
    async def summary_csv(
        request: Request,
        rt: Rt,
        half: Annotated[str, Query(max_length=20)],
        table: Annotated[str, Query(max_length=40)],
    ) -> Response:
        """One table of the summary as CSV, from the same query as the page."""
        signed_in = await guard(request, rt, READ)
        if isinstance(signed_in, Response):
            return signed_in
        if table not in SUMMARY_TABLES:
            return Response("no such table", status_code=404, media_type="text/plain")
        found, problem, code = await run_summary(request, rt, signed_in, half)
        if found is None:
            return Response(problem or "", status_code=code, media_type="text/plain; charset=utf-8")
        rows = summary_tables(found)[table]
        return csv_response(
            csv_text(rows, SUMMARY_TABLES[table][1]), f"summary-{found.half}-{table}"
        )

    return routes
