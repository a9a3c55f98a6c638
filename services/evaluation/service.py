"""The evaluation service as the runtime sees it: a read model of non-identifying facts,
disclosure-controlled exports (API, CLI) and their periodic run."""

from __future__ import annotations

from services.evaluation import api, cli, handlers, store, usecases
from services.evaluation.settings import export_settings
from services.kit.definition import PeriodicJob, Runtime, ServiceDef
from services.kit.settings import Settings


def schedule_interval(_settings: Settings) -> float:
    """``RETORNO_EXPORT_SCHEDULE_CHECK_SECONDS``: how often closed periods are looked for
    (``RETORNO_EXPORT_SCHEDULE``: off, month, quarter, half-year, year)."""
    return export_settings().schedule_check_seconds


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
