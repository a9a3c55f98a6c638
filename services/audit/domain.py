"""The tamper-evident log: canonical form of an event, the hash chain and its verification.

Rule: ``hash_n = SHA-256(hash_{n-1} || canonical(envelope_n))`` over raw digest bytes,
starting from ``GENESIS``. Each stored record keeps its position, the previous hash and its
hash, so a broken chain can say *what* happened at the first bad position: a record was
changed, removed, inserted or moved (reordered).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from events.envelope import Envelope

GENESIS = "0" * 64
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

ProblemKind = Literal["changed", "removed", "inserted", "reordered"]


def format_time(value: datetime) -> str:
    """One fixed UTC format for every timestamp the audit log hashes or signs."""
    if value.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return value.astimezone(UTC).strftime(TIME_FORMAT)


def canonical(envelope: Envelope) -> str:
    """Deterministic JSON of an envelope: sorted keys, no whitespace, UTC time, UTF-8 text."""
    data: dict[str, Any] = envelope.model_dump(mode="json")
    data["occurred_at"] = format_time(envelope.occurred_at)
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def link(prev_hash: str, canonical_json: str) -> str:
    """The chain rule: SHA-256 of the previous digest followed by the canonical bytes."""
    try:
        prev = bytes.fromhex(prev_hash)
    except ValueError:
        prev = prev_hash.encode()  # a tampered, non-hex value still hashes (and mismatches)
    return hashlib.sha256(prev + canonical_json.encode("utf-8")).hexdigest()


class ChainRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    position: int
    canonical: str
    prev_hash: str
    hash: str


def chain(canonicals: Sequence[str], prev_hash: str = GENESIS, start: int = 1) -> list[ChainRecord]:
    """Records for consecutive canonical envelopes, linked from ``prev_hash``."""
    records: list[ChainRecord] = []
    for offset, text in enumerate(canonicals):
        digest = link(prev_hash, text)
        records.append(
            ChainRecord(position=start + offset, canonical=text, prev_hash=prev_hash, hash=digest)
        )
        prev_hash = digest
    return records


class ChainProblem(BaseModel):
    position: int
    kind: ProblemKind
    detail: str


class VerifyResult(BaseModel):
    intact: bool
    records_checked: int
    head_position: int
    head_hash: str
    problem: ChainProblem | None = None


def verify(records: Sequence[ChainRecord], head: tuple[int, str] | None = None) -> VerifyResult:
    """Recompute the chain over records in position order; report the first problem found.

    ``head`` is the (position, hash) the log last recorded as its end, if known: a log that
    stops short of it lost its last records.
    """
    expected_prev, expected_pos = GENESIS, 1
    for i, record in enumerate(records):
        problem = _check(records, i, expected_prev, expected_pos)
        if problem is not None:
            return VerifyResult(
                intact=False,
                records_checked=i,
                head_position=expected_pos - 1,
                head_hash=expected_prev,
                problem=problem,
            )
        expected_prev, expected_pos = record.hash, expected_pos + 1
    if head is not None and head[0] > expected_pos - 1:
        problem = ChainProblem(
            position=expected_pos,
            kind="removed",
            detail=f"the log ends at position {expected_pos - 1} but its head was {head[0]}: "
            "the last records were removed",
        )
        return VerifyResult(
            intact=False,
            records_checked=len(records),
            head_position=expected_pos - 1,
            head_hash=expected_prev,
            problem=problem,
        )
    return VerifyResult(
        intact=True,
        records_checked=len(records),
        head_position=expected_pos - 1,
        head_hash=expected_prev,
    )


def _check(
    records: Sequence[ChainRecord], i: int, expected_prev: str, expected_pos: int
) -> ChainProblem | None:
    record = records[i]
    pos = record.position
    if pos != expected_pos:
        if pos > expected_pos:
            missing = f"{expected_pos}" if pos == expected_pos + 1 else f"{expected_pos}..{pos - 1}"
            return _problem(expected_pos, "removed", f"position {missing} is missing")
        return _problem(pos, "inserted", "this position appears twice")
    nxt = records[i + 1] if i + 1 < len(records) else None
    linked = record.prev_hash == expected_prev
    consistent = link(record.prev_hash, record.canonical) == record.hash
    skipped = nxt is not None and nxt.prev_hash == expected_prev
    if linked and consistent and not skipped:
        return None
    later = next((r for r in records[i + 1 :] if r.hash == record.prev_hash), None)
    if later is not None:
        return _problem(pos, "reordered", f"it follows the record now at position {later.position}")
    if skipped:
        return _problem(pos, "inserted", "the next record follows the one before it")
    if linked:
        return _moved_content(records, i) or _problem(
            pos, "changed", "its content no longer matches its hash"
        )
    return _classify_break(records, i, consistent)


def _classify_break(records: Sequence[ChainRecord], i: int, consistent: bool) -> ChainProblem:
    """The record does not follow the previous one: say why."""
    record = records[i]
    pos = record.position
    earlier = next((j for j in range(i - 1) if records[j].hash == record.prev_hash), None)
    if earlier is not None:
        return _problem(
            records[earlier + 1].position,
            "inserted",
            f"position {pos} follows position {records[earlier].position}; "
            "the records between were added",
        )
    if not consistent:
        return _moved_content(records, i) or _problem(
            pos, "changed", "its previous-hash field was altered"
        )
    return _problem(
        pos,
        "removed",
        "the record it follows is missing (removed, or the record before it was rewritten)",
    )


def _moved_content(records: Sequence[ChainRecord], i: int) -> ChainProblem | None:
    """Content swapped between rows while the hashes stayed in place."""
    text = records[i].canonical
    for j, other in enumerate(records):
        if j != i and link(other.prev_hash, text) == other.hash:
            return _problem(
                records[i].position,
                "reordered",
                f"its content belongs at position {other.position}",
            )
    return None


def _problem(position: int, kind: ProblemKind, detail: str) -> ChainProblem:
    return ChainProblem(
        position=position, kind=kind, detail=f"position {position} {kind}: {detail}"
    )


def recompute(records: Sequence[ChainRecord]) -> dict[int, str]:
    """Position -> the hash the chain has there when recomputed from the stored contents only."""
    hashes: dict[int, str] = {}
    running = GENESIS
    for record in records:
        running = link(running, record.canonical)
        hashes[record.position] = running
    return hashes
