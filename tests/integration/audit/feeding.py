"""The audit tests' key and feeding: the programme history of ``benchmarks.audit_scenario``
(or any envelopes) applied by the audit handler exactly as the runner would."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from db.uow import ServiceDatabase
from events.envelope import Envelope
from services.audit.domain.signing import CheckpointSigner, Signing
from services.audit.handlers import record_event

# The audit key of the tests: the `rt` fixtures hand it to verification (Runtime.parts).
SIGNER = CheckpointSigner(Ed25519PrivateKey.generate())


async def feed(db: ServiceDatabase, *envelopes: Envelope, every_events: int = 0) -> None:
    """Append the envelopes in one unit of work, signing the head as the service does."""
    async with db.unit_of_work(cause=envelopes[0]) as uow:
        for envelope in envelopes:
            await record_event(uow, envelope, Signing(SIGNER, every_events))
        await uow.commit()
