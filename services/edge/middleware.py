"""ASGI middleware: a request body size limit, and a last-resort 500 (or, when a database
could not take the request in time, a 503 with ``Retry-After``) that leaks nothing."""

from __future__ import annotations

import logging
import traceback
import uuid

from sqlalchemy import exc as db_errors
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.edge.problems import problem

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
RETRY_AFTER_SECONDS = 5
# What a database driver says when it could not take a request in time: SQLite's lock wait
# (busy_timeout) ran out, or PostgreSQL has no connection to spare.
_OVERLOAD_SIGNS = ("database is locked", "database is busy", "too many connections")


def is_overload(exc: BaseException) -> bool:
    """True when ``exc`` says the system is too busy, not that the request is wrong: the
    connection pool's wait or the database's lock wait ran out. The command's transaction
    was rolled back; the same request may simply be sent again later."""
    if isinstance(exc, db_errors.TimeoutError):  # the pool had no connection in time
        return True
    if isinstance(exc, db_errors.OperationalError):
        said = str(exc.orig).lower()  # compared, never logged: it may quote parameters
        return any(sign in said for sign in _OVERLOAD_SIGNS)
    return False


class BodyLimitMiddleware:
    """Answers 413 when a request body exceeds ``max_bytes``, declared or streamed.

    The body (at most ``max_bytes``) is read before the app runs, then replayed to it.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._reject(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._reject(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(
            413,
            f"The request body is larger than {self.max_bytes} bytes; send less at once.",
            instance=scope.get("path", ""),
            title="Request body too large",
            type_="urn:retorno:problem:body-too-large",
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class UnhandledErrorMiddleware:
    """Turns any unhandled exception into a 500 problem with an error id; when the database
    could not take the request in time (``is_overload``), a 503 with ``Retry-After`` instead:
    the client did nothing wrong and may send it again.

    The log gets the id, the exception classes and the stack frames, not exception messages:
    a driver error's message can quote SQL parameters, which may be personal data.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            error_id = uuid.uuid4().hex
            log.error(
                "%s %s on %s %s\n%s",
                "overloaded:" if is_overload(exc) else "unhandled error",
                error_id,
                scope.get("method"),
                scope.get("path"),
                safe_traceback(exc),
            )
            if started:
                return
            if is_overload(exc):
                busy = problem(
                    503,
                    "The system is too busy to take this request now. Send it again in "
                    f"{RETRY_AFTER_SECONDS} seconds (error {error_id}).",
                    instance=scope.get("path", ""),
                    type_="urn:retorno:problem:busy",
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                    error_id=error_id,
                )
                await busy(scope, receive, send)
                return
            response = problem(
                500,
                f"Something went wrong on our side; it is logged as error {error_id}. "
                "Try again later, or report the error id.",
                instance=scope.get("path", ""),
                type_="urn:retorno:problem:internal-error",
                error_id=error_id,
            )
            await response(scope, receive, send)


def safe_traceback(exc: BaseException) -> str:
    """Frames (file, line, function) and exception classes of ``exc`` and its causes: no
    messages, no source lines, no local values."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = "".join(
            f'  File "{f.filename}", line {f.lineno}, in {f.name}\n'
            for f in traceback.extract_tb(current.__traceback__)
        )
        parts.append(f"{frames}{type(current).__module__}.{type(current).__qualname__}")
        current = current.__cause__ or current.__context__
    return "\nwhich was caused by:\n".join(parts)
