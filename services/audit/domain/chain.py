"""The tamper-evident log: canonical form of an event, the hash chain and its verification.

Rule: ``hash_n = SHA-256(hash_{n-1} || text_n)`` over raw digest bytes, starting from
``GENESIS``. ``text_n`` is ``canonical(envelope_n)`` for records written before revision
audit_0003 (rule 1) and ``canonical(envelope_n) + "\n" + columns_text(row_n)`` since then
(rule 2), so the hash also covers every stored column the queries filter on. Each stored
record keeps its position, the previous hash and its hash, so a broken chain can say *what*
happened at the first bad position: a record was changed, removed, inserted or moved
(reordered), or a filter column no longer matches its envelope (column_mismatch).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from events.envelope import Envelope

GENESIS = "0" * 64
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

ProblemKind = Literal[
    "changed",  # a hashed field of the record no longer matches its hash
    "removed",  # a record is missing (the head, or the next record, still counts it)
    "inserted",  # a record that was never chained sits in the log
    "reordered",  # records were moved
    "column_mismatch",  # a stored filter column differs from the record's envelope
    "truncated",  # the log (and its head) were cut back: a signed checkpoint or the broker
    # holds events beyond its end
    "forged_record",  # a record after the signed head, or one the broker never carried
    "head_mismatch",  # the head row is not the signed head (changed, lowered, unsigned)
    "checkpoint_missing",  # a checkpoint published on the broker is not in the database
]
RULE_ENVELOPE = 1  # the hash covers the canonical envelope only (records before audit_0003)
RULE_COLUMNS = 2  # the hash covers the canonical envelope and every stored column
COLUMNS = (
    "event_id",
    "type",
    "version",
    "occurred_at",
    "actor_kind",
    "actor_id",
    "actor_role",
    "case_id",
    "person_ref",
    "recorded_at",
)
DB_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


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


def db_time(value: datetime) -> str:
    """A stored timestamp as the databases render it as text (UTC, microseconds)."""
    if value.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return value.astimezone(UTC).strftime(DB_TIME_FORMAT)


def column_values(envelope: Envelope, recorded_at: datetime) -> dict[str, Any]:
    """The stored columns of an envelope's record (what the queries filter on)."""
    payload = envelope.payload
    return {
        "event_id": envelope.event_id,
        "type": envelope.type,
        "version": envelope.version,
        "occurred_at": envelope.occurred_at.astimezone(UTC),
        "actor_kind": envelope.actor.kind,
        "actor_id": envelope.actor.id,
        "actor_role": envelope.actor.role,
        "case_id": _uuid(payload.get("case_id")),
        "person_ref": _person_ref(payload.get("person_ref")),
        "recorded_at": recorded_at.astimezone(UTC),
    }


def column_texts(values: dict[str, Any]) -> list[str | None]:
    """Each column as text, in ``COLUMNS`` order, as the database renders it (see store/log.py)."""
    texts: list[str | None] = []
    for name in COLUMNS:
        value = values[name]
        if value is None:
            texts.append(None)
        elif isinstance(value, uuid.UUID):
            texts.append(value.hex)
        elif isinstance(value, datetime):
            texts.append(db_time(value))
        else:
            texts.append(str(value))
    return texts


def columns_text(texts: Sequence[str | None]) -> str:
    """Length-prefixed columns (``<len>:<text>;``, ``-;`` for NULL): no two rows share one."""
    return "".join("-;" if t is None else f"{len(t)}:{t};" for t in texts)


def parse_columns_text(text: str) -> list[str | None] | None:
    """The columns back from ``columns_text``; None if the text is not in that form."""
    found: list[str | None] = []
    i = 0
    try:
        while i < len(text):
            if text.startswith("-;", i):
                found.append(None)
                i += 2
                continue
            colon = text.index(":", i)
            length = int(text[i:colon])
            value = text[colon + 1 : colon + 1 + length]
            if len(value) != length or text[colon + 1 + length] != ";":
                return None
            found.append(value)
            i = colon + 2 + length
    except (ValueError, IndexError):
        return None
    return found if len(found) == len(COLUMNS) else None


def hashed_text(envelope_text: str, rule: int, columns: str) -> str:
    """What the chain hashes for one record under its rule."""
    return envelope_text if rule == RULE_ENVELOPE else f"{envelope_text}\n{columns}"


def column_mismatch(envelope_text: str, columns: str) -> str | None:
    """The first stored column that differs from what the envelope says; None if all match.

    ``recorded_at`` (when the audit service stored the event) is not in the envelope; it is
    covered by the rule-2 hash only.
    """
    stored = parse_columns_text(columns)
    if stored is None:
        return "columns"
    try:
        envelope = Envelope.model_validate_json(envelope_text)
        recorded = datetime.strptime(stored[-1] or "", DB_TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return "envelope"
    expected = column_texts(column_values(envelope, recorded))
    for name, want, have in zip(COLUMNS, expected, stored, strict=True):
        if want != have:
            return name
    return None


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value is not None else None
    except ValueError:
        return None


def _person_ref(value: object) -> str | None:
    return value if isinstance(value, str) and len(value) <= 40 else None


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


def verify(
    records: Sequence[ChainRecord],
    head: tuple[int, str] | None = None,
    start: tuple[int, str] = (0, GENESIS),
) -> VerifyResult:
    """Recompute the chain over records in position order; report the first problem found.

    ``head`` is the (position, hash) the log last recorded as its end, if known: a log that
    stops short of it lost its last records. ``start`` is the (position, hash) the records
    follow (a window of a longer log).
    """
    expected_prev, expected_pos = start[1], start[0] + 1
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


# --- Streaming verification: constant memory, one hash per record ---------------------------

# A row as streamed for verification: position, envelope, prev_hash, hash, rule, columns text.
Row = tuple[int, str, str, str, int, str]
RECENT = 64  # verified hashes kept behind the walk, to diagnose a problem in a window


@dataclass
class Walk:
    """The chain walked so far: the last verified position and hash, and a few before it.

    ``feed`` checks a batch of rows in position order (position, link, hash; for rule-1
    records also the columns, from the envelope) and stops at the first row that fails; the
    caller then reads a window around it and calls ``diagnose`` to say what happened there.
    ``wanted`` positions (those of checkpoints) have their hash remembered in ``found``.
    """

    position: int = 0
    hash: str = GENESIS
    wanted: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        self.recent: deque[tuple[int, str]] = deque([(self.position, self.hash)], maxlen=RECENT)
        self.found: dict[int, str] = {}
        self.records = 0
        self.rule_columns = False  # some record uses rule 2: the head must be signed

    def feed(self, rows: Iterable[Row]) -> int | None:
        """Check rows; the position of the first bad one, or None if all are good."""
        sha256, fromhex = hashlib.sha256, bytes.fromhex
        expected_pos, expected_prev = self.position + 1, self.hash
        prev_bytes = fromhex(expected_prev) if len(expected_prev) == 64 else b""
        wanted, found, recent = self.wanted, self.found, self.recent
        bad: int | None = None
        for position, envelope, prev_hash, digest, rule, columns in rows:
            if position != expected_pos or prev_hash != expected_prev:
                bad = min(position, expected_pos)
                break
            if rule == RULE_COLUMNS:
                text = f"{envelope}\n{columns}"
                self.rule_columns = True
            else:
                text = envelope
            computed = sha256(prev_bytes + text.encode()).digest()
            if computed.hex() != digest or (
                rule != RULE_COLUMNS and column_mismatch(envelope, columns) is not None
            ):
                bad = position
                break
            prev_bytes, expected_prev = computed, digest
            if position in wanted:
                found[position] = digest
            recent.append((position, digest))
            expected_pos += 1
            self.records += 1
        self.position, self.hash = expected_pos - 1, expected_prev
        return bad

    def window_start(self, bad: int) -> tuple[int, str]:
        """The earliest verified (position, hash) kept behind a bad position."""
        return self.recent[0] if self.recent[0][0] < bad else (self.position, self.hash)


@dataclass(frozen=True)
class StoredRecord:
    position: int
    envelope: str
    prev_hash: str
    hash: str
    rule: int
    columns: str


def diagnose(window: Sequence[StoredRecord], start: tuple[int, str], bad: int) -> ChainProblem:
    """Name the first problem in a window of records that follows ``start``.

    ``bad`` is where the fast walk stopped; a window always holds a problem there.
    """
    for record in window:
        if record.position == bad and record.prev_hash == _hash_before(window, start, bad):
            column = column_mismatch(record.envelope, record.columns)
            if column is not None and column not in ("recorded_at", "columns", "envelope"):
                return _problem(
                    bad,
                    "column_mismatch",
                    f"its stored {column} column differs from its envelope "
                    "(the filter columns were edited)",
                )
    chained = [
        ChainRecord(
            position=r.position,
            canonical=hashed_text(r.envelope, r.rule, r.columns),
            prev_hash=r.prev_hash,
            hash=r.hash,
        )
        for r in window
    ]
    result = verify(chained, start=start)
    if result.problem is not None:
        return result.problem
    return _problem(bad, "changed", "its stored fields no longer match its hash")


def _hash_before(window: Sequence[StoredRecord], start: tuple[int, str], position: int) -> str:
    if position == start[0] + 1:
        return start[1]
    return next((r.hash for r in window if r.position == position - 1), "")


# --- The end of the log: the signed head ----------------------------------------------------


class SignedHead(BaseModel):
    """The head row: the log's last position and hash, signed by the audit key each batch."""

    position: int
    hash: str
    signed_at: datetime | None = None
    key_id: str | None = None
    signature: str | None = None


def check_head(
    head: SignedHead | None,
    end: tuple[int, str],
    signature_valid: bool | None,
    must_be_signed: bool,
) -> ChainProblem | None:
    """Hold the verified end of the log against the head row.

    ``signature_valid`` is None when the head carries no signature. A signed head is trusted
    (the database's writer cannot sign), so a log beyond it holds a forged record and a log
    short of it lost records; an unsigned or badly signed head on a log written by this
    version was changed by hand (changed hash, lowered position, forged records appended).
    """
    end_position, end_hash = end
    if head is None:
        return _problem(end_position, "head_mismatch", "the head row is missing")
    if signature_valid is False or (signature_valid is None and must_be_signed):
        what = "is not signed" if signature_valid is None else "has an invalid signature"
        return _problem(
            head.position,
            "head_mismatch",
            f"the head row (position {head.position}) {what}: it was written by hand "
            f"(the verified log ends at position {end_position})",
        )
    if end_position > head.position:
        return _problem(
            head.position + 1,
            "forged_record",
            f"the log goes on to position {end_position} after its signed head "
            f"{head.position}: records were appended without the audit service",
        )
    if end_position < head.position:
        return _problem(
            end_position + 1,
            "removed",
            f"the log ends at position {end_position} but its head was {head.position}: "
            "the last records were removed",
        )
    if end_hash != head.hash:
        return _problem(
            head.position, "head_mismatch", "the head's hash differs from the log's last hash"
        )
    return None


# --- The broker's evidence: the stream and the checkpoints published on it -----------------


def truncated(end_position: int, detail: str) -> ChainProblem:
    return _problem(end_position + 1, "truncated", detail)


def forged(position: int, detail: str) -> ChainProblem:
    return _problem(position, "forged_record", detail)


def checkpoint_missing(position: int, detail: str) -> ChainProblem:
    return _problem(position, "checkpoint_missing", detail)
