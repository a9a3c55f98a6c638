"""The follow-up's routes under ``/api/monitoring``: a plan, its contacts, assistance, scores
and closure, the working list and, for oversight, counts."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.kit.definition import Runtime
from services.kit.identity import Principal
from services.kit.routes import get_runtime, require
from services.reintegration import queries, usecases
from services.reintegration.schemas import (
    MAX_PAGE_SIZE,
    AssistanceIn,
    AssistanceView,
    ClosureIn,
    ClosureView,
    ContactIn,
    ContactRecordedView,
    CountsView,
    DueFilterStatus,
    DuePage,
    NoteView,
    PlanView,
    RescoreIn,
    ScoreView,
)

RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def router() -> APIRouter:
    r = APIRouter(prefix="/api/monitoring", tags=["monitoring"])

    @r.get("/due", response_model=DuePage)
    async def due(
        rt: RuntimeDep,
        office: Annotated[str | None, Query(max_length=60)] = None,
        status: Annotated[list[DueFilterStatus] | None, Query()] = None,
        before: Annotated[date | None, Query(description="Only rows due before this day")] = None,
        page: Annotated[int, Query(ge=1)] = 1,
        page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
        as_of: Annotated[
            date | None,
            Query(
                description="The list as it will stand on this day (today or later) if nothing "
                "more is recorded, to plan visits; default today. An earlier day is a 422"
            ),
        ] = None,
        principal: Principal = require("monitoring.read"),
    ) -> DuePage:
        """The working list of open follow-ups (of your offices, or of ``office``): plans
        missing, overdue, due this week, not reached, upcoming; computed for today (or
        ``as_of``)."""
        where = queries.DueFilter(office, tuple(status or ()), before, page, page_size, as_of)
        return await queries.due(rt, principal, where)

    @r.get("/counts", response_model=CountsView)
    async def counts(
        rt: RuntimeDep,
        date_from: Annotated[date, Query(alias="from")],
        date_to: Annotated[date, Query(alias="to")],
        office: Annotated[str | None, Query(max_length=60)] = None,
        principal: Principal = require("monitoring.read_counts"),
    ) -> CountsView:
        """Contacts due vs done (on time, late), not reached, overdue; plans drawn up on
        time; closures: per office, for contacts due in the period. Counts only."""
        return await queries.counts(rt, principal, office, date_from, date_to)

    @r.get("/plans/{plan_id}", response_model=PlanView)
    async def plan(
        rt: RuntimeDep, plan_id: uuid.UUID, principal: Principal = require("monitoring.read")
    ) -> PlanView:
        """A person's plan: schedule and its status today, contacts (never a note),
        assistance, scores with their instrument version."""
        return await queries.plan(rt, principal, plan_id)

    @r.post("/plans/{plan_id}/contacts", response_model=ContactRecordedView, status_code=201)
    async def record_contact(
        rt: RuntimeDep,
        plan_id: uuid.UUID,
        body: ContactIn,
        principal: Principal = require("monitoring.record"),
    ) -> ContactRecordedView:
        """One contact attempt (needs the person's follow_up_contact consent unless recorded
        as no_consent); the survey is scored; the last settled contact closes the follow-up."""
        return await usecases.record_contact(rt, principal, plan_id, body)

    @r.get("/plans/{plan_id}/contacts/{contact_id}/note", response_model=NoteView)
    async def note(
        rt: RuntimeDep,
        plan_id: uuid.UUID,
        contact_id: uuid.UUID,
        principal: Principal = require("cases.read_personal"),
    ) -> NoteView:
        """A contact's free-text note (personal data: opened by the vault, which logs the
        read)."""
        return await queries.note(rt, principal, plan_id, contact_id)

    @r.post("/plans/{plan_id}/assistance", response_model=list[AssistanceView], status_code=201)
    async def record_assistance(
        rt: RuntimeDep,
        plan_id: uuid.UUID,
        body: AssistanceIn,
        principal: Principal = require("monitoring.record"),
    ) -> list[AssistanceView]:
        """Planned assistance (draws up the plan) or assistance received."""
        return await usecases.record_assistance(rt, principal, plan_id, body)

    @r.post("/plans/{plan_id}/scores", response_model=ScoreView, status_code=201)
    async def rescore(
        rt: RuntimeDep,
        plan_id: uuid.UUID,
        body: RescoreIn,
        principal: Principal = require("monitoring.record"),
    ) -> ScoreView:
        """Score the person's latest survey again under another instrument version (the
        old score stays)."""
        return await usecases.rescore(rt, principal, plan_id, body)

    @r.post("/plans/{plan_id}/closure", response_model=ClosureView, status_code=201)
    async def close(
        rt: RuntimeDep,
        plan_id: uuid.UUID,
        body: ClosureIn,
        principal: Principal = require("monitoring.record"),
    ) -> ClosureView:
        """Close the follow-up by decision, with a reason code."""
        return await usecases.close_follow_up(rt, principal, plan_id, body)

    return r
