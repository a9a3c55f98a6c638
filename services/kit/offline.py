"""Run one piece of work against a runtime built for it, then close its databases
(for commands that run and exit)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from services.kit.definition import Runtime

T = TypeVar("T")


def run_with(
    make_runtime: Callable[[], Awaitable[Runtime]], work: Callable[[Runtime], Awaitable[T]]
) -> T:
    async def main() -> T:
        rt = await make_runtime()
        try:
            return await work(rt)
        finally:
            for db in rt.databases.values():
                await db.engine.dispose()

    return asyncio.run(main())
