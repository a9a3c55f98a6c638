"""The Ed25519 key that signs audit checkpoints, kept in a file, and the signer part.

The private key lives in ``<data_dir>/keys/audit_checkpoint_ed25519.pem`` (mode 0600, directory
0700), created on first use and never stored in a database.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from services.audit.domain.checkpoints import checkpoint_message
from services.audit.domain.signing import CheckpointSigner
from services.audit.schemas import PublicKey
from services.kit.definition import Runtime
from services.kit.parts import PartKey

KEY_FILE = Path("keys") / "audit_checkpoint_ed25519.pem"
SIGNER: PartKey[CheckpointSigner] = PartKey("audit.signer")


class SigningKeyError(Exception):
    pass


def signer(rt: Runtime) -> CheckpointSigner:
    """The checkpoint signer, loaded (or created) from the data directory on first use."""
    found = rt.find(SIGNER)
    if found is None:
        found = rt.put(SIGNER, load_or_create(rt.settings.data_dir))
    return found


def public_key(rt: Runtime) -> PublicKey:
    """The public key that checks the checkpoints, with the exact message it signs."""
    key = signer(rt)
    return PublicKey(
        key_id=key.key_id,
        pem=key.public_key_pem(),
        example_message=checkpoint_message(1, "0" * 64, rt.clock()).decode(),
    )


def public_key_pem(rt: Runtime) -> str:
    return signer(rt).public_key_pem()


def load_or_create(data_dir: Path) -> CheckpointSigner:
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
    return CheckpointSigner(key)


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
