from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from privacy.domain import KeyringError, UnknownMasterKeyError
from privacy.store.keyring import KEY_FILE, Keyring, load_keyring


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_key_file_is_created_on_first_start_with_0600(tmp_path: Path) -> None:
    keyring = load_keyring(tmp_path)

    path = tmp_path / KEY_FILE
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    assert len(keyring.active.secret) == 32


def test_the_same_key_is_loaded_on_the_next_start(tmp_path: Path) -> None:
    first = load_keyring(tmp_path).active

    again = load_keyring(tmp_path).active

    assert again == first


def test_a_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    load_keyring(tmp_path)
    os.chmod(tmp_path / KEY_FILE, 0o644)

    with pytest.raises(KeyringError, match="chmod 600"):
        load_keyring(tmp_path)


def test_a_new_active_key_keeps_the_old_ones_and_the_file_private(tmp_path: Path) -> None:
    keyring = load_keyring(tmp_path)
    old = keyring.active

    new = keyring.add_active_key()

    assert keyring.active == new != old
    assert keyring.get(old.key_id) == old
    assert _mode(tmp_path / KEY_FILE) == 0o600


def test_another_process_sees_a_rotation(tmp_path: Path) -> None:
    running = load_keyring(tmp_path)
    cli = load_keyring(tmp_path)

    new = cli.add_active_key()

    assert running.active == new


def test_retiring_removes_an_old_key_but_never_the_active_one(tmp_path: Path) -> None:
    keyring = load_keyring(tmp_path)
    old = keyring.active
    keyring.add_active_key()

    keyring.remove(old.key_id)

    with pytest.raises(UnknownMasterKeyError):
        keyring.get(old.key_id)
    with pytest.raises(KeyringError, match="active"):
        keyring.remove(keyring.active.key_id)


def test_master_keys_from_the_environment_first_is_active(tmp_path: Path) -> None:
    new, old = os.urandom(32), os.urandom(32)
    value = ",".join(base64.b64encode(k).decode() for k in (new, old))

    keyring = load_keyring(tmp_path, value)

    assert keyring.active.secret == new
    assert len(keyring.key_ids()) == 2
    assert not (tmp_path / KEY_FILE).exists()


def test_environment_keys_cannot_be_rotated_in_place() -> None:
    keyring = Keyring.from_env(base64.b64encode(os.urandom(32)).decode())

    with pytest.raises(KeyringError, match="RETORNO_MASTER_KEY"):
        keyring.add_active_key()


@pytest.mark.parametrize("value", ["not base64!", base64.b64encode(b"short").decode()])
def test_a_malformed_environment_key_is_refused(value: str) -> None:
    with pytest.raises(KeyringError):
        Keyring.from_env(value)
