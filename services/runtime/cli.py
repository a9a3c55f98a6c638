"""The ``retorno`` command line: run the system, migrate, manage users, keys and retention."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console

from db import migrate as migrations
from db.engine import make_engine
from services.kit import cli as kit_cli
from services.kit.definition import Runtime
from services.kit.settings import Settings
from services.runtime.composition import build_runtime, start_services
from services.runtime.embedded import BrokerStartError
from services.runtime.registry import all_services, service_names

app = typer.Typer(
    help="Retorno: case tracker for assisted return and reintegration of migrants.",
    no_args_is_help=True,
    add_completion=False,
)
dead_letters_app = typer.Typer(
    help="Events a service gave up on after its maximum deliveries.", no_args_is_help=True
)
app.add_typer(dead_letters_app, name="dead-letters")
console = Console(soft_wrap=True)
T = TypeVar("T")


def _configure_logging(settings: Settings, process: str | None = None) -> None:
    """Log lines to stderr; a child of a multi-process `retorno up` names itself in each."""
    tag = f"[{process}] " if process else ""
    logging.basicConfig(
        level=settings.log_level.upper(),
        format=f"%(asctime)s %(levelname)s {tag}%(name)s: %(message)s",
    )


def _migrate_all(settings: Settings, services: list[str] | None = None) -> None:
    for name in services or migrations.branches():
        migrations.upgrade(name, settings.database_url_for(name))


async def wait_for_migrations(settings: Settings, names: list[str]) -> None:
    """Migrate these services' databases, waiting (one line per attempt) while a database
    does not answer yet, e.g. a container started before PostgreSQL."""
    from services.runtime.readiness import wait_for_databases

    engines = {name: make_engine(settings.database_url_for(name)) for name in names}
    try:
        await wait_for_databases(engines, settings.startup_retry_max_seconds)
    finally:
        for engine in engines.values():
            await engine.dispose()
    await asyncio.to_thread(_migrate_all, settings, names)


async def offline_runtime(settings: Settings | None = None) -> Runtime:
    """Databases and start-up parts, without broker: for commands that run and exit.
    Events they emit wait in the outbox until the owning service's relay runs."""
    services = all_services()
    rt = build_runtime(settings or Settings(), services)
    await start_services(rt, services)
    return rt


def run_offline(work: Callable[[Runtime], Awaitable[T]]) -> T:
    """Run ``work`` on ``offline_runtime``; a user's mistake (a RetornoError) is one clear
    line and exit code 1, never a traceback (``services.kit.cli.run_offline``)."""
    return kit_cli.run_offline(offline_runtime, work)


def _run_node(
    active: set[str],
    http: bool,
    banner: Callable[[Settings], Awaitable[None]] | None,
    *,
    process: str | None = None,
    http_fd: int | None = None,
    ready_fd: int | None = None,
) -> None:
    """Run one ``Node`` until SIGINT/SIGTERM. A child of `retorno up` (``process`` named)
    is migrated for already, serves HTTP on the socket its parent bound (``http_fd``) and
    writes one byte to ``ready_fd`` once started."""
    from services.runtime.node import Node, run_until_stopped

    settings = Settings()
    _configure_logging(settings, process)

    async def ready(rt: Runtime) -> None:
        if banner is not None:
            await banner(rt.settings)
        if ready_fd is not None:
            os.write(ready_fd, b"1")
            os.close(ready_fd)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        if process is not None and not await asyncio.to_thread(sys.stdin.buffer.read, 1):
            return  # the parent stopped before its migrations and broker were ready
        node = Node(settings, all_services(), active, http=http)
        if http_fd is not None:
            node.http_socket = socket.socket(fileno=http_fd)
        if process is None:
            await wait_for_migrations(settings, [s.name for s in node.needed])
        await run_until_stopped(node, stop, ready)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


async def _banner(s: Settings) -> None:
    console.print(
        f"[bold green]Retorno is up[/]: API http://{s.http_host}:{s.http_port} "
        f"(docs /docs, health /health). Data in {s.data_dir.resolve()}. Ctrl-C to stop.\n"
        "Next, in another terminal: [bold]make demo[/] loads a sample and prints a token per "
        "role; or create a user: .venv/bin/retorno users add NAME --role caseworker --office X"
    )


@app.command()
def up(
    processes: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Python processes (default RETORNO_PROCESSES, 2): 1 runs everything in this "
            "one; N runs every service's consumers in one child and the HTTP API in N-1",
        ),
    ] = None,
) -> None:
    """Start everything: embedded broker (unless RETORNO_NATS_URL is set), every service and
    the HTTP API, on both cores (see --processes). Migrates first. Ctrl-C stops it all."""
    settings = Settings()
    count = processes or settings.processes
    if count == 1:
        try:
            _run_node(set(service_names()), http=True, banner=_banner)
        except BrokerStartError as exc:
            console.print(f"[bold red]retorno up:[/] {exc}")
            raise typer.Exit(1) from None
        return
    from services.runtime import supervisor

    _configure_logging(settings, "up")

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        sock = supervisor.bind_http(settings.http_host, settings.http_port)
        try:
            return await supervisor.supervise(
                settings,
                sock,
                supervisor.plan(count, service_names()),
                stop,
                banner=lambda: _banner(settings),
                prepare=lambda: wait_for_migrations(settings, service_names()),
            )
        finally:
            sock.close()

    try:
        code = asyncio.run(main())
    except (supervisor.StartError, BrokerStartError) as exc:
        console.print(f"[bold red]retorno up:[/] {exc}")
        raise typer.Exit(1) from None
    raise typer.Exit(code)


@app.command(hidden=True)
def node(
    name: Annotated[str, typer.Option(help="This process's name in log lines")],
    ready_fd: Annotated[int, typer.Option(help="Write one byte here once started")],
    services: Annotated[str, typer.Option(help="Comma-separated services to run")] = "",
    http_fd: Annotated[
        int | None, typer.Option(help="Serve HTTP on this inherited listening socket")
    ] = None,
) -> None:
    """One child process of a multi-process `retorno up` (started by it, not by hand)."""
    active = {s for s in services.split(",") if s}
    _run_node(
        active,
        http=http_fd is not None,
        banner=None,
        process=name,
        http_fd=http_fd,
        ready_fd=ready_fd,
    )


@app.command()
def serve(
    service: Annotated[str, typer.Argument(help="A service name, or 'api' for the HTTP API")],
) -> None:
    """Run one service (its event consumer, outbox relay and periodic jobs) in this process.
    'api' also serves HTTP (and relays the outboxes its routes write). For production: one
    process or container per service."""
    names = service_names()
    if service not in names:
        raise typer.BadParameter(f"unknown service '{service}'; choose one of: {', '.join(names)}")
    _run_node({service}, http=service == "api", banner=None)


@app.command()
def migrate(
    service: Annotated[str | None, typer.Option(help="Only this service's database")] = None,
    downgrade: Annotated[bool, typer.Option(help="Revert to an empty schema instead")] = False,
) -> None:
    """Apply every service's migrations to its database (or revert them with --downgrade)."""
    settings = Settings()
    names = [service] if service else migrations.branches()
    for name in names:
        url = settings.database_url_for(name)
        if downgrade:
            migrations.downgrade(name, url)
        else:
            migrations.upgrade(name, url)
        console.print(f"{name}: {'downgraded to base' if downgrade else 'at head'}")


# --- docs and demo (AsyncAPI document, sample data) -----------------------------------


@app.command()
def asyncapi(
    output: Annotated[
        Path | None, typer.Option(help="Write the document here instead of printing it")
    ] = None,
) -> None:
    """Print (or write) the AsyncAPI document of every event, as in docs/asyncapi.json."""
    from services.runtime.asyncapi import asyncapi_document, render

    text = render(asyncapi_document(all_services()))
    if output is None:
        print(text, end="")
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"AsyncAPI document written to {output}")


@app.command()
def backup(
    directory: Annotated[Path, typer.Argument(help="Where to write one file per service")],
    service: Annotated[str | None, typer.Option(help="Only this service's database")] = None,
) -> None:
    """Back up each service's database: SQLite's online backup (<service>.db) or pg_dump
    (<service>.dump). Safe while the services run. Back up the stream as well (README)."""
    from services.runtime.backup import BackupError, backup_database

    settings = Settings()
    for name in [service] if service else migrations.branches():
        try:
            written = backup_database(name, settings.database_url_for(name), directory)
        except BackupError as exc:
            console.print(f"[bold red]error:[/] {name}: {exc}")
            raise typer.Exit(1) from exc
        console.print(f"{name}: {written}")


@app.command()
def restore(
    directory: Annotated[Path, typer.Argument(help="A directory written by 'retorno backup'")],
    service: Annotated[str | None, typer.Option(help="Only this service's database")] = None,
) -> None:
    """Write a backup back into each service's database (stop those services first), then
    run 'retorno replay <service>' for each restored service before starting it again."""
    from services.runtime.backup import BackupError, restore_database

    settings = Settings()
    for name in [service] if service else migrations.branches():
        try:
            source = restore_database(name, settings.database_url_for(name), directory)
        except BackupError as exc:
            console.print(f"[bold red]error:[/] {name}: {exc}")
            raise typer.Exit(1) from exc
        console.print(f"{name}: restored from {source}; now run: retorno replay {name}")


@app.command()
def replay(
    service: Annotated[str, typer.Argument(help="The service whose database was restored")],
) -> None:
    """Make the service's consumer read the stream from its start at its next start: it
    applies what its restored database had not applied (erasures included); its inbox
    skips the rest. Deletes the service's durable consumer."""
    from services.runtime.backup import replay as replay_stream
    from services.runtime.embedded import EmbeddedNats

    settings = Settings()
    embedded = None
    if settings.nats_url is None:  # the embedded broker's store, started just for this
        embedded = EmbeddedNats(
            settings.data_dir / "nats", settings.nats_port, settings.nats_monitor_port
        )
        embedded.start()
    try:
        url = settings.nats_url or (embedded.url if embedded else "")
        existed = asyncio.run(replay_stream(url.split(","), service))
    finally:
        if embedded is not None:
            embedded.stop()
    state = "deleted" if existed else "was not there"
    console.print(f"{service}: consumer {state}; it replays the stream at its next start")


@app.command("nats-config")
def nats_config(
    output: Annotated[
        Path, typer.Option(help="Directory to write nats-1.conf, nats-2.conf, ... into")
    ] = Path("deploy/nats"),
    nodes: Annotated[int, typer.Option(min=1, help="Nodes in the cluster")] = 3,
    cluster_name: Annotated[str, typer.Option(help="The JetStream cluster's name")] = "retorno",
) -> None:
    """Write one nats-server configuration per cluster node for docker-compose.yml: JetStream
    with ``sync_interval: always``, a cluster block and routes to the other nodes."""
    from services.runtime.embedded import compose_node_configs

    output.mkdir(parents=True, exist_ok=True)
    for name, text in compose_node_configs(nodes, cluster_name).items():
        (output / name).write_text(text, encoding="utf-8")
        console.print(f"wrote {output / name}")


@app.command()
def demo(
    url: Annotated[
        str | None,
        typer.Option(
            help="Base URL of the running API (default: RETORNO_HTTP_HOST and RETORNO_HTTP_PORT)"
        ),
    ] = None,
) -> None:
    """Load a realistic sample (fund, cases, funding, returns, an erasure) into a RUNNING
    system (`make run` in another terminal) and print a token per role with what to try."""
    from services.demo.loader import DemoError, load_demo, print_report, wait_for_api

    if url is None:
        settings = Settings()
        url = f"http://{settings.http_host}:{settings.http_port}"
    try:
        asyncio.run(wait_for_api(url))
        report = run_offline(lambda rt: load_demo(url, rt))
    except DemoError as e:
        console.print(f"[bold red]demo:[/] {e}")
        raise typer.Exit(1) from e
    print_report(console, report)


@dead_letters_app.command("list")
def dead_letters_list() -> None:
    """Every service's dead letters with the error that stopped them."""
    from services.runtime.deadletters import list_dead_letters

    kit_cli.print_table(
        ("service", "event id", "type", "deliveries", "failed at", "error"),
        (
            (d.service, d.event_id, d.type, d.deliveries, d.failed_at, d.error)
            for d in run_offline(list_dead_letters)
        ),
    )


@dead_letters_app.command("parked")
def dead_letters_parked() -> None:
    """Events waiting for an event they depend on (e.g. a screening redelivered before its
    case's registration after a crash). Nothing to do: each is applied when its prerequisite
    is; one that waits longer than RETORNO_PARKED_MAX_HOURS becomes a dead letter."""
    from services.runtime.deadletters import list_parked

    kit_cli.print_table(
        ("service", "event id", "type", "waits for", "since", "failures", "reason"),
        (
            (p.service, p.event_id, p.type, p.wait_key, p.parked_at, p.failures, p.reason)
            for p in run_offline(list_parked)
        ),
    )


@dead_letters_app.command("replay")
def dead_letters_replay(service: str, event_id: str) -> None:
    """Publish a dead-lettered event again (after the fix is deployed). Needs the broker:
    RETORNO_NATS_URL, or the embedded one of a running `retorno up`."""
    import uuid

    import nats

    from services.runtime.deadletters import replay

    settings = Settings()
    url = settings.nats_url or f"nats://127.0.0.1:{settings.nats_port}"

    async def main() -> str:
        connection = await nats.connect(url.split(","), connect_timeout=5, max_reconnect_attempts=1)
        try:
            return await replay(connection.jetstream(), service, uuid.UUID(event_id))
        finally:
            await connection.close()

    console.print(f"replayed on {asyncio.run(main())}")


def install_service_commands(root: typer.Typer) -> None:
    """Every service's command groups (``ServiceDef.cli``: ``retorno <group> ...``), their
    commands on the runtime ``offline_runtime`` builds. A new service adds its commands in
    its own ``cli.py``; nothing here changes."""
    for service in all_services():
        if service.cli is not None:
            service.cli(root, offline_runtime)


install_service_commands(app)

if __name__ == "__main__":
    app()
