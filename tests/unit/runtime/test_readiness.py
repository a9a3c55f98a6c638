"""Which failures a starting service waits out (the broker or database not there yet) and
which it reports at once (a refusal that waiting would not change)."""

from __future__ import annotations

import asyncio
import logging

import nats.errors
import pytest
from nats.js.errors import APIError
from sqlalchemy.exc import DBAPIError, OperationalError

from services.runtime.readiness import (
    is_broker_unavailable,
    is_database_unavailable,
    wait_until_ready,
)


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (nats.errors.NoServersError(), True),
        (ConnectionRefusedError(111, "refused"), True),
        (nats.errors.TimeoutError(), True),
        (APIError(code=503, description="JetStream system temporarily unavailable"), True),
        (APIError(code=500, description="insufficient resources"), True),
        (APIError(code=400, description="stream name already in use"), False),
        (nats.errors.AuthorizationError(), False),
        (ValueError("a bug"), False),
    ],
)
def test_the_broker_is_waited_for_only_while_it_cannot_answer(exc, transient):
    assert is_broker_unavailable(exc) is transient


def test_the_database_is_waited_for_only_while_it_cannot_be_reached():
    refused = ConnectionRefusedError(111, "Connect call failed")
    wrapped = OperationalError("SELECT 1", {}, refused)
    missing = DBAPIError("SELECT 1", {}, Exception('database "x" does not exist'))

    assert is_database_unavailable(refused)
    assert is_database_unavailable(wrapped)
    assert not is_database_unavailable(missing)
    assert not is_database_unavailable(ValueError("a bug"))


async def test_waiting_logs_one_line_per_attempt_and_raises_a_real_error_at_once(caplog):
    caplog.set_level(logging.INFO, logger="retorno.readiness")
    attempts = []

    async def twice_refused() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise ConnectionRefusedError(111, "refused")
        return "up"

    assert await wait_until_ready("x", twice_refused, transient=is_broker_unavailable) == "up"
    lines = [r for r in caplog.records if r.getMessage().startswith("waiting for x")]
    assert [r.exc_info for r in lines] == [None, None]
    assert "attempt 2 failed, next in 1.0s" in lines[1].getMessage()

    async def broken() -> None:
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        await asyncio.wait_for(wait_until_ready("y", broken, transient=is_broker_unavailable), 5)
