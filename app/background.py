"""Imports running in the background of the service, and what start-up and shutdown do."""

import asyncio
import logging
import os
import tempfile
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request

from dialer.base.clock import utcnow
from dialer.contacts.imports.jobs import fail_abandoned_imports
from dialer.contacts.imports.run import ImportJob

log = logging.getLogger(__name__)

# Uploaded files wait here while they are imported, named after the process importing
# them: one killed (kill -9, a power cut) leaves its files, which the next start removes.
UPLOADS = Path(tempfile.gettempdir()) / "cascade-imports"


def upload_file() -> tuple[int, Path]:
    """A new, private file for an upload: its descriptor and path."""
    UPLOADS.mkdir(mode=0o700, exist_ok=True)
    descriptor, name = tempfile.mkstemp(prefix=f"{os.getpid()}-", suffix=".csv", dir=UPLOADS)
    return descriptor, Path(name)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    return True


def remove_orphan_uploads() -> int:
    """Remove the uploads of processes that are gone; how many there were.

    Other instances on this machine keep theirs: only a file whose process no longer
    runs is removed (a number reused by a new process keeps it until a later start).
    """
    removed = 0
    for path in UPLOADS.glob("*-*.csv") if UPLOADS.is_dir() else ():
        pid = path.name.split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            path.unlink(missing_ok=True)
            removed += 1
    if removed:
        log.info("removed %d upload(s) left by stopped processes", removed)
    return removed


class ImportTasks:
    """The imports this process runs: each a thread of its own, stopped at shutdown."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[None]] = set()
        self.stopping = threading.Event()

    def start(self, job: ImportJob, path: Path) -> None:
        """Run the opened job in a thread; the file is removed when it ends."""
        task = asyncio.create_task(self._run(job, path))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def drain(self) -> None:
        """Wait until every running import has ended."""
        await asyncio.gather(*self.tasks)

    async def stop(self) -> None:
        """Ask the imports to stop after their current batch, and wait for them."""
        self.stopping.set()
        await self.drain()

    async def _run(self, job: ImportJob, path: Path) -> None:
        try:
            await asyncio.to_thread(job.run, None, self.stopping)
        finally:
            await asyncio.to_thread(job.close)
            path.unlink(missing_ok=True)


def import_tasks(request: Request) -> ImportTasks:
    tasks: ImportTasks = request.app.state.imports
    return tasks


@asynccontextmanager
async def running_imports(app: FastAPI) -> AsyncIterator[None]:
    """Fail the imports a dead process left running, then run this process's own."""
    app.state.started_at = started_at = utcnow()
    await asyncio.to_thread(remove_orphan_uploads)
    async with app.state.sessionmaker.begin() as session:
        await fail_abandoned_imports(session, started_at, utcnow())
    app.state.imports = tasks = ImportTasks()
    try:
        yield
    finally:
        await tasks.stop()
