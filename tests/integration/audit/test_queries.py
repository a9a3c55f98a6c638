"""The secretariat's questions answered from the events of a small programme history."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from benchmarks.audit_scenario import Scenario, build
from db.uow import ServiceDatabase
from events.envelope import Actor, Envelope
from services.audit import store
from services.audit.domain import (
    InvalidHalfYearError,
    NotAttributedToMembersError,
    UnknownCaseGroupingError,
)
from services.audit.queries.cap import cap_compliance
from services.audit.queries.events import events
from services.audit.queries.money import commitments_by, disbursements_by, member_use
from services.audit.queries.stages import case_stages
from services.audit.queries.summary import summary
from services.audit.schemas import EventFilter, MoneyFilter
from services.audit.usecases.verify import verify_log
from services.kit.definition import Runtime
from tests.integration.audit.feeding import feed


@pytest.fixture
async def scenario(db: ServiceDatabase) -> Scenario:
    s = build()
    await feed(db, *s.envelopes[:10])  # one batch, then one event per batch, like the runner
    for envelope in s.envelopes[10:]:
        await feed(db, envelope)
    return s


def keyed(rows: list) -> dict:  # type: ignore[type-arg]
    return {tuple(r.keys.values()): r for r in rows}


async def test_every_event_is_chained_once_in_order_and_the_log_verifies(
    rt: Runtime, db: ServiceDatabase, scenario: Scenario
) -> None:
    await feed(db, *scenario.envelopes[:3])  # redelivered

    rows = await events(rt, EventFilter(limit=1000))
    result = await verify_log(rt)

    assert [r.event_id for r in rows] == [e.event_id for e in scenario.envelopes]
    assert [r.position for r in rows] == list(range(1, len(scenario.envelopes) + 1))
    assert result.intact and result.chain.records_checked == len(scenario.envelopes)


async def test_the_chain_still_verifies_after_the_erasure_event(
    rt: Runtime, scenario: Scenario
) -> None:
    erasures = await events(rt, EventFilter(type="privacy.personal_data_erased"))

    result = await verify_log(rt)

    assert len(erasures) == 1 and erasures[0].payload["person_ref"] == scenario.people["elder"]
    assert result.intact


async def test_an_event_of_an_unknown_type_is_chained_anyway(
    rt: Runtime, db: ServiceDatabase, scenario: Scenario
) -> None:
    unknown = Envelope(
        event_id=uuid.uuid4(),
        type="reintegration.contact_recorded",
        version=1,
        occurred_at=datetime(2026, 4, 1, tzinfo=UTC),
        actor=Actor.service("reintegration"),
        correlation_id=uuid.uuid4(),
        payload={"case_id": str(scenario.cases["family"]), "due": 3},
    )

    await feed(db, unknown)

    found = await events(rt, EventFilter(case_id=scenario.cases["family"]))
    assert found[-1].type == "reintegration.contact_recorded"
    assert (await verify_log(rt)).intact


async def test_events_filter_by_case_actor_type_and_period(rt: Runtime, scenario: Scenario) -> None:
    family = scenario.cases["family"]

    by_case = await events(rt, EventFilter(case_id=family))
    by_actor = await events(rt, EventFilter(actor_id="sup-1"))
    by_type = await events(rt, EventFilter(type="registration.case_screened"))
    in_march = await events(rt, EventFilter(date_from=date(2026, 3, 1), date_to=date(2026, 3, 31)))

    assert len(by_case) == 9 and all(e.case_id == family for e in by_case)
    assert {e.actor_role for e in by_actor} == {"supervisor"} and len(by_actor) == 11
    assert len(by_type) == 2
    assert [e.type.split(".")[1] for e in in_march] == [
        "return_registered",
        "commitment_approved",
        "case_withdrawn",
        "commitment_released",
        "personal_data_erased",
    ]


async def test_commitments_by_category_country_and_fund(rt: Runtime, scenario: Scenario) -> None:
    everything = MoneyFilter()

    by_category = keyed(await commitments_by(rt, ["category"], everything))
    by_fund = keyed(await commitments_by(rt, ["fund_period"], everything))
    by_country = keyed(await commitments_by(rt, ["destination_country"], everything))
    march = await commitments_by(
        rt, ["fund_period"], MoneyFilter(date_from=date(2026, 3, 1), date_to=date(2026, 3, 31))
    )

    assert {k: r.amount_cents for k, r in by_category.items()} == {
        ("escort",): 40_000,
        ("medical",): 50_000,
        ("reintegration_grant",): 30_000,
        ("transport",): 140_000,
    }
    assert (by_fund[("2026-A",)].count, by_fund[("2026-A",)].amount_cents) == (3, 210_000)
    assert by_fund[("2026-A",)].released_cents == 30_000
    assert by_fund[("2026-B",)].released_cents == 0
    assert {k: r.amount_cents for k, r in by_country.items()} == {("HN",): 210_000, ("SV",): 50_000}
    assert [(r.amount_cents, r.released_cents) for r in march] == [(30_000, 30_000)]


async def test_commitments_cannot_be_grouped_by_member(rt: Runtime, scenario: Scenario) -> None:
    with pytest.raises(NotAttributedToMembersError, match="disbursements by member"):
        await commitments_by(rt, ["member"], MoneyFilter())


async def test_disbursements_by_member_country_and_half(rt: Runtime, scenario: Scenario) -> None:
    everything = MoneyFilter()
    first_half = MoneyFilter(date_from=date(2026, 1, 1), date_to=date(2026, 6, 30))

    by_member = keyed(await disbursements_by(rt, ["member"], everything))
    by_country = keyed(await disbursements_by(rt, ["destination_country", "category"], first_half))

    assert {k: r.amount_cents for k, r in by_member.items()} == {
        ("CA",): 27_500,
        ("MX",): 82_500,
        ("US",): 20_000,
    }
    assert {k: (r.count, r.amount_cents) for k, r in by_country.items()} == {
        ("HN", "transport"): (2, 110_000),
    }


async def test_cap_compliance_proves_nobody_is_above_the_cap(
    rt: Runtime, scenario: Scenario
) -> None:
    result = await cap_compliance(rt)

    assert result.compliant and result.people_above_cap == 0 and result.violations == []
    assert (result.funds_checked, result.people_checked) == (2, 4)
    assert result.max_ratio == "1.0000"  # the child is exactly at the cap
    assert "per_person_cap_cents" in result.check


async def test_each_members_contribution_received_versus_attributed_use(
    rt: Runtime, scenario: Scenario
) -> None:
    rows = {(r.fund_period, r.member): r for r in await member_use(rt)}

    mx = rows[("2026-A", "MX")]
    assert (mx.expected_cents, mx.pledged_cents, mx.received_cents) == (
        4_500_000,
        4_500_000,
        3_000_000,
    )
    assert (mx.attributed_cents, mx.unused_received_cents) == (82_500, 2_917_500)
    assert mx.used_percent == "2.75"
    assert rows[("2026-B", "US")].attributed_cents == 20_000
    assert rows[("2026-A", "CA")].share_percent == "25"


async def test_case_counts_and_durations_by_stage_office_and_category(
    rt: Runtime, scenario: Scenario
) -> None:
    overall = {r.stage: r for r in await case_stages(rt)}
    by_office = {(r.stage, r.group): r for r in await case_stages(rt, "office")}
    by_category = {(r.stage, r.group): r for r in await case_stages(rt, "category")}

    assert (overall["registered"].cases_entered, overall["registered"].cases_now) == (3, 0)
    assert overall["registered"].max_days == 4.0  # the elder case withdrew after 4 days
    assert overall["eligible"].cases_now == 1 and overall["withdrawn"].cases_now == 1
    assert by_office[("registered", "GT-CITY")].mean_days == 3.0  # 2 and 4 days
    assert by_office[("registered", "MX-TAP")].stays_completed == 1
    assert by_category[("funding_approved", "unaccompanied_minor")].median_days == 5.0
    assert ("departed", "disability") not in by_category


async def test_cases_are_grouped_only_by_office_or_category(
    rt: Runtime, scenario: Scenario
) -> None:
    with pytest.raises(UnknownCaseGroupingError, match="use 'office' or 'category'"):
        await case_stages(rt, "country")  # type: ignore[arg-type]


async def test_the_semi_annual_summary(rt: Runtime, scenario: Scenario) -> None:
    result = await summary(rt, "2026-H1")

    assert result.log_intact and result.log_head_position == len(scenario.envelopes)
    assert result.activity.cases_registered == 3 and result.activity.people_registered == 4
    assert result.activity.erasures == 1
    assert result.activity.events_total == len(scenario.envelopes) - 1  # one payment in July
    assert {tuple(r.keys.values()): r.amount_cents for r in result.disbursements_by_member} == {
        ("CA",): 27_500,
        ("MX",): 82_500,
    }
    assert result.cap_compliance.compliant
    assert (await summary(rt, "2026-H2")).activity.events_by_type == {
        "funding.disbursement_made": 1
    }


async def test_a_bad_half_year_is_refused(rt: Runtime) -> None:
    with pytest.raises(InvalidHalfYearError, match="2026-H1"):
        await summary(rt, "2026-Q3")


PERSONAL_KEYS = {
    "name",
    "given_name",
    "family_name",
    "date_of_birth",
    "birth_date",
    "document_number",
    "address",
    "phone",
    "email",
    "note",
    "notes",
    "text",
}


def keys_of(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_of(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_of(v)}
    return set()


async def test_no_personal_fields_are_stored(db: ServiceDatabase, scenario: Scenario) -> None:
    async with db.sessions() as session:
        logged = (await session.execute(select(func.count()).select_from(store.log))).scalar_one()
        envelopes = (await session.execute(select(store.log.c.envelope))).scalars().all()

    assert logged == len(scenario.envelopes)
    assert not set().union(*(keys_of(json.loads(t)) for t in envelopes)) & PERSONAL_KEYS
