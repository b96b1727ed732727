"""Test databases: migrated once per run into a template, copied for each test."""

import itertools
import os
import shutil
import uuid
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from dialer.base import schema

POSTGRES_ENV = "CASCADE_TEST_POSTGRES_URL"
_counter = itertools.count()
_RUN = uuid.uuid4().hex[:8]


def postgres_server_url() -> str | None:
    """The PostgreSQL the tests may use, when CI or a developer set one."""
    return os.environ.get(POSTGRES_ENV) or None


def _admin_conninfo(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _admin(url: str, statement: sql.Composable) -> None:
    with psycopg.connect(_admin_conninfo(url), autocommit=True) as connection:
        connection.execute(statement)


def _create(name: str, template: str | None = None) -> sql.Composable:
    if template is None:
        return sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    return sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
        sql.Identifier(name), sql.Identifier(template)
    )


def _drop(name: str) -> sql.Composable:
    return sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))


class PostgresDatabases:
    """A migrated template database, and throwaway copies of it."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.template = f"cascade_tmpl_{_RUN}"
        _admin(server_url, _drop(self.template))
        _admin(server_url, _create(self.template))
        schema.upgrade(_with_database(server_url, self.template))
        self.created: list[str] = []

    def fresh(self, source: str | None = None) -> str:
        """A copy of the migrated template, or of the database given (no one connected)."""
        name = f"cascade_t_{_RUN}_{next(_counter)}"
        template = self.template if source is None else make_url(source).database
        _admin(self.server_url, _create(name, template))
        self.created.append(name)
        return _with_database(self.server_url, name)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        assert name is not None
        _admin(self.server_url, _drop(name))

    def close(self) -> None:
        _admin(self.server_url, _drop(self.template))


class SqliteDatabases:
    """A migrated SQLite file, copied for each test."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.template = folder / "template.db"
        schema.upgrade(f"sqlite:///{self.template}")

    def fresh(self, source: str | None = None) -> str:
        """A copy of the migrated template, or of the database given (no one connected)."""
        path = self.folder / f"test_{next(_counter)}.db"
        shutil.copyfile(self.template if source is None else _sqlite_file(source), path)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        database = _sqlite_file(url)
        for suffix in ("", "-wal", "-shm"):
            Path(database + suffix).unlink(missing_ok=True)

    def close(self) -> None:
        self.template.unlink(missing_ok=True)


def _sqlite_file(url: str) -> str:
    database = make_url(url).database
    assert database is not None
    return database
