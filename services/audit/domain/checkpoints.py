"""Signed checkpoints: a signature over (position, hash, time) of the log's head.

Whoever keeps a checkpoint can later prove that the log still holds, at that position, the
hash that was signed: since every hash covers all earlier records, a history rewritten before
that position (even with a recomputed, self-consistent chain) no longer matches.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from services.audit.domain.chain import ChainProblem, ProblemKind, format_time

LOG_NAME = "retorno.audit"
MESSAGE_FORMAT = (
    "Ed25519 signature (base64) over the UTF-8 JSON, sorted keys, no whitespace: "
    '{"hash":"<64 hex>","log":"retorno.audit","position":<int>,'
    '"signed_at":"YYYY-MM-DDTHH:MM:SS.ffffffZ"}'
)


class Checkpoint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    position: int = Field(ge=1, le=2**62)
    hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    signed_at: AwareDatetime
    key_id: str = Field(max_length=64, pattern=r"^[0-9a-f]+$")
    signature: str = Field(max_length=200)

    @field_validator("signed_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        try:
            return value.astimezone(UTC)
        except OverflowError as exc:
            raise ValueError("signed_at is outside the range of UTC timestamps") from exc


class CheckpointStatus(BaseModel):
    checkpoint: Checkpoint
    signature_valid: bool | None  # None: signed by another key, which this system cannot check
    log_hash: str | None  # what the log holds at the checkpoint's position now
    matches_log: bool
    detail: str


def checkpoint_message(position: int, hash_: str, signed_at: datetime) -> bytes:
    """The exact bytes that are signed; documented so others can check a signature."""
    body = {
        "hash": hash_,
        "log": LOG_NAME,
        "position": position,
        "signed_at": format_time(signed_at),
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def check_checkpoint(
    checkpoint: Checkpoint,
    hash_at_position: str | None,
    signature_ok: Callable[[bytes, str], bool],
    key_id: str,
) -> CheckpointStatus:
    """Compare a checkpoint with the hash the log holds now at its position."""
    message = checkpoint_message(checkpoint.position, checkpoint.hash, checkpoint.signed_at)
    valid = signature_ok(message, checkpoint.signature) if checkpoint.key_id == key_id else None
    matches = hash_at_position == checkpoint.hash
    if valid is None:
        detail = (
            f"signed by key {checkpoint.key_id}, not the current key {key_id}; check it offline"
        )
    elif not valid:
        detail = (
            "the signature does not verify with the audit public key: the checkpoint was forged"
        )
    elif hash_at_position is None:
        detail = f"the log no longer reaches position {checkpoint.position}: records were removed"
    elif not matches:
        detail = (
            f"the log's hash at position {checkpoint.position} differs from the signed one: "
            f"history up to that position was rewritten after {format_time(checkpoint.signed_at)}"
        )
    else:
        detail = f"the log still holds the signed history up to position {checkpoint.position}"
    return CheckpointStatus(
        checkpoint=checkpoint,
        signature_valid=valid,
        log_hash=hash_at_position,
        matches_log=matches,
        detail=detail,
    )


def first_rewrite(statuses: Sequence[CheckpointStatus]) -> ChainProblem | None:
    """The earliest checkpoint the log contradicts (or that is forged), as a chain problem.

    A rewrite lies after the last earlier checkpoint that still matches.
    """
    last_good = 0
    for status in sorted(statuses, key=lambda s: s.checkpoint.position):
        position = status.checkpoint.position
        if status.signature_valid is None:
            continue  # another key's checkpoint proves nothing here either way
        if status.signature_valid and status.matches_log:
            last_good = position
            continue
        kind: ProblemKind = "removed" if status.log_hash is None else "changed"
        where = (
            f" (between positions {last_good + 1} and {position})" if status.signature_valid else ""
        )
        return ChainProblem(
            position=position,
            kind=kind,
            detail=f"checkpoint at position {position}: {status.detail}{where}",
        )
    return None
