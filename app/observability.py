"""Request ids, JSON logs, request metrics and the body size limit, as one ASGI middleware."""

import asyncio
import json
import logging
import re
import time
import uuid
from contextvars import ContextVar
from typing import Any

from prometheus_client import Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import error_body

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

REQUEST_SECONDS = Histogram(
    "cascade_request_duration_seconds",
    "Time to answer a request, by route template and status.",
    ["method", "route", "status"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

# Bodies are small JSON everywhere but the contact import, which streams a file.
DEFAULT_BODY_LIMIT = 1 << 20
IMPORT_BODY_LIMIT = 1 << 30
# A body must also arrive in time: a client sending a byte now and then (slowloris)
# would hold a connection and its worker's memory for ever. No byte for STALL_SECONDS,
# or the whole body not in by its deadline, and the request is answered 408.
STALL_SECONDS = 30.0
BODY_SECONDS = 60.0
IMPORT_BODY_SECONDS = 30 * 60.0
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

access_log = logging.getLogger("cascade.access")


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request id of the request being served."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "at": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if (rid := request_id.get()) is not None:
            entry["request_id"] = rid
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: int = logging.INFO) -> None:
    """Send every log record to stderr as JSON lines."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = name != "uvicorn.access"


class BodyTooLarge(Exception):
    pass


class BodyTooSlow(Exception):
    pass


def body_limit(scope: Scope) -> tuple[int, float]:
    """How many bytes a request to this path may send, and in how many seconds."""
    path: str = scope["path"]
    if path.endswith("/imports"):
        return IMPORT_BODY_LIMIT, IMPORT_BODY_SECONDS
    return DEFAULT_BODY_LIMIT, BODY_SECONDS


def _incoming_request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = bytes(value).decode("latin-1")
            if _VALID_REQUEST_ID.match(text):
                return text
    return uuid.uuid4().hex


class RequestMiddleware:
    """Tags each request with an id, limits its body, measures and logs it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _incoming_request_id(scope)
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500
        response_started = False
        limit, seconds = body_limit(scope)
        received = 0
        too_large = _declared_length(scope) > limit
        too_slow = False
        # Set when the app first reads: the time spent checking the caller is not the body's.
        deadline: float | None = None
        # Once the body is in, a read waits for the client to go away (a stream's answer
        # listens so), for as long as it takes: no timer then.
        body_done = False

        async def limited_receive() -> Message:
            nonlocal received, too_large, too_slow, deadline, body_done
            if body_done:
                return await receive()
            loop = asyncio.get_running_loop()
            if deadline is None:
                deadline = loop.time() + seconds
            try:
                async with asyncio.timeout_at(min(deadline, loop.time() + STALL_SECONDS)):
                    message = await receive()
            except TimeoutError:
                # As for the size: the framework would turn this into a 400 of its own.
                too_slow = True
                raise BodyTooSlow() from None
            body_done = message["type"] != "http.request" or not message.get("more_body", False)
            received += len(message.get("body", b""))
            if received > limit:
                # The framework turns errors raised while reading into a 400 of its own;
                # the flag lets the answer below become the 413 it really is.
                too_large = True
                raise BodyTooLarge()
            return message

        async def tagged_send(message: Message) -> None:
            nonlocal status, response_started
            if too_large or too_slow:
                if not response_started:
                    response_started = True
                    status = 413 if too_large else 408
                    if too_large:
                        await _too_large(send, rid, limit)
                    else:
                        await _too_slow(send, rid, seconds)
                return
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            if too_large:
                raise BodyTooLarge()
            await self.app(scope, limited_receive, tagged_send)
        except (BodyTooLarge, BodyTooSlow):
            await tagged_send({"type": "http.response.start"})
        finally:
            self._record(scope, status, time.perf_counter() - started)
            request_id.reset(token)

    @staticmethod
    def _record(scope: Scope, status: int, seconds: float) -> None:
        REQUEST_SECONDS.labels(scope["method"], route_template(scope), str(status)).observe(seconds)
        access_log.info(
            "%s %s %s",
            scope["method"],
            scope["path"],
            status,
            extra={"fields": {"status": status, "duration_ms": round(seconds * 1000, 2)}},
        )


def route_template(scope: Scope) -> str:
    """The matched route's path template with its router prefix, e.g. /api/v1/leases/{lease_id}."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if not isinstance(template, str):
        return "unmatched"
    # The route knows its path inside its router; the prefix is what precedes it.
    depth = template.count("/")
    prefix = "/".join(scope["path"].split("/")[:-depth]) if depth else scope["path"]
    return prefix + template


def _declared_length(scope: Scope) -> int:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


async def _too_large(send: Send, rid: str, limit: int) -> None:
    detail = f"The request body is larger than {limit} bytes."
    await _refuse_body(send, rid, 413, error_body("too_large", detail))


async def _too_slow(send: Send, rid: str, seconds: float) -> None:
    detail = (
        f"The request body did not arrive in time (a pause of {STALL_SECONDS:.0f} s, "
        f"or all of it within {seconds:.0f} s); nothing was done."
    )
    await _refuse_body(send, rid, 408, error_body("request_timeout", detail))


async def _refuse_body(send: Send, rid: str, status: int, error: dict[str, Any]) -> None:
    body = json.dumps(error).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-request-id", rid.encode()),
        # The rest of the body may still come: this connection cannot serve another request.
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
