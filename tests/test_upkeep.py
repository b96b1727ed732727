"""Tables kept clean where the server's autovacuum is off: autovacuum's rule, applied."""

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from dialer.base.clock import utcnow
from dialer.base.db import create_engine
from dialer.base.upkeep import TableStats, Upkeep, keep_tables, needs, table_stats
from scheduler.jobs import KEEP_TABLES, PERIODIC_JOBS

# PostgreSQL's own defaults.
SERVER = {
    "autovacuum_vacuum_threshold": "50",
    "autovacuum_vacuum_scale_factor": "0.2",
    "autovacuum_vacuum_insert_threshold": "1000",
    "autovacuum_vacuum_insert_scale_factor": "0.2",
    "autovacuum_analyze_threshold": "50",
    "autovacuum_analyze_scale_factor": "0.1",
}
# What migration 0003 sets on the contact table.
CONTACT = {
    "fillfactor": "80",
    "autovacuum_vacuum_scale_factor": "0",
    "autovacuum_vacuum_threshold": "20000",
    "autovacuum_vacuum_cost_delay": "0",
    "autovacuum_analyze_scale_factor": "0.02",
}


def stats(
    rows: float,
    dead: int = 0,
    inserted: int = 0,
    modified: int = 0,
    options: dict[str, str] | None = None,
) -> TableStats:
    return TableStats("t", rows, dead, inserted, modified, options or {})


def test_a_table_is_vacuumed_once_its_dead_rows_pass_the_servers_threshold() -> None:
    # 50 + 0.2 × 1,000 = 250 dead rows allowed.
    assert needs(stats(1_000, dead=250), SERVER) == Upkeep("t", vacuum=False, analyze=False)
    assert needs(stats(1_000, dead=251), SERVER) == Upkeep("t", vacuum=True, analyze=False)


def test_the_tables_own_settings_win_over_the_servers() -> None:
    # A fixed 20,000 on 2M contacts, where the server's rule would wait for 400,050.
    assert not needs(stats(2_000_000, dead=20_000, options=CONTACT), SERVER).vacuum
    assert needs(stats(2_000_000, dead=20_001, options=CONTACT), SERVER).vacuum
    # Analyzed past 2 % of its rows changed, not 10 %.
    assert needs(stats(2_000_000, modified=40_051, options=CONTACT), SERVER).analyze
    assert not needs(stats(2_000_000, modified=40_050, options=CONTACT), SERVER).analyze


def test_inserts_alone_call_for_a_vacuum_unless_the_rule_is_off() -> None:
    assert needs(stats(1_000, inserted=1_201), SERVER).vacuum
    assert not needs(stats(1_000, inserted=1_200), SERVER).vacuum
    switched_off = {**SERVER, "autovacuum_vacuum_insert_threshold": "-1"}
    assert not needs(stats(1_000, inserted=10**9), switched_off).vacuum


def test_a_table_never_counted_has_no_rows_and_one_switched_off_is_left_alone() -> None:
    assert needs(stats(-1, dead=51, modified=51), SERVER) == Upkeep("t", True, True)
    off = stats(-1, dead=10**6, modified=10**6, options={"autovacuum_enabled": "false"})
    assert needs(off, SERVER) == Upkeep("t", vacuum=False, analyze=False)


def test_the_scheduler_keeps_the_tables() -> None:
    assert KEEP_TABLES in PERIODIC_JOBS


@pytest.fixture
async def engine(production_database_url: str) -> AsyncIterator[AsyncEngine]:
    built = create_engine(production_database_url)
    yield built
    await built.dispose()


async def _autovacuum(engine: AsyncEngine) -> str:
    async with engine.connect() as connection:
        return str(await connection.scalar(text("SHOW autovacuum")))


async def _beat_counts(engine: AsyncEngine) -> tuple[int, int]:
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                text(
                    "SELECT n_dead_tup, vacuum_count FROM pg_stat_user_tables"
                    " WHERE relname = 'scheduler_beat'"
                )
            )
        ).one()
        return int(row[0]), int(row[1])


async def test_dead_rows_past_the_threshold_are_vacuumed_when_autovacuum_is_off(
    engine: AsyncEngine,
) -> None:
    if engine.dialect.name != "postgresql":
        # SQLite has no vacuum debt of this kind: nothing to do there.
        assert await keep_tables(engine) == []
        return
    async with engine.connect() as connection:
        tables = {table.name: table for table in await table_stats(connection)}
    # The queue's tables are judged by the settings their migration gave them.
    assert tables["contact"].options == CONTACT
    async with engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO scheduler_beat (name, beat_at) VALUES ('upkeep', :now)"),
            {"now": utcnow()},
        )
    async with engine.begin() as connection:
        # 60 dead versions of one row, past the server's 50 + 0.2 × (almost no rows).
        for _ in range(60):
            await connection.execute(
                text("UPDATE scheduler_beat SET beat_at = :now WHERE name = 'upkeep'"),
                {"now": utcnow()},
            )
        await connection.execute(text("SELECT pg_stat_force_next_flush()"))
    assert (await _beat_counts(engine))[0] >= 60

    done = await keep_tables(engine)

    if await _autovacuum(engine) == "on":
        # The server's autovacuum looks after the tables: Cascade leaves them to it.
        assert done == []
        return
    assert Upkeep("scheduler_beat", vacuum=True, analyze=True) in done
    assert await _beat_counts(engine) == (0, 1)
    # Nothing else is due any more: a second run right after does nothing.
    assert await keep_tables(engine) == []
