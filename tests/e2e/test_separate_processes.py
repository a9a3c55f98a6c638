"""The production shape on one machine: an external broker and one process per service
(`retorno serve <service>`), talking only through NATS and their own databases."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from services.runtime.answers import fund_not_known_yet
from services.runtime.embedded import EmbeddedNats, free_port
from services.runtime.registry import service_names

from .scenario import case_body

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent


def _run(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [str(BIN / "retorno"), *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_one_process_per_service_carries_a_case_to_its_funding_decision(tmp_path):
    broker = EmbeddedNats(tmp_path / "nats", free_port(), free_port())
    broker.start()
    port = free_port()
    env = dict(
        os.environ,
        RETORNO_DATA_DIR=str(tmp_path / "var"),
        RETORNO_NATS_URL=broker.url,
        RETORNO_HTTP_PORT=str(port),
        RETORNO_RELAY_POLL_SECONDS="0.1",
    )
    env.pop("RETORNO_DATABASE_URL", None)
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        _run(env, "migrate")
        caseworker = _run(env, "users", "add", "cw", "--role", "caseworker", "--office", "GT-GUA")
        supervisor = _run(env, "users", "add", "sup", "--role", "supervisor", "--office", "GT-GUA")
        tokens = {"cw": caseworker.split()[-1], "sup": supervisor.split()[-1]}
        for name in service_names():
            processes[name] = subprocess.Popen(
                [str(BIN / "retorno"), "serve", name],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
        _wait(lambda: _answers(http), "the API process to answer")

        def auth(who: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {tokens[who]}"}

        fund = {
            "period": "2026",
            "currency": "USD",
            "target": "60000.00",
            "shares": [
                {"member": "CA", "share_percent": "25"},
                {"member": "MX", "share_percent": "75"},
            ],
        }
        assert http.post("/api/funds", json=fund, headers=auth("sup")).status_code == 201
        receipt = {"member": "MX", "amount": "45000.00", "on": "2026-02-01"}
        assert http.post("/api/funds/2026/receipts", json=receipt, headers=auth("sup")).is_success
        created = http.post("/api/cases", json=case_body(), headers=auth("cw"))
        for _ in range(150):  # registration learns of the fund from its event, a moment later
            if not fund_not_known_yet(created.status_code, created.json()):
                break
            time.sleep(0.1)
            created = http.post("/api/cases", json=case_body(), headers=auth("cw"))
        assert created.status_code == 201, created.text
        case_id = created.json()["case_id"]
        screened = http.post(
            f"/api/cases/{case_id}/transitions",
            json={"to": "eligible", "reason_code": "meets_criteria"},
            headers=auth("cw"),
        )
        assert screened.status_code == 200, screened.text

        _wait(
            lambda: (
                http.get(f"/api/cases/{case_id}", headers=auth("cw")).json()["status"]
                == "funding_approved"
            ),
            "the funding decision to come back through the broker",
        )
        http.close()
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        errors = {}
        for name, process in processes.items():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
            if process.returncode != 0:
                errors[name] = (
                    process.returncode,
                    process.stderr.read().decode()[-2000:] if process.stderr else "",
                )
        broker.stop()
    assert errors == {}


def _answers(http: httpx.Client) -> bool:
    try:
        return http.get("/health").status_code == 200
    except httpx.TransportError:
        return False


def _wait(check, what: str, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")
