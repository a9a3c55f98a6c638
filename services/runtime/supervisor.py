"""`retorno up` on more than one process: the parent migrates, starts the embedded broker
(unless ``RETORNO_NATS_URL`` is set), creates the streams and binds the HTTP port, then runs
child processes (``retorno node``, one ``Node`` each) and stops them all, the broker last.

Why: one Python process uses one core, and a return costs CPU in the HTTP command path and
again in the consumers. The split (``plan``): the consumers, relays and periodic jobs of
every service in one process; the HTTP API in the others, which share the listening socket
the parent bound (the kernel hands each connection to one of them). Each HTTP process also
relays every outbox its routes write, woken by its own commits (``Node``).

A child that exits on its own stops everything: the parent says which in one line and exits
non-zero. Children die with the parent (``PR_SET_PDEATHSIG``) and sit in their own process
group, so Ctrl-C reaches the parent only and the parent stops them in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import nats

from services.kit.settings import Settings
from services.runtime.embedded import EmbeddedNats, _die_with_parent
from services.runtime.readiness import wait_for_broker
from services.runtime.streams import ensure_streams

log = logging.getLogger("retorno.up")

STOP_SECONDS = 20.0  # a child that has not stopped by then is killed


class StartError(RuntimeError):
    """A start-up problem the user can fix (a port in use): one line, no traceback."""


@dataclass(frozen=True)
class Child:
    """One child process: its name in logs, the services it runs (consumers, polling relays,
    periodic jobs), and whether it serves HTTP."""

    name: str
    services: tuple[str, ...]
    http: bool


def plan(processes: int, services: Sequence[str]) -> list[Child]:
    """The children of ``processes`` (2 or more): every service's consumers and jobs in one,
    the HTTP API in each of the others."""
    if processes < 2:
        raise ValueError("one process runs in the parent itself, without children")
    http = processes - 1
    children = [Child("events", tuple(services), http=False)]
    children += [
        Child("http" if http == 1 else f"http-{i + 1}", (), http=True) for i in range(http)
    ]
    return children


def bind_http(host: str, port: int) -> socket.socket:
    """The API's listening socket, bound here so that a port in use is one clear line."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise StartError(
            f"cannot listen on {host}:{port} ({exc.strerror}): is another `retorno up` running? "
            "Set RETORNO_HTTP_PORT to another port."
        ) from exc
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


async def _ensure_streams(settings: Settings, url: str) -> None:
    from services.runtime.node import stream_settings

    urls = url.split(",")
    await wait_for_broker(urls, settings.startup_retry_max_seconds)
    connection = await nats.connect(urls, connect_timeout=5)
    try:
        await ensure_streams(connection.jetstream(), stream_settings(settings))
    finally:
        await connection.close()


@dataclass
class Running:
    child: Child
    process: asyncio.subprocess.Process
    ready: asyncio.Task[bytes]
    exited: asyncio.Task[int]


async def supervise(
    settings: Settings,
    sock: socket.socket,
    children: Sequence[Child],
    stop: asyncio.Event,
    banner: Callable[[], Awaitable[None]] | None = None,
    prepare: Callable[[], Awaitable[None]] | None = None,
) -> int:
    """Start the children (the HTTP ones on ``sock``, from ``bind_http``); while they load
    their code, ``prepare`` (the migrations) and start the broker and its streams; then let
    the children start, wait for ``stop`` or a child's exit, stop them all. Returns the exit
    code of ``retorno up``."""
    embedded = None
    running: list[Running] = []
    try:
        env = dict(os.environ)
        if settings.nats_url is None:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            embedded = EmbeddedNats(
                settings.data_dir / "nats", settings.nats_port, settings.nats_monitor_port
            )
            env["RETORNO_NATS_URL"] = embedded.url
        for child in children:
            running.append(await _spawn(child, env, sock))
        sock.close()  # the HTTP children hold it now
        exits: set[asyncio.Future[Any]] = {r.exited for r in running}
        stopped: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
        preparing = asyncio.ensure_future(_prepare(settings, embedded, env, prepare))
        await asyncio.wait({preparing, stopped, *exits}, return_when=asyncio.FIRST_COMPLETED)
        if not preparing.done():
            preparing.cancel()
            with contextlib.suppress(BaseException):
                await preparing
        else:
            preparing.result()  # a start-up error of the broker or a database
            for r in running:
                _go(r)
        started: asyncio.Future[Any] = asyncio.ensure_future(
            asyncio.gather(*(r.ready for r in running))
        )
        await asyncio.wait({started, stopped, *exits}, return_when=asyncio.FIRST_COMPLETED)
        ready = started.done() and all(b == b"1" for b in started.result())
        if ready and banner is not None and not stop.is_set():
            await banner()
        # a child that closed its end unready is exiting: its exit ends this wait
        await asyncio.wait({stopped, *exits}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        code = 0
        for r in running:
            if r.exited.done() and not stop.is_set():
                returned = r.exited.result()
                how = (
                    f"was killed by {signal.Signals(-returned).name}"
                    if returned < 0
                    else f"exited with code {returned}"
                )
                print(
                    f"retorno up: the {r.child.name} process {how}; stopping the others "
                    "(its messages, if any, are above)",
                    file=sys.stderr,
                    flush=True,
                )
                code = 1
                break
        return code
    finally:
        sock.close()
        await _stop_all(running)
        if embedded is not None:
            await embedded.astop()


async def _prepare(
    settings: Settings,
    embedded: EmbeddedNats | None,
    env: dict[str, str],
    prepare: Callable[[], Awaitable[None]] | None,
) -> None:
    if embedded is not None:
        await asyncio.gather(embedded.astart(), *([prepare()] if prepare else []))
    elif prepare is not None:
        await prepare()
    await _ensure_streams(
        settings, env["RETORNO_NATS_URL"] if embedded else settings.nats_url or ""
    )


def _go(r: Running) -> None:
    """Let a child start its node (it waits for this byte on its stdin)."""
    stdin = r.process.stdin
    if stdin is not None and r.process.returncode is None:
        with contextlib.suppress(OSError):
            stdin.write(b"1")
            stdin.close()


async def _spawn(child: Child, env: dict[str, str], sock: socket.socket) -> Running:
    read_end, write_end = os.pipe()
    args = [sys.executable, "-m", "services.runtime.cli", "node", "--name", child.name]
    args += ["--ready-fd", str(write_end)]
    fds = [write_end]
    if child.services:
        args += ["--services", ",".join(child.services)]
    if child.http:
        args += ["--http-fd", str(sock.fileno())]
        fds.append(sock.fileno())
    try:
        process = await asyncio.create_subprocess_exec(
            *args,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            pass_fds=fds,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
    finally:
        os.close(write_end)
    ready = asyncio.create_task(_read_ready(read_end))
    return Running(child, process, ready, asyncio.create_task(process.wait()))


async def _read_ready(fd: int) -> bytes:
    try:
        return await asyncio.to_thread(os.read, fd, 1)
    finally:
        os.close(fd)


async def _stop_all(running: Sequence[Running]) -> None:
    """SIGTERM every child still running (HTTP first: no request arrives for consumers that
    are gone), wait for them, SIGKILL what has not stopped in ``STOP_SECONDS``."""
    ordered = sorted(running, key=lambda r: not r.child.http)
    for r in ordered:
        if r.process.stdin is not None:  # a child still waiting for its go ends at once
            with contextlib.suppress(OSError):
                r.process.stdin.close()
        if r.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                r.process.send_signal(signal.SIGTERM)
    for r in ordered:
        try:
            await asyncio.wait_for(asyncio.shield(r.exited), STOP_SECONDS)
        except TimeoutError:
            log.warning(
                "the %s process did not stop in %.0fs; killing it", r.child.name, STOP_SECONDS
            )
            with contextlib.suppress(ProcessLookupError):
                r.process.kill()
            await r.exited
        with contextlib.suppress(BaseException):  # its end of the pipe closed with it
            await asyncio.wait_for(r.ready, 5)
