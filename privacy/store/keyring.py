"""Master keys, privacy's secrets kept outside the database: from ``RETORNO_MASTER_KEY`` or
from a key file in the data directory; never from the database.

The key file (``<data_dir>/keys/master.json``, mode 0600, directory 0700) is created on first
start and holds every master key not yet retired, with its id, and which one is active. A
running service notices when another process (``retorno keys rotate``) changes the file.

``RETORNO_MASTER_KEY`` holds one base64 key of 32 bytes, or several separated by commas: the
first is active, the others are older keys still needed to unwrap. Their ids are derived from
the keys. In that mode the keyring is read-only: to rotate, put a new key first, restart, then
re-wrap (``rewrap_data_keys``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets
import stat
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from privacy.domain import (
    ActiveMasterKeyError,
    KeyFileInvalidError,
    KeyFileUnsafeError,
    KeyringReadOnlyError,
    MasterKeyInvalidError,
    UnknownMasterKeyError,
)
from privacy.domain.crypto import KEY_BYTES, new_master_key
from privacy.settings import PrivacySettings
from services.kit.definition import Runtime
from services.kit.parts import PartKey

KEY_FILE = Path("keys") / "master.json"


@dataclass(frozen=True)
class MasterKey:
    key_id: str
    secret: bytes = field(repr=False)
    created_at: str = ""


def _decode(b64: str) -> bytes:
    try:
        secret = base64.b64decode(b64.strip(), validate=True)
    except binascii.Error as exc:
        raise MasterKeyInvalidError("a master key is not valid base64") from exc
    if len(secret) != KEY_BYTES:
        raise MasterKeyInvalidError(
            f"a master key must be {KEY_BYTES} bytes (base64 of 32 random bytes)"
        )
    return secret


def _env_key(b64: str) -> MasterKey:
    secret = _decode(b64)
    return MasterKey("env_" + hashlib.sha256(secret).hexdigest()[:16], secret)


def _read_file(path: Path) -> tuple[list[MasterKey], str]:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileUnsafeError(f"{path} is readable by others; run: chmod 600 {path}")
    try:
        data = json.loads(path.read_text("utf-8"))
        keys = [
            MasterKey(k["id"], _decode(k["key"]), k.get("created_at", "")) for k in data["keys"]
        ]
        active = str(data["active"])
    except (ValueError, KeyError, TypeError) as exc:
        raise KeyFileInvalidError(f"{path} is not a valid master key file") from exc
    if active not in {k.key_id for k in keys}:
        raise KeyFileInvalidError(f"{path}: the active key '{active}' is not in the file")
    return keys, active


def _serialise(keys: list[MasterKey], active: str) -> bytes:
    entries = [
        {"id": k.key_id, "key": base64.b64encode(k.secret).decode(), "created_at": k.created_at}
        for k in keys
    ]
    return json.dumps({"version": 1, "active": active, "keys": entries}, indent=2).encode()


def _write_file(path: Path, keys: list[MasterKey], active: str, *, exclusive: bool) -> None:
    """Write a full file with mode 0600, then move it in place atomically: replace the old
    file, or (``exclusive``) link it only if no file exists yet (FileExistsError otherwise)."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, _serialise(keys, active))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        if exclusive:
            os.link(temp, path)
        else:
            os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _new_key() -> MasterKey:
    created = datetime.now(UTC).isoformat(timespec="seconds")
    return MasterKey(f"mk_{secrets.token_hex(8)}", new_master_key(), created)


class Keyring:
    """The master keys by id, and the active one (which wraps new data keys)."""

    def __init__(self, keys: list[MasterKey], active_id: str, path: Path | None = None) -> None:
        self._keys = {k.key_id: k for k in keys}
        self._active_id = active_id
        self.path = path
        self._seen = self._signature()

    @classmethod
    def from_env(cls, value: str) -> Keyring:
        keys = [_env_key(part) for part in value.split(",") if part.strip()]
        if not keys:
            raise MasterKeyInvalidError("RETORNO_MASTER_KEY is empty")
        return cls(keys, keys[0].key_id)

    @classmethod
    def from_file(cls, path: Path) -> Keyring:
        keys, active = _read_file(path)
        return cls(keys, active, path)

    @property
    def writable(self) -> bool:
        return self.path is not None

    @property
    def active(self) -> MasterKey:
        self._reload_if_changed()
        return self._keys[self._active_id]

    def get(self, key_id: str) -> MasterKey:
        if key_id not in self._keys:
            self._reload_if_changed()
        try:
            return self._keys[key_id]
        except KeyError:
            raise UnknownMasterKeyError(
                f"master key '{key_id}' is not in the keyring (retired or not configured)"
            ) from None

    def key_ids(self) -> list[str]:
        self._reload_if_changed()
        return list(self._keys)

    def add_active_key(self) -> MasterKey:
        """Create a new master key, store it and make it active (the old ones stay)."""
        path = self._require_file()
        keys, _ = _read_file(path)
        key = _new_key()
        _write_file(path, [*keys, key], key.key_id, exclusive=False)
        self._reload_if_changed()
        return key

    def remove(self, key_id: str) -> None:
        path = self._require_file()
        keys, active = _read_file(path)
        if key_id == active:
            raise ActiveMasterKeyError(
                f"master key '{key_id}' is active; rotate before retiring it"
            )
        if key_id not in {k.key_id for k in keys}:
            raise UnknownMasterKeyError(f"master key '{key_id}' is not in {path}")
        _write_file(path, [k for k in keys if k.key_id != key_id], active, exclusive=False)
        self._reload_if_changed()

    def _require_file(self) -> Path:
        if self.path is None:
            raise KeyringReadOnlyError(
                "master keys come from RETORNO_MASTER_KEY and cannot be changed here: put the "
                "new key first in RETORNO_MASTER_KEY (comma-separated, old keys after it), "
                "restart, then re-wrap the data keys"
            )
        return self.path

    def _signature(self) -> tuple[int, int, int] | None:
        if self.path is None:
            return None
        info = self.path.stat()
        return (info.st_ino, info.st_mtime_ns, info.st_size)

    def _reload_if_changed(self) -> None:
        if self.path is None or self._signature() == self._seen:
            return
        keys, active = _read_file(self.path)
        self._keys = {k.key_id: k for k in keys}
        self._active_id = active
        self._seen = self._signature()


def load_keyring(data_dir: Path, master_key: str | None = None) -> Keyring:
    """The keyring from ``master_key`` if set, else from the key file (created if absent)."""
    if master_key:
        return Keyring.from_env(master_key)
    path = data_dir / KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    try:
        key = _new_key()
        _write_file(path, [key], key.key_id, exclusive=True)
    except FileExistsError:
        pass
    return Keyring.from_file(path)


# privacy's own part: the one keyring of a runtime (the vault's, the rotation's, the listing's)
KEYRING: PartKey[Keyring] = PartKey("privacy.keyring")


def keyring_of(rt: Runtime) -> Keyring:
    """The runtime's keyring, loaded from its settings on first use."""
    keyring = rt.find(KEYRING)
    if keyring is None:
        keyring = rt.put(
            KEYRING, load_keyring(rt.settings.data_dir, rt.settings_for(PrivacySettings).master_key)
        )
    return keyring
