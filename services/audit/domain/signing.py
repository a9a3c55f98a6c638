"""Ed25519 signatures of the audit log: signing a checkpoint or the head, checking one.

Pure computation (no file, no database): the key file is kept by ``usecases.keys``. The
public key is exported as PEM so that anyone holding a checkpoint can check its signature
without the system.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)

from services.audit.domain.chain import SignedHead
from services.audit.domain.checkpoints import Checkpoint, checkpoint_message


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


class CheckpointSigner:
    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id(self.public_key)

    def public_key_pem(self) -> str:
        return public_pem(self.public_key)

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self._private.sign(message)).decode()


def public_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def signature_valid(public_key: Ed25519PublicKey | str, message: bytes, signature: str) -> bool:
    """Whether ``signature`` (base64) signs ``message`` under the key (object or PEM text)."""
    if isinstance(public_key, str):
        loaded = load_pem_public_key(public_key.encode())
        if not isinstance(loaded, Ed25519PublicKey):
            return False
        public_key = loaded
    try:
        public_key.verify(base64.b64decode(signature, validate=True), message)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass
class Signing:
    """How the appender signs the head (every batch) and checkpoints (every N events)."""

    signer: CheckpointSigner
    every_events: int = 0  # 0: no checkpoints from the appender, only the periodic job


def sign(signer: CheckpointSigner, position: int, digest: str, at: datetime) -> Checkpoint:
    return Checkpoint(
        position=position,
        hash=digest,
        signed_at=at,
        key_id=signer.key_id,
        signature=signer.sign(checkpoint_message(position, digest, at)),
    )


def head_signature_valid(head: SignedHead, signer: CheckpointSigner) -> bool | None:
    """None when the head is unsigned; else whether the audit key signed it."""
    if head.signature is None or head.signed_at is None:
        return None
    if head.key_id != signer.key_id:
        return False
    message = checkpoint_message(head.position, head.hash, head.signed_at)
    return signature_valid(signer.public_key, message, head.signature)
