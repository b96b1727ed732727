"""`cascade softphone`: take the next call, have baresip dial it, report it, record its outcome.

One loop per operator: next-call (waiting, and saying why, while the dialer
refuses), dial over ctrl_tcp, follow the call's events into the outbox, heartbeat
the lease meanwhile, wait until the service has every event, then ask for the
disposition (or take it from the options) and record the outcome. Beside the loop
two tasks run for the whole session: one keeps baresip connected, one delivers
the outbox.
"""

import asyncio
import contextlib
import os
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from softphone.api import Credentials, Lease, Refusal, Service, ServiceError
from softphone.backoff import Backoff
from softphone.calls import Call
from softphone.ctrl_tcp import Baresip, Disconnected, Lost, PhoneEvent
from softphone.delivery import Delivery, outbox_path
from softphone.dispositions import Chooser
from softphone.outbox import Outbox
from softphone.recording import record
from softphone.terminal import Terminal
from softphone.uploads import Uploads

HTTP_TIMEOUT = 10.0
# A refusal that gives no retry_after, or a long one, is asked again at least this often:
# a supervisor may resume the dialer or import contacts at any moment.
LONGEST_WAIT = 60.0
RING_TIMEOUT = object()


class SetupError(Exception):
    """The connector cannot work as configured: said to the operator, exit code 2."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def default_spool() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(state) / "cascade" / "softphone"


@dataclass(frozen=True)
class Options:
    service: str
    credentials: Credentials
    ctrl_tcp: tuple[str, int] = ("127.0.0.1", 4444)
    clock_in: bool = False
    dial_uri: str | None = None
    disposition: str | None = None
    otherwise: str | None = None
    objection: str | None = None
    calls: int | None = None
    ring_timeout: float | None = None
    heartbeat: float | None = None
    retry_seconds: float = 5.0
    spool: Path = field(default_factory=default_spool)
    # baresip's snd_path: where its sndfile module writes each call; None records nothing.
    recordings: Path | None = None


class Connector:
    """The operator's loop; everything it talks to is handed in."""

    def __init__(
        self,
        options: Options,
        service: Service,
        phone: Baresip,
        delivery: Delivery,
        terminal: Terminal,
        now: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        uploads: Uploads | None = None,
    ) -> None:
        self.options = options
        self.service = service
        self.phone = phone
        self.delivery = delivery
        self.uploads = uploads
        self.terminal = terminal
        self.say = terminal.say
        self.now = now
        self.sleep = sleep
        self.chooser = Chooser(terminal, options.disposition, options.otherwise, options.objection)

    async def work(self) -> int:
        """Take calls until the options' count is reached (or forever)."""
        if self.options.clock_in:
            await self.clock_in()
        made = 0
        while self.options.calls is None or made < self.options.calls:
            lease = await self.next_lease()
            await self.handle(lease)
            made += 1
        await self.delivery.drained()
        if self.uploads is not None:
            await self.uploads.drained()
        return 0

    async def clock_in(self) -> None:
        await self._until_allowed(self.service.clock_in)
        self.say("clocked in")

    async def next_lease(self) -> Lease:
        """The next call, waiting while the service refuses and saying why once per reason."""
        lease = await self._until_allowed(self.service.next_call)
        assert isinstance(lease, Lease)
        return lease

    async def _until_allowed(self, ask: Callable[[], Awaitable[Any]]) -> Any:
        said = None
        while True:
            answer = await ask()
            if not isinstance(answer, Refusal):
                return answer
            if answer.code == "not_clocked_in" and self.options.clock_in:
                await self.clock_in()
                continue
            wait = min(answer.retry_after or self.options.retry_seconds, LONGEST_WAIT)
            if answer.describe() != said:
                said = answer.describe()
                self.say(f"waiting: {said}")
            await self.sleep(max(wait, 0.05))

    async def handle(self, lease: Lease) -> None:
        """One lease from dial to outcome, heartbeating it all along."""
        self.say(f"lease {lease.id}: {lease.phone} {lease.name or ''} {lease.company or ''}")
        alive = asyncio.create_task(self.keep_alive(lease))
        try:
            target = await self.dial_target(lease)
            dialed = time.time()
            call = await self.place(lease, target)
            # Encoded while the operator chooses the outcome; kept once the attempt exists.
            recording = asyncio.create_task(self.recording(lease, call, dialed))
            attempt_id = await self.settle(lease, call)
            await self.keep_recording(await recording, attempt_id)
        finally:
            alive.cancel()

    async def recording(self, lease: Lease, call: Call, dialed: float) -> Path | None:
        """The call's recording as an Ogg file in the spool, if there is one."""
        if self.options.recordings is None or self.uploads is None or not call.answered:
            return None
        target = self.uploads.folder / f"lease-{lease.id}.encoded"
        try:
            seconds = await asyncio.to_thread(record, self.options.recordings, dialed, target)
        except (OSError, ValueError) as error:
            self.say(f"recording: not made: {error}")
            return None
        if seconds is None:
            self.say(f"recording: baresip recorded nothing in {self.options.recordings}")
            return None
        self.say(f"recording: {seconds:.1f} s encoded")
        return target

    async def keep_recording(self, recording: Path | None, attempt_id: str | None) -> None:
        if recording is None or self.uploads is None:
            return
        if attempt_id is None:
            recording.unlink(missing_ok=True)
            return
        self.uploads.put(attempt_id, recording)

    async def dial_target(self, lease: Lease) -> str:
        if self.options.dial_uri:
            number = lease.phone
            return self.options.dial_uri.format(number=number, digits=number.lstrip("+"))
        if "sip" in lease.dial:
            return lease.dial["sip"]
        await self.service.release(lease.id)
        raise SetupError(
            "The service gives no sip: link (CASCADE_SIP_DOMAIN is unset there): "
            "pass --dial-uri, e.g. 'sip:{number}@pbx.example'. The lease was released."
        )

    async def keep_alive(self, lease: Lease) -> None:
        """Heartbeat the lease every third of its time left (or as the options say)."""
        expires = lease.expires_at
        while True:
            left = (expires - self.now()).total_seconds()
            await self.sleep(self.options.heartbeat or max(1.0, left / 3))
            try:
                expires = await self.service.heartbeat(lease.id)
            except ServiceError as refused:
                self.say(f"heartbeat refused: {refused.code}")
                return
            self.say(f"lease extended to {expires.isoformat(timespec='seconds')}")

    async def place(self, lease: Lease, uri: str) -> Call:
        """Dial and follow the call until it ends; every event goes to the outbox."""
        if not self.phone.connected:
            self.say(f"waiting for baresip at {self.phone.address}")
        await self.phone.wait_connected()
        self.phone.discard_events()
        self.terminal.discard_input()
        call = Call(lease, uri, self.now(), report=self.delivery.put)
        self.say(f"dialing {uri} (Enter hangs up)")
        try:
            answer = await self.phone.dial(uri)
        except Disconnected as lost:
            call.lose(f"softphone lost: {lost}", self.now())
        else:
            if not answer.ok:
                call.lose(f"baresip did not dial: {answer.data}", self.now())
        await self.follow(call)
        self.say(f"hangup: {call.reason}")
        return call

    async def follow(self, call: Call) -> None:
        loop = asyncio.get_running_loop()
        ring = self.options.ring_timeout
        ring_deadline = loop.time() + ring if ring else None
        while not call.ended:
            deadline = None if call.answered else ring_deadline
            for item in await self._next_inputs(deadline):
                if item is RING_TIMEOUT:
                    ring_deadline = None
                    self.say(f"no answer in {ring:g} s: hanging up")
                    await self._hang_up()
                else:
                    await self._on(call, item)

    async def _next_inputs(self, deadline: float | None) -> list[Any]:
        loop = asyncio.get_running_loop()
        waits: set[asyncio.Task[Any]] = {asyncio.create_task(self.phone.events.get())}
        if not self.terminal.closed:
            waits.add(asyncio.create_task(self.terminal.line()))
        timeout = None if deadline is None else max(0.0, deadline - loop.time())
        done, pending = await asyncio.wait(waits, timeout=timeout, return_when="FIRST_COMPLETED")
        for task in pending:
            task.cancel()
        return [task.result() for task in done] if done else [RING_TIMEOUT]

    async def _on(self, call: Call, item: PhoneEvent | Lost | str | None) -> None:
        if isinstance(item, PhoneEvent):
            if call.take(item, self.now()) and item.kind != "hangup":
                self.say(f"{item.kind} (Call-ID {call.call_id})")
        elif isinstance(item, Lost):
            call.lose(f"softphone lost: {item.reason}", self.now())
        elif isinstance(item, str):
            self.say("hanging up")
            await self._hang_up()

    async def _hang_up(self) -> None:
        # A lost connection ends the call through its own event.
        with contextlib.suppress(Disconnected):
            await self.phone.hangup()

    async def settle(self, lease: Lease, call: Call) -> str | None:
        """Once the service has the call's events, record the outcome the operator chose.

        The attempt's id, or None when the service refused the outcome.
        """
        if waiting := len(self.delivery):
            self.say(f"waiting for the service to take {waiting} events")
        await self.delivery.drained()
        found = await self.service.lease_call(lease.id)
        suggested = found.get("suggested_disposition")
        self.say(f"call over: {summary(found)}; suggested: {suggested or 'none'}")
        while True:
            body = await self.chooser.choose(lease, suggested)
            try:
                result = await self.service.outcome(lease.id, body)
            except ServiceError as refused:
                if refused.status == 422 and self.chooser.interactive(suggested):
                    self.say(f"not recorded: {refused.detail}")
                    continue
                if refused.status == 409:
                    self.say(f"outcome refused: {refused.code}: {refused.detail}")
                    return None
                raise
            self.say(f"outcome: {body['disposition']} (attempt {result.get('attempt_id')})")
            attempt_id = result.get("attempt_id")
            return str(attempt_id) if attempt_id else None


def summary(found: dict[str, Any]) -> str:
    """The call in a few words: ring and talk seconds, how it ended."""
    parts = []
    if found.get("ring_seconds") is not None:
        parts.append(f"ring {found['ring_seconds']:g} s")
    if found.get("talk_seconds") is not None:
        parts.append(f"talk {found['talk_seconds']:g} s")
    parts.append(f"hangup {found.get('hangup_reason') or 'unknown'}")
    return ", ".join(parts)


async def alongside(main: Coroutine[Any, Any, int], *background: Coroutine[Any, Any, None]) -> int:
    """Run main with background tasks; a background failure ends it, main's end stops them."""
    tasks = [asyncio.create_task(work) for work in background]
    first = asyncio.create_task(main)
    try:
        done, _ = await asyncio.wait([first, *tasks], return_when="FIRST_COMPLETED")
        for task in done:
            task.result()
        return first.result()
    finally:
        for task in [first, *tasks]:
            task.cancel()
        await asyncio.gather(first, *tasks, return_exceptions=True)


async def run(options: Options, terminal: Terminal) -> int:
    """Sign in and work, with baresip kept connected and the outbox delivered alongside."""
    terminal.listen()
    async with httpx.AsyncClient(base_url=options.service, timeout=HTTP_TIMEOUT) as http:
        service = Service(http, options.credentials, terminal.say)
        await service.sign_in()
        me = await service.me()
        user = me.get("user") or {}
        if me.get("role") != "operator":
            raise SetupError(f"{user.get('login')} is not an operator")
        terminal.say(f"signed in as {user.get('login')}")
        outbox = Outbox(outbox_path(options.spool, str(user["id"])))
        if len(outbox):
            terminal.say(f"{len(outbox)} events from before wait for the service")
        delivery = Delivery(outbox, service, terminal.say)
        host, port = options.ctrl_tcp
        phone = Baresip(host, port, Backoff(first=0.05, most=2.0), terminal.say)
        uploads = Uploads(options.spool / f"recordings-{user['id']}", service, terminal.say)
        if waiting := len(uploads.waiting()):
            terminal.say(f"{waiting} recordings from before wait for the service")
        connector = Connector(options, service, phone, delivery, terminal, uploads=uploads)
        return await alongside(connector.work(), phone.run(), delivery.run(), uploads.run())
