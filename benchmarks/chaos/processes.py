"""The system under test as separate processes: a nats-server and one ``retorno serve
<service>`` per service, each in its own process group, killed with SIGKILL and restarted.

Every child dies with this process (``PR_SET_PDEATHSIG``) and ``stop_all`` kills the
process groups, so nothing is left behind on exit, on Ctrl-C or when the run fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from services.runtime.embedded import EmbeddedNats, LocalCluster

log = logging.getLogger("chaos.processes")

PR_SET_PDEATHSIG = 1
BROKER = "broker"
API = "api"
BIN = Path(sys.executable).parent


def _die_with_parent() -> None:  # in the child, before exec (Linux)
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


@dataclass
class ServiceProcess:
    """One ``retorno serve <name>``; its output goes to ``<log_dir>/<name>.log``."""

    name: str
    env: dict[str, str]
    log_dir: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        if self.running:
            return
        self.starts += 1
        with (self.log_dir / f"{self.name}.log").open("ab") as out:
            out.write(f"\n--- chaos: start #{self.starts} at {time.time():.3f}\n".encode())
            out.flush()
            self.process = subprocess.Popen(
                [str(BIN / "retorno"), "serve", self.name],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                process_group=0,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )

    def log_tail(self, lines: int = 20) -> str:
        path = self.log_dir / f"{self.name}.log"
        if not path.exists():
            return "(no log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown, no flush, no nak."""
        process = self.process
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def terminate(self, timeout: float = 20.0) -> int | None:
        """SIGTERM and wait (SIGKILL after ``timeout``); the exit code, None if not running."""
        process = self.process
        if process is None or process.poll() is not None:
            return None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return process.returncode


LIVE: list[Supervisor] = []


def kill_everything() -> None:
    """SIGKILL every process any supervisor started (at exit, on Ctrl-C)."""
    for supervisor in LIVE:
        supervisor.kill_all()


class ClusterBroker:
    """A 3-node JetStream cluster as the run's broker; each node is a kill target of its own
    (``nats-1``...), restarted on its store directory and ports."""

    def __init__(self, cluster: LocalCluster) -> None:
        self.cluster = cluster
        self.nodes = {f"nats-{i + 1}": node for i, node in enumerate(cluster.nodes)}

    @property
    def url(self) -> str:
        return self.cluster.url

    def start(self, timeout: float = 60.0) -> None:
        """Start the nodes that are down and wait until the cluster is current again."""
        self.cluster.start(timeout)

    def up(self) -> bool:
        return all(n.process is not None and n.process.poll() is None for n in self.nodes.values())

    def down(self) -> list[str]:
        return [
            name
            for name, n in self.nodes.items()
            if n.process is None or n.process.poll() is not None
        ]

    def stop(self) -> None:
        self.cluster.stop()

    def kill(self) -> None:
        for node in self.nodes.values():
            node.kill()


@dataclass
class Supervisor:
    """Starts, kills and restarts the broker (or a cluster's nodes) and the services."""

    broker: EmbeddedNats | ClusterBroker
    services: dict[str, ServiceProcess]
    kills: dict[str, int] = field(default_factory=dict)
    broker_starts: int = 0

    def __post_init__(self) -> None:
        LIVE.append(self)

    @property
    def names(self) -> list[str]:
        return [BROKER, *self.services]

    async def start_broker(self) -> None:
        self.broker_starts += 1
        await asyncio.to_thread(self.broker.start, 30.0)

    def _broker_down(self) -> list[str]:
        if isinstance(self.broker, ClusterBroker):
            return self.broker.down()
        process = self.broker.process
        return [] if process is not None and process.poll() is None else [BROKER]

    async def start_all(self) -> None:
        if self._broker_down():
            if isinstance(self.broker, EmbeddedNats):
                self.broker.process = None
            await self.start_broker()
        for service in self.services.values():
            service.start()

    async def kill(self, name: str) -> None:
        self.kills[name] = self.kills.get(name, 0) + 1
        if name == BROKER:
            await asyncio.to_thread(self.broker.kill)
        elif isinstance(self.broker, ClusterBroker) and name in self.broker.nodes:
            await asyncio.to_thread(self.broker.nodes[name].kill)
        else:
            await asyncio.to_thread(self.services[name].kill)
        log.info("killed %s (kill #%d)", name, self.total_kills)

    async def restart(self, name: str) -> None:
        if name == BROKER or isinstance(self.broker, ClusterBroker) and name in self.broker.nodes:
            await self.start_broker()
        else:
            self.services[name].start()

    @property
    def total_kills(self) -> int:
        return sum(self.kills.values())

    def down(self) -> list[str]:
        return self._broker_down() + [n for n, s in self.services.items() if not s.running]

    def stop_all(self) -> dict[str, int | None]:
        """SIGTERM every service (exit codes returned), then the broker."""
        codes = {name: service.terminate() for name, service in self.services.items()}
        self.broker.stop()
        return codes

    def kill_all(self) -> None:
        """Last resort on exit: SIGKILL every process group still alive."""
        for service in self.services.values():
            if service.running:
                service.kill()
        self.broker.kill()
