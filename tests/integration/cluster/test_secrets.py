"""Each process holds only what it needs: a service's process opens its own database only
(with its own credentials), and secrets come from the environment or from secret files."""

from __future__ import annotations

import pytest

from privacy.settings import PrivacySettings
from services.kit.settings import Settings
from services.runtime.embedded import free_port
from services.runtime.node import Node
from services.runtime.registry import all_services

pytestmark = pytest.mark.integration


async def test_a_service_process_opens_only_its_own_database(tmp_path):
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "var",
        nats_port=free_port(),
        nats_monitor_port=free_port(),
        # every other service's URL is unusable: opening one would fail the start
        database_url="nosuchdriver://nobody@nowhere/{service}",
        database_urls={"funding": f"sqlite+aiosqlite:///{tmp_path / 'funding.db'}"},
    )
    node = Node(settings, all_services(), {"funding"})
    try:
        rt = await node.start()
        assert set(rt.databases) == {"funding"}
        assert set(node.runners) == {"funding"}
        # privacy's start (the vault, the master key file) and audit's (the signing key)
        # did not run here
        assert not (tmp_path / "var" / "keys").exists()
    finally:
        await node.stop()


def test_secrets_come_from_files_and_the_environment_wins(tmp_path, monkeypatch):
    (tmp_path / "retorno_master_key").write_text("from-a-file")
    (tmp_path / "retorno_database_urls").write_text('{"funding": "postgresql://f:secret@db/f"}')
    monkeypatch.setenv("RETORNO_SECRETS_DIR", str(tmp_path))
    monkeypatch.delenv("RETORNO_MASTER_KEY", raising=False)

    from_files = Settings(_env_file=None)  # type: ignore[call-arg]
    privacy_from_files = PrivacySettings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv("RETORNO_MASTER_KEY", "from-the-environment")
    privacy_from_env = PrivacySettings(_env_file=None)  # type: ignore[call-arg]

    assert privacy_from_files.master_key == "from-a-file"
    assert from_files.database_url_for("funding") == "postgresql://f:secret@db/f"
    assert privacy_from_env.master_key == "from-the-environment"
