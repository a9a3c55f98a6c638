"""The blind index's key: an HMAC key of its own, kept outside the database and apart from the
master keys (a leak of one does not give the other), from ``RETORNO_SEARCH_KEY`` or from the
key file ``<data_dir>/keys/search.key`` (base64, mode 0600, made on first start).

Changing it makes every stored digest unfindable: run ``retorno search reindex`` after.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from privacy.domain import KeyFileInvalidError, KeyFileUnsafeError
from privacy.domain.search import SearchKeyInvalidError
from privacy.settings import PrivacySettings
from services.kit.definition import Runtime
from services.kit.parts import PartKey

KEY_FILE = Path("keys") / "search.key"
KEY_BYTES = 32


@dataclass(frozen=True)
class SearchKey:
    key_id: str
    secret: bytes = field(repr=False)


def _decode(b64: str, where: str) -> SearchKey:
    try:
        secret = base64.b64decode(b64.strip(), validate=True)
    except binascii.Error as exc:
        raise SearchKeyInvalidError(f"{where} is not valid base64") from exc
    if len(secret) != KEY_BYTES:
        raise SearchKeyInvalidError(f"{where} must be base64 of {KEY_BYTES} random bytes")
    return SearchKey("sk_" + hashlib.sha256(b"search-key-id" + secret).hexdigest()[:16], secret)


def load_search_key(data_dir: Path, configured: str | None = None) -> SearchKey:
    """The key from ``configured`` if set, else from the key file (created if absent)."""
    if configured:
        return _decode(configured, "RETORNO_SEARCH_KEY")
    path = data_dir / KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        try:
            os.write(fd, base64.b64encode(secrets.token_bytes(KEY_BYTES)) + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileUnsafeError(f"{path} is readable by others; run: chmod 600 {path}")
    text = path.read_text("ascii").strip()
    if not text:
        raise KeyFileInvalidError(f"{path} is empty; remove it to make a new search key")
    return _decode(text, str(path))


SEARCH_KEY: PartKey[SearchKey] = PartKey("privacy.search_key")


def search_key_of(rt: Runtime) -> SearchKey:
    """The runtime's search key, loaded from its settings on first use."""
    key = rt.find(SEARCH_KEY)
    if key is None:
        key = rt.put(
            SEARCH_KEY,
            load_search_key(rt.settings.data_dir, rt.settings_for(PrivacySettings).search_key),
        )
    return key
