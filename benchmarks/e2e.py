"""`make bench`, end to end: returns through the HTTP API of `retorno up`, as users meet it.

One `retorno up` (the default shape: embedded broker, the consumers of every service in one
process and the HTTP API in another; ``--processes``) on a fresh data directory; SQLite, and
PostgreSQL too when
``RETORNO_TEST_POSTGRES_URL`` is set (a fresh database on that server, dropped afterwards).
A return is register + screen (eligible): funding decides from the event, registration moves
the case to ``funding_approved``; "decision visible" is that event on the broker (the case
read through the API says the same from then on). Phases, in one run:

1. raw nats-py JetStream publish/consume rates on the same broker (the yardstick);
2. throughput: ``--returns`` returns by ``--clients`` concurrent clients; returns/s from the
   first request to the last decision, the register+screen round trip p50/p99, and the audit
   lag (last decision -> the audit consumer has nothing pending or unacknowledged);
3. paced: ``--paced-rate`` returns a second for ``--paced-seconds``; screening accepted ->
   decision visible p50/p99;
4. idle: 10 s without traffic, then one return: its decision latency;
5. peak RSS of the process tree (``VmHWM`` of each process) and the ratios.

Usage: python -m benchmarks.e2e [--returns N] [--clients C] [--paced-rate R]
       [--paced-seconds S] [--idle-seconds S] [--only sqlite|postgresql] [--processes N]
       [--quick] [--profile FILE]

``--profile FILE`` samples `retorno up` with py-spy during the throughput phase (every
process, ``--subprocesses``; the thread holding the GIL: the Python side; SQLite's C code runs
in the driver threads without it, the second figure of the CPU split) and writes its collapsed
stacks to FILE (``py-spy record --format raw``; py-spy is not a dependency: the ``py-spy`` on
PATH, or the binary ``PY_SPY`` names). ``python -m benchmarks.profile FILE`` breaks the samples
down by component.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import nats
from nats.aio.msg import Msg

from benchmarks.chaos.driver import money
from benchmarks.chaos.observe import consumers
from benchmarks.chaos.run import Postgres
from benchmarks.pipeline import raw_rates
from events.envelope import STREAM_NAME, SUBJECT_PREFIX
from services.kit.settings import Settings
from services.runtime.embedded import free_port
from services.runtime.node import STATS_SUBJECT

BIN = Path(sys.executable).parent
LOOPBACK = "127.0.0.1"
PERIOD = "2026"
DECIDED = f"{SUBJECT_PREFIX}.registration.case_funding_approved"
OFFICE = "GT-GUA"


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


@dataclass
class Figures:
    backend: str
    raw_publish: float = 0.0
    raw_consume: float = 0.0
    returns: int = 0
    returns_per_second: float = 0.0
    events_per_return: float = 0.0
    round_trips: list[float] = field(default_factory=list)
    audit_lag: float = float("nan")
    paced_rate: float = 0.0
    paced_accepted_rate: float = 0.0
    paced: list[float] = field(default_factory=list)
    paced_missing: int = 0
    paced_failed: int = 0
    idle: float = float("nan")
    peak_rss_mib: float = 0.0
    statements_per_return: float = float("nan")
    commits_per_return: float = float("nan")
    cpu_ms_per_return: float = float("nan")
    cpu_split_ms: tuple[float, float, float] = (float("nan"),) * 3
    sql_by_database: dict[str, tuple[float, ...]] = field(default_factory=dict)

    @property
    def share_of_raw(self) -> float:
        return self.events_per_return * self.returns_per_second / self.raw_publish

    def table(self) -> str:
        rows = [
            (
                "raw JetStream publish (acked) / consume",
                f"{self.raw_publish:,.0f} / {self.raw_consume:,.0f} msg/s",
            ),
            (f"returns end to end ({self.returns})", f"{self.returns_per_second:,.1f} returns/s"),
            ("events a return", f"{self.events_per_return:.1f}"),
            ("events/s as a share of raw publish", f"{self.share_of_raw:.1%}"),
            (
                "register + screen round trip p50 / p99",
                f"{ms(pct(self.round_trips, 0.5))} / {ms(pct(self.round_trips, 0.99))}",
            ),
            ("audit lag after the last decision", ms(self.audit_lag)),
            (
                f"paced {self.paced_rate:g}/s offered: accepted",
                f"{self.paced_accepted_rate:,.1f} returns/s"
                + (f" ({self.paced_failed} requests failed)" if self.paced_failed else ""),
            ),
            (
                "  screening accepted -> decision visible p50 / p99",
                f"{ms(pct(self.paced, 0.5))} / {ms(pct(self.paced, 0.99))}"
                + (f" ({self.paced_missing} never decided)" if self.paced_missing else ""),
            ),
            ("first decision after idle", ms(self.idle)),
            ("peak RSS (retorno up + nats-server)", f"{self.peak_rss_mib:,.0f} MiB"),
            (
                "SQL statements / commits a return (all services)",
                f"{self.statements_per_return:,.0f} / {self.commits_per_return:,.1f}",
            ),
            ("CPU a return (retorno up + nats-server)", f"{self.cpu_ms_per_return:,.0f} ms"),
            (
                "  event-loop thread / other threads / nats-server",
                " / ".join(f"{v:,.0f}" for v in self.cpu_split_ms) + " ms",
            ),
        ]
        rows += [
            (f"  statements / commits: {name}", f"{counts[0]:,.1f} / {counts[1]:,.1f}")
            for name, counts in sorted(self.sql_by_database.items(), key=lambda i: -i[1][0])
            if counts[0]
        ]
        width = max(len(r[0]) for r in rows)
        lines = [f"== end to end, {self.backend} =="]
        lines += [f"  {name:<{width}}  {value}" for name, value in rows]
        return "\n".join(lines)


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux /proc)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                todo.extend(int(c) for c in children)
    return found


def peak_rss_mib(pid: int) -> float:
    """Sum of the peak resident sets (VmHWM) of ``pid`` and its descendants."""
    total_kib = 0
    for current in process_tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total_kib += int(line.split()[1])
    return total_kib / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time used so far by ``pid`` and its descendants."""
    ticks = 0
    for current in process_tree(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def cpu_split(pid: int) -> tuple[float, float, float]:
    """CPU seconds of the main threads of ``pid`` and its Python descendants (each event
    loop: Python), of their other threads (aiosqlite's driver threads: SQLite's C code and
    its fsyncs, run without the GIL) and of the rest of the tree (the embedded nats-server)."""
    tick = os.sysconf("SC_CLK_TCK")

    def used(stat: Path) -> float:
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / tick
        return 0.0

    main = threads = 0.0
    for current in process_tree(pid):
        with contextlib.suppress(OSError):
            if Path(f"/proc/{current}/comm").read_text().strip() == "nats-server":
                continue
            main += used(Path(f"/proc/{current}/task/{current}/stat"))
            threads += sum(
                used(task / "stat")
                for task in Path(f"/proc/{current}/task").iterdir()
                if task.name != str(current)
            )
    return main, threads, cpu_seconds(pid) - main - threads


async def sql_counts(nc: nats.NATS, processes: int) -> dict[str, tuple[int, int]]:
    """Statements and commits of each database, summed over every process of `retorno up`
    (each answers on ``STATS_SUBJECT``)."""
    replies: list[dict[str, Any]] = []
    all_in = asyncio.Event()

    async def on_reply(msg: Msg) -> None:
        replies.append(json.loads(msg.data))
        if len(replies) >= processes:
            all_in.set()

    inbox = nc.new_inbox()
    subscription = await nc.subscribe(inbox, cb=on_reply)
    await nc.publish(STATS_SUBJECT, b"", reply=inbox)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(all_in.wait(), 5)
    await subscription.unsubscribe()
    if len(replies) != processes:
        raise RuntimeError(f"{len(replies)} of {processes} processes answered {STATS_SUBJECT}")
    totals: dict[str, tuple[int, int]] = {}
    for reply in replies:
        for name, c in reply["sql"].items():
            statements, commits = totals.get(name, (0, 0))
            totals[name] = (statements + c["statements"], commits + c["commits"])
    return totals


class Decisions:
    """When each case's ``case_funding_approved`` reached the broker (core subscription)."""

    def __init__(self) -> None:
        self.seen: dict[str, float] = {}
        self.waiters: dict[str, asyncio.Future[float]] = {}

    async def on_message(self, msg: Msg) -> None:
        at = time.perf_counter()
        case_id = str(json.loads(msg.data)["payload"]["case_id"])
        self.seen.setdefault(case_id, at)
        waiter = self.waiters.pop(case_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(at)

    async def wait(self, case_id: str, timeout: float) -> float | None:
        if case_id in self.seen:
            return self.seen[case_id]
        future = self.waiters.setdefault(case_id, asyncio.get_running_loop().create_future())
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            return None


class System:
    """`retorno up` in a subprocess on a fresh data directory, and clients of it."""

    def __init__(self, database_url: str | None, processes: int) -> None:
        self.processes = processes
        self.data_dir = Path(tempfile.mkdtemp(prefix="retorno-bench-e2e-"))
        self.http_port, self.nats_port = free_port(), free_port()
        self.database_url = database_url
        self.process: subprocess.Popen[bytes] | None = None
        self.tokens: dict[str, str] = {}

    @property
    def nats_url(self) -> str:
        return f"nats://{LOOPBACK}:{self.nats_port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RETORNO_")}
        env.update(
            RETORNO_DATA_DIR=str(self.data_dir / "var"),
            RETORNO_HTTP_HOST=LOOPBACK,
            RETORNO_HTTP_PORT=str(self.http_port),
            RETORNO_NATS_PORT=str(self.nats_port),
            RETORNO_NATS_MONITOR_PORT=str(free_port()),
            RETORNO_LOG_LEVEL="WARNING",
        )
        if self.database_url:
            env["RETORNO_DATABASE_URL"] = self.database_url
        return env

    def retorno(self, *args: str) -> str:
        done = subprocess.run(
            [str(BIN / "retorno"), *args],
            env=self.env(),
            cwd=self.data_dir,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            raise RuntimeError(f"retorno {' '.join(args)}: {done.stderr.strip()[-2000:]}")
        return done.stdout

    def add_user(self, name: str, role: str, *offices: str) -> str:
        args = ["users", "add", name, "--role", role]
        for office in offices:
            args += ["--office", office]
        out = self.retorno(*args)
        token = next((w for w in out.split() if w.startswith("rt_")), None)
        if token is None:
            raise RuntimeError(f"no token in the output of retorno users add: {out!r}")
        return token

    def spawn(self) -> subprocess.Popen[bytes]:
        """Migrate, add the users, start `retorno up`."""
        self.retorno("migrate")
        self.tokens = {
            "cw": self.add_user("bench-cw", "caseworker", OFFICE),
            "sup": self.add_user("bench-sup", "supervisor", OFFICE),
        }
        log = (self.data_dir / "up.log").open("wb")
        return subprocess.Popen(
            [str(BIN / "retorno"), "up", "--processes", str(self.processes)],
            env=self.env(),
            cwd=self.data_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    async def start(self) -> None:
        self.process = await asyncio.to_thread(self.spawn)
        async with httpx.AsyncClient(base_url=self.base_url) as http:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"retorno up exited; see {self.data_dir / 'up.log'}")
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get("/health")).status_code == 200:
                        return
                await asyncio.sleep(0.3)
        raise RuntimeError("retorno up did not answer /health within 120 s")

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.http_port}"

    def show_log(self, lines: int = 60) -> None:
        """The end of `retorno up`'s output, for a run that failed (its directory goes)."""
        with contextlib.suppress(OSError):
            tail = (self.data_dir / "up.log").read_text(errors="replace").splitlines()[-lines:]
            print("\n".join(["-- retorno up (last lines) --", *tail]), file=sys.stderr)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.data_dir, ignore_errors=True)


class Client:
    def __init__(self, http: httpx.AsyncClient, tokens: dict[str, str]) -> None:
        self.http, self.tokens = http, tokens
        self.counter = 0

    async def call(self, who: str, method: str, path: str, body: Any, expect: int) -> Any:
        response = await self.http.request(
            method, path, json=body, headers={"Authorization": f"Bearer {self.tokens[who]}"}
        )
        if response.status_code != expect:
            raise RuntimeError(f"{method} {path} -> {response.status_code}: {response.text}")
        return response.json()

    async def fund(self, returns: int) -> None:
        target = max(100_000_00, returns * 2_000_00)
        shares = {"CA": 25, "MX": 40, "US": 35}
        await self.call(
            "sup",
            "POST",
            "/api/funds",
            {
                "period": PERIOD,
                "currency": "USD",
                "target": money(target),
                "shares": [{"member": m, "share_percent": str(p)} for m, p in shares.items()],
            },
            201,
        )
        for member, percent in shares.items():
            paid = {
                "member": member,
                "amount": money(target * percent // 100),
                "on": date.today().isoformat(),
            }
            await self.call("sup", "POST", f"/api/funds/{PERIOD}/receipts", paid, 201)

    def case(self) -> dict[str, Any]:
        self.counter += 1
        person = {
            "given_names": "Invented",
            "family_name": f"Bench {self.counter:06d}",
            "date_of_birth": "1988-05-17",
            "sex": "female",
            "nationality": "HN",
            "vulnerability_categories": ["woman_at_risk"],
            "consents": [{"purpose": "assistance", "granted": True}],
        }
        return {
            "requester": {"type": "international_organisation", "name": "bench"},
            "office": OFFICE,
            "fund_period": PERIOD,
            "departure_country": "GT",
            "destination_country": "HN",
            "people": [person],
            "requested": [
                {"person": 0, "category": "transport", "amount": "350.00", "currency": "USD"}
            ],
        }

    async def a_return(self) -> tuple[str, float, float]:
        """Register and screen one return: (case id, started, screening accepted)."""
        started = time.perf_counter()
        case_id = (await self.call("cw", "POST", "/api/cases", self.case(), 201))["case_id"]
        screen = {"to": "eligible", "reason_code": "meets_criteria"}
        await self.call("cw", "POST", f"/api/cases/{case_id}/transitions", screen, 200)
        return str(case_id), started, time.perf_counter()


def profile_start(pid: int, path: str | None) -> subprocess.Popen[bytes] | None:
    """py-spy sampling ``pid``'s threads into ``path`` (collapsed stacks), or nothing."""
    if path is None:
        return None
    spy = os.environ.get("PY_SPY") or shutil.which("py-spy")
    if spy is None:
        raise RuntimeError("--profile needs py-spy: on PATH, or PY_SPY=/path/to/py-spy")
    command = [
        spy,
        "record",
        "--pid",
        str(pid),
        "--subprocesses",
        "--threads",
        "--gil",
        "--nonblocking",
        "--format",
        "raw",
    ]
    return subprocess.Popen([*command, "--rate", "100", "-o", path], stdout=subprocess.DEVNULL)


def profile_stop(profiler: subprocess.Popen[bytes] | None) -> None:
    if profiler is not None and profiler.poll() is None:
        profiler.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
        profiler.wait(60)


async def stream_messages(nc: nats.NATS) -> int:
    info = await nc.jetstream().stream_info(STREAM_NAME)
    return int(info.state.messages)


async def audit_drained(nc: nats.NATS, timeout: float = 300) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = await consumers(nc, ["audit"])
        if found and all(c.pending == 0 and c.unacknowledged == 0 for c in found):
            return time.perf_counter()
        await asyncio.sleep(0.02)
    raise RuntimeError("the audit consumer did not drain")


async def gather_limited(jobs: list[Callable[[], Awaitable[None]]], clients: int) -> None:
    queue: asyncio.Queue[Callable[[], Awaitable[None]]] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)

    async def worker() -> None:
        while not queue.empty():
            await (queue.get_nowait())()

    await asyncio.gather(*(worker() for _ in range(clients)))


async def measure(backend: str, database_url: str | None, args: argparse.Namespace) -> Figures:
    figures = Figures(backend)
    system = System(database_url, args.processes)
    profiler = None
    try:
        await system.start()
        nc = await nats.connect(system.nats_url)
        decisions = Decisions()
        await nc.subscribe(DECIDED, cb=decisions.on_message)
        figures.raw_publish, figures.raw_consume = await raw_rates(system.nats_url, 20_000)
        async with httpx.AsyncClient(base_url=system.base_url, timeout=120) as http:
            client = Client(http, system.tokens)
            await client.fund(args.returns + args.paced_rate * args.paced_seconds + 10)
            await asyncio.sleep(2)  # the fund reaches every service
            # warm up: first requests compile, connect, fill caches
            for _ in range(5):
                case_id, _, _ = await client.a_return()
                await decisions.wait(case_id, 60)

            # 2. throughput
            messages_before = await stream_messages(nc)
            sql_before = await sql_counts(nc, args.processes)
            assert system.process is not None
            cpu_before = cpu_seconds(system.process.pid)
            split_before = cpu_split(system.process.pid)
            case_ids: list[str] = []

            async def one() -> None:
                case_id, started, accepted = await client.a_return()
                figures.round_trips.append(accepted - started)
                case_ids.append(case_id)

            profiler = profile_start(system.process.pid, args.profile)
            start = time.perf_counter()
            await gather_limited([one] * args.returns, args.clients)
            last = max([await decisions.wait(c, 300) or float("inf") for c in case_ids])
            figures.returns = args.returns
            figures.returns_per_second = args.returns / (last - start)
            figures.audit_lag = await audit_drained(nc) - last
            profile_stop(profiler)
            split = zip(cpu_split(system.process.pid), split_before, strict=True)
            main, threads, broker = ((a - b) * 1000 / args.returns for a, b in split)
            figures.cpu_split_ms = (main, threads, broker)
            figures.cpu_ms_per_return = (
                (cpu_seconds(system.process.pid) - cpu_before) * 1000 / args.returns
            )
            sql_after = await sql_counts(nc, args.processes)
            by_db = {
                name: tuple(
                    (a - b) / args.returns
                    for a, b in zip(counts, sql_before.get(name, (0, 0)), strict=True)
                )
                for name, counts in sql_after.items()
            }
            figures.sql_by_database = by_db
            figures.statements_per_return = sum(s for s, _ in by_db.values())
            figures.commits_per_return = sum(c for _, c in by_db.values())
            messages = await stream_messages(nc) - messages_before
            figures.events_per_return = messages / args.returns

            # 3. paced
            figures.paced_rate = args.paced_rate
            total = int(args.paced_rate * args.paced_seconds)
            accepted_at: dict[str, float] = {}

            async def paced_one() -> None:
                try:
                    case_id, _, accepted = await client.a_return()
                except (RuntimeError, httpx.HTTPError):  # overloaded: counted, not fatal
                    figures.paced_failed += 1
                    return
                accepted_at[case_id] = accepted

            tasks = []
            start = time.perf_counter()
            for i in range(total):
                await asyncio.sleep(max(0.0, start + i / args.paced_rate - time.perf_counter()))
                tasks.append(asyncio.create_task(paced_one()))
            await asyncio.gather(*tasks)
            figures.paced_accepted_rate = len(accepted_at) / (time.perf_counter() - start)
            for case_id, accepted in accepted_at.items():
                seen = await decisions.wait(case_id, 120)
                if seen is None:
                    figures.paced_missing += 1
                else:
                    figures.paced.append(seen - accepted)
            await audit_drained(nc)

            # 4. idle
            await asyncio.sleep(args.idle_seconds)
            case_id, _, accepted = await client.a_return()
            seen = await decisions.wait(case_id, 120)
            figures.idle = float("inf") if seen is None else seen - accepted

        assert system.process is not None
        figures.peak_rss_mib = peak_rss_mib(system.process.pid)
        await nc.close()
    except BaseException:
        system.show_log()
        raise
    finally:
        profile_stop(profiler)
        system.stop()
    return figures


async def main(args: argparse.Namespace) -> None:
    runs: list[tuple[str, Postgres | None]] = []
    if args.only in (None, "sqlite"):
        runs.append(("SQLite", None))
    pg_url = os.environ.get("RETORNO_TEST_POSTGRES_URL")
    if args.only in (None, "postgresql") and pg_url:
        runs.append(("PostgreSQL", Postgres(pg_url)))
    for backend, postgres in runs:
        url = await postgres.create() if postgres else None
        try:
            figures = await measure(backend, url, args)
        finally:
            if postgres:
                await postgres.drop()
        print(figures.table(), flush=True)
        print(
            f"  (paced latencies: {len(figures.paced)}, mean "
            f"{ms(statistics.fmean(figures.paced)) if figures.paced else '-'})",
            flush=True,
        )


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--returns", type=int, default=500)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--paced-rate", type=int, default=50)
    parser.add_argument("--paced-seconds", type=int, default=10)
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument(
        "--processes",
        type=int,
        default=Settings.model_fields["processes"].default,
        help="`retorno up --processes N` (default: its default)",
    )
    parser.add_argument(
        "--profile", metavar="FILE", help="py-spy the throughput phase into FILE (see above)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="200 returns, 4 s paced: a run in about 2 minutes"
    )
    args = parser.parse_args()
    if args.quick:
        args.returns, args.paced_seconds = min(args.returns, 200), min(args.paced_seconds, 4)
    asyncio.run(main(args))


if __name__ == "__main__":
    cli()
