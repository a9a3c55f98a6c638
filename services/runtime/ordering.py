"""Keep each case's events in stream order while one of them is being retried.

When an event fails and is delivered again later, the events after it that concern the same
case (or person, or fund period) must not be applied before it. The runner remembers which
keys have an event waiting for redelivery and holds back later events of those keys until it
is applied or dead-lettered. The memory is per process: with several replicas of a service,
the stream's per-subject order is what remains (best effort across replicas).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from events.envelope import Envelope
from services.kit.errors import waiting_key

ORDERING_FIELDS = ("case_id", "person_ref", "period")
MARGIN_SECONDS = 0.1
# How long a key stays blocked after its event's retry was due, if that event never returns
# (e.g. the consumer was reset): then later events flow again.
GRACE_SECONDS = 90.0


def ordering_key(envelope: Envelope) -> str | None:
    """What this event must stay in order with: its case, else its person, else its fund."""
    for name in ORDERING_FIELDS:
        value = envelope.payload.get(name)
        if value is not None:
            return waiting_key(name, value)
    return None


def provided_keys(envelope: Envelope) -> list[str]:
    """Every key an applied event may release parked events of: its case, its person and its
    fund period, where it names them."""
    return [
        waiting_key(name, envelope.payload[name])
        for name in ORDERING_FIELDS
        if envelope.payload.get(name) is not None
    ]


@dataclass
class _Waiting:
    event_id: uuid.UUID
    due: float  # monotonic time the failed event is delivered again


@dataclass
class OrderGuard:
    clock: Callable[[], float] = time.monotonic
    _waiting: dict[str, _Waiting] = field(default_factory=dict)

    def retrying(self, envelope: Envelope, delay: float) -> None:
        """The event failed and comes back after ``delay`` seconds."""
        key = ordering_key(envelope)
        if key is not None:
            self._waiting[key] = _Waiting(envelope.event_id, self.clock() + delay)

    def settled(self, envelope: Envelope) -> None:
        """The event was applied or dead-lettered: its key flows again."""
        key = ordering_key(envelope)
        waiting = self._waiting.get(key) if key else None
        if waiting is not None and waiting.event_id == envelope.event_id:
            del self._waiting[key]  # type: ignore[arg-type]

    def split(self, envelopes: list[Envelope]) -> tuple[list[int], dict[int, float]]:
        """Indexes of the events to apply now, and of those to hold back with the delay after
        which to deliver them again. An event waits if an earlier event of its key is due
        for redelivery and is not itself earlier in this batch."""
        now = self.clock()
        ready: list[int] = []
        held: dict[int, float] = {}
        for stale, entry in list(self._waiting.items()):
            if now > entry.due + GRACE_SECONDS:
                del self._waiting[stale]
        arrived: set[str] = set()
        for i, envelope in enumerate(envelopes):
            key = ordering_key(envelope)
            waiting = self._waiting.get(key) if key else None
            if waiting is not None and waiting.event_id == envelope.event_id:
                arrived.add(key)  # type: ignore[arg-type]
            if waiting is None or key in arrived:
                ready.append(i)
            else:
                held[i] = max(waiting.due - now, 0.0) + MARGIN_SECONDS
        return ready, held
