from __future__ import annotations

import secrets

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privacy.domain import crypto

ALICE = f"p_{'a' * 32}"
BOB = f"p_{'b' * 32}"


def test_a_value_round_trips_under_its_person_and_field() -> None:
    key = crypto.new_data_key()

    token = crypto.encrypt_field(key, ALICE, "name", "Ana María")

    assert crypto.decrypt_field(key, ALICE, "name", token) == "Ana María"


@given(st.text())
def test_any_text_round_trips(value: str) -> None:
    key = crypto.new_data_key()

    token = crypto.encrypt_field(key, ALICE, "notes", value)

    assert crypto.decrypt_field(key, ALICE, "notes", token) == value


def test_the_same_value_encrypts_differently_each_time() -> None:
    key = crypto.new_data_key()

    first = crypto.encrypt_field(key, ALICE, "name", "Ana")
    second = crypto.encrypt_field(key, ALICE, "name", "Ana")

    assert first != second
    assert first[0] == crypto.FORMAT_V1


def test_a_value_moved_to_another_person_fails_to_decrypt() -> None:
    key = crypto.new_data_key()
    token = crypto.encrypt_field(key, ALICE, "name", "Ana")

    with pytest.raises(crypto.FieldDecryptionError, match="another person or field"):
        crypto.decrypt_field(key, BOB, "name", token)


def test_a_value_moved_to_another_field_fails_to_decrypt() -> None:
    key = crypto.new_data_key()
    token = crypto.encrypt_field(key, ALICE, "document_number", "X123")

    with pytest.raises(crypto.FieldDecryptionError):
        crypto.decrypt_field(key, ALICE, "name", token)


@pytest.mark.parametrize("position", [0, 1, 12, 13, -1])
def test_tampering_with_any_byte_is_detected(position: int) -> None:
    key = crypto.new_data_key()
    token = bytearray(crypto.encrypt_field(key, ALICE, "name", "Ana"))
    token[position] ^= 0x01

    with pytest.raises(crypto.FieldDecryptionError):
        crypto.decrypt_field(key, ALICE, "name", bytes(token))


def test_a_truncated_token_is_rejected() -> None:
    key = crypto.new_data_key()
    token = crypto.encrypt_field(key, ALICE, "name", "Ana")

    with pytest.raises(crypto.FieldDecryptionError):
        crypto.decrypt_field(key, ALICE, "name", token[:20])


def test_another_data_key_cannot_decrypt() -> None:
    token = crypto.encrypt_field(crypto.new_data_key(), ALICE, "name", "Ana")

    with pytest.raises(crypto.FieldDecryptionError):
        crypto.decrypt_field(crypto.new_data_key(), ALICE, "name", token)


def test_a_wrapped_key_opens_only_with_its_master_key_id_and_person() -> None:
    master, other = crypto.new_master_key(), crypto.new_master_key()
    data_key = crypto.new_data_key()
    wrapped = crypto.wrap_data_key(master, "mk_1", ALICE, data_key)

    assert crypto.unwrap_data_key(master, "mk_1", ALICE, wrapped) == data_key
    wrong = ((other, "mk_1", ALICE), (master, "mk_2", ALICE), (master, "mk_1", BOB))
    for key, key_id, ref in wrong:
        with pytest.raises(crypto.KeyUnwrapError):
            crypto.unwrap_data_key(key, key_id, ref, wrapped)


def test_labels_with_nul_are_refused() -> None:
    with pytest.raises(ValueError):
        crypto.encrypt_field(crypto.new_data_key(), ALICE, "na\x00me", "x")


def test_fingerprint_names_the_wrapped_key_without_revealing_it() -> None:
    wrapped = secrets.token_bytes(60)

    fingerprint = crypto.key_fingerprint("mk_1", wrapped)

    assert len(fingerprint) == 64
    assert fingerprint != crypto.key_fingerprint("mk_2", wrapped)
    assert wrapped.hex() not in fingerprint
