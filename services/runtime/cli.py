"""The ``retorno`` command line: run the system, migrate, manage users, keys and retention."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from db import migrate as migrations
from db.engine import make_engine
from services.funding import cli as funding_cli
from services.kit.definition import Runtime
from services.kit.errors import RetornoError
from services.kit.offline import run_with
from services.kit.settings import Settings
from services.runtime.composition import build_runtime, start_services
from services.runtime.registry import all_services, service_names

app = typer.Typer(
    help="Retorno: case tracker for assisted return and reintegration of migrants.",
    no_args_is_help=True,
    add_completion=False,
)
users_app = typer.Typer(help="API users and their tokens.", no_args_is_help=True)
keys_app = typer.Typer(help="Master keys that wrap every person's data key.", no_args_is_help=True)
retention_app = typer.Typer(help="Retention of personal data.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")
app.add_typer(retention_app, name="retention")
dead_letters_app = typer.Typer(
    help="Events a service gave up on after its maximum deliveries.", no_args_is_help=True
)
app.add_typer(dead_letters_app, name="dead-letters")
transfers_app = typer.Typer(
    help="Transfers of a person's record between offices (decided through the API).",
    no_args_is_help=True,
)
app.add_typer(transfers_app, name="transfers")
break_glass_app = typer.Typer(
    help="Break-the-glass reads of a record without a transfer: the DPO's review.",
    no_args_is_help=True,
)
app.add_typer(break_glass_app, name="break-glass")
console = Console()
T = TypeVar("T")


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
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
    """Run ``work``; a user's mistake (a RetornoError) is one clear line and exit code 1,
    never a traceback."""
    try:
        return run_with(offline_runtime, work)
    except RetornoError as e:
        console.print(f"[bold red]error:[/] {e.detail}")
        raise typer.Exit(1) from e


def _run_node(
    active: set[str], http: bool, banner: Callable[[Runtime], Awaitable[None]] | None
) -> None:
    from services.runtime.node import Node, run_until_stopped

    settings = Settings()
    _configure_logging(settings)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        node = Node(settings, all_services(), active, http=http)
        await wait_for_migrations(settings, [s.name for s in node.needed])
        await run_until_stopped(node, stop, banner)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


@app.command()
def up() -> None:
    """Start everything in one process: embedded broker (unless RETORNO_NATS_URL is set),
    every service and the HTTP API. Migrates first. Ctrl-C stops it all."""

    async def banner(rt: Runtime) -> None:
        s = rt.settings
        console.print(
            f"[bold green]Retorno is up[/]: API http://{s.http_host}:{s.http_port} "
            f"(docs /docs, health /health). Data in {s.data_dir.resolve()}. Ctrl-C to stop.\n"
            "Next, in another terminal: [bold]make demo[/] loads a sample and prints a token per "
            "role; or create a user: .venv/bin/retorno users add NAME --role caseworker --office X"
        )

    _run_node(set(service_names()), http=True, banner=banner)


@app.command()
def serve(
    service: Annotated[str, typer.Argument(help="A service name, or 'api' for the HTTP API")],
) -> None:
    """Run one service (its event consumer, outbox relay and periodic jobs) in this process.
    'api' also serves HTTP. For production: one process or container per service."""
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


@users_app.command("add")
def users_add(
    name: str,
    role: Annotated[
        str,
        typer.Option(
            help="caseworker, supervisor, auditor, evaluator, data_protection_officer, admin"
        ),
    ],
    office: Annotated[
        list[str] | None,
        typer.Option(help="Office scope (caseworker, supervisor); repeat for several"),
    ] = None,
) -> None:
    """Create a user and print their API token (shown once; only its hash is stored)."""
    from services.api.users import add_user

    _migrate_all(Settings())
    _user, token = run_offline(lambda rt: add_user(rt, name, role, office or []))
    console.print(f"user '{name}' ({role}) created. API token (shown once):")
    print(token)


@users_app.command("list")
def users_list() -> None:
    """List users and their tokens (never the tokens themselves)."""
    from services.api.users import list_users

    table = Table("user", "role", "offices", "token id", "revoked at")
    for item in run_offline(list_users):
        for token in item.tokens or (None,):
            table.add_row(
                item.user.name,
                item.user.role,
                ",".join(item.user.offices),
                str(token.id) if token else "",
                str(token.revoked_at or "") if token else "",
            )
    console.print(table)


@users_app.command("revoke")
def users_revoke(token_id: str) -> None:
    """Revoke a token by its id (from 'retorno users list')."""
    from services.api.users import revoke_token

    run_offline(lambda rt: revoke_token(rt, token_id))
    console.print(f"token {token_id} revoked")


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Create a new master key and re-wrap every data key under it, online."""
    from privacy.rotation import rotate_master_key

    result = run_offline(rotate_master_key)
    console.print(f"rotated: {result}")


@keys_app.command("list")
def keys_list() -> None:
    """Master key ids and how many data keys each one wraps."""
    from privacy.rotation import master_key_usage

    table = Table("master key id", "data keys wrapped")
    for key_id, count in run_offline(master_key_usage).items():
        table.add_row(key_id, str(count))
    console.print(table)


@keys_app.command("retire")
def keys_retire(key_id: str) -> None:
    """Retire an old master key once no data key is wrapped by it (after a rotation)."""
    from privacy.rotation import retire_master_key

    run_offline(lambda rt: retire_master_key(rt, key_id))
    console.print(f"master key {key_id} retired")


@retention_app.command("run")
def retention_run() -> None:
    """Erase (crypto-shred) the personal data whose retention period is over."""
    from privacy.retention import run_retention

    report = run_offline(run_retention)
    console.print(f"retention: {report}")


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
    from services.runtime.demo import DemoError, load_demo, print_report, wait_for_api

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


@transfers_app.command("list")
def transfers_list(
    status: Annotated[
        str | None, typer.Option(help="requested, approved or refused; default: all")
    ] = None,
    person: Annotated[str | None, typer.Option(help="Only this person_ref")] = None,
) -> None:
    """Every office's transfers, newest first (offices, codes, who and when; no personal data)."""
    from services.kit.identity import Principal
    from services.registration.transfers import list_transfers

    if status is not None and status not in ("requested", "approved", "refused"):
        console.print("[bold red]transfers:[/] --status is requested, approved or refused")
        raise typer.Exit(2)
    everyone = Principal("cli", "data_protection_officer")
    page = run_offline(lambda rt: list_transfers(rt, everyone, status=status, person_ref=person))
    table = Table("transfer", "person", "from", "to", "status", "reason", "asked", "decided")
    for t in page.items:
        decided = f"{t.decided_by} {t.decision_reason_code} {t.decided_at}" if t.decided_at else ""
        table.add_row(
            str(t.transfer_id),
            t.person_ref,
            t.from_office,
            t.to_office,
            t.status,
            t.reason_code,
            f"{t.requested_by} {t.requested_at}",
            decided,
        )
    console.print(table)


@break_glass_app.command("list")
def break_glass_list(
    person: Annotated[str | None, typer.Option(help="Only this person_ref")] = None,
) -> None:
    """Every break-the-glass read, newest first: who, which office, whose record, why."""
    from services.registration.transfers import emergency_reads

    page = run_offline(lambda rt: emergency_reads(rt, person))
    table = Table("at", "person", "office", "owning office", "user", "role", "reason")
    for r in page.items:
        table.add_row(
            str(r.at),
            r.person_ref,
            r.office,
            r.owning_office,
            r.actor_id,
            r.actor_role,
            r.reason_code,
        )
    console.print(table)


@dead_letters_app.command("list")
def dead_letters_list() -> None:
    """Every service's dead letters with the error that stopped them."""
    from services.runtime.deadletters import list_dead_letters

    table = Table("service", "event id", "type", "deliveries", "failed at", "error")
    for d in run_offline(list_dead_letters):
        table.add_row(
            d.service, str(d.event_id), d.type, str(d.deliveries), str(d.failed_at), d.error
        )
    console.print(table)


@dead_letters_app.command("parked")
def dead_letters_parked() -> None:
    """Events waiting for an event they depend on (e.g. a screening redelivered before its
    case's registration after a crash). Nothing to do: each is applied when its prerequisite
    is; one that waits longer than RETORNO_PARKED_MAX_HOURS becomes a dead letter."""
    from services.runtime.deadletters import list_parked

    table = Table("service", "event id", "type", "waits for", "since", "failures", "reason")
    for p in run_offline(list_parked):
        table.add_row(
            p.service,
            str(p.event_id),
            p.type,
            p.wait_key,
            str(p.parked_at),
            str(p.failures),
            p.reason,
        )
    console.print(table)


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


def _register_audit() -> None:
    try:
        from services.audit.cli import build_cli
    except ImportError:  # pragma: no cover
        return
    app.add_typer(
        build_cli(offline_runtime), name="audit", help="Audit log: verify, checkpoints, queries."
    )


_register_audit()


funding_cli.install(app, offline_runtime)

if __name__ == "__main__":
    app()
