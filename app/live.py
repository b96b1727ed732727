"""The floor, live: one snapshot per process, refreshed when something changed, for every stream.

A change is any successful unsafe request (and any softphone hook call). The process that
served it marks its own snapshot stale at once and, on PostgreSQL, tells the others with
`NOTIFY cascade_floor`, sent at most every `NOTIFY_EVERY` by one listener connection per
process that also `LISTEN`s; on SQLite there is one process and the mark is enough. The
snapshot is rebuilt at most once a second while something changed (a large floor's, whose
rebuild is dear, up to every 3 s: `refresh_every`), and every `RECHECK_EVERY` regardless
(the clock moves states too: offline, a shift opening), and only while a stream is open.
A new snapshot wakes the floor's streams and those of the operators whose part of it moved,
not every console: a floor of thousands mostly stands still from one second to the next;
and a few at a time (`WAKE_AT_ONCE`), so that requests go on between their events.
The queue's standings in it come from `app.counts`, the entry the requests share too.
On PostgreSQL the snapshot is built in a child process of this one (`app.apart`), which
sends back the operators that moved.

The hub also keeps operators' signs of life: every request's caller and every open
operator stream, written to `operator_presence` every `PRESENCE_EVERY`.
"""

import asyncio
import contextlib
import logging
import os
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.apart import Apart
from app.counts import BACKGROUND, SharedCounts
from dialer.base.presence import record_seen
from dialer.base.users import active_operators
from dialer.reports.live import LARGE_FLOOR, Tally, off_the_loop
from dialer.reports.snapshot import Snapshot, snapshot

log = logging.getLogger(__name__)

CHANNEL = "cascade_floor"
REFRESH_AT_MOST = 1.0
# A large floor's snapshot (`LARGE_FLOOR` operators or more) is dear: it is rebuilt once
# ten times as long as it took, so that it takes at most this share of the process's time,
# at least once a second and at most every `REFRESH_AT_LEAST`.
REBUILD_SHARE = 0.1
REFRESH_AT_LEAST = 3.0
RECHECK_EVERY = 5.0
NOTIFY_EVERY = 0.1
PRESENCE_EVERY = timedelta(seconds=5)
RECONNECT_AFTER = 1.0
# Streams woken in one turn of the loop by a new snapshot.
WAKE_AT_ONCE = 16
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
EXIT_SIGNALS = (signal.SIGINT, signal.SIGTERM)

# How long shutting down waits for the refresh and the listener to end.
STOP_WITHIN = 5.0


class Hub:
    """The process's live floor: the shared snapshot, change marks, the listener."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        database_url: str,
        clock: Callable[[], datetime],
    ) -> None:
        self._sessionmaker = sessionmaker
        self._url = database_url
        # Asked by every request that changes the floor: read from the URL once.
        self.postgres = make_url(database_url).get_backend_name() == "postgresql"
        self._clock = clock
        self._me = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._stale = asyncio.Event()
        self._snapshot: Snapshot | None = None
        # The floor's settled counts, kept from one snapshot to the next.
        self._tally = Tally()
        self._built = 0.0
        self._every = REFRESH_AT_MOST
        self._watches: set[Watch] = set()
        self._operators: Counter[uuid.UUID] = Counter()
        self._seen: dict[uuid.UUID, datetime] = {}
        self._unwritten: set[uuid.UUID] = set()
        self._written = datetime.min.replace(tzinfo=UTC)
        self._notify_due = False
        # One statement at a time on the listener's connection: a slow NOTIFY must not
        # meet the next one there ("another operation is in progress").
        self._notifying = asyncio.Lock()
        self._listener: asyncpg.Connection | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._ending = False
        self._chained: dict[int, tuple[Any, Any]] = {}
        # The queue's standings, shared by the streams and the requests alike.
        self.counts = SharedCounts(sessionmaker, self._stale.set)
        # The snapshot's own process (`app.apart`), on PostgreSQL; None builds it here.
        self.apart = Apart(database_url) if self.postgres else None

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._refresher())]
        if self.postgres:
            self._tasks.append(asyncio.create_task(self._listen()))
        if self.apart is not None:
            async with self._sessionmaker() as session:
                large = await active_operators(session) >= LARGE_FLOOR
            if large:
                # A large floor's process starts with the service, not with its first
                # stream: else the floor logs in while the child starts, and this process
                # builds the whole floor itself meanwhile (a second each at 3,000 operators).
                self.apart.ready()
        self._end_streams_on_exit()

    async def stop(self) -> None:
        for sig, (handler, ours) in self._chained.items():
            if signal.getsignal(sig) is ours:
                signal.signal(sig, handler)
        self._chained = {}
        await self.counts.stop(STOP_WITHIN)
        for task in self._tasks:
            task.cancel()
        if self.apart is not None:
            # In a thread: the child may be finishing a build.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.to_thread(self.apart.stop, True), STOP_WITHIN)
        # A refresh cancelled inside a database call may never return (an SQLite write
        # waiting on the file's lock): shutting down must not wait for it.
        _, pending = await asyncio.wait(self._tasks, timeout=STOP_WITHIN)
        if pending:
            log.warning("the live floor's refresh did not stop in %s s; left behind", STOP_WITHIN)
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()

    # Marks and signs of life --------------------------------------------------------

    def changed(self) -> None:
        """Something on the floor changed here: rebuild, and tell the other processes."""
        self._stale.set()
        if self.postgres and not self._notify_due:
            self._notify_due = True
            asyncio.get_running_loop().call_later(NOTIFY_EVERY, self._send_notify)

    def seen(self, user_id: uuid.UUID) -> None:
        """The user made a request now (kept for operators only when written)."""
        self._seen[user_id] = self._clock()
        self._unwritten.add(user_id)

    def sightings(self) -> dict[uuid.UUID, datetime]:
        """This process's latest sightings, operators with an open stream as of now."""
        now = self._clock()
        return self._seen | dict.fromkeys(self._operators, now)

    # Streams --------------------------------------------------------------------------

    def now(self) -> datetime:
        return self._clock()

    def end_streams(self) -> None:
        """End every open stream, and any opened from now on: the process is stopping."""
        self._ending = True
        for watch in self._watches:
            watch.close()

    def _end_streams_on_exit(self) -> None:
        """The server waits for every open answer before it stops, and a stream never ends
        by itself: its exit signals are chained so that they end the streams first."""
        if threading.current_thread() is not threading.main_thread():
            return  # signals reach the main thread only: a server elsewhere has its own way
        loop = asyncio.get_running_loop()
        for sig in EXIT_SIGNALS:
            handler = signal.getsignal(sig)
            if callable(handler):
                ours = _ending_first(loop, self.end_streams, handler)
                self._chained[sig] = (handler, ours)
                signal.signal(sig, ours)

    @property
    def latest(self) -> Snapshot | None:
        return self._snapshot

    @contextlib.asynccontextmanager
    async def stream(self, operator_id: uuid.UUID | None = None) -> AsyncIterator["Watch"]:
        """A stream's watch on the floor, open while in the block: an operator's, or the
        floor's with no operator (an operator's stream also keeps it seen)."""
        watch = Watch(self, operator_id)
        if self._ending:
            watch.close()
        self._watches.add(watch)
        if operator_id is not None:
            self._operators[operator_id] += 1
        if self._snapshot is not None:
            watch.wake()
        self._stale.set()
        try:
            yield watch
        finally:
            self._watches.discard(watch)
            if operator_id is not None:
                self._operators[operator_id] -= 1
                if self._operators[operator_id] <= 0:
                    del self._operators[operator_id]
                self.seen(operator_id)

    # Work -----------------------------------------------------------------------------

    async def _refresher(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stale.wait(), RECHECK_EVERY)
            wait = self._built + self._every - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._stale.clear()
            try:
                await self._write_presence()
                self.counts.keep_warm(self._clock())
                if self._watches:
                    await self._rebuild()
            except Exception:
                log.exception("the live floor could not be refreshed; trying again")
                self._built = time.monotonic()

    async def _rebuild(self) -> None:
        self._built = time.monotonic()
        held, apart = self._snapshot, self.apart
        if apart is not None and apart.ready():
            fresh, moved = await apart.build(held, self._clock(), self.sightings())
        else:
            if apart is not None:
                apart.forget()
            async with self._sessionmaker() as session:
                await session.connection(execution_options=BACKGROUND)
                fresh = await snapshot(
                    session,
                    self._clock(),
                    seen=self.sightings(),
                    count=self.counts.standings,
                    tally=self._tally,
                )
            moved = await off_the_loop(len(fresh.operators), fresh.moved_since, held)
        self._snapshot = fresh
        self._every = refresh_every(len(fresh.operators), time.monotonic() - self._built)
        woken = [
            w
            for w in self._watches
            if w.operator_id is None or moved is None or w.operator_id in moved
        ]
        # A few at a time, a turn of the loop between: each woken stream writes its event
        # in the turn after its wake, and a hundred of them at once (a large floor's usual
        # rebuild) held every request in flight for 30-60 ms.
        for start in range(0, len(woken), WAKE_AT_ONCE):
            if start:
                await asyncio.sleep(0)
            for watch in woken[start : start + WAKE_AT_ONCE]:
                watch.wake()

    async def _write_presence(self) -> None:
        now = self._clock()
        if now - self._written < PRESENCE_EVERY:
            return
        sightings = self.sightings()
        seen = {u: sightings[u] for u in self._unwritten | set(self._operators)}
        self._unwritten = set()
        self._written = now
        cutoff = now - timedelta(minutes=5)
        self._seen = {u: at for u, at in self._seen.items() if at > cutoff}
        if seen:
            async with self._sessionmaker.begin() as session:
                await session.connection(execution_options=BACKGROUND)
                await record_seen(session, seen)

    # LISTEN / NOTIFY ----------------------------------------------------------------------

    def _dsn(self) -> str:
        url = make_url(self._url).set(drivername="postgresql")
        return url.render_as_string(hide_password=False)

    async def _listen(self) -> None:
        """Hold one listening connection; on its loss, connect again and rebuild."""
        while True:
            try:
                closed = asyncio.Event()
                connection = await asyncpg.connect(self._dsn())
                connection.add_termination_listener(_on_close(closed))
                await connection.add_listener(CHANNEL, self._heard)
                self._listener = connection
                self._stale.set()
                await closed.wait()
            except (OSError, asyncpg.PostgresError):
                log.warning("the live floor's listener lost its connection; reconnecting")
            finally:
                self._listener = None
            await asyncio.sleep(RECONNECT_AFTER)

    def _heard(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        if payload != self._me:
            self._stale.set()

    def _send_notify(self) -> None:
        self._notify_due = False
        listener = self._listener
        if listener is not None:
            task = asyncio.create_task(self._notify(listener))
            self._tasks = [t for t in self._tasks if not t.done()] + [task]

    async def _notify(self, listener: asyncpg.Connection) -> None:
        try:
            async with self._notifying:
                await listener.execute("SELECT pg_notify($1, $2)", CHANNEL, self._me)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            log.warning("could not tell the other processes of a change")


def refresh_every(operators: int, took: float) -> float:
    """Seconds from one rebuild's start to the next one's after a rebuild of this many
    operators that took `took` seconds."""
    if operators < LARGE_FLOOR:
        return REFRESH_AT_MOST
    return min(max(REFRESH_AT_MOST, took / REBUILD_SHARE), REFRESH_AT_LEAST)


def _ending_first(
    loop: asyncio.AbstractEventLoop, end: Callable[[], None], handler: Callable[..., Any]
) -> Callable[[int, FrameType | None], None]:
    def on_signal(sig: int, frame: FrameType | None) -> None:
        # Between any two bytecodes of the loop's thread: the loop takes it from here
        # (unless it is closed already: the server's own handler still runs).
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(end)
        handler(sig, frame)

    return on_signal


class Watch:
    """One stream's wait for the snapshots that concern it, until it is closed (the client
    went, or the process is stopping)."""

    def __init__(self, hub: Hub, operator_id: uuid.UUID | None) -> None:
        self.operator_id = operator_id
        self.closed = False
        self._hub = hub
        self._woken = asyncio.Event()

    def wake(self) -> None:
        self._woken.set()

    def close(self) -> None:
        self.closed = True
        self._woken.set()

    async def next(self, within: float) -> Snapshot | None:
        """The latest snapshot once one concerns this stream; None after `within` seconds
        or once the watch is closed."""
        try:
            # Not wait_for: on Python 3.11 it makes a task of each wait.
            async with asyncio.timeout(within):
                await self._woken.wait()
        except TimeoutError:
            return None
        if self.closed:
            return None
        self._woken.clear()
        latest = self._hub.latest
        assert latest is not None, "woken only once there is a snapshot"
        return latest


def _on_close(closed: asyncio.Event) -> Callable[[Any], None]:
    return lambda _connection: closed.set()


class ChangeMiddleware:
    """Marks the floor changed after each successful unsafe request and softphone hook."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _may_change(scope):
            await self.app(scope, receive, send)
            return

        async def sent(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                floor_changed(scope["app"])
            await send(message)

        await self.app(scope, receive, sent)


def floor_changed(app: Any) -> None:
    """Mark the app's floor changed, where it keeps one: after a request that changed it,
    or work done once its answer was sent."""
    hub: Hub | None = getattr(app.state, "hub", None)
    if hub is not None:
        hub.changed()


def _may_change(scope: Scope) -> bool:
    path: str = scope["path"]
    return path.startswith("/hooks/") or (
        scope["method"] in UNSAFE and path.startswith("/api/v1/") and path != "/api/v1/auth/token"
    )
