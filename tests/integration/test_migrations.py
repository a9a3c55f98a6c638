"""Every service's branch of the Alembic history, on an empty SQLite file and PostgreSQL."""

from __future__ import annotations

import asyncio
import sys

import pytest
from alembic.script import ScriptDirectory

from db import migrate
from services.runtime.registry import all_services
from tests.support import table_names

pytestmark = pytest.mark.integration

SERVICES = {s.name: s for s in all_services()}


def test_every_service_has_a_branch_with_a_single_head():
    script = ScriptDirectory.from_config(migrate.alembic_config("-", "-"))

    assert set(migrate.branches()) == set(SERVICES)
    for name in SERVICES:
        assert len(script.get_revisions(f"{name}@head")) == 1


@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_upgrade_to_head_and_back_step_by_step(service, database_url):
    script = ScriptDirectory.from_config(migrate.alembic_config(service, database_url))
    revisions = list(reversed(list(script.iterate_revisions(f"{service}@head", "base"))))

    for revision in revisions:  # the stairway: up one, down one, up again
        await asyncio.to_thread(migrate.upgrade, service, database_url, revision.revision)
        down_to = revision.down_revision or "base"
        await asyncio.to_thread(migrate.downgrade, service, database_url, down_to)
        await asyncio.to_thread(migrate.upgrade, service, database_url, revision.revision)

    expected = {t.name for t in SERVICES[service].metadata.sorted_tables}
    assert expected <= await table_names(database_url)
    await asyncio.to_thread(migrate.downgrade, service, database_url, "base")
    assert await table_names(database_url) <= {f"{service}_alembic_version"}


@pytest.mark.parametrize("service", ["registration", "funding"])
async def test_replicas_migrating_one_database_at_once_take_turns(service, database_url):
    """Several replicas of a service start together: each runs `migrate`; all succeed and
    the schema is at head once (PostgreSQL: an advisory lock; SQLite: a file lock)."""
    code = "import sys; from db import migrate; migrate.upgrade(sys.argv[1], sys.argv[2])"
    replicas = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            code,
            service,
            database_url,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(4)
    ]
    errors = [(await p.communicate())[1].decode() for p in replicas]

    assert [p.returncode for p in replicas] == [0, 0, 0, 0], "\n".join(errors)
    expected = {t.name for t in SERVICES[service].metadata.sorted_tables}
    assert expected <= await table_names(database_url)
