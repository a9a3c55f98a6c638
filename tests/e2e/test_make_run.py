"""`retorno up` (what `make run` starts): health answers, Ctrl-C leaves no process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from services.runtime.embedded import free_port

pytestmark = pytest.mark.e2e


def _processes_mentioning(marker: str) -> list[str]:
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if marker in cmdline:
            found.append(f"{pid}: {cmdline}")
    return found


def test_up_serves_health_and_ctrl_c_leaves_no_process(tmp_path):
    port = free_port()
    env = dict(
        os.environ,
        RETORNO_DATA_DIR=str(tmp_path / "var"),
        RETORNO_HTTP_PORT=str(port),
        RETORNO_NATS_PORT=str(free_port()),
        RETORNO_NATS_MONITOR_PORT=str(free_port()),
    )
    env.pop("RETORNO_NATS_URL", None)
    env.pop("RETORNO_DATABASE_URL", None)
    retorno = str(Path(sys.executable).parent / "retorno")
    process = subprocess.Popen(
        [retorno, "up"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        health = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert health is not None, "the API never answered"
        assert health.status_code == 200, health.text
        body = health.json()
        assert body["checks"]["broker"]["ok"] is True
        assert all(v["ok"] for k, v in body["checks"].items() if k.startswith("database:"))

        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
        output = process.stdout.read().decode(errors="replace") if process.stdout else ""

    assert process.returncode == 0, output[-3000:]
    assert _processes_mentioning(str(tmp_path)) == []
