"""Engines, sessions and the column types every table shares."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import TIMESTAMP, ClauseElement, Dialect, Engine, event
from sqlalchemy import create_engine as create_sync_engine_of_url
from sqlalchemy.dialects import registry
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util import greenlet_spawn

from dialer.base import folds

# A writer waits this long for SQLite's lock before giving up; long enough that
# "database is locked" never reaches a client under the load one process can make.
SQLITE_BUSY_TIMEOUT_MS = 30_000
DEFAULT_POOL_SIZE = 12
GENERIC_PLANS = "force_generic_plan"


class UTCDateTime(TypeDecorator[datetime]):
    """An aware instant, stored in UTC; naive datetimes are refused."""

    impl = TIMESTAMP(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: pass an aware instant")
        value = value.astimezone(UTC)
        # SQLite has no zone type: keep UTC text that sorts as time does.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _url(url: str) -> URL:
    parsed = make_url(url)
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ValueError(f"unsupported database: {parsed.get_backend_name()}")
    return parsed


def async_url(url: str) -> URL:
    """The URL with the async driver the service uses for requests."""
    parsed = _url(url)
    driver = "aiosqlite" if parsed.get_backend_name() == "sqlite" else "asyncpg"
    return parsed.set(drivername=f"{parsed.get_backend_name()}+{driver}")


def sync_url(url: str) -> URL:
    """The URL with the sync driver used by migrations and bulk import."""
    parsed = _url(url)
    driver = "pysqlite" if parsed.get_backend_name() == "sqlite" else "psycopg"
    return parsed.set(drivername=f"{parsed.get_backend_name()}+{driver}")


def is_sqlite(url: str) -> bool:
    """True for the embedded database."""
    return _url(url).get_backend_name() == "sqlite"


def configure_sqlite(dbapi_connection: Any) -> None:
    """WAL, full sync, foreign keys and a busy timeout on every new connection."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()
    dbapi_connection.create_function(folds.SQL_FUNCTION, 1, folds.company_key, deterministic=True)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control from the driver so that every transaction begins
    # IMMEDIATE: a claim then holds the write lock from its first read.
    dbapi_connection.isolation_level = None
    configure_sqlite(dbapi_connection)


def _on_sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine for the request path and the scheduler."""
    if is_sqlite(url):
        ensure_sqlite_folder(url)
        # One connection per process: SQLite admits one writer at a time and every
        # transaction here takes the write lock, so more connections would only
        # poll each other through the busy handler (measured: requests starved for
        # seconds under 16 concurrent operators) while one queues them fairly.
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("pool_timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        engine = create_async_engine(async_url(url), **kwargs)
        event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
        event.listen(engine.sync_engine, "begin", _on_sqlite_begin)
        return engine
    # Every process holds up to pool_size connections: with the default, four app
    # instances and a scheduler stay within PostgreSQL's default 100 connections
    # (measured: 4 workers at 20 + 20 each failed 200 concurrent operators with resets).
    # No overflow: a connection opened for a burst and closed after it costs a new
    # backend, the driver's type introspection and every statement prepared again
    # (measured: a fifth of next-call's time at 16 operators on a pool of 8 + 4);
    # a request that finds the pool busy waits for a connection instead.
    kwargs.setdefault("pool_size", DEFAULT_POOL_SIZE)
    kwargs.setdefault("max_overflow", 0)
    # Plan each prepared statement once per connection. PostgreSQL's default re-plans a
    # statement for its parameters whenever a generic plan looks costlier on paper, and
    # for the claim it always does: planning cost more than running it (measured: 1.9 ms
    # a claim re-planned each time, 0.7 ms on its generic plan, on 100k contacts). Every
    # statement here is a point or range lookup on indexed columns, which a generic plan
    # serves as well. No JIT compilation either: the planner's guess at a batch claim
    # of unknown size (`dialer.queue.claims.claim_batch`) crossed its cost threshold, and
    # compiling took over 100 ms a call where running took 1.
    # The driver keeps statements up to 15 KiB prepared; the batch claim's text is larger
    # (16 KiB for eleven open zones) and was parsed and planned again on every call.
    kwargs.setdefault(
        "connect_args",
        {
            "server_settings": {"plan_cache_mode": GENERIC_PLANS, "jit": "off"},
            "max_cacheable_statement_size": 256 * 1024,
        },
    )
    return create_async_engine(async_url(url), **kwargs)


def create_sync_engine(url: str, **kwargs: Any) -> Engine:
    """A sync engine with the same SQLite settings, for bulk work in a thread."""
    engine = create_sync_engine_of_url(sync_url(url), **kwargs)
    if is_sqlite(url):
        ensure_sqlite_folder(url)
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite database; None for PostgreSQL or an in-memory database."""
    if not is_sqlite(url):
        return None
    database = _url(url).database
    return Path(database) if database and database != ":memory:" else None


def ensure_sqlite_folder(url: str) -> None:
    """Create the folder of an SQLite file so the first connection can create it."""
    if (database := sqlite_path(url)) is not None:
        database.parent.mkdir(parents=True, exist_ok=True)


@asynccontextmanager
async def driver_connection(engine: AsyncEngine) -> AsyncIterator[Any]:
    """The driver's own connection from the engine's pool, outside any transaction.

    For a hot path of one statement, where a Session and its transaction cost more
    than the statement. A failure other than the server refusing the statement (a
    dropped link, a cancellation) may leave the connection unusable: it is closed
    rather than handed to the next request.
    """
    pooled = await engine.raw_connection()
    try:
        yield pooled.driver_connection
    except BaseException as error:
        if not isinstance(error, asyncpg.PostgresError):
            await greenlet_spawn(pooled.invalidate, error)
        raise
    finally:
        # Returning a connection may close it, which the driver does by awaiting.
        await greenlet_spawn(pooled.close)


@asynccontextmanager
async def autocommit_session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session whose every statement is its own transaction (PostgreSQL).

    For a hot path of a few statements that each stand alone, read or guarded write, where
    BEGIN and COMMIT would be two more round trips. The pool gives the connection back at
    its usual isolation.
    """
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        async with AsyncSession(bind=connection, expire_on_commit=False) as session:
            yield session


@lru_cache(maxsize=16)
def driver_statement(statement: ClauseElement) -> tuple[str, tuple[str, ...]]:
    """A statement in asyncpg's own parameter style, and its parameters' names in order."""
    compiled = statement.compile(dialect=registry.load("postgresql.asyncpg")())
    assert isinstance(compiled, SQLCompiler)  # a statement, not DDL
    return str(compiled), tuple(compiled.positiontup or ())


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)
