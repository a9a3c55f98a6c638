"""`make bench`: the vault's batch path per person record against raw AES-GCM on the same bytes.

A person record is what a registration seals: given names, family name, date of birth, a
travel document (type and number) and a phone. On a fresh privacy database (SQLite file, and
PostgreSQL when ``RETORNO_TEST_POSTGRES_URL`` is set), in one run:

- raw: ``cryptography``'s ``AESGCM`` sealing (then opening) the same fields with the same
  associated data under per-person keys already in memory (one cipher object a person);
- ``encrypt_people`` of ``--people`` new people (their data keys made and wrapped in one
  committed transaction), of the same people again (keys read in one read transaction and
  unwrapped), and with the blind index (registration's call: keys and index entries in one
  transaction);
- ``decrypt_people`` of them all (one committed transaction: one access-log row a person) and
  ``decrypt_many`` person by person (a committed transaction each, the single-person call).

Prints microseconds a person record and the ratio to raw (target: <= 5x raw in the batch path).

Usage: python -m benchmarks.vault [--people N] [--only sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.chaos.run import Postgres  # noqa: E402
from db.engine import make_engine  # noqa: E402
from db.migrate import upgrade_async  # noqa: E402
from db.schema import MessagingTables, service_metadata  # noqa: E402
from db.uow import ServiceDatabase  # noqa: E402
from privacy.domain import crypto  # noqa: E402
from privacy.store.keyring import load_keyring  # noqa: E402
from privacy.store.searchkey import load_search_key  # noqa: E402
from privacy.usecases.vault import Vault  # noqa: E402

INDEX: dict[str, Any] = {
    "given_names": "name",
    "family_name": "name",
    "travel_document_number": "document",
}
ROUNDS = 5  # the best of five: the machine is shared


def record(i: int) -> dict[str, str]:
    return {
        "given_names": "Invented Person",
        "family_name": f"Bench {i:06d}",
        "date_of_birth": "1988-05-17",
        "travel_document_type": "passport",
        "travel_document_number": f"GT{i:08d}",
        "phone": "+502 5555 0000",
    }


def raw_seal(keys: dict[str, bytes], people: dict[str, dict[str, str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for ref, fields in people.items():
        aead = AESGCM(keys[ref])
        sealed = {}
        for field, value in fields.items():
            nonce = os.urandom(crypto.NONCE_BYTES)
            aad = crypto.field_aad(ref, field)
            sealed[field] = nonce + aead.encrypt(nonce, value.encode(), aad)
        out[ref] = sealed
    return out


def raw_open(keys: dict[str, bytes], sealed: dict[str, dict[str, bytes]]) -> None:
    for ref, fields in sealed.items():
        aead = AESGCM(keys[ref])
        for field, token in fields.items():
            aead.decrypt(token[:12], token[12:], crypto.field_aad(ref, field)).decode()


async def best(work: Callable[[], Awaitable[None]], rounds: int = ROUNDS) -> float:
    """The best wall time of ``rounds`` runs (this process's CPU time, its SQLite threads
    included, is ``cpu_of[work]``: on a shared machine it moves less than wall time)."""
    times = []
    for _ in range(rounds):
        start, cpu = time.perf_counter(), time.process_time()
        await work()
        times.append((time.perf_counter() - start, time.process_time() - cpu))
    wall, cpu_of[work] = min(times)
    return wall


cpu_of: dict[Callable[[], Awaitable[None]], float] = {}


async def measure(backend: str, url: str, people_count: int, key_dir: Path) -> list[str]:
    await upgrade_async("privacy", url)
    db = ServiceDatabase(
        "privacy", make_engine(url), MessagingTables(service_metadata(), "privacy")
    )
    vault = Vault(db, load_keyring(key_dir, None), search_key=load_search_key(key_dir))
    n = people_count

    def batch() -> dict[str, dict[str, str]]:
        return {"p_" + secrets.token_hex(16): record(i) for i in range(n)}

    keys = {ref: crypto.new_data_key() for ref in batch()}
    raw_people = dict(zip(keys, batch().values(), strict=True))

    async def raw_encrypt() -> None:
        raw_seal(keys, raw_people)

    sealed_raw = raw_seal(keys, raw_people)

    async def raw_decrypt() -> None:
        raw_open(keys, sealed_raw)

    raw_enc = await best(raw_encrypt)
    raw_dec = await best(raw_decrypt)

    new_batches = [batch() for _ in range(ROUNDS)]
    index_batches = [batch() for _ in range(ROUNDS)]

    async def encrypt_new() -> None:
        await vault.encrypt_people(new_batches.pop())

    async def encrypt_indexed() -> None:
        await vault.encrypt_people(
            index_batches.pop(), index=INDEX, record_offices=dict.fromkeys(keys)
        )

    known = batch()
    sealed = await vault.encrypt_people(known)

    async def encrypt_known() -> None:
        await vault.encrypt_people(known)

    async def decrypt_people() -> None:
        await vault.decrypt_people(sealed, actor_id="bench", role="caseworker", purpose="bench")

    singles = list(sealed.items())[: max(1, n // 10)]

    async def decrypt_each() -> None:
        for ref, tokens in singles:
            await vault.decrypt_many(
                ref, tokens, actor_id="bench", role="caseworker", purpose="bench"
            )

    cases = [
        ("encrypt_people, new people (keys made)", encrypt_new, n, raw_encrypt),
        ("encrypt_people, known people", encrypt_known, n, raw_encrypt),
        ("encrypt_people + blind index (registration)", encrypt_indexed, n, raw_encrypt),
        ("decrypt_people (batch, logged)", decrypt_people, n, raw_decrypt),
        ("decrypt_many, person by person", decrypt_each, len(singles), raw_decrypt),
    ]
    rows = []
    for name, work, count, raw in cases:
        wall = await best(work) / count
        rows.append(
            (
                name,
                wall,
                cpu_of[work] / count,
                (raw_enc if raw is raw_encrypt else raw_dec) / n,
                cpu_of[raw] / n,
            )
        )
    await db.engine.dispose()
    width = max(len(r[0]) for r in rows)
    lines = [
        f"== vault, {backend}: {n} person records of {len(record(0))} fields ==",
        f"  {'raw AES-GCM seal / open':<{width}}  {raw_enc / n * 1e6:8.1f} / "
        f"{raw_dec / n * 1e6:.1f} us a record (wall)",
    ]
    for name, wall, cpu, raw_wall, raw_cpu in rows:
        lines.append(
            f"  {name:<{width}}  {wall * 1e6:8.1f} us a record  {wall / raw_wall:6.1f}x raw"
            f"  (CPU {cpu * 1e6:,.1f} us, {cpu / raw_cpu:.1f}x raw CPU)"
        )
    return lines


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="retorno-bench-vault-") as tmp:
        root = Path(tmp)
        if args.only in (None, "sqlite"):
            url = f"sqlite+aiosqlite:///{root / 'privacy.db'}"
            print("\n".join(await measure("SQLite", url, args.people, root)), flush=True)
        pg_url = os.environ.get("RETORNO_TEST_POSTGRES_URL")
        if args.only in (None, "postgresql") and pg_url:
            postgres = Postgres(pg_url)
            url = await postgres.create()
            try:
                print("\n".join(await measure("PostgreSQL", url, args.people, root)), flush=True)
            finally:
                await postgres.drop()


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    asyncio.run(main(parser.parse_args()))


if __name__ == "__main__":
    cli()
