"""The privacy service: vault, consent, access log, retention and erasure, in its own database."""

from __future__ import annotations

import logging

from privacy import api, cli, handlers, store
from privacy.settings import PrivacySettings
from privacy.usecases.retention import run_retention
from privacy.usecases.search import stale_entries
from privacy.usecases.vault import install_vault
from services.kit.definition import PeriodicJob, Runtime, ServiceDef

log = logging.getLogger(__name__)


async def start(rt: Runtime) -> None:
    vault = install_vault(rt)
    if vault.search_key is not None and await stale_entries(vault.db, vault.search_key):
        log.warning(
            "the search index holds entries made under another search key "
            "(RETORNO_SEARCH_KEY changed?): run `retorno search reindex`"
        )


def retention_interval(rt: Runtime) -> float:
    """``RETORNO_RETENTION_INTERVAL_SECONDS``: how often the retention job runs."""
    return rt.settings_for(PrivacySettings).retention_interval_seconds


async def retention_job(rt: Runtime) -> None:
    report = await run_retention(rt)
    log.info(
        "retention: %d erased, %d kept by legal holds, %d failed",
        len(report.erased),
        len(report.held),
        len(report.failed),
    )


SERVICE = ServiceDef(
    name="privacy",
    metadata=store.metadata,
    tables=store.messaging,
    handlers=handlers.handlers,
    router=api.router,
    periodic=(PeriodicJob("retention", retention_interval, retention_job),),
    on_start=start,
    cli=cli.install,
)
