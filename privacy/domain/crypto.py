"""Envelope encryption, pure: AES-256-GCM field tokens under a per-person data key, and data
keys wrapped by a master key.

A field token is ``version (1 byte) || nonce (12 bytes) || ciphertext+tag``. Its associated
data binds it to the person and the field name, so a token copied to another person or field,
or altered in any way, fails to decrypt. A wrapped data key is bound in the same way to the
master key id and the person.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT_V1 = 1
KEY_BYTES = 32
NONCE_BYTES = 12
_HEADER = 1 + NONCE_BYTES
_TAG_BYTES = 16


class CryptoError(Exception):
    """A token or wrapped key cannot be opened: wrong person, field or key, or tampered."""


class FieldDecryptionError(CryptoError):
    pass


class KeyUnwrapError(CryptoError):
    pass


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def new_master_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def _label(*parts: str) -> bytes:
    for part in parts:
        if not part or "\x00" in part:
            raise ValueError("person_ref, field and key id must be non-empty and contain no NUL")
    return b"\x00".join(part.encode() for part in parts)


def field_aad(person_ref: str, field: str, version: int = FORMAT_V1) -> bytes:
    return bytes([version]) + b"retorno.field\x00" + _label(person_ref, field)


def wrap_aad(key_id: str, person_ref: str, version: int = FORMAT_V1) -> bytes:
    return bytes([version]) + b"retorno.data_key\x00" + _label(key_id, person_ref)


@lru_cache(maxsize=16)
def _master_cipher(master_key: bytes) -> AESGCM:
    """One cipher object per master key (a handful), not one per data key wrapped: the key
    schedule is most of the cost of wrapping or unwrapping one 32-byte key."""
    return AESGCM(master_key)


def _seal(key: bytes, plaintext: bytes, aad: bytes, cipher: AESGCM | None = None) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return bytes([FORMAT_V1]) + nonce + (cipher or AESGCM(key)).encrypt(nonce, plaintext, aad)


def _open(
    key: bytes, token: bytes, error: type[CryptoError], aad: bytes, cipher: AESGCM | None = None
) -> bytes:
    if len(token) < _HEADER + _TAG_BYTES or token[0] != FORMAT_V1:
        raise error("unknown token format (expected version 1); the token is damaged")
    nonce, body = token[1:_HEADER], token[_HEADER:]
    try:
        return (cipher or AESGCM(key)).decrypt(nonce, body, aad)
    except InvalidTag as exc:
        raise error("authentication failed") from exc


def encrypt_field(data_key: bytes, person_ref: str, field: str, value: str) -> bytes:
    return _seal(data_key, value.encode("utf-8"), field_aad(person_ref, field))


def encrypt_fields(data_key: bytes, person_ref: str, values: dict[str, str]) -> dict[str, bytes]:
    """``encrypt_field`` for several fields of one person, with one cipher object."""
    aead = AESGCM(data_key)
    sealed = {}
    for field, value in values.items():
        nonce = os.urandom(NONCE_BYTES)
        body = aead.encrypt(nonce, value.encode("utf-8"), field_aad(person_ref, field))
        sealed[field] = bytes([FORMAT_V1]) + nonce + body
    return sealed


def decrypt_field(data_key: bytes, person_ref: str, field: str, token: bytes) -> str:
    """The plaintext, or FieldDecryptionError when the token was not made for this person and
    field under this key, or was altered."""
    try:
        plain = _open(data_key, token, FieldDecryptionError, field_aad(person_ref, field))
    except FieldDecryptionError as exc:
        raise FieldDecryptionError(
            f"cannot decrypt field '{field}' of {person_ref}: the value belongs to another "
            f"person or field, or was tampered with ({exc})"
        ) from exc
    return plain.decode("utf-8")


def decrypt_fields(data_key: bytes, person_ref: str, tokens: dict[str, bytes]) -> dict[str, str]:
    """``decrypt_field`` for several fields of one person, with one cipher object."""
    aead = AESGCM(data_key)
    plain = {}
    for field, token in tokens.items():
        if len(token) < _HEADER + _TAG_BYTES or token[0] != FORMAT_V1:
            return {f: decrypt_field(data_key, person_ref, f, t) for f, t in tokens.items()}
        try:
            body = aead.decrypt(token[1:_HEADER], token[_HEADER:], field_aad(person_ref, field))
        except InvalidTag:  # the one-by-one path raises the error naming the field
            return {f: decrypt_field(data_key, person_ref, f, t) for f, t in tokens.items()}
        plain[field] = body.decode("utf-8")
    return plain


def wrap_data_key(master_key: bytes, key_id: str, person_ref: str, data_key: bytes) -> bytes:
    if len(data_key) != KEY_BYTES:
        raise ValueError("a data key is 32 bytes")
    return _seal(master_key, data_key, wrap_aad(key_id, person_ref), _master_cipher(master_key))


def unwrap_data_key(master_key: bytes, key_id: str, person_ref: str, wrapped: bytes) -> bytes:
    try:
        aad = wrap_aad(key_id, person_ref)
        return _open(master_key, wrapped, KeyUnwrapError, aad, _master_cipher(master_key))
    except KeyUnwrapError as exc:
        raise KeyUnwrapError(
            f"cannot unwrap the data key of {person_ref} with master key '{key_id}': wrong "
            f"master key, or the wrapped key was moved or tampered with ({exc})"
        ) from exc


def key_fingerprint(key_id: str, wrapped: bytes) -> str:
    """SHA-256 of the master key id and the wrapped data key: names a key-store record
    without revealing anything about the key."""
    return hashlib.sha256(key_id.encode() + b"\x00" + wrapped).hexdigest()
