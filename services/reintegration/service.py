"""The reintegration follow-up as the runtime sees it."""

from __future__ import annotations

from services.kit.definition import PeriodicJob, Runtime, ServiceDef
from services.reintegration import api, cli, handlers, store, usecases
from services.reintegration.settings import CONFIG, ReintegrationSettings, build_config


async def _start(rt: Runtime) -> None:
    """Load and validate the settings and the instruments once: a broken instrument file
    stops the start, with the file and the field named."""
    if rt.find(CONFIG) is None:
        rt.put(CONFIG, build_config(rt.settings_for(ReintegrationSettings)))


async def _overdue(rt: Runtime) -> None:
    await usecases.report_overdue(rt)


def _overdue_interval(rt: Runtime) -> float:
    return rt.settings_for(ReintegrationSettings).overdue_check_seconds


SERVICE = ServiceDef(
    name="reintegration",
    metadata=store.metadata,
    tables=store.messaging,
    handlers=handlers.handlers,
    router=api.router,
    periodic=(PeriodicJob("reintegration.overdue", _overdue_interval, _overdue),),
    on_start=_start,
    cli=cli.install,
)
