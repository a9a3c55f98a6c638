"""`retorno up` (what `make run` starts), as real processes on a real broker: a return through
the HTTP API reaches its funding decision, Ctrl-C stops every process it started, a child
that dies stops the rest with one line and a non-zero exit, a port in use is one line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from services.runtime.answers import fund_not_known_yet
from services.runtime.embedded import free_port

from .scenario import case_body

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent


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


def _descendants(pid: int) -> dict[int, str]:
    """Every process below ``pid`` (Linux /proc), with its command line."""
    found: dict[int, str] = {}
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            tasks = list(Path(f"/proc/{current}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            for child in children:
                try:
                    cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
                except OSError:
                    continue
                found[child] = cmdline.replace(b"\0", b" ").decode()
                todo.append(child)
    return found


def _alive(pids: dict[int, str]) -> list[str]:
    """Those of ``pids`` still running the same command (not reused, not a zombie)."""
    alive = []
    for pid, cmdline in pids.items():
        try:
            now = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if now == cmdline and state != "Z":
            alive.append(f"{pid}: {cmdline}")
    return alive


class Up:
    """`retorno up` on a fresh data directory and free ports."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.tmp_path = tmp_path
        self.port = free_port()
        self.env = dict(
            os.environ,
            RETORNO_DATA_DIR=str(tmp_path / "var"),
            RETORNO_HTTP_PORT=str(self.port),
            RETORNO_NATS_PORT=str(free_port()),
            RETORNO_NATS_MONITOR_PORT=str(free_port()),
        )
        for name in ("RETORNO_NATS_URL", "RETORNO_DATABASE_URL", "RETORNO_PROCESSES"):
            self.env.pop(name, None)
        self.process = subprocess.Popen(
            [str(BIN / "retorno"), "up", *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30)

    def wait_healthy(self, timeout: float = 60) -> httpx.Response:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                return self.http.get("/health", timeout=2)
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError(f"the API never answered:\n{self.output()[-3000:]}")

    def retorno(self, *args: str) -> str:
        done = subprocess.run(
            [str(BIN / "retorno"), *args], env=self.env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def output(self) -> str:
        if self.process.poll() is None:
            self.process.kill()
        self.http.close()
        return self.process.stdout.read().decode(errors="replace") if self.process.stdout else ""


def _a_return_reaches_its_funding_decision(up: Up) -> None:
    # a supervisor may do a caseworker's work too: one user, one (slow) command
    token = up.retorno("users", "add", "sup", "--role", "supervisor", "--office", "GT-GUA")

    def auth(_who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token.split()[-1]}"}

    fund = {
        "period": "2026",
        "currency": "USD",
        "target": "60000.00",
        "shares": [
            {"member": "CA", "share_percent": "25"},
            {"member": "MX", "share_percent": "75"},
        ],
    }
    assert up.http.post("/api/funds", json=fund, headers=auth("sup")).status_code == 201
    receipt = {"member": "MX", "amount": "45000.00", "on": "2026-02-01"}
    assert up.http.post("/api/funds/2026/receipts", json=receipt, headers=auth("sup")).is_success
    created = up.http.post("/api/cases", json=case_body(), headers=auth("cw"))
    for _ in range(100):  # registration learns of the fund from its event, a moment later
        if not fund_not_known_yet(created.status_code, created.json()):
            break
        time.sleep(0.1)
        created = up.http.post("/api/cases", json=case_body(), headers=auth("cw"))
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    screened = up.http.post(
        f"/api/cases/{case_id}/transitions",
        json={"to": "eligible", "reason_code": "meets_criteria"},
        headers=auth("cw"),
    )
    assert screened.status_code == 200, screened.text
    deadline = time.monotonic() + 20
    status = None
    while time.monotonic() < deadline:
        status = up.http.get(f"/api/cases/{case_id}", headers=auth("cw")).json()["status"]
        if status == "funding_approved":
            return
        time.sleep(0.1)
    raise AssertionError(f"no funding decision came back through the broker: {status}")


@pytest.mark.parametrize("processes", [None, "1"], ids=["default", "one-process"])
def test_up_carries_a_return_to_its_decision_and_ctrl_c_leaves_no_process(tmp_path, processes):
    up = Up(tmp_path, *(["--processes", processes] if processes else []))
    try:
        health = up.wait_healthy()
        assert health.status_code == 200, health.text
        body = health.json()
        assert body["checks"]["broker"]["ok"] is True
        assert all(v["ok"] for k, v in body["checks"].items() if k.startswith("database:"))
        started = _descendants(up.process.pid)
        pythons = [c for c in started.values() if "nats-server" not in c]
        assert len(pythons) == (0 if processes == "1" else 2), started
        assert len(started) == len(pythons) + 1, started  # and the embedded broker

        if processes is None:  # one process is the in-process Node the other e2e tests run
            _a_return_reaches_its_funding_decision(up)

        up.process.send_signal(signal.SIGINT)
        up.process.wait(timeout=20)
    finally:
        output = up.output()

    assert up.process.returncode == 0, output[-3000:]
    assert output.count("Retorno is up") == 1, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    assert _alive(started) == []
    assert _processes_mentioning(str(tmp_path)) == []


def test_a_child_that_dies_stops_up_with_one_line_and_a_failure(tmp_path):
    up = Up(tmp_path)
    try:
        assert up.wait_healthy().status_code == 200
        started = _descendants(up.process.pid)
        events = next(pid for pid, c in started.items() if "--name events" in c)
        os.kill(events, signal.SIGKILL)
        up.process.wait(timeout=20)
    finally:
        output = up.output()

    assert up.process.returncode == 1, output[-3000:]
    assert "the events process was killed by SIGKILL; stopping the others" in output
    assert "Traceback" not in output, output[-3000:]
    assert _alive(started) == []


def test_a_port_in_use_is_one_line_and_a_failure(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = dict(os.environ, RETORNO_DATA_DIR=str(tmp_path / "var"), RETORNO_HTTP_PORT=str(port))
        env.pop("RETORNO_PROCESSES", None)
        done = subprocess.run(
            [str(BIN / "retorno"), "up"], env=env, capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
