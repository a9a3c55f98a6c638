"""``retorno demo``: a realistic sample loaded into a running system through its HTTP API.

Users are made on the shared databases (a token per role); everything else goes through
HTTP as people would do it: the source's fund and contributions, three dozen cases screened,
funded by the funding service through the broker, taken home and followed, money paid out,
a withdrawal, a cancellation and an erasure. Every name in it is invented.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import OperationalError

from services.demo.data import (
    INELIGIBLE,
    OFFICES,
    PATH,
    PLANS,
    RECEIVED,
    SHARES,
    TARGET_CENTS,
    _money,
    sample_cases,
)
from services.kit.definition import Runtime
from services.kit.errors import ConflictError
from services.reintegration.domain.scoring import Instrument, parse_instrument
from services.reintegration.domain.worklist import DUE_STATUSES
from services.reintegration.settings import SHIPPED_INSTRUMENTS
from services.runtime.answers import fund_not_known_yet

USERS = [(f"demo-caseworker-{o[:2].lower()}", "caseworker", [o]) for o in OFFICES] + [
    ("demo-supervisor", "supervisor", list(OFFICES)),
    ("demo-auditor", "auditor", []),
    ("demo-evaluator", "evaluator", []),
    ("demo-dpo", "data_protection_officer", []),
    ("demo-admin", "admin", []),
]
OFFICES_FIRST = next(iter(OFFICES))
# The demo also shows the working lists as they will stand this many days after today, once
# the first contacts' windows (3 months after arrival, +-14 days) have closed.
AHEAD_DAYS = 120
DEMO_NOTE = "Found work at a bakery; wants training (invented demo text)"  # a contact's note
WITHDRAWAL_NOTE = "Decided to stay with relatives (invented demo text)"  # a withdrawal's
SUP, AUD, DPO, EVAL = "demo-supervisor", "demo-auditor", "demo-dpo", "demo-evaluator"
OTHER_DATABASE = (
    "the running API does not use this database: run `retorno demo` where `make run` runs "
    "(same directory, RETORNO_DATA_DIR and RETORNO_DATABASE_URL)"
)


class DemoError(Exception):
    """The demo cannot go on; the message says why and what to do."""


@dataclass
class DemoReport:
    base_url: str
    period: str
    users: list[tuple[str, str, list[str], str]]  # name, role, offices, token
    cases: dict[str, str] = field(default_factory=dict)  # case id -> status it was taken to
    example_case: str | None = None
    example_person: str | None = None
    erased_person: str | None = None
    disbursements: int = 0
    follow_ups: FollowUps | None = None
    export_id: str | None = None
    seconds: float = 0.0
    already_loaded: bool = False


async def wait_for_api(base_url: str) -> None:
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=5) as http:
            health = await http.get("/health")
    except httpx.HTTPError as e:
        raise DemoError(
            f"the API at {base_url} is not reachable ({type(e).__name__}); "
            "start it with `make run` in another terminal"
        ) from e
    if health.status_code != 200:
        raise DemoError(f"the system at {base_url} is not healthy: {health.text}")


class _Api:
    def __init__(self, http: httpx.AsyncClient, users: list[tuple[str, str, list[str], str]]):
        self.http, self.tokens = http, {name: token for name, _r, _o, token in users}

    async def __call__(self, user: str, method: str, path: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"}
        response = await self.http.request(method, path, json=body, headers=headers)
        deadline = time.monotonic() + 60
        while _fund_not_known_yet(response) and time.monotonic() < deadline:
            await asyncio.sleep(0.25)  # the fund just created has not reached registration
            response = await self.http.request(method, path, json=body, headers=headers)
        if response.status_code == 404 and method == "GET":
            return None
        if response.status_code not in (200, 201):
            raise DemoError(f"{method} {path} answered {response.status_code}: {response.text}")
        return response.json()


def _fund_not_known_yet(response: httpx.Response) -> bool:
    if response.status_code != 422:
        return False
    return fund_not_known_yet(response.status_code, response.json())


async def _until(check: Callable[[], Awaitable[Any]], what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := await check():
            return found
        await asyncio.sleep(0.25)
    raise DemoError(f"{what} did not happen within {timeout:.0f}s; check /health and the logs")


async def load_demo(base_url: str, rt_for_users: Runtime) -> DemoReport:
    """Load the sample into the system at ``base_url``; users are made through
    ``rt_for_users``. A system that has this year's fund already only gets fresh tokens."""
    from services.api.usecases import add_user, issue_token

    started = time.monotonic()
    await wait_for_api(base_url)
    users = []
    for name, role, offices in USERS:
        try:
            _user, token = await add_user(rt_for_users, name, role, offices)
        except ConflictError:
            _info, token = await issue_token(rt_for_users, name)
        except OperationalError as e:  # no tables: not the running system's database
            raise DemoError(OTHER_DATABASE) from e
        users.append((name, role, offices, token))
    report = DemoReport(base_url, str(date.today().year), users)
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        api = _Api(http, users)
        me = await http.get("/api/me", headers={"Authorization": f"Bearer {users[-1][3]}"})
        if me.status_code == 401:
            raise DemoError(OTHER_DATABASE)
        if await api(SUP, "GET", f"/api/funds/{report.period}") is not None:
            report.already_loaded = True
        else:
            await _load(api, report)
        await _examples(api, report)
    report.seconds = time.monotonic() - started
    return report


async def _load(api: _Api, report: DemoReport) -> None:
    today, period = date.today(), report.period
    shares = [{"member": m, "share_percent": str(p)} for m, p in SHARES.items()]
    await api(
        SUP,
        "POST",
        "/api/funds",
        {
            "period": period,
            "currency": "USD",
            "target": _money(TARGET_CENTS),
            "per_person_cap": "1000.00",
            "shares": shares,
        },
    )
    on = min(date(today.year, 1, 15), today).isoformat()
    for member, percent in SHARES.items():
        paid = {"member": member, "amount": _money(TARGET_CENTS * percent // 100), "on": on}
        await api(SUP, "POST", f"/api/funds/{period}/pledges", paid)
        if member in RECEIVED:
            await api(SUP, "POST", f"/api/funds/{period}/receipts", paid)
    plans: dict[str, tuple[str, str]] = {}  # case id -> (plan, caseworker)
    for n, (plan, body) in enumerate(sample_cases(today, period)):
        user = f"demo-caseworker-{body['office'][:2].lower()}"
        cid = (await api(user, "POST", "/api/cases", body))["case_id"]
        plans[cid] = (plan, user)
        screen: dict[str, Any] = {"to": "eligible", "reason_code": "meets_criteria"}
        if plan == "ineligible":
            screen = {"to": plan, "reason_code": INELIGIBLE[n - PLANS.index(plan)][3]}
        elif body["people"][0]["nationality"] != body["destination_country"]:
            screen["eligibility_exception_reason"] = "family_reunification"
        if plan != "registered":
            await api(user, "POST", f"/api/cases/{cid}/transitions", screen)
    funded = {c for c, (plan, _u) in plans.items() if plan not in ("registered", "ineligible")}

    async def all_funded() -> bool:
        page = await api(SUP, "GET", "/api/cases?status=funding_approved&page_size=200")
        return funded <= {item["case_id"] for item in page["items"]}

    await _until(all_funded, "the funding decisions (funding service, through the broker)")
    for n, (cid, (plan, user)) in enumerate(plans.items()):
        path = f"/api/cases/{cid}/transitions"
        if plan == "withdrawn":
            note = WITHDRAWAL_NOTE
            await api(
                user,
                "POST",
                path,
                {"to": plan, "reason_code": "changed_mind", "reason_detail": note},
            )
        elif plan == "cancelled":
            await api(user, "POST", path, {"to": plan, "reason_code": "duplicate_request"})
        elif plan in PATH:
            for step in PATH[: PATH.index(plan) + 1]:
                if not (step == "monitoring" and plan == "closed" and n % 5 == 0):
                    await api(user, "POST", path, {"to": step})  # some close right on arrival
            if PATH.index(plan) >= PATH.index("departed"):
                report.disbursements += await _disburse(api, cid, full=plan != "departed")
        report.cases[cid] = plan
    closed = next(c for c, (plan, _u) in plans.items() if plan == "closed")
    report.erased_person = (await api(SUP, "GET", f"/api/cases/{closed}"))["people"][0][
        "person_ref"
    ]
    erasure = f"/api/people/{report.erased_person}/erasure"

    async def erased() -> bool:  # privacy learns of the closure from its event, a moment later
        try:
            return bool(await api(DPO, "POST", erasure))
        except DemoError as e:
            if "person-in-open-case" not in str(e):
                raise
            return False

    await _until(erased, "privacy to learn that the erased person's case is closed")
    report.follow_ups = await _follow_ups(api, plans)
    export = await api(EVAL, "POST", "/api/exports", {"period": report.period, "format": "xlsx"})
    report.export_id = export["id"]


@functools.cache
def _instrument() -> Instrument:
    text = (SHIPPED_INSTRUMENTS / "illustrative-1.toml").read_text(encoding="utf-8")
    return parse_instrument(text, source="illustrative-1.toml")


def _answers(n: int) -> dict[str, str]:
    """Invented survey answers to the shipped illustrative instrument, varied by person."""
    instrument = _instrument()  # read and parsed once, not per person
    return {
        indicator.id: indicator.options[(n + i) % len(indicator.options)].code
        for i, indicator in enumerate(instrument.indicators)
    }


@dataclass
class FollowUps:
    """What the demo recorded in the follow-up, and the working lists it left."""

    contacts: int = 0
    scores: int = 0
    plans_drawn_up: int = 0
    grants: int = 0
    grant_plan: str | None = None  # the plan whose cash grant was asked of the fund
    re_migrated: int = 0
    not_reached: int = 0
    no_consent: int = 0
    due: dict[str, int] = field(default_factory=dict)  # working-list rows per status
    ahead_on: date | None = None  # a later day the lists are also looked at on
    ahead: dict[str, int] = field(default_factory=dict)  # their rows then, if nothing is done


async def _follow_ups(api: _Api, plans: dict[str, tuple[str, str]]) -> FollowUps:
    """Follow-up of the people in monitoring (their plans made by reintegration on arrival),
    person by person in the order the cases were registered, all today (invented): most
    plans drawn up (every fourth left missing, due within 30 days), a reached contact with a
    survey (scored), one person abroad again whose follow-up closes as re-migrated, one not
    reached three times, a cash grant asked of the fund for one, and "no consent" for whoever
    has not consented to follow-up contact (the vault refuses the contact)."""
    followed = [c for c, (plan, _u) in plans.items() if plan == "monitoring"]
    people_of: dict[str, list[str]] = {}
    for cid in followed:
        case = await api(SUP, "GET", f"/api/cases/{cid}")
        people_of[cid] = [p["person_ref"] for p in case["people"]]
    expected = {(c, ref) for c in followed for ref in people_of[c]}

    async def planned() -> dict[tuple[str, str], str]:
        found: dict[tuple[str, str], str] = {}
        for office in OFFICES:
            page = await api(SUP, "GET", f"/api/monitoring/due?office={office}&page_size=200")
            found |= {(i["case_id"], i["person_ref"]): i["plan_id"] for i in page["items"]}
        return found if expected <= found.keys() else {}

    plan_of = await _until(planned, "the reintegration plans (reintegration service, on arrival)")
    today = date.today().isoformat()
    done = FollowUps()
    # Chosen by position in registration order and by consent, never by random ids: the
    # first consenting person from the fourth plan on is not reached, the first from the
    # sixth on is found abroad again, the first reached gets a cash grant.
    not_reached_due, re_migration_due, grant_due = True, True, True
    order = [(c, ref) for c in followed for ref in people_of[c]]
    for n, (cid, ref) in enumerate(order):
        user = plans[cid][1]
        path = f"/api/monitoring/plans/{plan_of[(cid, ref)]}"
        if n % 4 != 1:  # every fourth plan is left to draw up: "plans missing"
            items_planned = [{"category": "training", "kind": "in_kind"}]
            body = {"stage": "planned", "on": today, "items": items_planned}
            await api(user, "POST", f"{path}/assistance", body)
            done.plans_drawn_up += 1
        re_migrates = re_migration_due and n >= 5
        unreached = not_reached_due and n >= 3 and not re_migrates
        try:
            if unreached:
                for _attempt in range(3):
                    attempt = {"on": today, "method": "call", "outcome": "not_reached"}
                    await api(user, "POST", f"{path}/contacts", attempt)
                    done.contacts += 1
                not_reached_due = False
                done.not_reached += 1
                continue
            residence = "abroad_again" if re_migrates else "same_community"
            contact: dict[str, Any] = {
                "on": today,
                "method": "visit",
                "outcome": "reached",
                "residence": residence,
                "remigration_intention": "planning" if re_migrates else "none",
                "note": DEMO_NOTE,
                "survey": {"answers": _answers(n)},
            }
            if grant_due and not re_migrates:  # paid from the fund, within the person's cap
                cash = {"category": "business_start_up", "kind": "cash", "amount": "150.00"}
                contact["assistance_received"] = [cash]
            answer = await api(user, "POST", f"{path}/contacts", contact)
        except DemoError as e:
            if "no-follow-up-consent" not in str(e):
                raise
            refused = {"on": today, "method": "call", "outcome": "no_consent"}
            await api(user, "POST", f"{path}/contacts", refused)
            done.contacts += 1
            done.no_consent += 1
            continue
        done.contacts += 1
        done.scores += 1 if answer.get("score") else 0
        if "assistance_received" in contact:
            grant_due = False
            done.grants += 1
            done.grant_plan = plan_of[(cid, ref)]
        if re_migrates:  # re-migrated: an outcome, not an error
            await api(user, "POST", f"{path}/closure", {"on": today, "reason": "re_migrated"})
            re_migration_due = False
            done.re_migrated += 1
    # Every return here arrived today, so nothing is overdue yet: the same lists as they will
    # stand when the first contacts' windows (3 months after arrival, +-14 days) have closed.
    done.ahead_on = date.fromisoformat(today) + timedelta(days=AHEAD_DAYS)
    for office in OFFICES:
        for counts, extra in ((done.due, ""), (done.ahead, f"&as_of={done.ahead_on}")):
            page = await api(SUP, "GET", f"/api/monitoring/due?office={office}&page_size=1{extra}")
            for status, count in page["counts"].items():
                counts[status] = counts.get(status, 0) + count
    return done


async def _disburse(api: _Api, case_id: str, *, full: bool) -> int:
    """Pay transport (and, once home, every other line) of each commitment of the case."""
    query = f"/api/audit/events?case_id={case_id}&type=funding.commitment_approved"

    async def commitments() -> list[dict[str, Any]]:
        return [row["payload"] for row in await api(AUD, "GET", query)]

    paid = 0
    for commitment in await _until(commitments, f"the audit record of case {case_id}'s funding"):
        path = f"/api/commitments/{commitment['commitment_id']}/disbursements"
        for line in commitment["lines"]:
            if full or line["category"] == "transport":
                body = {"amount": _money(line["amount_cents"]), "category": line["category"]}
                await api(SUP, "POST", path, body)
                paid += 1
    return paid


async def _examples(api: _Api, report: DemoReport) -> None:
    """A closed case and one of its people for the examples; the erased person if any."""
    page = await api(SUP, "GET", "/api/cases?status=closed&page_size=200")
    for item in page["items"]:
        for person in (await api(SUP, "GET", f"/api/cases/{item['case_id']}"))["people"]:
            if person["erased"]:
                report.erased_person = report.erased_person or person["person_ref"]
            elif report.example_person is None:
                report.example_case, report.example_person = item["case_id"], person["person_ref"]


VARS = {
    "caseworker": "CW",
    "supervisor": "SUP",
    "auditor": "AUD",
    "evaluator": "EVAL",
    "data_protection_officer": "DPO",
    "admin": "ADMIN",
}


def print_report(console: Console, report: DemoReport) -> None:
    """What was loaded, a token per user, and requests to try as each role."""
    if report.already_loaded:
        console.print(
            f"[yellow]A fund for {report.period} exists, so the sample was not loaded "
            "again.[/] Fresh tokens for the demo users:"
        )
    else:
        counts: dict[str, int] = {}
        for status in report.cases.values():
            counts[status] = counts.get(status, 0) + 1
        console.print(
            f"[bold green]Demo loaded[/] in {report.seconds:.1f}s: fund {report.period}"
            f", {len(report.cases)} cases ("
            + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
            + f"), {report.disbursements} disbursements, 1 erasure, 1 evaluation export."
        )
        if (f := report.follow_ups) is not None:
            due = ", ".join(f"{f.due.get(s, 0)} {s.replace('_', ' ')}" for s in DUE_STATUSES)
            console.print(
                f"Follow-up: {f.plans_drawn_up} plans drawn up, {f.contacts} contacts "
                f"({f.scores} surveys scored, {f.not_reached} not reached, {f.no_consent} "
                f"no consent, {f.re_migrated} abroad again: closed as re-migrated), "
                f"{f.grants} cash grant asked of the fund. Working lists today: {due}. "
                "Every return here arrived today, so nothing is overdue yet; on "
                f"{f.ahead_on}, when the first contacts' windows (3 months after arrival, "
                "+-14 days) have closed, if nobody records more: "
                + ", ".join(f"{f.ahead.get(s, 0)} {s.replace('_', ' ')}" for s in DUE_STATUSES)
                + f" (GET /api/monitoring/due?as_of={f.ahead_on}; the daily overdue check "
                "reports each contact when its day comes)."
            )
    table = Table("role", "user", "token")
    for name, role, offices, token in report.users:
        table.add_row(role, name + "".join(f"\n{o}" for o in offices), token)
    table.columns[2].overflow = "fold"
    console.print(table)
    u, case = report.base_url, report.example_case or "CASE_ID"
    ref, gone = report.example_person or "REF", report.erased_person or "REF"
    half = f"{report.period}-H{1 if date.today().month <= 6 else 2}"
    tries = {
        "caseworker": [
            "/api/cases",
            f"/api/cases/{case}",
            f"/api/people/{ref}/funding",
            f"/api/monitoring/due?office={OFFICES_FIRST}",
        ],
        "supervisor": [f"/api/funds/{report.period}", "/api/cases?status=funding_approved"],
        "auditor": [
            "/api/audit/verify",
            f"/api/audit/summary?half={half}",
            "/api/audit/disbursements?by=destination_country&by=member",
        ],
        "evaluator": ["/api/exports"]
        + ([f"/api/exports/{report.export_id}"] if report.export_id else []),
        "data_protection_officer": [f"/api/people/{ref}/data", f"/api/people/{gone}/data"],
        "admin": ["/api/users", "/api/me"],
    }
    lines, seen = ["# Try it (paste into a shell):"], set()
    for name, role, _offices, token in report.users:
        if role not in seen:
            seen.add(role)
            lines.append(f"{VARS[role]}={token}  # {name}")
    for role, paths in tries.items():
        lines.append(f"# as {role}")
        lines += [f"curl -s '{u}{p}' -H \"Authorization: Bearer ${VARS[role]}\"" for p in paths]
    lines.append(f"# docs: {u}/docs (OpenAPI), {u}/asyncapi.json (events)")
    console.print("\n".join(lines), markup=False, highlight=False, soft_wrap=True)
