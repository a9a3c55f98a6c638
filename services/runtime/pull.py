"""The pull loop that feeds a service's EventRunner from its durable consumer.

Why not FastStream's own batch pull subscriber: in faststream 0.7.8 with nats-py 2.16 its
loop catches ``nats.errors.TimeoutError`` while nats-py's fetch can raise the built-in
``TimeoutError``; the exception escapes, the partial batch already fetched is dropped
without an ack, and those events stall until the ack wait expires. This loop uses the
broker's connection, treats any timeout as "no messages", and hands every fetched message
to the runner. ``fetch`` returns as soon as messages are available (partial batches), so
latency stays low at low traffic and batches grow under load.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import nats.errors
from nats.js import JetStreamContext

from events.envelope import STREAM_NAME
from services.runtime.consumer import EventRunner

log = logging.getLogger("retorno.pull")

FETCH_TIMEOUT_SECONDS = 5.0


class PullLoop:
    def __init__(
        self, js: JetStreamContext, durable: str, runner: EventRunner, batch_size: int
    ) -> None:
        self.js = js
        self.durable = durable
        self.runner = runner
        self.batch_size = batch_size
        self._task: asyncio.Task[None] | None = None
        self._subscription: JetStreamContext.PullSubscription | None = None

    async def start(self) -> None:
        subscription = await self.js.pull_subscribe_bind(durable=self.durable, stream=STREAM_NAME)
        self._subscription = subscription
        self._task = asyncio.create_task(self._run(subscription), name=f"pull-{self.durable}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._subscription is not None:
            # Unsubscribe rather than let the connection drain: messages fetched but not
            # processed are never marked done, so a drain would wait for its full timeout.
            # They are unacknowledged and the server delivers them again.
            with contextlib.suppress(Exception):
                await self._subscription.unsubscribe()
            self._subscription = None

    async def _run(self, subscription) -> None:  # type: ignore[no-untyped-def]
        failures = 0
        while True:
            try:
                messages = await subscription.fetch(self.batch_size, timeout=FETCH_TIMEOUT_SECONDS)
            except (TimeoutError, nats.errors.TimeoutError):
                continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # connection lost: nats-py reconnects; wait and fetch again
                failures += 1
                log.warning("%s: fetch failed (%s); retrying", self.durable, type(exc).__name__)
                await asyncio.sleep(min(5.0, 0.1 * 2**failures))
                continue
            failures = 0
            try:
                await self.runner.process(messages)
            except asyncio.CancelledError:
                raise
            except Exception:
                # Unacknowledged messages are redelivered after the ack wait; nothing is lost.
                log.exception(
                    "%s: batch processing failed; messages will be redelivered", self.durable
                )
