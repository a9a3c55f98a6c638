"""Events of the audit service: the signed checkpoints of its tamper-evident log.

Published on the stream, a checkpoint lives where the audit database's writer cannot reach
it: whoever holds it can later check that the log still holds, at its position, the hash
that was signed. Nothing personal: a position, a hash, a time, a key id and a signature.
"""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from events.envelope import Payload


class CheckpointSigned(Payload):
    """The audit log's head at ``position`` had ``hash``; Ed25519 signature over the message
    documented at ``GET /api/audit/public-key``."""

    service = "audit"
    event = "checkpoint_signed"

    position: int = Field(ge=1, le=2**62)
    hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    signed_at: AwareDatetime
    key_id: str = Field(max_length=64, pattern=r"^[0-9a-f]+$")
    signature: str = Field(max_length=200)
