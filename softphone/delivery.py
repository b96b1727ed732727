"""Sending the outbox to the service in order, one event at a time, until each is taken."""

import asyncio
from collections.abc import Callable
from pathlib import Path

from softphone.api import Service
from softphone.backoff import Backoff
from softphone.outbox import Outbox, Record

ACCEPTED = 202
TOO_MANY = 429


class Delivery:
    """Owns the outbox: `put()` keeps an event on disk, `run()` sends, `drained()` waits."""

    def __init__(
        self,
        outbox: Outbox,
        service: Service,
        say: Callable[[str], None],
        backoff: Callable[[], Backoff] = Backoff,
    ) -> None:
        self.outbox = outbox
        self.service = service
        self.say = say
        self.backoff = backoff
        self._waiting = asyncio.Event()
        self._empty = asyncio.Event()
        self._changed()

    def put(self, record: Record) -> None:
        """Keep the event on disk; it is sent after every event put before it."""
        self.outbox.append(record)
        self._changed()

    def __len__(self) -> int:
        return len(self.outbox)

    async def drained(self) -> None:
        """Return once the service has taken every event put so far."""
        await self._empty.wait()

    async def run(self) -> None:
        """Send forever: the head of the outbox, then the next, as soon as they are there."""
        while True:
            await self._waiting.wait()
            record = self.outbox.head()
            if record is None:
                self._changed()
                continue
            await self._deliver(record)
            self._changed()

    async def _deliver(self, record: Record) -> None:
        backoff = self.backoff()
        while True:
            answer = await self.service.post_event(record)
            if answer.status_code == ACCEPTED:
                self.outbox.remove_head()
                return
            if answer.status_code != TOO_MANY and answer.status_code < 500:
                # The service will never take it (a 4xx other than 429): keep it beside
                # the outbox for a person to look at, and let the events after it go.
                aside = self.outbox.set_aside(record, f"{answer.status_code} {answer.text[:300]}")
                self.say(f"service: refused an event ({answer.status_code}); kept in {aside}")
                return
            await backoff.wait()

    def _changed(self) -> None:
        if len(self.outbox):
            self._empty.clear()
            self._waiting.set()
        else:
            self._waiting.clear()
            self._empty.set()


def outbox_path(folder: Path, operator_id: str) -> Path:
    """One outbox per operator: events are posted with that operator's token only."""
    return folder / f"outbox-{operator_id}.jsonl"
