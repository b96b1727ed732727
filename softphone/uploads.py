"""The recordings' outbox: one Ogg file per attempt on disk, sent until the service has it.

A recording is moved into the folder as `<attempt id>.ogg` (a rename, so the folder
holds only whole files) once its attempt exists, and removed only when the service
answered 201 (kept) or 200 (it already had this very audio). A connector stopped with
files in the folder sends them when it starts again; a service that is down is waited
for, as with the call events.
"""

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

from softphone.api import Service
from softphone.backoff import Backoff

KEPT = frozenset({200, 201})
TOO_MANY = 429


class Uploads:
    """Owns the recordings' folder: `put()` queues a file, `run()` sends, `drained()` waits."""

    def __init__(
        self,
        folder: Path,
        service: Service,
        say: Callable[[str], None],
        backoff: Callable[[], Backoff] = Backoff,
    ) -> None:
        self.folder = folder
        self.service = service
        self.say = say
        self.backoff = backoff
        folder.mkdir(parents=True, exist_ok=True)
        self._changed = asyncio.Event()
        self._empty = asyncio.Event()
        self._update()

    def waiting(self) -> list[Path]:
        """The recordings not yet taken, oldest first."""
        return sorted(self.folder.glob("*.ogg"), key=lambda p: p.stat().st_mtime)

    def put(self, attempt_id: str, source: Path) -> None:
        """Queue the attempt's recording (moved, durably, into the folder)."""
        target = self.folder / f"{attempt_id}.ogg"
        os.replace(source, target)
        descriptor = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        self._update()

    async def drained(self) -> None:
        """Return once the service has every recording queued so far."""
        await self._empty.wait()

    async def run(self) -> None:
        """Send forever, oldest first."""
        while True:
            await self._changed.wait()
            for path in self.waiting():
                await self._send(path)
            self._update()

    async def _send(self, path: Path) -> None:
        backoff = self.backoff()
        attempt_id = path.stem
        while True:
            answer = await self.service.put_recording(attempt_id, path.read_bytes())
            if answer.status_code in KEPT:
                path.unlink()
                self.say(f"recording of attempt {attempt_id} sent")
                return
            if answer.status_code != TOO_MANY and answer.status_code < 500:
                aside = path.with_suffix(".refused")
                path.replace(aside)
                self.say(
                    f"service: refused the recording of attempt {attempt_id} "
                    f"({answer.status_code} {answer.text[:200]}); kept in {aside}"
                )
                return
            await backoff.wait()

    def _update(self) -> None:
        if self.waiting():
            self._empty.clear()
            self._changed.set()
        else:
            self._changed.clear()
            self._empty.set()
