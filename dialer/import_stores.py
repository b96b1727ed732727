"""Where an import's contacts go: COPY on PostgreSQL, batched inserts on SQLite.

A batch skips the numbers on the do-not-call list and those the campaign already has
(earlier batches of the same file included), so duplicates are found by the database's
index, not by a set that would grow with the file.
"""

import json
from collections.abc import Iterable
from typing import Any

import psycopg
from sqlalchemy import Connection, select, text, update

from dialer.accounts import is_a_client
from dialer.imports import COPY_COLUMNS, Plan, Prepared, Tally
from dialer.models import Contact, ContactState, DncEntry

COPY_ATTEMPTS = 3


class Store:
    """Writes prepared chunks of one import into the campaign."""

    def __init__(self, conn: Connection, plan: Plan) -> None:
        self.conn, self.plan = conn, plan

    def store(self, prepared: Prepared) -> Tally:
        """Write a chunk's new contacts; the chunk's counts."""
        batch = Tally(rows=prepared.rows, invalid=prepared.invalid)
        batch.errors = [{"line": line, "reason": reason} for line, reason in prepared.errors]
        keep = self.select_new(prepared, batch)
        self.write(keep)
        batch.imported = len(keep)
        return batch

    def select_new(self, prepared: Prepared, batch: Tally) -> list[Any]:
        """The records to write; the rest counted as do-not-call or duplicates."""
        first: dict[str, int] = {}
        for i, hashed in enumerate(prepared.hashes):
            first.setdefault(hashed, i)
        suppressed, existing = self.known(list(first))
        keep = []
        for i, hashed in enumerate(prepared.hashes):
            if hashed in suppressed:
                batch.do_not_call += 1
            elif hashed in existing or first[hashed] != i:
                batch.duplicates += 1
            else:
                keep.append(prepared.records[i])
        return keep

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

    def write(self, records: list[Any]) -> None:
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

    def write(self, records: list[tuple[Any, ...]]) -> None:
        if records:
            marks = ", ".join("?" * len(records[0]))
            self.conn.exec_driver_sql(
                f"INSERT INTO contact ({COPY_COLUMNS}) VALUES ({marks})", records
            )


class PostgresStore(Store):
    """COPY, with index probes by array: the fastest way in and out of PostgreSQL."""

    def known(self, hashes: list[str]) -> tuple[set[str], set[str]]:
        # One text parameter split by the server: binding a list costs more than the probe.
        joined = ",".join(hashes)
        suppressed = self.conn.scalars(
            text(
                "SELECT phone_hash FROM dnc_entry "
                "WHERE phone_hash = ANY(string_to_array(:hashes, ','))"
            ),
            {"hashes": joined},
        )
        existing = self.conn.scalars(
            text(
                "SELECT phone_hash FROM contact WHERE campaign_id = :campaign "
                "AND phone_hash = ANY(string_to_array(:hashes, ','))"
            ),
            {"campaign": self.plan.campaign_id, "hashes": joined},
        )
        return set(suppressed), set(existing)

    def write(self, records: list[str]) -> None:
        # Another import into the same campaign may commit one of these numbers between
        # the probe and the COPY: then probe again and copy what is still new.
        for _ in range(COPY_ATTEMPTS):
            try:
                with self.conn.begin_nested():
                    self._copy(records)
                return
            except psycopg.errors.UniqueViolation:
                records = self._still_new(records)
        self._copy(records)

    def _copy(self, records: list[str]) -> None:
        if not records:
            return
        driver = self.conn.connection.driver_connection
        assert isinstance(driver, psycopg.Connection)
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY contact ({COPY_COLUMNS}) FROM STDIN") as copy,
        ):
            for part in _parts(records, 2_000):
                copy.write("".join(part).encode())

    def _still_new(self, records: list[str]) -> list[str]:
        hashes = [record.split("\t", 5)[4] for record in records]
        suppressed, existing = self.known(hashes)
        return [r for r, h in zip(records, hashes, strict=True) if h not in existing | suppressed]


def _parts(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
