"""The Ed25519 key that signs audit checkpoints.

The private key lives in ``<data_dir>/keys/audit_checkpoint_ed25519.pem`` (mode 0600, directory
0700), created on first use and never stored in a database. The public key is exported as PEM
so that anyone holding a checkpoint can check its signature without the system.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)

KEY_FILE = Path("keys") / "audit_checkpoint_ed25519.pem"


class SigningKeyError(Exception):
    pass


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


class CheckpointSigner:
    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id(self.public_key)

    @classmethod
    def load_or_create(cls, data_dir: Path) -> CheckpointSigner:
        path = data_dir / KEY_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        if not path.exists():
            _create(path)
        if path.stat().st_mode & 0o077:
            raise SigningKeyError(f"{path} is readable by others; run: chmod 600 {path}")
        key = load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyError(f"{path} does not hold an Ed25519 private key")
        return cls(key)

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


def _create(path: Path) -> None:
    pem = Ed25519PrivateKey.generate().private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
    )
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.link(temp, path)  # atomic and never overwrites: a concurrent creator's key wins
    except FileExistsError:
        pass
    finally:
        temp.unlink()
