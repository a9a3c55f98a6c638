"""One chaos run: a fresh system of separate processes, the load, the kills, the drain, the
checks. ``python -m benchmarks.chaos --help`` for the options."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import shutil
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from benchmarks.chaos import observe
from benchmarks.chaos.checker import ClientView, Problem, check, figures
from benchmarks.chaos.driver import Api, Driver, Tally, new_run_tag, set_up_fund
from benchmarks.chaos.plan import make_plan
from benchmarks.chaos.processes import (
    API,
    BIN,
    BROKER,
    ClusterBroker,
    ServiceProcess,
    Supervisor,
)
from services.kit.settings import Settings
from services.runtime.embedded import EmbeddedNats, LocalCluster, free_port
from services.runtime.registry import service_names

log = logging.getLogger("chaos")

MODES = ("services", "broker", "api", "cluster")
LOOPBACK = "127.0.0.1"
NEVER_PORTS = {4222, 6222, 8222}  # a real NATS on this machine may use these


@dataclass(frozen=True)
class Options:
    returns: int = 500
    clients: int = 8
    kill_every: tuple[float, float] = (1.5, 3.5)
    min_kills: int = 20
    seed: int = 1
    drain_timeout: float = 180.0
    load_timeout: float = 1800.0
    start_timeout: float = 300.0
    postgres: str | None = None
    keep: bool = False


@dataclass
class Result:
    mode: str
    seconds: float = 0.0
    load_seconds: float = 0.0
    drained: bool = False
    kills: dict[str, int] = field(default_factory=dict)
    figures: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    rejections: Counter[str] = field(default_factory=Counter)
    exit_codes: dict[str, int | None] = field(default_factory=dict)
    health: str = "no answer"
    data_dir: Path | None = None

    @property
    def passed(self) -> bool:
        return not [p for p in self.problems if p.kind != "note"]


def loopback_port() -> int:
    while (port := free_port()) in NEVER_PORTS:
        pass
    return port


def targets(mode: str) -> list[str]:
    if mode == "broker":
        return [BROKER]
    if mode == "api":
        return [API]
    if mode == "cluster":
        return [f"nats-{i}" for i in (1, 2, 3)]
    return [s for s in service_names() if s != API]


class Postgres:
    """A fresh database on a PostgreSQL server on this machine, dropped afterwards."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        if parsed.host not in (LOOPBACK, "localhost"):
            raise SystemExit(f"--postgres must point at {LOOPBACK}, not {parsed.host}")
        self.server = parsed.set(drivername="postgresql")
        self.name = f"retorno_chaos_{uuid.uuid4().hex[:10]}"
        self.url = parsed.set(drivername="postgresql+asyncpg", database=self.name)

    async def _admin(self, sql: str) -> None:
        import asyncpg

        server = self.server.set(database=self.server.database or "postgres")
        connection = await asyncpg.connect(server.render_as_string(hide_password=False))
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    async def create(self) -> str:
        await self._admin(f'CREATE DATABASE "{self.name}"')
        return self.url.render_as_string(hide_password=False)

    async def drop(self) -> None:
        with contextlib.suppress(Exception):
            await self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class Run:
    def __init__(self, mode: str, options: Options, say: Callable[[str], None]) -> None:
        self.mode, self.options, self.say = mode, options, say
        self.rng = random.Random(options.seed)
        self.data_dir = Path(tempfile.mkdtemp(prefix=f"retorno-chaos-{mode}-"))
        self.http_port = loopback_port()
        self.base_url = f"http://{LOOPBACK}:{self.http_port}"
        self.broker: EmbeddedNats | ClusterBroker = (
            ClusterBroker(LocalCluster(self.data_dir / "nats"))
            if mode == "cluster"
            else EmbeddedNats(self.data_dir / "nats", loopback_port(), loopback_port())
        )
        self.database_url: str | None = None
        self.postgres = Postgres(options.postgres) if options.postgres else None
        self.result = Result(mode, data_dir=self.data_dir)
        self.supervisor: Supervisor | None = None

    # --- set-up --------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RETORNO_")}
        env.update(
            RETORNO_DATA_DIR=str(self.data_dir / "var"),
            RETORNO_NATS_URL=self.broker.url,
            RETORNO_HTTP_HOST=LOOPBACK,
            RETORNO_HTTP_PORT=str(self.http_port),
            RETORNO_RELAY_POLL_SECONDS="0.2",
        )
        if isinstance(self.broker, ClusterBroker):  # streams and consumers R3 on the cluster
            env.update(RETORNO_STREAM_REPLICAS="3", RETORNO_STREAM_PLACEMENT_CLUSTER="retorno")
        if self.database_url:
            env["RETORNO_DATABASE_URL"] = self.database_url
        return env

    def settings(self) -> Settings:
        return Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=self.data_dir / "var",
            database_url=self.database_url,
            nats_url=self.broker.url,
        )

    def retorno(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "retorno"), *args],
            env=self.env(),
            cwd=self.data_dir,
            capture_output=True,
            text=True,
            timeout=300,
        )

    async def make_users(self) -> dict[str, str]:
        from services.api.usecases import add_user
        from services.runtime.cli import offline_runtime

        rt = await offline_runtime(self.settings())
        users = [(f"cw-{o.lower()}", "caseworker", [o]) for o in ("GT-GUA", "MX-TAP", "CR-SJO")] + [
            ("sup", "supervisor", ["GT-GUA", "MX-TAP", "CR-SJO"]),
            ("auditor", "auditor", []),
            ("admin", "admin", []),
        ]
        tokens = {}
        try:
            for name, role, offices in users:
                _user, tokens[name] = await add_user(rt, name, role, offices)
        finally:
            for db in rt.databases.values():
                await db.engine.dispose()
        return tokens

    async def wait_for_api(self, http: httpx.AsyncClient) -> None:
        """Until the API process answers /health. A process that exited is reported at once
        with the end of its log; one still starting gets ``--start-timeout`` (on a loaded
        machine a process takes tens of seconds only to import: 40 s at load 16)."""
        assert self.supervisor is not None
        api = self.supervisor.services[API]
        timeout = self.options.start_timeout
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if (await http.get("/health")).status_code == 200:
                    return
            if api.process is not None and api.process.poll() is not None:
                raise RuntimeError(
                    f"the API process exited with {api.process.returncode} before it answered "
                    f"/health; the end of its log:\n{api.log_tail()}"
                )
            await asyncio.sleep(0.3)
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        raise RuntimeError(
            f"the API did not answer /health within {timeout:.0f}s (load average {load}; "
            f"a loaded machine needs a longer --start-timeout); the end of its log:\n"
            f"{api.log_tail()}"
        )

    # --- the run -------------------------------------------------------------------------

    async def execute(self) -> Result:
        started = time.monotonic()
        try:
            await self._execute()
        except Exception as exc:
            log.exception("the %s run stopped", self.mode)
            self.result.problems.append(Problem("broken", f"the run stopped: {exc!r}"))
        finally:
            if self.supervisor is not None:
                self.result.exit_codes = await asyncio.to_thread(self.supervisor.stop_all)
                self.supervisor.kill_all()
            self.broker.kill()
            if self.postgres is not None and (self.result.passed and not self.options.keep):
                await self.postgres.drop()
            self.result.seconds = time.monotonic() - started
            if self.result.passed and not self.options.keep:
                shutil.rmtree(self.data_dir, ignore_errors=True)
                self.result.data_dir = None
        return self.result

    async def _execute(self) -> None:
        say, options = self.say, self.options
        if self.postgres is not None:
            self.database_url = await self.postgres.create()
        (self.data_dir / "logs").mkdir()
        services = {
            name: ServiceProcess(name, self.env(), self.data_dir / "logs")
            for name in service_names()
        }
        self.supervisor = supervisor = Supervisor(self.broker, services)
        await supervisor.start_broker()
        migrated = await asyncio.to_thread(self.retorno, "migrate")
        if migrated.returncode != 0:
            raise RuntimeError(f"retorno migrate failed: {migrated.stdout}{migrated.stderr}")
        tokens = await self.make_users()
        await supervisor.start_all()
        tally = Tally()
        timeout = httpx.Timeout(60.0, connect=5.0)
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=32)
        async with httpx.AsyncClient(
            base_url=self.base_url, timeout=timeout, limits=limits
        ) as http:
            await self.wait_for_api(http)
            admin = {"Authorization": f"Bearer {tokens['admin']}"}
            users = await http.get("/api/users", headers=admin)
            if users.status_code != 200:
                raise RuntimeError(f"GET /api/users as admin: {users.status_code} {users.text}")
            api = Api(http, tokens, tally, api_generation=lambda: services[API].starts)
            period = str(date.today().year)
            await set_up_fund(api, period, options.returns)
            journeys = make_plan(options.returns, options.seed)
            run_tag = new_run_tag()
            driver = Driver(api, run_tag, period)
            say(
                f"[{self.mode}] {sum(j.cases for j in journeys)} returns in {len(journeys)} "
                f"journeys, {options.clients} clients; killing {', '.join(targets(self.mode))} "
                f"every {options.kill_every[0]}-{options.kill_every[1]}s (data: {self.data_dir})"
            )
            load_started = time.monotonic()
            load = asyncio.create_task(driver.run(journeys, options.clients))
            progress = asyncio.create_task(self.progress(load, tally, len(journeys)))
            chaos = asyncio.create_task(self.chaos(load, http))
            try:
                await asyncio.wait_for(asyncio.shield(load), options.load_timeout)
                await chaos
            except TimeoutError:
                tally.failures.append(f"the load did not finish within {options.load_timeout:.0f}s")
            finally:  # interrupted, or out of time: stop the clients and the killing first
                for task in (load, chaos, progress):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            self.result.load_seconds = time.monotonic() - load_started
            self.result.kills = dict(supervisor.kills)
            say(
                f"[{self.mode}] load done in {self.result.load_seconds:.0f}s after "
                f"{supervisor.total_kills} kills; restarting {supervisor.down() or 'nothing'}"
            )
            await supervisor.start_all()
            await self.wait_for_api(http)
            await self.drain_and_check(http, tokens, tally, run_tag)

    async def progress(self, load: asyncio.Task[None], tally: Tally, journeys: int) -> None:
        """A line every 30 s while the load runs: a long run shows it is moving."""
        started = time.monotonic()
        while not load.done():
            await asyncio.sleep(30)
            assert self.supervisor is not None
            self.say(
                f"[{self.mode}] load: {tally.counts['journeys done']}/{journeys} journeys done "
                f"after {time.monotonic() - started:.0f}s, {self.supervisor.total_kills} kills, "
                f"load average {os.getloadavg()[0]:.1f}"
            )

    async def chaos(self, load: asyncio.Task[None], http: httpx.AsyncClient) -> None:
        """Kill a random target every few seconds until the load is done and enough kills
        happened; each victim is restarted after a moment. The interval runs from the moment
        the victim is back (the broker healthy, the API answering): the API process takes
        longer to start than the interval, and killed before it listens it would never serve."""
        assert self.supervisor is not None
        low, high = self.options.kill_every
        victims = targets(self.mode)
        while not (load.done() and self.supervisor.total_kills >= self.options.min_kills):
            await asyncio.sleep(self.rng.uniform(low, high))
            victim = self.rng.choice(victims)
            await self.supervisor.kill(victim)
            await asyncio.sleep(self.rng.uniform(0.1, 1.0))
            await self.supervisor.restart(victim)
            if victim == API:
                await self.wait_for_api(http)

    async def drain_and_check(
        self, http: httpx.AsyncClient, tokens: dict[str, str], tally: Tally, run_tag: str
    ) -> None:
        say = self.say
        url_for = self.settings().database_url_for
        databases = observe.Databases.open(service_names(), url_for)
        nc = await observe.connect(self.broker.url)
        try:
            drained, last = await observe.wait_drained(
                databases, nc, self.options.drain_timeout, lambda m: say(f"[{self.mode}] {m}")
            )
            self.result.drained = drained
            say(f"[{self.mode}] {'drained' if drained else 'NOT drained'}: {last.summary()}")
            got = await observe.observe(databases, nc)
        finally:
            await nc.close()
            await databases.close()
        with contextlib.suppress(httpx.HTTPError, ValueError):
            health = (await http.get("/health")).json()
            self.result.health = f"{health['status']}, flow {health.get('flow')}"
        verified = await asyncio.to_thread(self.retorno, "audit", "verify")
        auditor = {"Authorization": f"Bearer {tokens['auditor']}"}
        answer = await http.get("/api/audit/verify", headers=auditor)
        intact = answer.status_code == 200 and answer.json().get("intact") is True
        got.audit_verified = verified.returncode == 0 and intact
        got.audit_output = (
            f"retorno audit verify: {verified.stdout}{verified.stderr}\n"
            f"GET /api/audit/verify (auditor): {answer.status_code} {answer.text[:500]}"
        )
        seen = ClientView(
            cases=dict(tally.cases),
            screened=dict(tally.screened),
            commitments=list(tally.commitments),
            arrivals=dict(tally.arrivals),
            contacts=list(tally.contacts),
            drawn_up=list(tally.drawn_up),
            grants=list(tally.grants),
            closures=list(tally.closures),
            closing=list(tally.closing),
            server_errors=list(tally.server_errors),
            failures=list(tally.failures),
        )
        self.result.problems = check(seen, got, tag_prefix=f"chaos {run_tag} ")
        if not drained:
            self.result.problems.append(
                Problem("stuck", f"not drained within {self.options.drain_timeout:.0f}s")
            )
        self.result.figures = figures(seen, got)
        self.result.counts = tally.counts
        self.result.rejections = tally.rejections
