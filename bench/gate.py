"""`make bench-gate`: how long the dial gate takes to answer, on SQLite and PostgreSQL.

Seeds a floor (the default templates, 50 operators rostered and clocked in on the open shift,
some pauses of other operators and of a past shift) and asks `may_dial` for a permit many
times from one session, as next-call does; prints the median, 99th percentile and calls per
second of one connection.

    python -m bench.gate [--calls N] [--postgres URL]
"""

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from dialer.base import schema
from dialer.base.clock import utcnow
from dialer.base.db import create_engine, create_sessionmaker
from dialer.base.models import PauseReason, Role
from dialer.base.users import NewUser, create_user
from dialer.shifts.attendance import clock_in, set_roster
from dialer.shifts.dated import SCHEDULER, live_shifts
from dialer.shifts.gate import may_dial
from dialer.shifts.pauses import pause_operator
from dialer.shifts.templates import TemplateSpec, create_template

OPERATORS = 50


async def seed(url: str) -> uuid.UUID:
    """A floor with an open shift around now; the id of one clocked-in operator."""
    now = utcnow()
    engine = create_engine(url)
    async with create_sessionmaker(engine).begin() as session:
        start = (now - timedelta(hours=1)).time().replace(second=0, microsecond=0)
        end = (now + timedelta(hours=3)).time().replace(second=0, microsecond=0)
        spec = TemplateSpec("Bench", start, end, tuple(range(1, 8)), "UTC")
        await create_template(session, spec, SCHEDULER, now)
        shift = (await live_shifts(session, now))[0]
        ids = []
        for i in range(OPERATORS):
            new = NewUser(f"op{i}", "bench-password", f"Op {i}", Role.OPERATOR)
            ids.append((await create_user(session, new, now)).id)
        await set_roster(session, shift.id, ids, now)
        for operator_id in ids:
            await clock_in(session, operator_id, now)
        for operator_id in ids[1:10]:
            await pause_operator(session, operator_id, PauseReason.SUPERVISOR, "x", ids[0], now)
    await engine.dispose()
    return ids[0]


async def measure(url: str, calls: int) -> list[float]:
    """Seconds per permit, one session like a request's."""
    operator_id = await seed(url)
    engine = create_engine(url)
    maker = create_sessionmaker(engine)
    timings = []
    for _ in range(calls):
        async with maker() as session:
            began = time.perf_counter()
            await may_dial(session, operator_id, utcnow())
            timings.append(time.perf_counter() - began)
    await engine.dispose()
    return timings


def report(name: str, timings: list[float]) -> None:
    """Print the figures of one database."""
    ordered = sorted(timings)
    p99 = ordered[int(len(ordered) * 0.99) - 1]
    print(
        f"{name:<10} median {statistics.median(ordered) * 1000:.3f} ms   "
        f"p99 {p99 * 1000:.3f} ms   {len(ordered) / sum(ordered):,.0f} permits/s on one connection"
    )


def postgres_database(server: str) -> tuple[str, str]:
    """A fresh database on the server: its URL and name."""
    name = f"cascade_bench_gate_{uuid.uuid4().hex[:8]}"
    admin = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return make_url(server).set(database=name).render_as_string(hide_password=False), admin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--postgres", help="a server the benchmark may create a database on")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'gate.db'}"
        schema.upgrade(url)
        report("sqlite", asyncio.run(measure(url, args.calls)))
    if args.postgres:
        url, admin = postgres_database(args.postgres)
        try:
            schema.upgrade(url)
            report("postgresql", asyncio.run(measure(url, args.calls)))
        finally:
            name = make_url(url).database
            assert name is not None  # postgres_database made it
            with psycopg.connect(admin, autocommit=True) as connection:
                connection.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


if __name__ == "__main__":
    main()
