"""Break a py-spy profile of `retorno up` down by component (``benchmarks.e2e --profile FILE``).

Reads py-spy's collapsed stacks (``--format raw``: one line a stack, ``frame;frame;... count``,
root first) of on-CPU samples and prints two tables, each a share of all samples and, with
``--returns N``, CPU ms a return (``--cpu-ms`` the measured CPU a return of the run, which the
shares divide):

- *what runs*: the innermost frame of a known library (SQLAlchemy, pydantic, FastAPI/Starlette/
  uvicorn, nats/FastStream, cryptography, json, asyncio) or of our code (by service) on the
  stack; a sample of an aiosqlite worker thread is "sqlite (driver thread)";
- *for whom*: the outermost frame of our code under the frameworks: the route, handler, relay
  or job that the work is for (a sample with none is "framework (no project frame)").

Usage: python -m benchmarks.profile FILE [--returns N] [--cpu-ms MS] [--top K]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^():]+)(?::(?P<line>\d+))?\)$")

# (component, path fragments); the first match wins, checked on one frame's file
LIBRARIES: list[tuple[str, tuple[str, ...]]] = [
    ("crypto (cryptography, our envelope)", ("cryptography/", "privacy/domain/crypto.py")),
    ("SQLAlchemy: SQL compile", ("sqlalchemy/sql/compiler.py", "sqlalchemy/sql/cache_key.py")),
    ("SQLAlchemy: ORM session", ("sqlalchemy/orm/",)),
    ("SQLAlchemy: engine/result/async", ("sqlalchemy/",)),
    ("aiosqlite (event-loop side)", ("aiosqlite/",)),
    ("asyncpg", ("asyncpg/",)),
    ("pydantic", ("pydantic/", "pydantic_core/")),
    ("FastAPI/Starlette", ("fastapi/", "starlette/")),
    ("uvicorn/h11/httptools", ("uvicorn/", "h11/", "httptools/")),
    ("nats/FastStream", ("nats/", "faststream/")),
    ("json", ("json/", "orjson")),
    ("logging", ("logging/",)),
    ("asyncio/selectors", ("asyncio/", "selectors.py", "concurrent/futures/")),
]

PROJECT = re.compile(r"^(services/[a-z_]+|privacy|db|events)/")


def project_part(path: str) -> str | None:
    found = PROJECT.search(path)
    if found is None:
        return None
    part = found.group(1)
    if part == "services/runtime":
        return "runtime (relay, runner, pull)"
    return part.removeprefix("services/")


def parse(line: str) -> tuple[list[tuple[str, str]], int] | None:
    stack, _, count = line.rstrip("\n").rpartition(" ")
    if not stack or not count.isdigit():
        return None
    frames = []
    for raw in stack.split(";"):
        found = FRAME.match(raw.strip())
        if found:
            frames.append((found.group("func"), found.group("file")))
        else:
            frames.append((raw.strip(), ""))
    return frames, int(count)


def what_runs(frames: list[tuple[str, str]]) -> str:
    if any(f == "_connection_worker_thread" for f, _ in frames):
        return "sqlite (aiosqlite driver threads: sqlite3, fsync)"
    for func, path in reversed(frames):
        for name, fragments in LIBRARIES:
            if any(fragment in path for fragment in fragments):
                return name
        part = project_part(path)
        if part is not None:
            return f"our code: {part}"
        if path == "" and func.startswith("thread"):
            continue
    return "other (interpreter, stdlib)"


def for_whom(frames: list[tuple[str, str]]) -> str:
    for func, path in frames:
        part = project_part(path)
        if part is None or part.startswith("runtime") and func in {"up", "_run_node"}:
            continue
        if path.startswith("services/edge/") or path.startswith("services/kit/routes"):
            return f"edge/kit: {func}"
        return f"{part}: {func}"
    if any(f == "_connection_worker_thread" for f, _ in frames):
        return "sqlite (driver threads)"
    return "framework (no project frame)"


def table(title: str, counts: Counter[str], total: int, per_return: float | None, top: int) -> None:
    print(f"== {title} ==")
    for name, count in counts.most_common(top):
        share = count / total
        extra = f"  {share * per_return:6.1f} ms/return" if per_return else ""
        print(f"  {share:6.1%}{extra}  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--cpu-ms", type=float, help="measured CPU ms a return of the run")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    runs: Counter[str] = Counter()
    whom: Counter[str] = Counter()
    total = 0
    for line in args.file.read_text(errors="replace").splitlines():
        parsed = parse(line)
        if parsed is None:
            continue
        frames, count = parsed
        total += count
        runs[what_runs(frames)] += count
        whom[for_whom(frames)] += count
    if total == 0:
        raise SystemExit(f"no samples in {args.file}")
    print(f"{total:,} on-CPU samples")
    table("what runs (innermost known frame)", runs, total, args.cpu_ms, args.top)
    table("for whom (outermost project frame)", whom, total, args.cpu_ms, args.top)


if __name__ == "__main__":
    main()
