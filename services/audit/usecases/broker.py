"""What the broker holds that the audit database's writer cannot change: the events the
audit consumer acknowledged and the checkpoints the audit service published.

All reads; the audit service never writes here except through its outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import nats
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.errors import Error as JetStreamError
from nats.js.errors import NotFoundError
from pydantic import ValidationError

from events.audit import CheckpointSigned
from events.envelope import STREAM_NAME, Envelope
from services.audit.domain.checkpoints import Checkpoint
from services.audit.settings import AuditSettings
from services.kit.definition import JETSTREAM, Runtime

log = logging.getLogger("retorno.audit")

CONSUMER = "audit"  # the audit service's durable consumer (named after the service)


@dataclass(frozen=True)
class BrokerView:
    js: JetStreamContext
    ack_floor: int  # every stream message up to here was acknowledged by the audit consumer
    checkpoint: Checkpoint | None  # the last checkpoint published on the stream


def running_broker(rt: Runtime) -> JetStreamContext | None:
    """The JetStream context of the node this runs in, or of the command's connection."""
    return rt.find(JETSTREAM)


@contextlib.asynccontextmanager
async def connected(rt: Runtime) -> AsyncIterator[str | None]:
    """Connect to this deployment's broker for one command; yields why not, or None."""
    settings = rt.settings
    url = settings.nats_url or f"nats://127.0.0.1:{settings.nats_port}"
    timeout = rt.settings_for(AuditSettings).broker_timeout_seconds

    async def quiet(_: Exception) -> None:
        return None

    try:  # nats-py retries a first connection forever: bound it
        nc = await asyncio.wait_for(
            nats.connect(
                url.split(","),
                connect_timeout=timeout,
                allow_reconnect=False,
                max_reconnect_attempts=0,
                error_cb=quiet,
            ),
            timeout * 2,
        )
    except Exception as exc:
        yield f"the broker at {url.split('@')[-1]} is not reachable ({type(exc).__name__})"
        return
    rt.put(JETSTREAM, nc.jetstream(timeout=timeout))
    try:
        yield None
    finally:
        rt.drop(JETSTREAM)
        with contextlib.suppress(Exception):
            await nc.close()


async def look(js: JetStreamContext) -> BrokerView:
    """The audit consumer's ack floor and the last published checkpoint (read before the
    database, so everything acknowledged here was committed there)."""
    info = await js.consumer_info(STREAM_NAME, CONSUMER)
    floor = int(info.ack_floor.stream_seq or 0) if info.ack_floor else 0
    checkpoint: Checkpoint | None = None
    try:
        raw = await js.get_last_msg(STREAM_NAME, CheckpointSigned.subject())
        payload = Envelope.from_bytes(raw.data or b"").parse(CheckpointSigned)
        checkpoint = Checkpoint.model_validate(payload.model_dump())
    except NotFoundError:
        pass
    except (ValidationError, ValueError):
        log.warning("the last checkpoint on the stream is not a valid checkpoint event")
    return BrokerView(js, floor, checkpoint)


async def message(js: JetStreamContext, seq: int) -> Envelope | None:
    """The event at a stream sequence; None if there is none (deleted) or it is no event."""
    try:
        raw = await js.get_msg(STREAM_NAME, seq)
        return Envelope.from_bytes(raw.data or b"")
    except NotFoundError:
        return None
    except (ValidationError, ValueError):
        return None


BROKER_ERRORS = (NatsError, JetStreamError, TimeoutError, OSError)
