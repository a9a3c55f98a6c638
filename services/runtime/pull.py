"""The pull loop that feeds a service's EventRunner from its durable consumer.

Why not FastStream's own batch pull subscriber: in faststream 0.7.8 with nats-py 2.16 its
loop catches ``nats.errors.TimeoutError`` while nats-py's fetch can raise the built-in
``TimeoutError``; the exception escapes, the partial batch already fetched is dropped
without an ack, and those events stall until the ack wait expires. This loop uses the
broker's connection, treats any timeout as "no messages", and hands every fetched message
to the runner.

Why not nats-py's ``fetch`` either: its client timeout and its pull request's ``expires``
end together (``expires`` is the timeout less 0.1 ms), so whenever the request reaches the
server more than 0.1 ms after the client armed its timer (a busy event loop, any network),
the server's ``408 Request Timeout`` arrives after the client gave up. The next ``fetch``
takes that stale status for its own "no messages", sends a second, lingering request (the
whole batch, without ``no_wait``) and leaves it waiting on the server once a message has
come. The next event but one is delivered to that orphan, and ``fetch``, holding it, waits
for "the rest of the batch" until the orphan's own 408: up to the whole timeout, at every
hop (measured: 3.2 s of the 3.3 s "first decision after idle" of `retorno up --processes
1`). So each round here sends one request, ``{"batch", "expires", "no_wait": true}``: the
server keeps it until a first message comes (or ``expires``), then delivers what is there
and ends it at once with ``404 No Messages``, unless the batch is full. Every request thus
ends with a full batch or a status right after its last message, so reading until the batch
is full or any status comes (ours or a stale one) never sits on a message that has arrived:
batches are partial at low traffic and grow under load. The client waits a margin beyond
``expires``, so its own requests end on the server first and leave no stale status.

Redelivery after a crash: a message is redelivered when its ack wait (30 s) passes without
an ack. A batch that takes longer than a third of that tells the server it is still being
worked on (``in_progress``), so a slow batch is not redelivered under a live consumer. On
shutdown (SIGTERM, Ctrl-C) the loop lets the batch in hand finish for a few seconds and
gives back (nak) every fetched message it has not acknowledged, so the server delivers them
again at once to whoever consumes next, instead of after the ack wait. Only a process that
dies without a shutdown (SIGKILL, power loss) leaves its messages to the ack wait; the
events that arrive meanwhile and depend on them are parked, not failed (see consumer.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

import nats.errors
import nats.js.client
import nats.js.errors
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext

from events.envelope import STREAM_NAME
from services.runtime.consumer import DatabaseUnavailableError, EventRunner
from services.runtime.readiness import database_answers, is_database_unavailable, wait_until_ready
from services.runtime.streams import ACK_WAIT_SECONDS

log = logging.getLogger("retorno.pull")

# How long a pull request waits on the server for a first message (its ``expires``); the
# client waits this much longer before it takes the request for lost (connection trouble).
FETCH_TIMEOUT_SECONDS = 5.0
FETCH_MARGIN_SECONDS = 2.0
# How long a stopping loop waits for the batch in hand to commit before it gives it back.
STOP_GRACE_SECONDS = 5.0
HEARTBEAT_SECONDS = ACK_WAIT_SECONDS / 3
MAX_DATABASE_WAIT_SECONDS = 10.0


class PullLoop:
    def __init__(
        self, js: JetStreamContext, durable: str, runner: EventRunner, batch_size: int
    ) -> None:
        self.js = js
        self.durable = durable
        self.runner = runner
        self.batch_size = batch_size
        self._task: asyncio.Task[None] | None = None
        self._subscription: Subscription | None = None
        prefix = js._prefix  # type: ignore[attr-defined]  # "$JS.API" unless a domain
        self._next_subject = f"{prefix}.CONSUMER.MSG.NEXT.{STREAM_NAME}.{durable}"
        self._inbox = self._nc.new_inbox()  # where this loop's pull requests are answered
        self._in_hand: list[Msg] = []
        self._stopping = False
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def _nc(self) -> nats.NATS:
        return self.js._nc  # type: ignore[attr-defined,no-any-return]

    async def start(self) -> None:
        subscription = await self._nc.subscribe(
            self._inbox,
            pending_msgs_limit=nats.js.client.DEFAULT_JS_SUB_PENDING_MSGS_LIMIT,
            pending_bytes_limit=nats.js.client.DEFAULT_JS_SUB_PENDING_BYTES_LIMIT,
        )
        self._subscription = subscription
        self._task = asyncio.create_task(self._run(subscription), name=f"pull-{self.durable}")

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            # Let a batch being applied commit and ack (its transaction is short), then stop.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), STOP_GRACE_SECONDS)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._give_back()
        if self._subscription is not None:
            # Unsubscribe rather than let the connection drain: messages fetched but not
            # processed are never marked done, so a drain would wait for its full timeout.
            # They are unacknowledged and the server delivers them again.
            with contextlib.suppress(Exception):
                await self._subscription.unsubscribe()
            self._subscription = None

    async def fetch(self, subscription: Subscription) -> list[Msg]:
        """Send one pull request; return the messages delivered from the first one until the
        batch is full or a status ends a request (see the module's doc). Raises
        ``TimeoutError`` if none came: the request expired, or the connection is in trouble."""
        request = {
            "batch": self.batch_size,
            "expires": int(FETCH_TIMEOUT_SECONDS * 1_000_000_000),
            "no_wait": True,
        }
        await self._nc.publish(self._next_subject, json.dumps(request).encode(), self._inbox)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + FETCH_TIMEOUT_SECONDS + FETCH_MARGIN_SECONDS
        messages: list[Msg] = []
        while len(messages) < self.batch_size:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                msg = await subscription.next_msg(timeout=remaining)
            except (TimeoutError, nats.errors.TimeoutError):
                break
            status = msg.headers.get("Status") if msg.headers else None
            if not status:
                messages.append(msg)
            elif status == "100":  # an idle heartbeat (none is asked for): read on
                continue
            elif status in ("404", "408") or messages:
                break  # a request ended: what was there is delivered
            else:  # e.g. 409 Consumer Deleted, with nothing fetched
                raise nats.js.errors.APIError.from_msg(msg)
        if not messages:
            raise TimeoutError(f"{self.durable}: no messages")
        return messages

    async def _give_back(self) -> None:
        """Nak every fetched message not acknowledged (nor nak'ed) yet: redelivered at once."""
        in_hand, self._in_hand = self._in_hand, []
        given = 0
        for msg in in_hand:
            if msg.is_acked:
                continue
            with contextlib.suppress(Exception):
                await msg.nak()
                given += 1
        if given:
            with contextlib.suppress(Exception):
                await self.js._nc.flush(timeout=2)  # type: ignore[attr-defined]
            log.info("%s: gave back %d unacknowledged messages", self.durable, given)

    async def _wait_for_database(self) -> None:
        """The database went away mid-batch: wait until it answers (one line per attempt),
        then give the batch back so it is delivered again at once and applied."""
        db = self.runner.db
        await wait_until_ready(
            f"the {db.name} database",
            lambda: database_answers(db.engine),
            transient=is_database_unavailable,
            max_delay=MAX_DATABASE_WAIT_SECONDS,
        )
        await self._give_back()

    async def _heartbeat(self, messages: list[Msg]) -> None:
        """While a long batch is applied, keep its messages from being redelivered."""
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            for msg in messages:
                if not msg.is_acked:
                    with contextlib.suppress(Exception):
                        await msg.in_progress()

    async def _run(self, subscription: Subscription) -> None:
        failures = 0
        while not self._stopping:
            await self.runner.sweep_if_due()
            try:
                messages = await self.fetch(subscription)
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
            self._in_hand = list(messages)
            self._idle.clear()
            heartbeat = asyncio.create_task(self._heartbeat(self._in_hand))
            try:
                await self.runner.process(messages)
            except asyncio.CancelledError:
                raise
            except DatabaseUnavailableError:
                heartbeat.cancel()
                await self._wait_for_database()
            except Exception as exc:
                if is_database_unavailable(exc) and not await self.runner.database_answers():
                    heartbeat.cancel()
                    await self._wait_for_database()
                    continue
                # Unacknowledged messages are redelivered after the ack wait; nothing is lost.
                log.exception(
                    "%s: batch processing failed; messages will be redelivered", self.durable
                )
            finally:
                heartbeat.cancel()
                if not self._stopping:
                    self._in_hand = []
                self._idle.set()
