"""The composition root: builds engines, broker, relays, runners, jobs and the HTTP API
from settings, starts them, and stops them in reverse order."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from faststream.nats import NatsBroker
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy import func, select

from db.engine import statement_counter
from db.health import probe
from events.envelope import STREAM_NAME
from services.kit.definition import JETSTREAM, PeriodicJob, Runtime, ServiceDef
from services.kit.settings import Settings
from services.runtime.composition import build_runtime, start_services
from services.runtime.consumer import EventRunner
from services.runtime.embedded import EmbeddedNats
from services.runtime.pull import PullLoop
from services.runtime.readiness import (
    is_broker_unavailable,
    wait_for_broker,
    wait_for_databases,
    wait_until_ready,
)
from services.runtime.relay import OutboxRelay
from services.runtime.streams import (
    StreamSettings,
    consumer_config,
    ensure_streams,
    reconcile_consumer,
)

log = logging.getLogger("retorno.node")

# Core NATS subject (outside every stream) on which each node answers with its counts of SQL
# statements and commits: the end-to-end bench sums them over the processes of `retorno up`.
STATS_SUBJECT = "_retorno.node.stats"
# A relay on an outbox this process writes but does not own (the HTTP process's relays of
# every service): woken by this process's commits; the owner's relay polls meanwhile.
GUEST_RELAY_POLL_SECONDS = 60.0


def stream_settings(settings: Settings) -> StreamSettings:
    return StreamSettings(
        settings.stream_replicas,
        float(settings.duplicate_window_seconds),
        settings.stream_placement_cluster,
        tuple(settings.stream_placement_tags),
    )


@dataclass
class Node:
    """One process: some services' consumers, relays and jobs, and optionally the HTTP API.

    Only the services named in ``active`` consume events, poll their outbox and run
    periodic jobs. A process serving HTTP opens every service's database and runs every
    ``on_start`` (routes of any service run here, and the vault decrypts for registration's
    routes); any other process opens only its active services' databases, so it needs only
    their credentials and secrets (see ``needed``). A process serving HTTP also relays every
    outbox its routes write, woken by its own commits, so an event a request commits is
    published at once, not at the next poll of the owning service's process (two relays on
    one outbox take turns: ``OutboxRelay.relay_once``).
    """

    settings: Settings
    services: Sequence[ServiceDef]
    active: set[str]
    http: bool = False
    http_socket: socket.socket | None = None  # a listening socket shared by HTTP processes
    # Services whose outbox this process relays; None: every service it opens (``needed``)
    relays_for: set[str] | None = None
    embedded: EmbeddedNats | None = None
    runtime: Runtime | None = None
    broker: NatsBroker | None = None
    relays: dict[str, OutboxRelay] = field(default_factory=dict)
    runners: dict[str, EventRunner] = field(default_factory=dict)
    pulls: list[PullLoop] = field(default_factory=list)
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    _server: Any = None

    @property
    def needed(self) -> list[ServiceDef]:
        """The services whose databases this process opens and whose ``on_start`` runs."""
        if self.http:
            return list(self.services)
        return [s for s in self.services if s.name in self.active | (self.relays_for or set())]

    @property
    def nats_url(self) -> str:
        if self.settings.nats_url:
            return self.settings.nats_url
        assert self.embedded is not None
        return self.embedded.url

    @property
    def js(self) -> JetStreamContext:
        assert self.broker is not None
        return self.broker.config.connection_state.stream

    async def start(self) -> Runtime:
        try:
            return await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> Runtime:
        settings = self.settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        if settings.nats_url is None:
            self.embedded = EmbeddedNats(
                settings.data_dir / "nats", settings.nats_port, settings.nats_monitor_port
            )
            await self.embedded.astart()
        rt = self.runtime = build_runtime(settings, self.needed)
        wait = settings.startup_retry_max_seconds
        await wait_for_databases({n: db.engine for n, db in rt.databases.items()}, wait)
        await start_services(rt, self.needed)
        urls = self.nats_url.split(",")
        await wait_for_broker(urls, wait)
        self.broker = NatsBroker(urls, max_reconnect_attempts=-1, logger=log)
        await self.broker.connect()
        rt.put(JETSTREAM, self.js)
        await wait_until_ready(
            "JetStream (the streams)",
            lambda: ensure_streams(self.js, stream_settings(settings)),
            transient=is_broker_unavailable,
            max_delay=wait,
        )
        for service in self.services:
            if service.name in self.active:
                self._make_runner(service, rt)
        for name, runner in self.runners.items():
            config = consumer_config(
                name, runner.subjects, settings.max_deliver, settings.stream_replicas
            )
            await wait_until_ready(
                f"JetStream (the {name} consumer)",
                lambda config=config: reconcile_consumer(self.js, config),  # type: ignore[misc]
                transient=is_broker_unavailable,
                max_delay=wait,
            )
            loop = PullLoop(self.js, name, runner, settings.batch_size)
            await wait_until_ready(
                f"JetStream (binding the {name} consumer)",
                loop.start,
                transient=is_broker_unavailable,
                max_delay=wait,
            )
            self.pulls.append(loop)
        for service in self.needed:
            owned = service.name in self.active
            if owned:
                for job in service.periodic:
                    self._tasks.append(asyncio.create_task(self._every(job, rt), name=job.name))
            if self.relays_for is not None and service.name not in self.relays_for:
                continue
            relay = OutboxRelay(
                rt.db(service.name),
                self.js,
                batch_size=settings.relay_batch_size,
                poll_seconds=(
                    settings.relay_poll_seconds
                    if owned
                    else max(settings.relay_poll_seconds, GUEST_RELAY_POLL_SECONDS)
                ),
                keep_published=timedelta(hours=settings.outbox_keep_hours),
            )
            relay.start()
            self.relays[service.name] = relay
        await self._answer_stats()
        if self.http:
            await self._start_http(rt)
        return rt

    async def _answer_stats(self) -> None:
        assert self.broker is not None and self.runtime is not None
        runtime = self.runtime

        async def answer(msg: Any) -> None:
            sql = {
                name: statement_counter(db.engine).as_dict()
                for name, db in runtime.databases.items()
            }
            await msg.respond(json.dumps({"pid": os.getpid(), "sql": sql}).encode())

        await self.broker.config.connection_state.connection.subscribe(STATS_SUBJECT, cb=answer)

    def _make_runner(self, service: ServiceDef, rt: Runtime) -> None:
        handlers = service.handlers(rt)
        if handlers:
            self.runners[service.name] = EventRunner(
                rt.db(service.name),
                handlers,
                self.js,
                max_deliver=self.settings.max_deliver,
                parked_retry_seconds=self.settings.parked_retry_seconds,
                parked_max_seconds=self.settings.parked_max_hours * 3600,
            )

    async def _every(self, job: PeriodicJob, rt: Runtime) -> None:
        while True:
            await asyncio.sleep(job.interval_seconds(rt))
            try:
                await job.run(rt)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("periodic job %s failed; it runs again next interval", job.name)

    async def _start_http(self, rt: Runtime) -> None:
        import uvicorn

        from services.edge.app import create_app

        app = create_app(rt, self.services, health=self.health)
        config = uvicorn.Config(
            app,
            host=self.settings.http_host,
            port=self.settings.http_port,
            log_level=self.settings.log_level.lower(),
            lifespan="off",
            access_log=False,
        )
        self._server = uvicorn.Server(config)
        # The process's signal handlers belong to the CLI, which stops the whole node;
        # uvicorn would otherwise take SIGINT for itself and leave the rest running.
        self._server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]
        sockets = [self.http_socket] if self.http_socket is not None else None
        self._tasks.append(asyncio.create_task(self._server.serve(sockets), name="http"))
        for _ in range(200):
            if self._server.started:
                return
            if self._tasks[-1].done():
                self._tasks[-1].result()
            await asyncio.sleep(0.05)

    async def health(self) -> dict[str, Any]:
        checks: dict[str, Any] = {}
        try:
            info = await asyncio.wait_for(self.js.account_info(), 2)
            checks["broker"] = {
                "ok": True,
                "url": self.nats_url.split("@")[-1],
                "streams": info.streams,
            }
        except Exception as exc:
            checks["broker"] = {"ok": False, "error": type(exc).__name__}
        assert self.runtime is not None
        for name, db in self.runtime.databases.items():
            checks[f"database:{name}"] = await probe(db)
        if "audit" in self.active or (self.http and "audit" in self.runtime.databases):
            checks["audit_chain"] = await self._audit_chain()
        return {
            "status": "ok" if all(c["ok"] for c in checks.values()) else "degraded",
            "checks": checks,
            "flow": await self.flow(),
            "sql": {
                name: statement_counter(db.engine).as_dict()
                for name, db in self.runtime.databases.items()
            },
        }

    async def _audit_chain(self) -> dict[str, Any]:
        """The audit log's last periodic verification and its last checkpoint's age."""
        from services.audit.queries.checkpoints import chain_health

        assert self.runtime is not None
        try:
            return await chain_health(self.runtime)
        except Exception as exc:
            return {"ok": False, "error": type(exc).__name__}

    async def flow(self) -> dict[str, Any]:
        """Per service run here: events waiting in its outbox, events waiting for its
        consumer, and dead letters. Nothing personal, only counts."""
        assert self.runtime is not None
        found: dict[str, Any] = {}
        for name in sorted(self.relays.keys() | self.runners.keys()):
            db = self.runtime.db(name)
            entry: dict[str, Any] = {}
            try:
                outbox, dead = db.tables.outbox, db.tables.dead_letter
                parked = db.tables.parked
                async with db.reading() as session:
                    entry["outbox_unpublished"] = await session.scalar(
                        select(func.count())
                        .select_from(outbox)
                        .where(outbox.c.published_at.is_(None))
                    )
                    entry["dead_letters"] = await session.scalar(
                        select(func.count()).select_from(dead)
                    )
                    parked_count, oldest = (
                        await session.execute(
                            select(func.count(), func.min(parked.c.parked_at)).select_from(parked)
                        )
                    ).one()
                    entry["parked"] = parked_count
                    entry["oldest_parked_seconds"] = (
                        None
                        if oldest is None
                        else round((self.runtime.clock() - oldest).total_seconds(), 1)
                    )
                if name in self.runners or self.http:  # an HTTP process reports them all
                    try:
                        info = await asyncio.wait_for(self.js.consumer_info(STREAM_NAME, name), 2)
                    except NotFoundError:  # a service without handlers has no consumer
                        pass
                    else:
                        entry["consumer_pending"] = info.num_pending
                        entry["consumer_unacknowledged"] = info.num_ack_pending
            except Exception as exc:
                entry["error"] = type(exc).__name__
            found[name] = entry
        return found

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        for task in reversed(self._tasks):
            if task.get_name() == "http":
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(task, 5)
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        self._tasks.clear()
        for pull in self.pulls:
            await pull.stop()
        self.pulls.clear()
        for relay in self.relays.values():
            await relay.stop()
        self.relays.clear()
        if self.broker is not None:
            with contextlib.suppress(Exception):
                await self.broker.stop()
            self.broker = None
        if self.runtime is not None:
            for db in self.runtime.databases.values():
                await db.engine.dispose()
        if self.embedded is not None:
            await self.embedded.astop()


async def run_until_stopped(
    node: Node, stop: asyncio.Event, ready: Callable[[Runtime], Awaitable[None]] | None = None
) -> None:
    rt = await node.start()
    try:
        if ready is not None:
            await ready(rt)
        await stop.wait()
    finally:
        await node.stop()
