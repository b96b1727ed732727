"""Running an import: rows read here, normalised in worker processes, written in batches.

Each batch is committed with the import's counts, so progress is visible while it runs and
the contacts already imported can be called. The job holds one connection for its whole
run; on PostgreSQL that connection also holds an advisory lock named after the import, so
any instance can tell a running import from one whose process died (`dialer.contacts.imports.jobs`).
"""

import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, insert, select, text, update
from sqlalchemy.pool import NullPool

from dialer.base.db import create_sync_engine, is_sqlite
from dialer.base.errors import NotFound
from dialer.base.models import Campaign, ContactImport, ImportStatus
from dialer.contacts.imports.files import Block, CsvFormat, Refused, read_blocks
from dialer.contacts.imports.rows import Plan, Prepared, Tally, prepare, refused
from dialer.contacts.imports.stores import PostgresStore, SqliteStore, Store
from dialer.contacts.imports.worker import Workers, in_order

log = logging.getLogger(__name__)

# About 8,000 rows of a typical base: one batch, one commit. Smaller blocks spend more
# on round trips and commits than on rows; larger ones cost each process tens of
# megabytes for no gain in speed.
BLOCK_CHARS = 1 << 19
# Connections writing an import's chunks at once on PostgreSQL: one per core of a
# small server, each keeping the indexes for its own chunk.
WRITERS = 2
# Below this size starting worker processes costs more than it saves.
INLINE_BELOW = 1 << 20
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"
STOPPED = "The import was stopped before it finished; the contacts counted here were imported."
# What a person reads; the error itself, with a worker's traceback and the server's
# paths, goes to the log under the import's id.
FAILED = (
    "The import stopped on an unexpected error; the contacts counted here were imported, "
    "the rest of the file was not. The service's log has the details."
)

Progress = Callable[[int, "Tally"], None]


class ImportStopped(Exception):
    """The import must end now: the service is stopping or the import was marked failed."""


def default_workers(size: int) -> int:
    """Worker processes for a file: none for a small one, one per core for a large one."""
    return 0 if size < INLINE_BELOW else min(os.cpu_count() or 1, 4)


def lock_key(import_id: uuid.UUID) -> int:
    """The advisory lock a running import holds on PostgreSQL."""
    return int.from_bytes(import_id.bytes[:8], "big", signed=True)


class ImportJob:
    """One import of one file into one campaign, on a connection of its own."""

    def __init__(
        self,
        url: str,
        path: Path,
        fmt: CsvFormat,
        *,
        region: str,
        key: str,
        clock: Callable[[], datetime],
        workers: int | None = None,
    ) -> None:
        self.url, self.path, self.fmt = url, path, fmt
        self.region, self.key, self.clock = region, key, clock
        self.workers = default_workers(fmt.size) if workers is None else workers
        # NullPool: closing the connection ends the session, and with it the lock.
        self.engine = create_sync_engine(url, poolclass=NullPool)
        self.conn: Connection | None = None
        self.import_id: uuid.UUID | None = None
        self.status = ImportStatus.RUNNING

    def open(
        self, campaign_id: uuid.UUID, filename: str | None, actor_id: uuid.UUID | None
    ) -> uuid.UUID:
        """Record the import as running, committed; on PostgreSQL its lock is taken first."""
        self.import_id = import_id = uuid.uuid4()
        self.conn = conn = self.engine.connect()
        try:
            if not is_sqlite(self.url):
                conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": lock_key(import_id)})
            if conn.scalar(select(Campaign.id).where(Campaign.id == campaign_id)) is None:
                raise NotFound("There is no such campaign.")
            counts = dict.fromkeys(("rows", "imported", "duplicates", "do_not_call", "invalid"), 0)
            conn.execute(
                insert(ContactImport).values(
                    id=import_id,
                    campaign_id=campaign_id,
                    filename=filename,
                    status=ImportStatus.RUNNING,
                    errors=[],
                    created_by=actor_id,
                    created_at=self.clock(),
                    **counts,
                )
            )
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        return import_id

    def run(self, progress: Progress | None = None, stop: threading.Event | None = None) -> Tally:
        """Import every row; the report's counts, whether it finished or failed."""
        assert self.conn is not None
        assert self.import_id is not None
        tally = Tally()

        def save(conn: Connection, batch: Tally) -> None:
            self._save(conn, tally, batch, ImportStatus.RUNNING)

        try:
            with self._store() as store:
                blocks = read_blocks(self.path, self.fmt, BLOCK_CHARS)
                chunks = prepared_blocks(store.plan, blocks, self.workers)
                with closing(store.batches(chunks, save)) as batches:
                    for batch, position in batches:
                        tally.add(batch)
                        if progress:
                            progress(position, tally)
                        if stop is not None and stop.is_set():
                            raise ImportStopped(STOPPED)
                with self.conn.begin():
                    store.sweep_do_not_call()
                    store.sweep_clients()
                    self._save(self.conn, tally, Tally(), ImportStatus.DONE)
            self.status = ImportStatus.DONE
        except Exception as error:
            self._fail(tally, error)
        return tally

    def close(self) -> None:
        """Release the connection (and the lock) and the engine."""
        if self.conn is not None:
            self.conn.close()
        self.engine.dispose()

    def _store(self) -> Store:
        assert self.conn is not None
        assert self.import_id is not None
        row = self.conn.execute(
            select(ContactImport.campaign_id, Campaign.timezone)
            .join(Campaign, Campaign.id == ContactImport.campaign_id)
            .where(ContactImport.id == self.import_id)
        ).one()
        self.conn.rollback()
        now = self.clock()
        sqlite = is_sqlite(self.url)
        plan = Plan(
            columns=self.fmt.columns,
            delimiter=self.fmt.delimiter,
            region=self.region,
            key=self.key,
            campaign_zone=row.timezone,
            output="rows" if sqlite else "copy",
            campaign_id=row.campaign_id,
            import_id=self.import_id,
            # As each database stores an instant: SQLite as UTC text, as SQLAlchemy does.
            now_text=now.astimezone(UTC).strftime(SQLITE_TIME) if sqlite else now.isoformat(),
        )
        if sqlite:
            return SqliteStore(self.conn, plan)
        others = [self.engine.connect() for _ in range(WRITERS - 1)]
        return PostgresStore(self.conn, plan, others, self.fmt.size)

    def _save(self, conn: Connection, tally: Tally, batch: Tally, status: ImportStatus) -> None:
        total = Tally()
        total.add(tally)
        total.add(batch)
        values = total.values()
        if len(total.errors) == len(tally.errors):
            # Unchanged: the report's first errors are written again only when they grow.
            del values["errors"]
        if status is not ImportStatus.RUNNING:
            values["finished_at"] = self.clock()
        done = conn.execute(
            update(ContactImport)
            .where(ContactImport.id == self.import_id, ContactImport.status == ImportStatus.RUNNING)
            .values(status=status, **values)
        )
        if done.rowcount != 1:
            raise ImportStopped("The import was marked failed while it ran; it stopped there.")

    def _fail(self, tally: Tally, error: Exception) -> None:
        assert self.conn is not None
        if not isinstance(error, ImportStopped):
            log.exception("import %s failed", self.import_id)
        self.status = ImportStatus.FAILED
        reason = str(error) if isinstance(error, ImportStopped) else FAILED
        self.conn.rollback()
        tally.errors.insert(0, {"line": None, "reason": reason})
        with self.conn.begin():
            self.conn.execute(
                update(ContactImport)
                .where(ContactImport.id == self.import_id)
                .values(status=ImportStatus.FAILED, finished_at=self.clock(), **tally.values())
            )


def prepared_blocks(
    plan: Plan, blocks: Iterator[Block | Refused], workers: int
) -> Iterator[tuple[Prepared, int]]:
    """The blocks prepared, in file order; in worker processes when there are any."""
    if workers == 0:
        for block in blocks:
            if isinstance(block, Refused):
                yield refused(block.line, block.reason), block.position
            else:
                yield prepare(plan, block.line, block.text), block.position
        return
    pool = Workers(workers)
    try:
        yield from in_order(pool, plan, blocks)
    finally:
        pool.close()
