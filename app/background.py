"""Imports running in the background of the service, and what start-up and shutdown do."""

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request

from dialer.base.clock import utcnow
from dialer.contacts.imports.jobs import fail_abandoned_imports
from dialer.contacts.imports.run import ImportJob


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
    async with app.state.sessionmaker.begin() as session:
        await fail_abandoned_imports(session, started_at, utcnow())
    app.state.imports = tasks = ImportTasks()
    try:
        yield
    finally:
        await tasks.stop()
