"""The evaluation service as the runtime sees it: a read model of non-identifying facts,
disclosure-controlled exports (API, CLI) and their periodic run."""

from __future__ import annotations

from services.evaluation import api, cli, handlers, store, usecases
from services.evaluation.settings import ExportSettings
from services.kit.definition import PeriodicJob, Runtime, ServiceDef


def schedule_interval(rt: Runtime) -> float:
    """``RETORNO_EXPORT_SCHEDULE_CHECK_SECONDS``: how often closed periods are looked for
    (``RETORNO_EXPORT_SCHEDULE``: off, month, quarter, half-year, year)."""
    return rt.settings_for(ExportSettings).schedule_check_seconds


async def scheduled_exports(rt: Runtime) -> None:
    await usecases.run_schedule(rt)


SERVICE = ServiceDef(
    name="evaluation",
    metadata=store.metadata,
    tables=store.messaging,
    handlers=handlers.handlers,
    router=api.router,
    periodic=(PeriodicJob("evaluation.scheduled_exports", schedule_interval, scheduled_exports),),
    cli=cli.install,
)
