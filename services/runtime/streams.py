"""Declare or reconcile the JetStream streams and each service's durable consumer."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    DiscardPolicy,
    Placement,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import BadRequestError, NotFoundError

from events.envelope import DEAD_LETTER_PREFIX, STREAM_NAME, SUBJECT_PREFIX

log = logging.getLogger("retorno.streams")

DLQ_STREAM_NAME = f"{STREAM_NAME}_DLQ"
# Redelivery delay of a message whose consumer died without acknowledging it (see pull.py).
ACK_WAIT_SECONDS = 30.0


@dataclass(frozen=True)
class StreamSettings:
    """How the streams and consumers are laid out (``RETORNO_STREAM_*``): replicas of the
    streams and of every durable consumer, and where a cluster places them."""

    replicas: int = 1
    duplicate_window_seconds: float = 120.0
    placement_cluster: str | None = None
    placement_tags: tuple[str, ...] = ()

    @property
    def placement(self) -> Placement | None:
        if self.placement_cluster is None and not self.placement_tags:
            return None
        return Placement(cluster=self.placement_cluster, tags=list(self.placement_tags) or None)


def event_stream_config(settings: StreamSettings) -> StreamConfig:
    return StreamConfig(
        name=STREAM_NAME,
        subjects=[f"{SUBJECT_PREFIX}.>"],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        num_replicas=settings.replicas,
        duplicate_window=settings.duplicate_window_seconds,
        placement=settings.placement,
    )


def dead_letter_stream_config(settings: StreamSettings) -> StreamConfig:
    return StreamConfig(
        name=DLQ_STREAM_NAME,
        subjects=[f"{DEAD_LETTER_PREFIX}.>"],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        num_replicas=settings.replicas,
        duplicate_window=settings.duplicate_window_seconds,
        placement=settings.placement,
    )


async def ensure_streams(js: JetStreamContext, settings: StreamSettings) -> None:
    """Create the streams, or update them to the configuration this code expects."""
    for config in (event_stream_config(settings), dead_letter_stream_config(settings)):
        assert config.name is not None
        try:
            await js.stream_info(config.name)
        except NotFoundError:
            await js.add_stream(config)
            log.info("created stream %s", config.name)
        else:
            await js.update_stream(config)


def consumer_config(
    durable: str, subjects: list[str], max_deliver: int, replicas: int = 1
) -> ConsumerConfig:
    """Explicit acks after commit; the runner naks with its own delay, so no server backoff
    (a server backoff would also shorten ack_wait below a slow batch's processing time).
    The consumer is replicated like its stream, so its position and unacknowledged messages
    survive the loss of a node."""
    return ConsumerConfig(
        durable_name=durable,
        name=durable,
        deliver_policy=DeliverPolicy.ALL,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=ACK_WAIT_SECONDS,
        max_deliver=max_deliver,
        max_ack_pending=10_000,
        filter_subjects=sorted(subjects),
        num_replicas=replicas,
    )


async def reconcile_consumer(js: JetStreamContext, config: ConsumerConfig) -> None:
    """An existing durable keeps its old configuration unless we update it; do so at start-up.
    A change the server cannot apply in place (e.g. deliver policy) recreates the consumer:
    its position restarts from the stream's start and the inbox makes that harmless."""
    assert config.durable_name
    try:
        await js.add_consumer(STREAM_NAME, config)
    except BadRequestError as exc:
        log.warning("recreating consumer %s: %s", config.durable_name, exc.description)
        with contextlib.suppress(NotFoundError):
            await js.delete_consumer(STREAM_NAME, config.durable_name)
        await js.add_consumer(STREAM_NAME, config)
