"""Signed checkpoints prove that history up to their position was not rewritten."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.audit.domain.chain import chain, recompute
from services.audit.domain.checkpoints import (
    Checkpoint,
    check_checkpoint,
    checkpoint_message,
    first_rewrite,
)
from services.audit.domain.signing import CheckpointSigner, signature_valid
from services.audit.usecases.keys import KEY_FILE, SigningKeyError, load_or_create

SIGNED_AT = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)


def texts(n: int, tag: str = "n") -> list[str]:
    return [json.dumps({tag: i}) for i in range(n)]


def sign(signer: CheckpointSigner, position: int, digest: str) -> Checkpoint:
    return Checkpoint(
        position=position,
        hash=digest,
        signed_at=SIGNED_AT,
        key_id=signer.key_id,
        signature=signer.sign(checkpoint_message(position, digest, SIGNED_AT)),
    )


def checker(signer: CheckpointSigner):  # type: ignore[no-untyped-def]
    return lambda message, signature: signature_valid(signer.public_key, message, signature)


def test_the_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    first = load_or_create(tmp_path)

    again = load_or_create(tmp_path)

    mode = stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode)
    assert mode == 0o600
    assert first.key_id == again.key_id


def test_a_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    load_or_create(tmp_path)
    (tmp_path / KEY_FILE).chmod(0o644)

    with pytest.raises(SigningKeyError, match="chmod 600"):
        load_or_create(tmp_path)


def test_the_exported_public_key_checks_a_signature(tmp_path: Path) -> None:
    signer = load_or_create(tmp_path)
    checkpoint = sign(signer, 3, "ab" * 32)
    message = checkpoint_message(3, "ab" * 32, SIGNED_AT)

    assert signer.public_key_pem().startswith("-----BEGIN PUBLIC KEY-----")
    assert signature_valid(signer.public_key_pem(), message, checkpoint.signature)
    assert not signature_valid(
        signer.public_key_pem(), message.replace(b"3", b"4"), checkpoint.signature
    )


def test_a_checkpoint_holds_while_history_only_grows(tmp_path: Path) -> None:
    signer = load_or_create(tmp_path)
    old = chain(texts(4))
    checkpoint = sign(signer, 4, old[-1].hash)
    grown = chain(texts(7))

    status = check_checkpoint(checkpoint, recompute(grown)[4], checker(signer), signer.key_id)

    assert status.signature_valid and status.matches_log
    assert first_rewrite([status]) is None


def test_a_rewritten_but_self_consistent_history_contradicts_the_checkpoint(tmp_path: Path) -> None:
    signer = load_or_create(tmp_path)
    early = sign(signer, 2, chain(texts(2))[-1].hash)
    late = sign(signer, 5, chain(texts(5))[-1].hash)
    rewritten = chain([*texts(3), json.dumps({"n": "rewritten"}), *texts(6)[4:]])
    hashes = recompute(rewritten)

    statuses = [
        check_checkpoint(cp, hashes.get(cp.position), checker(signer), signer.key_id)
        for cp in (early, late)
    ]
    problem = first_rewrite(statuses)

    assert statuses[0].matches_log and not statuses[1].matches_log
    assert problem is not None and (problem.position, problem.kind) == (5, "changed")
    assert "between positions 3 and 5" in problem.detail


def test_a_forged_checkpoint_is_reported(tmp_path: Path) -> None:
    signer = load_or_create(tmp_path)
    records = chain(texts(3))
    forged = sign(signer, 3, records[-1].hash).model_copy(update={"position": 2})

    status = check_checkpoint(forged, recompute(records)[2], checker(signer), signer.key_id)

    assert status.signature_valid is False
    assert first_rewrite([status]) is not None


def test_a_checkpoint_of_another_key_is_not_judged(tmp_path: Path) -> None:
    signer = load_or_create(tmp_path / "a")
    other = load_or_create(tmp_path / "b")
    records = chain(texts(3))

    status = check_checkpoint(
        sign(other, 3, "0" * 64), recompute(records)[3], checker(signer), signer.key_id
    )

    assert status.signature_valid is None
    assert first_rewrite([status]) is None


def test_a_checkpoint_beyond_the_log_means_records_were_removed(tmp_path: Path) -> None:
    signer = load_or_create(tmp_path)
    checkpoint = sign(signer, 6, chain(texts(6))[-1].hash)

    status = check_checkpoint(
        checkpoint, recompute(chain(texts(4))).get(6), checker(signer), signer.key_id
    )

    problem = first_rewrite([status])
    assert problem is not None and problem.kind == "removed"
