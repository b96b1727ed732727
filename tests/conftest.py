"""Fixtures: every database test runs on SQLite, and on PostgreSQL when one is given."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.main import create_app
from dialer.base import users
from dialer.base.settings import SchedulerMode, Settings
from tests.builders import TEST_SECRET
from tests.databases import PostgresDatabases, SqliteDatabases, postgres_server_url

# Argon2id at its least cost for the passwords the tests set: the same algorithm and the
# same checks without 64 MiB and three passes a hash (0.1–0.6 s each on two cores, and the
# builders log hundreds of users in). A hash carries its parameters, so the live servers
# verify these as cheaply; the service's own hasher is untouched.
users._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)

BACKENDS = ["sqlite", "postgresql"] if postgres_server_url() else ["sqlite"]


@pytest.fixture(scope="session")
def sqlite_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqliteDatabases]:
    databases = SqliteDatabases(Path(tmp_path_factory.mktemp("sqlite")))
    yield databases
    databases.close()


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    server = postgres_server_url()
    assert server is not None
    # A URL that is set but unreachable fails here, loudly: never a skip.
    databases = PostgresDatabases(server)
    yield databases
    databases.close()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A freshly migrated database of its own for one test."""
    name = "sqlite_databases" if request.param == "sqlite" else "postgres_databases"
    databases = request.getfixturevalue(name)
    url: str = databases.fresh()
    yield url
    databases.drop(url)


@pytest.fixture
def production_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One fresh database of the production kind: PostgreSQL when given, else SQLite."""
    name = "postgres_databases" if postgres_server_url() else "sqlite_databases"
    databases = request.getfixturevalue(name)
    url: str = databases.fresh()
    yield url
    databases.drop(url)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        scheduler=SchedulerMode.OFF,
        secret_key=TEST_SECRET,
        sip_domain=None,
        public_url="http://cascade.test",
        recordings_url=str(tmp_path / "recordings"),
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def sessionmaker(app: FastAPI) -> async_sessionmaker[AsyncSession]:
    maker: async_sessionmaker[AsyncSession] = app.state.sessionmaker
    return maker


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://cascade.test") as c:
        yield c
