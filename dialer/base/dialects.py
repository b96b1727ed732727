"""Statements whose spelling differs between PostgreSQL and SQLite."""

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import JSON, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


def insert(session: AsyncSession, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that can say ON CONFLICT, in the session's dialect."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def seconds_between(session: AsyncSession, start: Any, end: Any) -> Any:
    """SQL for the seconds from one instant column to another, in the session's dialect."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start)
    # SQLite keeps instants as UTC text (`UTCDateTime`), which julianday reads.
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def json_rows(session: AsyncSession, *columns: Any) -> Any:
    """SQL for one JSON array holding, for each row, an array of these columns, in the
    session's dialect: null over no rows on PostgreSQL, `[]` on SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        return func.json_agg(func.json_build_array(*columns), type_=JSON)
    return func.json_group_array(func.json_array(*columns), type_=JSON)


def once_per_dialect(build: Callable[[AsyncSession], T]) -> Callable[[AsyncSession], T]:
    """`build` run once for each dialect and its result kept: for a statement every request
    sends alike, which SQLAlchemy would otherwise construct anew each time (a statement is
    immutable: a caller adding to it makes another)."""
    built: dict[str, T] = {}

    def of(session: AsyncSession) -> T:
        dialect = session.get_bind().dialect.name
        if dialect not in built:
            built[dialect] = build(session)
        return built[dialect]

    return of
