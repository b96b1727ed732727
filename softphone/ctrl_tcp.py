"""baresip's ctrl_tcp: commands answered by token, call events pushed, reconnecting forever.

baresip takes one client at a time and forgets it when it restarts, so the
connection is kept by a task of its own: it reconnects with a backoff and puts
`Lost` among the events, so that a call in progress learns its softphone went away.
"""

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from softphone.backoff import Backoff
from softphone.netstring import Decoder, NetstringError, encode

# baresip's event types that move a call on, and the service's names for them;
# every other type (SDP, RTP, RTCP, registration…) is ignored.
CALL_EVENTS = {"CALL_RINGING": "ringing", "CALL_ESTABLISHED": "answered", "CALL_CLOSED": "hangup"}
ANSWER_TIMEOUT = 5.0
# A connection that lived this long was a good one: the next loss starts the backoff over.
STABLE_SECONDS = 5.0


@dataclass(frozen=True)
class PhoneEvent:
    """A call event as baresip pushed it; `call_id` is the SIP Call-ID."""

    kind: str
    call_id: str | None
    direction: str | None
    peer: str | None
    param: str | None


@dataclass(frozen=True)
class Lost:
    """The control connection ended: no more events will come for a call in progress."""

    reason: str


@dataclass(frozen=True)
class Response:
    ok: bool
    data: str
    token: str | None


class Disconnected(Exception):
    """baresip went away before it answered a command."""


def parse(message: dict[str, Any]) -> Response | PhoneEvent | None:
    """A ctrl_tcp message as a response, a call event, or None for what does not matter."""
    if message.get("response") is True:
        return Response(
            bool(message.get("ok")), str(message.get("data") or ""), _text(message, "token")
        )
    kind = CALL_EVENTS.get(str(message.get("type")))
    if message.get("event") is not True or kind is None:
        return None
    return PhoneEvent(
        kind=kind,
        call_id=_text(message, "id"),
        direction=_text(message, "direction"),
        peer=_text(message, "peeruri"),
        param=_text(message, "param"),
    )


def _text(message: dict[str, Any], key: str) -> str | None:
    value = message.get(key)
    return str(value) if value not in (None, "") else None


class Baresip:
    """One baresip's ctrl_tcp: `run()` keeps it connected, `command()` talks, `events` listens."""

    def __init__(self, host: str, port: int, backoff: Backoff, say: Callable[[str], None]) -> None:
        self.host, self.port = host, port
        self.backoff = backoff
        self.say = say
        self.events: asyncio.Queue[PhoneEvent | Lost] = asyncio.Queue()
        self._writer: asyncio.StreamWriter | None = None
        self._connected = asyncio.Event()
        self._pending: dict[str, asyncio.Future[Response]] = {}
        self._tokens = itertools.count(1)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def wait_connected(self) -> None:
        await self._connected.wait()

    async def run(self) -> None:
        """Stay connected, forever: connect, serve until the connection ends, back off, again."""
        complained = False
        while True:
            try:
                reader, writer = await asyncio.open_connection(self.host, self.port)
            except OSError as error:
                if not complained:
                    self.say(f"baresip: nothing at ctrl_tcp {self.address} ({error}); retrying")
                    complained = True
                await self.backoff.wait()
                continue
            complained = False
            self.say(f"baresip: connected to ctrl_tcp {self.address}")
            started = asyncio.get_running_loop().time()
            reason = await self._serve(reader, writer)
            self.say(f"baresip: ctrl_tcp connection lost ({reason})")
            if asyncio.get_running_loop().time() - started > STABLE_SECONDS:
                self.backoff.reset()
            await self.backoff.wait()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> str:
        self._writer = writer
        self._connected.set()
        decoder = Decoder()
        reason = "closed by baresip"
        try:
            while chunk := await reader.read(65536):
                for message in decoder.feed(chunk):
                    self._dispatch(message)
        except (OSError, NetstringError) as error:
            reason = str(error) or type(error).__name__
        finally:
            self._drop(writer, reason)
        return reason

    def _dispatch(self, message: dict[str, Any]) -> None:
        parsed = parse(message)
        if isinstance(parsed, Response):
            future = self._pending.pop(parsed.token or "", None)
            if future is not None and not future.done():
                future.set_result(parsed)
        elif parsed is not None:
            self.events.put_nowait(parsed)

    def _drop(self, writer: asyncio.StreamWriter, reason: str) -> None:
        self._connected.clear()
        self._writer = None
        writer.close()
        for future in self._pending.values():
            if not future.done():
                future.set_exception(Disconnected(reason))
        self._pending.clear()
        self.events.put_nowait(Lost(reason))

    async def command(self, name: str, params: str | None = None) -> Response:
        """Send a command once connected and return baresip's answer to it."""
        await self._connected.wait()
        writer = self._writer
        if writer is None:
            raise Disconnected("not connected")
        token = f"cascade-{next(self._tokens)}"
        answer: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self._pending[token] = answer
        message: dict[str, Any] = {"command": name, "token": token}
        if params is not None:
            message["params"] = params
        try:
            writer.write(encode(message))
            await writer.drain()
            return await asyncio.wait_for(answer, ANSWER_TIMEOUT)
        except (OSError, TimeoutError) as error:
            raise Disconnected(str(error) or "no answer") from error
        finally:
            self._pending.pop(token, None)

    async def dial(self, uri: str) -> Response:
        return await self.command("dial", uri)

    async def hangup(self) -> Response:
        return await self.command("hangup")

    def discard_events(self) -> None:
        """Forget events already received: what came before a dial is not this call's."""
        while not self.events.empty():
            self.events.get_nowait()
