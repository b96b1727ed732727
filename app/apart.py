"""The live floor's snapshot built in a process of its own, beside each service process.

The hub reads the whole floor at every rebuild (`app.live`). At 5,000 operators that was
0.4 s of the process's time every 3 s: rows turned into values on its loop, a thread making
the operators' values beside it, and the collector walking all of them. Every request in
flight in that process waited meanwhile. Measured on a 5,000-operator soak step, the same
floor without rebuilds answered at p99 38 ms where it answered at 63–67.

So on PostgreSQL each service process hands its rebuilds to a child process of its own,
started with the service for a large floor (`app.live.Hub.start`) and else with the first
rebuild (until it has started, a second or two, the service process builds its floor
itself, so that no stream's first event waits for it). The child keeps
its own connection, tally and shared counts, and sends back the operators that moved
since the snapshot the process holds, not the floor: a few hundred values to unpickle
instead of thousands of rows to read and make.
Should the two disagree on which snapshot the process holds (a rebuild cancelled, a child
started afresh), the child sends the whole floor. The child runs at a lower priority than
the service: on a full machine the requests come first and the floor's events wait.
On SQLite the one service process builds its floor itself (its file admits one writer,
and every transaction there takes the write lock).
"""

import asyncio
import logging
import multiprocessing
import os
import threading
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.process import BaseProcess
from uuid import UUID

from app.collector import settle_collector
from app.counts import BACKGROUND, SharedCounts
from dialer.base.db import create_engine, create_sessionmaker
from dialer.reports.floor import DialerStatus
from dialer.reports.live import OperatorLive, Tally
from dialer.reports.snapshot import Snapshot, snapshot
from dialer.shifts.dated import ShiftView

log = logging.getLogger(__name__)

# One connection: a build and a count of the standings behind it take turns, and a service
# process costs the server one connection more, not two.
POOL_SIZE = 1
# Its priority below the service's (`nice`): the scheduler gives the service's processes
# about nine tenths of a core they both want.
NICER = 10


@dataclass(frozen=True)
class Delta:
    """A snapshot told as what changed since the one the service process holds: the moved
    operators (`moved`; the live shifts as they were), or, with `moved` None, the whole
    floor; the status and the staff (a few) whole. `version` names it for the next build."""

    version: int
    at: datetime
    operators: dict[UUID, OperatorLive]
    moved: frozenset[UUID] | None
    shifts: list[ShiftView]
    status: DialerStatus | None
    staff: Mapping[UUID, int]

    def onto(self, held: Snapshot | None) -> Snapshot:
        """The snapshot this delta tells, applied to the one it was made against."""
        if self.moved is None:
            return Snapshot(self.at, self.operators, self.shifts, self.status, self.staff)
        assert held is not None, "a part of a floor is sent only against a snapshot held"
        # The same operators in the same order (or the whole floor came): only values move.
        operators = held.operators | self.operators
        return Snapshot(self.at, operators, held.shifts, self.status, self.staff)


class Apart:
    """The service process's side: its child, and which of the child's snapshots it holds."""

    def __init__(self, database_url: str) -> None:
        self._url = database_url
        self._child: ProcessPoolExecutor | None = None
        self._started: asyncio.Future[None] | None = None
        self.holds: int | None = None

    def ready(self) -> bool:
        """Whether the child builds now; if none is starting, one starts. Until it has
        started (a second or two) the service process builds its floor itself, so that a
        stream's first event never waits for a child to start."""
        if self._started is None:
            self._child = _child()
            self._started = asyncio.wrap_future(self._child.submit(_start, self._url))
        if not self._started.done():
            return False
        if self._started.cancelled() or self._started.exception() is not None:
            log.error("the live floor's process did not start", exc_info=self._started.exception())
            self.stop()  # another starts with the next build
            return False
        return True

    async def started(self) -> None:
        """Once a child has started (one starts if none is starting)."""
        self.ready()
        assert self._started is not None
        await self._started

    async def build(
        self, held: Snapshot | None, now: datetime, seen: dict[UUID, datetime]
    ) -> tuple[Snapshot, set[UUID] | None]:
        """The floor now, and the operators that moved since `held` (None: all of them),
        from a child that is `ready`."""
        assert self._child is not None, "built apart only once ready"
        have = self.holds if held is not None else None
        # Forgotten first: a build that does not come back leaves nothing it could be
        # mistaken for.
        self.holds = None
        loop = asyncio.get_running_loop()
        try:
            delta = await loop.run_in_executor(self._child, _build, now, seen, have)
        except BrokenProcessPool:
            # The child died (killed, out of memory): the next build starts another.
            self.stop()
            raise
        fresh = delta.onto(held)
        self.holds = delta.version
        return fresh, None if delta.moved is None else set(delta.moved)

    def forget(self) -> None:
        """The process now holds a snapshot the child did not make."""
        self.holds = None

    def stop(self, wait: bool = False) -> None:
        """Let the child go: at once, or (`wait`) once it has ended and its queues are closed,
        as a process that is stopping does (else Python warns of their semaphores at exit)."""
        self._started = None
        if self._child is not None:
            child, self._child = self._child, None
            child.shutdown(wait=wait, cancel_futures=True)


def _child() -> ProcessPoolExecutor:
    # Spawned, not forked: the service process's loop, threads and connections stay there.
    # At its lower priority from the start: importing the service's modules takes it a
    # second or two of CPU, while the floor logs in.
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(1, mp_context=context, initializer=os.nice, initargs=(NICER,))


class _Builder:
    """The child's side: an event loop on a thread of its own, so that the shared counts it
    starts go on between two builds, and the snapshot it sent last."""

    def __init__(self, database_url: str) -> None:
        # A service process killed outright (kill -9) never asks its child to stop.
        parent = multiprocessing.parent_process()
        if parent is not None:
            threading.Thread(target=_end_with, args=(parent,), daemon=True).start()
        self._loop = asyncio.new_event_loop()
        threading.Thread(target=self._loop.run_forever, name="floor", daemon=True).start()
        self._sessionmaker = create_sessionmaker(create_engine(database_url, pool_size=POOL_SIZE))
        self._counts = SharedCounts(self._sessionmaker, lambda: None)
        self._tally = Tally()
        self._sent: Snapshot | None = None
        self._version = 0
        settle_collector()

    def build(self, now: datetime, seen: dict[UUID, datetime], have: int | None) -> Delta:
        made = self._build(now, seen, have)
        return asyncio.run_coroutine_threadsafe(made, self._loop).result()

    async def _build(self, now: datetime, seen: dict[UUID, datetime], have: int | None) -> Delta:
        self._counts.keep_warm(now)
        async with self._sessionmaker() as session:
            await session.connection(execution_options=BACKGROUND)
            fresh = await snapshot(
                session, now, seen=seen, count=self._counts.standings, tally=self._tally
            )
        held = self._sent if have == self._version else None
        moved = fresh.moved_since(held)
        if held is not None and list(held.operators) != list(fresh.operators):
            moved = None  # one came or went, or was renamed: the order is sent whole
        self._sent, self._version = fresh, self._version + 1
        staff = fresh.staff
        if moved is None:
            return Delta(
                self._version, now, fresh.operators, None, fresh.shifts, fresh.status, staff
            )
        changed = {i: fresh.operators[i] for i in moved}
        return Delta(self._version, now, changed, frozenset(moved), [], fresh.status, staff)


def _end_with(parent: BaseProcess) -> None:
    parent.join()  # until the service process is gone, however it went
    os._exit(0)


# The child's one builder, made as it starts (`_start`): a process of the pool lives for the
# service process's life, and one builds for one service process alone.
_builder: _Builder | None = None


def _start(database_url: str) -> None:
    global _builder
    _builder = _Builder(database_url)


def _build(now: datetime, seen: dict[UUID, datetime], have: int | None) -> Delta:
    assert _builder is not None, "a child builds once it has started (`Apart.ready`)"
    return _builder.build(now, seen, have)
