"""What every service's command line (``cli.py``, ``install(app, runtime)``) is made of: run a
piece of work on the runtime of the factory with a user's mistake as one line, tables (or
CSV), options parsed into ids and dates, payload files read into request models.

A command never opens a transaction: it calls one use case or query on the runtime.
"""

from __future__ import annotations

import csv
import json
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.table import Table

from services.kit.definition import Runtime, RuntimeFactory
from services.kit.errors import RetornoError
from services.kit.offline import run_with

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

console = Console(soft_wrap=True)  # a line of output is never broken in two


def table_console() -> Console:
    """On a terminal, the console at its width; piped or captured (a script, grep, CI), one as
    wide as the table needs, so that no cell (an id) is ever cut short with an ellipsis."""
    return console if console.is_terminal else Console(width=10_000)


CSV_OPTION = typer.Option(False, "--csv", help="Write CSV to standard output instead of a table")
"""``as_csv: bool = CSV_OPTION``: the ``--csv`` flag of a listing."""


def fail(message: str, *, prefix: str = "error", code: int = 1) -> NoReturn:
    """One red line (``error: ...``, or ``funding: ...`` with ``prefix``) and exit ``code``
    (1: the request could not be done; 2: the command line itself is wrong)."""
    console.print(f"[bold red]{prefix}:[/] {message}", soft_wrap=True)  # one line, never cut
    raise typer.Exit(code)


def run_offline(runtime: RuntimeFactory, work: Callable[[Runtime], Awaitable[T]]) -> T:
    """Run ``work`` on a runtime from ``runtime`` (its databases closed after); a user's
    mistake (a ``RetornoError``) is one clear line and exit code 1, never a traceback."""
    try:
        return run_with(runtime, work)
    except RetornoError as e:
        fail(e.detail)


def cell(value: object) -> str:
    """A table cell: empty for None, else the value as text."""
    return "" if value is None else str(value)


def print_table(
    columns: Sequence[str], rows: Iterable[Sequence[object]], *, title: str | None = None
) -> None:
    """A table on standard output, a row per item (None cells are empty)."""
    table = Table(*columns, title=title)
    for row in rows:
        table.add_row(*(cell(value) for value in row))
    table_console().print(table)


def flatten(row: BaseModel) -> dict[str, Any]:
    """One level of columns: nested dicts become ``name.key`` columns (the keys alone for a
    field named ``keys``; a ``payload`` stays one column)."""
    flat: dict[str, Any] = {}
    for name, value in row.model_dump(mode="json").items():
        if isinstance(value, dict) and name != "payload":
            flat.update({f"{name}.{k}" if name != "keys" else k: v for k, v in value.items()})
        else:
            flat[name] = value
    return flat


def render_models(rows: Sequence[BaseModel], as_csv: bool, title: str) -> None:
    """Response models as a table titled ``title``, or as CSV (``--csv``); a column per field."""
    flat = [flatten(r) for r in rows]
    columns = list(dict.fromkeys(k for r in flat for k in r))
    if as_csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(flat)
        return
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for r in flat:
        table.add_row(*(cell(r.get(c)) for c in columns))
    table_console().print(table)


def day(value: datetime | None) -> date | None:
    """The date of a ``--date-from``/``--date-to`` option (typer parses it as a datetime)."""
    return value.date() if value is not None else None


def parse_uuid(
    value: str | None, option: str, what: str, *, prefix: str = "error"
) -> uuid.UUID | None:
    """An option that names a record by its UUID; a wrong one exits 2 with one line."""
    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        fail(f"{option} {value!r} is not {what} (a UUID)", prefix=prefix, code=2)


def read_payload(path: Path, model: type[M]) -> M:
    """A request body from a JSON file, checked by its ``schemas`` model; a file that cannot
    be read or does not fit is one line naming the file and the fields, exit 1."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        fail(f"{path}: cannot be read ({e.strerror or e})")
    except json.JSONDecodeError as e:
        fail(f"{path}: not JSON (line {e.lineno}, column {e.colno})")
    try:
        return model.model_validate(data)
    except ValidationError as e:
        fields = ", ".join(
            sorted({".".join(map(str, err["loc"])) or "(body)" for err in e.errors()})
        )
        fail(f"{path}: {e.error_count()} invalid field(s): {fields}")
