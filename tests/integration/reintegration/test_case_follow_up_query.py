"""The case page's queries of the follow-up: a case's plans with each person's consent to
contact, office scope as the API's, and the instrument a survey form asks."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from services.kit.definition import Runtime
from services.kit.errors import ForbiddenError
from services.reintegration import queries, store
from services.reintegration.domain.errors import UnknownInstrumentError
from services.reintegration.service import SERVICE
from tests.integration.reintegration.conftest import USERS, ConsentVault, arrive


async def case_of(rt: Runtime, plan_id: str) -> uuid.UUID:
    async with rt.db(SERVICE.name).reading() as session:
        found = await session.execute(
            select(store.plans.c.case_id).where(store.plans.c.plan_id == uuid.UUID(plan_id))
        )
        return found.scalar_one()


async def test_a_cases_plans_come_with_each_persons_consent_to_be_contacted(
    runtime: Runtime, vault: ConsentVault
) -> None:
    plans = await arrive(runtime, vault, people=2)
    case_id = await case_of(runtime, plans[0])
    refused = (await queries.plan(runtime, USERS["cw"], uuid.UUID(plans[1]))).person_ref
    await vault.record_consent(refused, "follow_up_contact", False, recorded_by="u-cw")

    found = await queries.case_follow_up(runtime, USERS["cw"], case_id)

    assert sorted(str(f.plan.plan_id) for f in found) == sorted(plans)
    consent = {f.plan.person_ref: f.contact_consent for f in found}
    assert consent[refused] is False
    assert [v for k, v in consent.items() if k != refused] == [True]
    assert all(len(f.plan.schedule) == 3 for f in found)


async def test_a_case_not_arrived_has_no_plans_and_another_office_is_refused(
    runtime: Runtime, vault: ConsentVault
) -> None:
    assert await queries.case_follow_up(runtime, USERS["cw"], uuid.uuid4()) == []
    plans = await arrive(runtime, vault)
    case_id = await case_of(runtime, plans[0])
    with pytest.raises(ForbiddenError):
        await queries.case_follow_up(runtime, USERS["cw-other"], case_id)


def test_the_survey_form_asks_the_configured_instrument(runtime: Runtime) -> None:
    instrument = queries.instrument(runtime)
    assert instrument.version == "illustrative-1"
    assert len(instrument.indicators) == 15
    with pytest.raises(UnknownInstrumentError):
        queries.instrument(runtime, "no-such-version")
