"""Vacuum where the server does not: Cascade's tables kept clean with autovacuum off.

The queue updates contact and lease rows all day, and every update leaves a dead row
version that claims step over until a vacuum removes it. PostgreSQL's autovacuum does
that on the thresholds migration 0003 sets per table. A server run with autovacuum off
(some managed and test configurations) would let the queue slow down for good (measured:
next-plus-outcome fell from 198 to 101 rounds/s over 20,000 rounds on 2M contacts, the
database's CPU per round from 3.5 to 12.3 ms). There the scheduler applies autovacuum's
own rule with the same settings: a table is vacuumed once its dead rows (or rows inserted
since its last vacuum) pass threshold + scale factor × its rows, and analyzed once its
changed rows pass the analyze threshold. With autovacuum on it does nothing.
"""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

# autovacuum's settings, as server-wide names; a table's storage parameters of the same
# name override them.
VACUUM_THRESHOLD = "autovacuum_vacuum_threshold"
VACUUM_SCALE = "autovacuum_vacuum_scale_factor"
INSERT_THRESHOLD = "autovacuum_vacuum_insert_threshold"
INSERT_SCALE = "autovacuum_vacuum_insert_scale_factor"
ANALYZE_THRESHOLD = "autovacuum_analyze_threshold"
ANALYZE_SCALE = "autovacuum_analyze_scale_factor"
SETTINGS = (
    VACUUM_THRESHOLD,
    VACUUM_SCALE,
    INSERT_THRESHOLD,
    INSERT_SCALE,
    ANALYZE_THRESHOLD,
    ANALYZE_SCALE,
)

_SETTINGS = text(
    "SELECT name, setting FROM pg_settings WHERE name = 'autovacuum' OR name = ANY(:names)"
)
_TABLES = text(
    """
    SELECT s.relname, c.reltuples, s.n_dead_tup, s.n_ins_since_vacuum, s.n_mod_since_analyze,
           c.reloptions
    FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
    WHERE s.schemaname = current_schema()
    ORDER BY s.relname
    """
)


@dataclass(frozen=True)
class TableStats:
    """What the statistics say of one table since its last vacuum and analyze."""

    name: str
    rows: float
    dead: int
    inserted: int
    modified: int
    options: Mapping[str, str]


@dataclass(frozen=True)
class Upkeep:
    """What a table needs now."""

    table: str
    vacuum: bool
    analyze: bool


def needs(table: TableStats, server: Mapping[str, str]) -> Upkeep:
    """autovacuum's rule for one table: vacuum, analyze, both or neither."""
    if table.options.get("autovacuum_enabled", "true").lower() in ("false", "off", "0"):
        return Upkeep(table.name, vacuum=False, analyze=False)
    # Never vacuumed nor analyzed, PostgreSQL counts its rows as -1: no rows yet.
    rows = max(table.rows, 0.0)

    def limit(threshold: str, scale: str) -> float | None:
        base = float(table.options.get(threshold, server.get(threshold, "-1")))
        if base < 0:  # -1 turns the insert rule off (and a server without it lacks it)
            return None
        return base + float(table.options.get(scale, server.get(scale, "0"))) * rows

    dead_limit = limit(VACUUM_THRESHOLD, VACUUM_SCALE)
    insert_limit = limit(INSERT_THRESHOLD, INSERT_SCALE)
    analyze_limit = limit(ANALYZE_THRESHOLD, ANALYZE_SCALE)
    vacuum = (dead_limit is not None and table.dead > dead_limit) or (
        insert_limit is not None and table.inserted > insert_limit
    )
    analyze = analyze_limit is not None and table.modified > analyze_limit
    return Upkeep(table.name, vacuum, analyze)


def _options(reloptions: Sequence[str] | None) -> dict[str, str]:
    return dict(option.split("=", 1) for option in reloptions or ())


async def table_stats(connection: AsyncConnection) -> list[TableStats]:
    """The statistics and storage parameters of every table of the current schema."""
    rows = await connection.execute(_TABLES)
    return [
        TableStats(name, float(rows_), dead, inserted, modified, _options(options))
        for name, rows_, dead, inserted, modified, options in rows
    ]


async def keep_tables(engine: AsyncEngine) -> list[Upkeep]:
    """With the server's autovacuum off, vacuum and analyze the tables that need it; which."""
    if engine.dialect.name != "postgresql":
        return []
    async with engine.connect() as connection:
        # VACUUM runs outside any transaction block.
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        settings = await connection.execute(_SETTINGS, {"names": list(SETTINGS)})
        server: dict[str, str] = {row[0]: row[1] for row in settings}
        if server.get("autovacuum") != "off":
            return []
        due = [
            u
            for u in (needs(t, server) for t in await table_stats(connection))
            if u.vacuum or u.analyze
        ]
        quote = connection.dialect.identifier_preparer.quote
        for upkeep in due:
            # SKIP_LOCKED: a table someone holds (a migration, a manual VACUUM) waits for
            # the next run rather than holding this job up.
            if upkeep.vacuum:
                what = "VACUUM (SKIP_LOCKED, ANALYZE)" if upkeep.analyze else "VACUUM (SKIP_LOCKED)"
            else:
                what = "ANALYZE (SKIP_LOCKED)"
            await connection.execute(text(f"{what} {quote(upkeep.table)}"))
            log.info("%s %s (the server's autovacuum is off)", what, upkeep.table)
        return due
