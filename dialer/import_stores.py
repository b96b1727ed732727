"""Where an import's contacts go: COPY on PostgreSQL, batched inserts on SQLite.

A batch skips the numbers on the do-not-call list and those the campaign already has
(earlier batches of the same file included), so duplicates are found by the database's
index, not by a set that would grow with the file.
"""

import json
from typing import Any

import psycopg
from sqlalchemy import Connection, select, text, update

from dialer.accounts import is_a_client
from dialer.imports import COPY_COLUMNS, Plan, Prepared, Tally
from dialer.models import Contact, ContactState, DncEntry

COPY_ATTEMPTS = 3
# The list is a CTE read twice, so it is computed once and the planner never sees the
# hashes as a constant: given 8,000 of them it may judge them unselective and read the
# campaign's whole index instead (measured: 470 ms, not 44 ms, among a million contacts).
KNOWN = text(
    "WITH probe AS (SELECT string_to_array(:hashes, ',') AS hashes) "
    "SELECT phone_hash, true FROM dnc_entry, probe WHERE phone_hash = ANY(probe.hashes) "
    "UNION ALL SELECT phone_hash, false FROM contact, probe "
    "WHERE campaign_id = :campaign AND phone_hash = ANY(probe.hashes)"
)


class Store:
    """Writes prepared chunks of one import into the campaign."""

    def __init__(self, conn: Connection, plan: Plan) -> None:
        self.conn, self.plan = conn, plan

    def store(self, prepared: Prepared) -> Tally:
        """Write a chunk's new contacts; the chunk's counts."""
        batch = Tally(rows=prepared.rows, invalid=prepared.invalid)
        batch.errors = [{"line": line, "reason": reason} for line, reason in prepared.errors]
        suppressed, existing = self.known(prepared.hashes)
        records, hashes = prepared.records, prepared.hashes
        if suppressed or existing:
            records, hashes = without(records, hashes, suppressed | existing)
        # A number on the list counts as such however often it comes; a repeat of any
        # other is a duplicate, as is a number the campaign already has.
        repeated = sum(1 for h in prepared.repeats if h in suppressed)
        batch.do_not_call = len(suppressed) + repeated
        batch.duplicates = len(existing - suppressed) + len(prepared.repeats) - repeated
        self.write(records, hashes)
        batch.imported = len(records)
        return batch

    def known(self, hashes: list[str]) -> tuple[set[str], set[str]]:
        """Of these hashes: those on the do-not-call list, those the campaign has."""
        # One JSON parameter, not an IN list of thousands: SQLite caches every distinct
        # statement it prepares, and those would grow with the file.
        joined = json.dumps(hashes)
        suppressed = self.conn.scalars(
            text(
                "SELECT phone_hash FROM dnc_entry "
                "WHERE phone_hash IN (SELECT value FROM json_each(:hashes))"
            ),
            {"hashes": joined},
        )
        existing = self.conn.scalars(
            text(
                "SELECT phone_hash FROM contact WHERE campaign_id = :campaign "
                "AND phone_hash IN (SELECT value FROM json_each(:hashes))"
            ),
            {"campaign": self.plan.campaign_id.hex, "hashes": joined},
        )
        return set(suppressed), set(existing)

    def write(self, records: list[Any], hashes: list[str]) -> None:
        """Insert the records; their numbers are the hashes, one each, in order."""
        raise NotImplementedError

    def sweep_do_not_call(self) -> None:
        """Stop the imported contacts whose number was suppressed while the import ran."""
        self.conn.execute(
            update(Contact)
            .where(
                Contact.import_id == self.plan.import_id,
                Contact.state == ContactState.READY,
                Contact.phone_hash.in_(select(DncEntry.phone_hash)),
            )
            .values(state=ContactState.DO_NOT_CALL)
        )

    def sweep_clients(self) -> None:
        """Close the imported contacts whose company is already a client: never called again."""
        self.conn.execute(
            update(Contact)
            .where(
                Contact.import_id == self.plan.import_id,
                Contact.state == ContactState.READY,
                is_a_client(),
            )
            .values(state=ContactState.CLOSED)
        )


class SqliteStore(Store):
    """Batched inserts: the embedded database has one writer at a time anyway."""

    def write(self, records: list[tuple[Any, ...]], hashes: list[str]) -> None:
        if records:
            marks = ", ".join("?" * len(records[0]))
            self.conn.exec_driver_sql(
                f"INSERT INTO contact ({COPY_COLUMNS}) VALUES ({marks})", records
            )


class PostgresStore(Store):
    """COPY, with index probes by array: the fastest way in and out of PostgreSQL."""

    def known(self, hashes: list[str]) -> tuple[set[str], set[str]]:
        # One text parameter split by the server, and both lists in one round trip:
        # binding a list costs more than the probe.
        rows = self.conn.execute(
            KNOWN, {"campaign": self.plan.campaign_id, "hashes": ",".join(hashes)}
        )
        suppressed: set[str] = set()
        existing: set[str] = set()
        for hashed, on_the_list in rows:
            (suppressed if on_the_list else existing).add(hashed)
        return suppressed, existing

    def write(self, records: list[bytes], hashes: list[str]) -> None:
        # Another import into the same campaign may commit one of these numbers between
        # the probe and the COPY: then probe again and copy what is still new.
        for _ in range(COPY_ATTEMPTS):
            try:
                with self.conn.begin_nested():
                    self._copy(records)
                return
            except psycopg.errors.UniqueViolation:
                records, hashes = self._still_new(records, hashes)
        self._copy(records)

    def _copy(self, records: list[bytes]) -> None:
        if not records:
            return
        driver = self.conn.connection.driver_connection
        assert isinstance(driver, psycopg.Connection)
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY contact ({COPY_COLUMNS}) FROM STDIN") as copy,
        ):
            copy.write(b"".join(records))

    def _still_new(self, records: list[bytes], hashes: list[str]) -> tuple[list[bytes], list[str]]:
        suppressed, existing = self.known(hashes)
        return without(records, hashes, suppressed | existing)


def without(records: list[Any], hashes: list[str], known: set[str]) -> tuple[list[Any], list[str]]:
    """The records, and their hashes, whose hash is not among the known ones."""
    kept = [(r, h) for r, h in zip(records, hashes, strict=True) if h not in known]
    return [r for r, _ in kept], [h for _, h in kept]
