"""The audit service: every event chained into a tamper-evident log, and the oversight queries."""

from __future__ import annotations

from services.audit import api, cli, handlers, store
from services.audit.settings import AuditSettings
from services.audit.usecases.checkpoints import checkpoint_job
from services.audit.usecases.keys import signer
from services.kit.definition import PeriodicJob, Runtime, ServiceDef


def checkpoint_interval(rt: Runtime) -> float:
    """``RETORNO_AUDIT_CHECKPOINT_INTERVAL_SECONDS``: verify (incrementally) and checkpoint."""
    return rt.settings_for(AuditSettings).checkpoint_interval_seconds


async def on_start(rt: Runtime) -> None:
    signer(rt)  # create the signing key at start-up, not on the first checkpoint


SERVICE = ServiceDef(
    name="audit",
    metadata=store.metadata,
    tables=store.messaging,
    handlers=handlers.handlers,
    router=api.router,
    cli=cli.install,
    periodic=(PeriodicJob("audit.verify_and_checkpoint", checkpoint_interval, checkpoint_job),),
    on_start=on_start,
)
